// A pool of helper threads for the tensor library's parallel loops. Its helpers spin for a
// short while after each loop before they sleep, so the next loop of a training step (often
// microseconds later) starts on both cores at once; a woken thread would join it tens of
// microseconds late. Iterations are handed out one at a time from a shared counter, so a core
// that starts late or runs slower takes fewer of them.
#ifndef SCANLAB_WORKER_POOL_H
#define SCANLAB_WORKER_POOL_H

typedef void (*scanlab_pool_body)(void *context, long iteration);

// Runs body(context, i) for every i in 0..<iterations, on the calling thread and up to
// `helpers` pool threads (started on first use), and returns when all have finished.
// Runs every iteration on the calling thread when helpers < 1, when called from inside a
// body (nested loops), or while another thread's loop holds the pool.
void scanlab_pool_run(long iterations, int helpers, scanlab_pool_body body, void *context);

#endif
