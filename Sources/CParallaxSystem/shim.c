#define _GNU_SOURCE
#ifndef __linux__
#error "swift-parallax runs on Linux only: it needs futex, pidfd, eventfd and posix_spawn closefrom"
#endif
#include "CParallaxSystem.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <spawn.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int cpx_spawn(const char *path, char *const argv[], char *const envp[], int request_read_fd,
              int reply_write_fd, int stdout_fd, int stderr_fd, int lease_board_fd, pid_t *pid_out) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attributes);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return rc;
    }
    // Copy every source above the target range first, so that no dup2 overwrites a source.
    int high_request = fcntl(request_read_fd, F_DUPFD_CLOEXEC, 16);
    int high_reply = fcntl(reply_write_fd, F_DUPFD_CLOEXEC, 16);
    int high_out = fcntl(stdout_fd, F_DUPFD_CLOEXEC, 16);
    int high_err = fcntl(stderr_fd, F_DUPFD_CLOEXEC, 16);
    int high_board = lease_board_fd >= 0 ? fcntl(lease_board_fd, F_DUPFD_CLOEXEC, 16) : -1;
    if (high_request < 0 || high_reply < 0 || high_out < 0 || high_err < 0) rc = errno;
    if (lease_board_fd >= 0 && high_board < 0) rc = errno;
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, high_out, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, high_err, 2);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, high_request, 3);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, high_reply, 4);
    if (rc == 0 && high_board >= 0) rc = posix_spawn_file_actions_adddup2(&actions, high_board, CPX_LEASE_BOARD_FD);
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, CPX_LEASE_BOARD_FD + 1);

    sigset_t all, none;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    sigemptyset(&none);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attributes, &all);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attributes, &none);
    // A session of its own, led by the worker (and so a process group too): what its tasks
    // start stays in it even in a new process group, and the parent ends it with the worker.
    if (rc == 0)
        rc = posix_spawnattr_setflags(
            &attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
    if (rc == 0) rc = posix_spawn(pid_out, path, &actions, &attributes, argv, envp);

    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (high_request >= 0) close(high_request);
    if (high_reply >= 0) close(high_reply);
    if (high_out >= 0) close(high_out);
    if (high_err >= 0) close(high_err);
    if (high_board >= 0) close(high_board);
    return rc;
}

struct cpx_lease_board {
    uint64_t deadline;
    uint32_t change;
};

int cpx_lease_board_create(void) {
    int fd = (int)syscall(SYS_memfd_create, "parallax-lease", MFD_CLOEXEC);
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)sysconf(_SC_PAGESIZE)) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

void *cpx_lease_board_map(int fd) {
    void *board = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return board == MAP_FAILED ? NULL : board;
}

void cpx_lease_board_set(void *board, uint64_t deadline) {
    struct cpx_lease_board *b = board;
    __atomic_store_n(&b->deadline, deadline, __ATOMIC_RELEASE);
    __atomic_add_fetch(&b->change, 1, __ATOMIC_ACQ_REL);
    // A shared (not private) futex: the waiters are other processes.
    syscall(SYS_futex, &b->change, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

uint64_t cpx_lease_board_read(void *board, uint32_t *change_out) {
    struct cpx_lease_board *b = board;
    *change_out = __atomic_load_n(&b->change, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&b->deadline, __ATOMIC_ACQUIRE);
}

void cpx_lease_board_wait(void *board, uint32_t change, int64_t timeout_ns) {
    struct cpx_lease_board *b = board;
    struct timespec timeout = {timeout_ns / 1000000000, timeout_ns % 1000000000};
    syscall(SYS_futex, &b->change, FUTEX_WAIT, change, timeout_ns < 0 ? NULL : &timeout, NULL, 0);
}

uint64_t cpx_boottime_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_BOOTTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int cpx_wait_for_end(pid_t pid, int *value_out) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do { rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT); } while (rc < 0 && errno == EINTR);
    *value_out = 0;
    if (rc != 0 || info.si_pid != pid) return 0;
    *value_out = info.si_status;
    if (info.si_code == CLD_EXITED) return 1;
    if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) return 2;
    return 0;
}

int cpx_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int cpx_pidfd_send_signal(int pidfd, int signal) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
}


int cpx_kill_group(pid_t group, int signal) { return kill(-group, signal); }

int cpx_kill_own_group(int signal) {
    if (getpgrp() != getpid()) {
        errno = EPERM;
        return -1;
    }
    return kill(0, signal);
}

/// Reads the state and session of process `pid` from /proc; 0 on success.
static int cpx_read_session(const char *pid, char *state, pid_t *session) {
    char path[64];
    char text[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t count = read(fd, text, sizeof text - 1);
    close(fd);
    if (count <= 0) return -1;
    text[count] = 0;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    char *rest = strrchr(text, ')');
    if (rest == NULL) return -1;
    int parent, group, found_session;
    if (sscanf(rest + 1, " %c %d %d %d", state, &parent, &group, &found_session) != 4) return -1;
    *session = found_session;
    return 0;
}

int cpx_kill_session(pid_t session, int signal, pid_t except) {
    int total = 0;
    // A process may fork while the list is read; what it started shows up on the next pass.
    for (int pass = 0; pass < 16; pass++) {
        DIR *proc = opendir("/proc");
        if (proc == NULL) return total > 0 ? total : -1;
        int signalled = 0;
        struct dirent *entry;
        while ((entry = readdir(proc)) != NULL) {
            if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
            pid_t pid = (pid_t)atoi(entry->d_name);
            if (pid == except) continue;
            char state;
            pid_t found;
            if (cpx_read_session(entry->d_name, &state, &found) != 0) continue;
            if (found != session || state == 'Z' || state == 'X') continue;
            if (kill(pid, signal) == 0) signalled++;
        }
        closedir(proc);
        total += signalled;
        if (signalled == 0 || signal != SIGKILL) break;
    }
    return total;
}

long long cpx_pipe_unread_bytes(int fd) {
    int count = 0;
    if (ioctl(fd, FIONREAD, &count) != 0) return -1;
    return count;
}

int cpx_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int cpx_set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int cpx_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

void cpx_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof(truncated) - 1);
    truncated[sizeof(truncated) - 1] = 0;
    pthread_setname_np(pthread_self(), truncated);
}

int cpx_active_processor_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}

void cpx_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

void cpx_flush_stdout(void) { fflush(stdout); }

int cpx_set_pipe_size(int fd, int size) { return fcntl(fd, F_SETPIPE_SZ, size); }

int cpx_trim_heap(void) { return malloc_trim(0); }

int cpx_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

void cpx_lock_slow(uint32_t *word) {
    for (int spin = 0; spin < 100; spin++) {
        uint32_t expected = 0;
        if (__atomic_load_n(word, __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n(word, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            return;
        }
#if defined(__x86_64__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
    }
    // Marked contended (2) while anyone waits, so that unlock knows to wake one.
    while (__atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE) != 0) {
        syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
    }
}

void cpx_unlock_wake(uint32_t *word) { syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

int cpx_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

void cpx_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t written;
    do { written = write(fd, &one, sizeof one); } while (written < 0 && errno == EINTR);
}

void cpx_eventfd_reset(int fd) {
    uint64_t count;
    ssize_t got;
    do { got = read(fd, &count, sizeof count); } while (got < 0 && errno == EINTR);
}

static long long cpx_nanoseconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - start->tv_sec) * 1000000000LL + (now.tv_nsec - start->tv_nsec);
}

int cpx_wait_readable(int fd, long long *timeout_ns, long long poll_ns) {
    if (poll_ns > *timeout_ns) poll_ns = *timeout_ns;
    if (poll_ns > 0) {
        // Polling keeps this thread on its core: an answer that arrives now needs no wake-up,
        // which on a virtual machine costs more than the poll system calls.
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
            struct pollfd probe = {.fd = fd, .events = POLLIN, .revents = 0};
            int ready = poll(&probe, 1, 0);
            if (ready < 0 && errno != EINTR) return -1;
            long long elapsed = cpx_nanoseconds_since(&start);
            if (ready > 0) {
                *timeout_ns = *timeout_ns > elapsed ? *timeout_ns - elapsed : 0;
                // Found after the polling time, this thread was off its core for a while (a busy
                // machine): the polling did not spare a wake-up.
                return elapsed <= poll_ns ? 2 : 1;
            }
            if (elapsed >= poll_ns) {
                *timeout_ns = *timeout_ns > elapsed ? *timeout_ns - elapsed : 0;
                if (*timeout_ns == 0) return 0;
                break;
            }
            // Polite polling: a thread waiting for this core (the worker, on a busy machine) runs
            // first; on an idle core this returns at once.
            sched_yield();
        }
    }
    struct pollfd entry = {.fd = fd, .events = POLLIN, .revents = 0};
    struct timespec timeout = {.tv_sec = *timeout_ns / 1000000000LL, .tv_nsec = *timeout_ns % 1000000000LL};
    long ready;
    // The system call itself, not the libc wrapper: the kernel writes the time left into
    // `timeout`, which the wrapper would hide.
    do {
        ready = syscall(SYS_ppoll, &entry, 1, &timeout, NULL, (size_t)8);
    } while (ready < 0 && errno == EINTR);
    *timeout_ns = (long long)timeout.tv_sec * 1000000000LL + timeout.tv_nsec;
    return ready < 0 ? -1 : (ready > 0 ? 1 : 0);
}
