#ifndef C_PARALLAX_SYSTEM_H
#define C_PARALLAX_SYSTEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/// A lock in one 32-bit word (0 unlocked, 1 locked, 2 locked with waiters): a compare-and-swap
/// when uncontended, a short spin, then a futex wait. Written with the compiler's atomics so that
/// the thread sanitizer sees its acquire and release, which it cannot for the standard library's
/// `Mutex` on Linux.
void cpx_lock_slow(uint32_t *word);
void cpx_unlock_wake(uint32_t *word);

static inline void cpx_lock(uint32_t *word) {
    uint32_t expected = 0;
    if (__atomic_compare_exchange_n(word, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
    cpx_lock_slow(word);
}

static inline void cpx_unlock(uint32_t *word) {
    if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) == 2) cpx_unlock_wake(word);
}

/// Spawns `path` with the worker channel at descriptors 3 (requests, read by the child) and 4
/// (replies, written by the child), stdin from /dev/null, stdout and stderr on the given pipes,
/// every other descriptor closed, default signal dispositions and an empty signal mask, in a
/// new session (and process group) that the child leads.
/// Returns 0 and stores the pid, or returns an errno value.
/// With `lease_board_fd` at 0 or above, the child gets that descriptor as 5 (see
/// ``cpx_lease_board_create``).
int cpx_spawn(const char *path, char *const argv[], char *const envp[], int request_read_fd,
              int reply_write_fd, int stdout_fd, int stderr_fd, int lease_board_fd, pid_t *pid_out);

/// The descriptor a worker gets its pool's lease board on.
#define CPX_LEASE_BOARD_FD 5

/// A page of memory a pool shares with its workers: the lease deadline (CLOCK_BOOTTIME
/// nanoseconds, 0 for none) and a word bumped at every change, which the workers wait on with a
/// futex. Returns a memfd (close-on-exec) of the page, or -1 with errno set.
int cpx_lease_board_create(void);

/// Maps a lease board shared, readable and writable. Returns it, or NULL with errno set.
void *cpx_lease_board_map(int fd);

/// Sets the deadline and wakes every waiter.
void cpx_lease_board_set(void *board, uint64_t deadline);

/// The deadline now, and the change it belongs to (for ``cpx_lease_board_wait``).
uint64_t cpx_lease_board_read(void *board, uint32_t *change_out);

/// Waits until the board changes after `change`, or `timeout_ns` passed (negative: no limit).
void cpx_lease_board_wait(void *board, uint32_t change, int64_t timeout_ns);

/// CLOCK_BOOTTIME in nanoseconds: the clock of lease deadlines.
uint64_t cpx_boottime_ns(void);

/// Waits until the child `pid` has ended, without reaping it (WNOWAIT): 1 and the exit code if it
/// exited, 2 and the signal number if a signal ended it, 0 if that cannot be told.
int cpx_wait_for_end(pid_t pid, int *value_out);

/// Opens a pidfd for `pid` (Linux 5.3+). Returns the descriptor or -1 with errno set.
int cpx_pidfd_open(pid_t pid);

/// Sends `signal` through a pidfd, which cannot hit a recycled pid. Returns 0 or -1 with errno set.
int cpx_pidfd_send_signal(int pidfd, int signal);

/// Sends `signal` to every process of the process group `group`. 0 or -1 with errno set.
int cpx_kill_group(pid_t group, int signal);

/// Sends `signal` to every process of the caller's process group, itself included, but only when
/// the caller leads that group (a worker started by ``cpx_spawn``); -1 with EPERM otherwise, so
/// that a process in its parent's group never signals the parent.
int cpx_kill_own_group(int signal);

/// Sends `signal` to every live process of the session `session` but `except`, found in /proc;
/// with SIGKILL, repeated until a pass finds none (what forked meanwhile). Returns how many
/// processes were signalled, or -1 when /proc cannot be read.
int cpx_kill_session(pid_t session, int signal, pid_t except);

/// The bytes written to a pipe and not read yet (FIONREAD; either end), or -1 with errno set.
long long cpx_pipe_unread_bytes(int fd);

/// Sets O_NONBLOCK on `fd`. 0 or -1 with errno set.
int cpx_set_nonblocking(int fd);

/// Sets FD_CLOEXEC on `fd`.
int cpx_set_cloexec(int fd);

/// Creates a pipe whose ends close on exec. Returns 0 or -1 with errno set.
int cpx_pipe_cloexec(int fds[2]);

/// Asks for a pipe buffer of `size` bytes (Linux F_SETPIPE_SZ). Returns the size granted or -1.
int cpx_set_pipe_size(int fd, int size);

/// Sets no_new_privs on the calling process: neither it nor anything it starts can gain
/// privileges through setuid binaries or file capabilities. 0 on success, -1 with errno set.
int cpx_set_no_new_privs(void);

/// Releases free heap memory to the system. Returns 1 if memory was released.
int cpx_trim_heap(void);

/// Creates an eventfd that closes on exec and never blocks. Returns it or -1 with errno set.
int cpx_eventfd(void);

/// Adds one to an eventfd's counter, which makes a poll on it return.
void cpx_eventfd_signal(int fd);

/// Resets an eventfd's counter.
void cpx_eventfd_reset(int fd);

/// Waits until `fd` is readable, hung up or in error, for at most `*timeout_ns` nanoseconds, and
/// leaves the time that was left in `*timeout_ns`. The first `poll_ns` of it (at most) are spent
/// polling without sleeping, yielding the core to any thread that waits for it, so that a quick
/// answer finds this thread running; the rest sleeps in the kernel. Returns 2 when `fd` was found
/// ready within the polling time, 1 when later (asleep, or after the thread was off its core),
/// 0 when the time ran out, -1 with errno set on an error.
int cpx_wait_readable(int fd, long long *timeout_ns, long long poll_ns);

/// Names the calling thread (at most 15 bytes are kept).
void cpx_set_thread_name(const char *name);

/// The number of processors in this process's affinity mask, or 0 if it cannot be read.
int cpx_active_processor_count(void);

/// Makes stdout line-buffered, so that a worker's prints reach the parent line by line.
void cpx_line_buffer_stdout(void);

/// Flushes stdout.
void cpx_flush_stdout(void);

#endif
