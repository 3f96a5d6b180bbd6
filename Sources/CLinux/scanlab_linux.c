#define _GNU_SOURCE
#include <fcntl.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include "scanlab_linux.h"

int scanlab_allowed_cpu_count(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
#else
    return -1;
#endif
}

int scanlab_lock_whole_file(int fd, int wait) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;   // l_start = l_len = 0: the whole file
    for (;;) {
        if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &lock) == 0) return 0;
        if (errno != EINTR) return errno;
    }
}

int scanlab_lock_is_held(int fd) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_GETLK, &lock) != 0) return -1;
    return lock.l_type == F_UNLCK ? 0 : 1;
}

static volatile sig_atomic_t stop_signal = 0;

static void record_stop(int sig) {
    if (stop_signal == sig) { signal(sig, SIG_DFL); raise(sig); return; }
    stop_signal = sig;
}

void scanlab_stop_install_signal(int sig) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = record_stop;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(sig, &action, NULL);
}

void scanlab_stop_install(void) {
    scanlab_stop_install_signal(SIGTERM);
    scanlab_stop_install_signal(SIGINT);
}

int scanlab_stop_signal(void) { return stop_signal; }
void scanlab_stop_reset(void) { stop_signal = 0; }
