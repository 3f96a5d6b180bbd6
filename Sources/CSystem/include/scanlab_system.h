// Linux calls Swift's Glibc module leaves out (they need _GNU_SOURCE).
#ifndef SCANLAB_SYSTEM_H
#define SCANLAB_SYSTEM_H

// The number of CPUs in the calling thread's affinity mask (sched_getaffinity: what taskset,
// cgroups' cpusets and Slurm's CPU binding restrict), or -1 when it cannot be read.
int scanlab_allowed_cpu_count(void);

#endif
