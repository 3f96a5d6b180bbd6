#ifndef SCANLAB_GNUPLOT_LIVE_H
#define SCANLAB_GNUPLOT_LIVE_H

// A C interface to gnuplot-iostream (libgnuplot-iostream-dev), so Swift needs no C++ interop:
// one persistent gnuplot process, fed commands and inline data. gnuplot's own output (a
// `dumb` or `sixel` terminal's frame) goes to this process's standard output.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scanlab_live_plot scanlab_live_plot;

/// Starts `command` (e.g. "gnuplot"); NULL when it cannot be started.
scanlab_live_plot *scanlab_live_plot_open(const char *command);

/// Sends gnuplot commands as they are; 0 on success.
int scanlab_live_plot_command(scanlab_live_plot *plot, const char *text);

/// Sends one inline data block (for a `'-'` series of a plot command): n points (x[i], y[i]),
/// written by gnuplot-iostream's send1d; 0 on success.
int scanlab_live_plot_series(scanlab_live_plot *plot, const double *x, const double *y, size_t n);

/// Flushes what was sent to gnuplot; 0 on success.
int scanlab_live_plot_flush(scanlab_live_plot *plot);

/// Ends gnuplot and frees the handle.
void scanlab_live_plot_close(scanlab_live_plot *plot);

#ifdef __cplusplus
}
#endif

#endif
