// OpenBLAS's CBLAS interface (Debian: libopenblas-dev; pkg-config `openblas`).
#include <cblas.h>

// OpenBLAS's own (not CBLAS): stops its worker threads, which otherwise spin on every core for
// ~2^28 cycles after a threaded call. Benchmarks call it after timing a threaded sgemm, so
// the workers do not steal cores from what is timed next; the next threaded call restarts them.
int blas_thread_shutdown_(void);
