// A narrow C surface over liburing. The public header deliberately includes only <stdint.h> and
// <stddef.h>: exposing <liburing.h> here makes glibc's headers land in two Clang modules, which
// fails clean debug builds ("'__fds_bits' ... is not present in definition of 'fd_set'").
#ifndef CRINGWAY_URING_H
#define CRINGWAY_URING_H

#include <stdint.h>
#include <stddef.h>

struct rw_ring;
struct rw_buf_ring;

/// One completion, copied out of the completion queue.
typedef struct rw_cqe {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
} rw_cqe;

/// Completion flags and constants the Swift side needs (enum members are not imported).
enum {
    RW_CQE_F_BUFFER = 1u << 0,
    RW_CQE_F_MORE = 1u << 1,
    RW_CQE_BUFFER_SHIFT = 16,
};

/// Creates a ring on the calling thread. Returns 0 or -errno. `flags_used` reports the setup flags
/// that were accepted (the fast flags are dropped on kernels that refuse them).
int rw_ring_create(struct rw_ring **out, unsigned entries, unsigned cq_entries, unsigned *flags_used);
void rw_ring_destroy(struct rw_ring *ring);
int rw_ring_fd(const struct rw_ring *ring);

/// Submits queued SQEs without blocking and runs deferred completion work. Returns >= 0 or -errno.
int rw_ring_submit(struct rw_ring *ring);
/// Submits queued SQEs and waits for at least one completion. Returns >= 0 or -errno.
int rw_ring_submit_and_wait(struct rw_ring *ring);
/// Submits queued SQEs and waits for at least one completion or until `nanoseconds` have passed.
/// Returns >= 0 or -errno (a wait that ends by its time limit returns 0).
int rw_ring_submit_and_wait_timeout(struct rw_ring *ring, uint64_t nanoseconds);
/// Copies up to `max` completions into `out` and marks them seen. Returns the count.
unsigned rw_ring_reap(struct rw_ring *ring, rw_cqe *out, unsigned max);
/// Number of SQEs prepared but not yet submitted.
unsigned rw_ring_pending(const struct rw_ring *ring);

// Each prep function queues one SQE tagged with `user_data`; returns 0, or -EBUSY when the
// submission queue is full even after a submit.
int rw_prep_accept_multishot(struct rw_ring *ring, int fd, uint64_t user_data);
int rw_prep_connect(struct rw_ring *ring, int fd, const void *addr, uint32_t addrlen, uint64_t user_data);
int rw_prep_recv_multishot(struct rw_ring *ring, int fd, uint16_t buffer_group, uint64_t user_data);
int rw_prep_send(struct rw_ring *ring, int fd, const void *buf, size_t len, uint64_t user_data);
/// `msghdr` points at a caller-owned `struct msghdr` that stays valid until the completion.
int rw_prep_sendmsg(struct rw_ring *ring, int fd, const void *msghdr, uint64_t user_data);
int rw_prep_read(struct rw_ring *ring, int fd, void *buf, unsigned len, uint64_t user_data);
int rw_prep_close(struct rw_ring *ring, int fd, uint64_t user_data);
int rw_prep_cancel(struct rw_ring *ring, uint64_t target_user_data, uint64_t user_data);
/// Posts a completion carrying `user_data` to `target_ring_fd` using this ring.
int rw_prep_msg_ring(struct rw_ring *ring, int target_ring_fd, uint64_t target_user_data, uint64_t user_data);


/// Posts a completion to another ring without a source ring (IORING_REGISTER_SEND_MSG_RING,
/// kernel >= 6.13); callable from any thread. Returns 0 or -errno (-EINVAL on older kernels).
int rw_msg_ring_post(int target_ring_fd, uint64_t user_data);

/// A provided-buffer ring: `count` (a power of two) buffers of `size` bytes in buffer group `group`.
int rw_buf_ring_create(struct rw_ring *ring, uint16_t group, unsigned count, unsigned size, struct rw_buf_ring **out);
void rw_buf_ring_destroy(struct rw_ring *ring, struct rw_buf_ring *br);
/// Address of buffer `bid`.
void *rw_buf_ring_buffer(const struct rw_buf_ring *br, uint16_t bid);
/// Hands buffer `bid` back to the kernel (visible after rw_buf_ring_commit).
void rw_buf_ring_recycle(struct rw_buf_ring *br, uint16_t bid);
/// Publishes the buffers recycled since the last commit.
void rw_buf_ring_commit(struct rw_buf_ring *br);

/// Creates a non-blocking, close-on-exec eventfd. Returns fd or -errno.
int rw_eventfd(void);
/// Adds 1 to an eventfd counter. Returns 0 or -errno.
int rw_eventfd_signal(int fd);

/// Names the calling thread (truncated to 15 bytes).
void rw_set_thread_name(const char *name);

#endif
