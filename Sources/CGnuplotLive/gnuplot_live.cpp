// gnuplot-iostream behind the C interface of gnuplot_live.h. Exceptions stop at this boundary:
// every entry point reports failure as a return value.
#include "gnuplot_live.h"

#include <gnuplot-iostream.h>

#include <utility>
#include <vector>

struct scanlab_live_plot {
    Gnuplot gp;
    explicit scanlab_live_plot(const char *command) : gp(command) {}
};

extern "C" scanlab_live_plot *scanlab_live_plot_open(const char *command) {
    try {
        return new scanlab_live_plot(command);
    } catch (...) {
        return nullptr;
    }
}

extern "C" int scanlab_live_plot_command(scanlab_live_plot *plot, const char *text) {
    try {
        plot->gp << text;
        return plot->gp.good() ? 0 : 1;
    } catch (...) {
        return 1;
    }
}

extern "C" int scanlab_live_plot_series(scanlab_live_plot *plot, const double *x, const double *y, size_t n) {
    try {
        std::vector<std::pair<double, double>> points;
        points.reserve(n);
        for (size_t i = 0; i < n; ++i) points.emplace_back(x[i], y[i]);
        plot->gp.send1d(points);
        return plot->gp.good() ? 0 : 1;
    } catch (...) {
        return 1;
    }
}

extern "C" int scanlab_live_plot_flush(scanlab_live_plot *plot) {
    try {
        plot->gp.flush();
        return plot->gp.good() ? 0 : 1;
    } catch (...) {
        return 1;
    }
}

extern "C" void scanlab_live_plot_close(scanlab_live_plot *plot) {
    try {
        delete plot;
    } catch (...) {
    }
}
