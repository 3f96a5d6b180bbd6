#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "worker_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

// How long an idle helper keeps polling before it sleeps on the futex.
#define SPIN_NANOSECONDS 200000L
#define MAX_HELPERS 255

// One parallel loop, on its caller's stack: valid until the caller has seen every iteration
// finish and no helper inside it (pool.inside == 0).
struct job {
    scanlab_pool_body body;
    void *context;
    long iterations;
    int helpers;
    atomic_long next;
    atomic_long finished;
};

static struct {
    pthread_mutex_t owner;        // one loop at a time; other threads' loops run serially
    atomic_uint generation;       // bumped for each loop; the futex helpers sleep on
    struct job *_Atomic job;      // the current loop, or NULL
    atomic_int inside;            // helpers that may be reading `job`
    atomic_int sleepers;          // helpers in (or about to enter) the futex wait
    int started;                  // helper threads created (guarded by owner)
} pool = { .owner = PTHREAD_MUTEX_INITIALIZER };

static _Thread_local int in_loop;   // a body is running on this thread: nested loops run serially

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void futex_wait(atomic_uint *word, unsigned expected) {
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake_all(atomic_uint *word) {
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

// One poll of a wait on another thread: a pause, and now and then the core given away in case
// the awaited thread was descheduled (more runnable threads than cores).
static void wait_a_little(unsigned long *polls) {
    if (++*polls % 1024 == 0) sched_yield(); else cpu_relax();
}

static void run_iterations(struct job *j) {
    long i;
    while ((i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < j->iterations) {
        j->body(j->context, i);
        atomic_fetch_add_explicit(&j->finished, 1, memory_order_release);
    }
}

static void *helper_main(void *arg) {
    int id = (int)(long)arg;
    in_loop = 1;
    unsigned seen = 0;   // the generation before any loop
    for (;;) {
        unsigned g;
        long spin_start = now_ns();
        int polls = 0;
        while ((g = atomic_load(&pool.generation)) == seen) {
            if (++polls % 64 != 0) { cpu_relax(); continue; }
            // Give the core away now and then: with more threads than cores (SCANLAB_THREADS
            // above the CPU count) a polling helper would otherwise hold it from those at work.
            sched_yield();
            if (now_ns() - spin_start < SPIN_NANOSECONDS) continue;
            // The futex returns at once if the generation moved after the load above.
            atomic_fetch_add(&pool.sleepers, 1);
            futex_wait(&pool.generation, seen);
            atomic_fetch_sub(&pool.sleepers, 1);
            spin_start = now_ns();
        }
        seen = g;
        atomic_fetch_add(&pool.inside, 1);
        struct job *j = atomic_load(&pool.job);
        if (j != NULL && id < j->helpers) run_iterations(j);
        atomic_fetch_sub(&pool.inside, 1);
    }
    return NULL;
}

// Starts helpers up to `wanted`; returns how many exist.
static int start_helpers(int wanted) {
    if (wanted > MAX_HELPERS) wanted = MAX_HELPERS;
    while (pool.started < wanted) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t thread;
        int failed = pthread_create(&thread, &attr, helper_main, (void *)(long)pool.started);
        pthread_attr_destroy(&attr);
        if (failed) break;
        pool.started += 1;
    }
    return pool.started;
}

void scanlab_pool_run(long iterations, int helpers, scanlab_pool_body body, void *context) {
    if (iterations <= 0) return;
    if (helpers < 1 || iterations == 1 || in_loop || pthread_mutex_trylock(&pool.owner) != 0) {
        int outer = in_loop;
        in_loop = 1;
        for (long i = 0; i < iterations; i++) body(context, i);
        in_loop = outer;
        return;
    }
    int available = start_helpers(helpers);
    struct job j = { .body = body, .context = context, .iterations = iterations,
                     .helpers = helpers < available ? helpers : available };
    atomic_init(&j.next, 0);
    atomic_init(&j.finished, 0);
    atomic_store(&pool.job, &j);
    atomic_fetch_add(&pool.generation, 1);
    if (atomic_load(&pool.sleepers) > 0) futex_wake_all(&pool.generation);
    in_loop = 1;
    run_iterations(&j);
    in_loop = 0;
    unsigned long polls = 0;
    while (atomic_load_explicit(&j.finished, memory_order_acquire) < iterations) wait_a_little(&polls);
    // No helper may still hold a pointer to j when it goes out of scope.
    atomic_store(&pool.job, NULL);
    while (atomic_load(&pool.inside) > 0) wait_a_little(&polls);
    pthread_mutex_unlock(&pool.owner);
}
