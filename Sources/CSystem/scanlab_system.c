#define _GNU_SOURCE
#include <sched.h>
#include "scanlab_system.h"

int scanlab_allowed_cpu_count(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
#else
    return -1;
#endif
}
