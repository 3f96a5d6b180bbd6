// Linux calls Swift's Glibc module leaves out (they need _GNU_SOURCE), and signal handlers,
// which must be plain C to be async-signal-safe.
#ifndef SCANLAB_LINUX_H
#define SCANLAB_LINUX_H

// The number of CPUs in the calling thread's affinity mask (sched_getaffinity: what taskset,
// cgroups' cpusets and Slurm's CPU binding restrict), or -1 when it cannot be read.
int scanlab_allowed_cpu_count(void);

// An exclusive open-file-description lock (F_OFD_SETLK) on the whole of fd: 0 when taken,
// otherwise errno (EAGAIN/EACCES: another holder). With wait, blocks until it is free.
// OFD locks belong to the open file, not the process, so two opens in one process conflict
// too; the kernel (or the NFS server) drops them when the holder dies.
int scanlab_lock_whole_file(int fd, int wait);

// Whether another open file description holds a lock on fd (F_OFD_GETLK; takes nothing):
// 1 held, 0 free, -1 with errno on failure.
int scanlab_lock_is_held(int fd);

// Installs handlers for SIGTERM and SIGINT that only record the signal, so a run can finish
// its step and checkpoint; scanlab_stop_signal() is that signal, or 0. A second signal of the
// same kind restores the default action, so a repeated Ctrl-C still ends the process.
void scanlab_stop_install(void);
// The same for one signal only (a notebook worker catches SIGTERM, leaving Ctrl-C to end it).
void scanlab_stop_install_signal(int sig);
int scanlab_stop_signal(void);
void scanlab_stop_reset(void);

#endif
