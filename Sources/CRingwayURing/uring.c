#define _GNU_SOURCE
#include "CRingwayURing.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <unistd.h>

#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif
// Not in the liburing 2.3 / Linux 6.1 headers; kernel 6.13 added it.
#define RW_IORING_REGISTER_SEND_MSG_RING 31

struct rw_ring {
    struct io_uring ring;
    unsigned pending;
};

struct rw_buf_ring {
    struct io_uring_buf_ring *br;
    size_t ring_bytes;
    unsigned char *buffers;
    unsigned count;
    unsigned size;
    unsigned mask;
    unsigned added;
    uint16_t group;
};

int rw_ring_create(struct rw_ring **out, unsigned entries, unsigned cq_entries, unsigned *flags_used) {
    struct rw_ring *r = calloc(1, sizeof *r);
    if (!r) return -ENOMEM;
    static const unsigned attempts[] = {
        IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_CQSIZE,
    };
    int rc = -EINVAL;
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        struct io_uring_params p;
        memset(&p, 0, sizeof p);
        p.flags = attempts[i];
        p.cq_entries = cq_entries;
        rc = io_uring_queue_init_params(entries, &r->ring, &p);
        if (rc == 0) {
            if (flags_used) *flags_used = attempts[i];
            *out = r;
            return 0;
        }
        // Only an unsupported flag is worth retrying; EPERM/ENOSYS/ENOMEM are final.
        if (rc != -EINVAL) break;
    }
    free(r);
    return rc;
}

void rw_ring_destroy(struct rw_ring *ring) {
    if (!ring) return;
    io_uring_queue_exit(&ring->ring);
    free(ring);
}

int rw_ring_fd(const struct rw_ring *ring) { return ring->ring.ring_fd; }

unsigned rw_ring_pending(const struct rw_ring *ring) { return ring->pending; }

int rw_ring_submit(struct rw_ring *ring) {
    ring->pending = 0;
    int rc;
    do { rc = io_uring_submit_and_get_events(&ring->ring); } while (rc == -EINTR);
    return rc;
}

int rw_ring_submit_and_wait(struct rw_ring *ring) {
    ring->pending = 0;
    int rc = io_uring_submit_and_wait(&ring->ring, 1);
    // A signal interrupting the wait is not an error: the caller loops anyway.
    if (rc == -EINTR) rc = 0;
    return rc;
}

int rw_ring_submit_and_wait_timeout(struct rw_ring *ring, uint64_t nanoseconds) {
    ring->pending = 0;
    struct __kernel_timespec ts = {
        .tv_sec = (long long)(nanoseconds / 1000000000ull),
        .tv_nsec = (long long)(nanoseconds % 1000000000ull),
    };
    struct io_uring_cqe *cqe = NULL;
    int rc = io_uring_submit_and_wait_timeout(&ring->ring, &cqe, 1, &ts, NULL);
    // The time limit passing, or a signal, is not an error: the caller loops anyway.
    if (rc == -ETIME || rc == -EINTR) rc = 0;
    return rc;
}

unsigned rw_ring_reap(struct rw_ring *ring, rw_cqe *out, unsigned max) {
    struct io_uring_cqe *cqes[256];
    if (max > 256) max = 256;
    unsigned n = io_uring_peek_batch_cqe(&ring->ring, cqes, max);
    for (unsigned i = 0; i < n; i++) {
        out[i].user_data = cqes[i]->user_data;
        out[i].res = cqes[i]->res;
        out[i].flags = cqes[i]->flags;
    }
    if (n) io_uring_cq_advance(&ring->ring, n);
    return n;
}

static struct io_uring_sqe *get_sqe(struct rw_ring *ring) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (!sqe) {
        // Submission queue full: hand what we have to the kernel and try once more.
        rw_ring_submit(ring);
        sqe = io_uring_get_sqe(&ring->ring);
    }
    if (sqe) ring->pending++;
    return sqe;
}

int rw_prep_accept_multishot(struct rw_ring *ring, int fd, uint64_t user_data) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int rw_prep_connect(struct rw_ring *ring, int fd, const void *addr, uint32_t addrlen, uint64_t user_data) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_connect(sqe, fd, (const struct sockaddr *)addr, addrlen);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int rw_prep_recv_multishot(struct rw_ring *ring, int fd, uint16_t buffer_group, uint64_t user_data) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = buffer_group;
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int rw_prep_send(struct rw_ring *ring, int fd, const void *buf, size_t len, uint64_t user_data) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_send(sqe, fd, buf, len, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int rw_prep_sendmsg(struct rw_ring *ring, int fd, const void *msghdr, uint64_t user_data) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_sendmsg(sqe, fd, (const struct msghdr *)msghdr, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int rw_prep_read(struct rw_ring *ring, int fd, void *buf, unsigned len, uint64_t user_data) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_read(sqe, fd, buf, len, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int rw_prep_close(struct rw_ring *ring, int fd, uint64_t user_data) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_close(sqe, fd);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int rw_prep_cancel(struct rw_ring *ring, uint64_t target_user_data, uint64_t user_data) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_cancel64(sqe, target_user_data, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int rw_prep_msg_ring(struct rw_ring *ring, int target_ring_fd, uint64_t target_user_data, uint64_t user_data) {
    struct io_uring_sqe *sqe = get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_msg_ring(sqe, target_ring_fd, 0, target_user_data, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int rw_msg_ring_post(int target_ring_fd, uint64_t user_data) {
    struct io_uring_sqe sqe;
    memset(&sqe, 0, sizeof sqe);
    io_uring_prep_msg_ring(&sqe, target_ring_fd, 0, user_data, 0);
    long rc = syscall(__NR_io_uring_register, -1, RW_IORING_REGISTER_SEND_MSG_RING, &sqe, 1);
    return rc < 0 ? -errno : 0;
}

int rw_buf_ring_create(struct rw_ring *ring, uint16_t group, unsigned count, unsigned size, struct rw_buf_ring **out) {
    if (count == 0 || (count & (count - 1)) != 0 || count > 32768) return -EINVAL;
    struct rw_buf_ring *b = calloc(1, sizeof *b);
    if (!b) return -ENOMEM;
    b->ring_bytes = count * sizeof(struct io_uring_buf);
    long page = sysconf(_SC_PAGESIZE);
    b->ring_bytes = (b->ring_bytes + (size_t)page - 1) & ~((size_t)page - 1);
    void *mem = mmap(NULL, b->ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) { free(b); return -ENOMEM; }
    // The buffers are mapped, not malloc'd: untouched pages cost no RSS, so an idle server pays
    // only for the buffers that traffic has actually used.
    void *bufs = mmap(NULL, (size_t)count * size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (bufs == MAP_FAILED) { munmap(mem, b->ring_bytes); free(b); return -ENOMEM; }
    b->br = mem;
    b->buffers = bufs;
    b->count = count;
    b->size = size;
    b->mask = count - 1;
    b->group = group;
    io_uring_buf_ring_init(b->br);
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)mem;
    reg.ring_entries = count;
    reg.bgid = group;
    int rc = io_uring_register_buf_ring(&ring->ring, &reg, 0);
    if (rc < 0) {
        munmap(bufs, (size_t)count * size);
        munmap(mem, b->ring_bytes);
        free(b);
        return rc;
    }
    for (unsigned i = 0; i < count; i++) {
        io_uring_buf_ring_add(b->br, b->buffers + (size_t)i * size, size, (unsigned short)i, b->mask, (int)i);
    }
    io_uring_buf_ring_advance(b->br, (int)count);
    *out = b;
    return 0;
}

void rw_buf_ring_destroy(struct rw_ring *ring, struct rw_buf_ring *b) {
    if (!b) return;
    io_uring_unregister_buf_ring(&ring->ring, b->group);
    munmap(b->buffers, (size_t)b->count * b->size);
    munmap(b->br, b->ring_bytes);
    free(b);
}

void *rw_buf_ring_buffer(const struct rw_buf_ring *b, uint16_t bid) {
    return b->buffers + (size_t)bid * b->size;
}

void rw_buf_ring_recycle(struct rw_buf_ring *b, uint16_t bid) {
    io_uring_buf_ring_add(b->br, b->buffers + (size_t)bid * b->size, b->size, bid, b->mask, (int)b->added);
    b->added++;
}

void rw_buf_ring_commit(struct rw_buf_ring *b) {
    if (b->added) {
        io_uring_buf_ring_advance(b->br, (int)b->added);
        b->added = 0;
    }
}

int rw_eventfd(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int rw_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t n;
    do { n = write(fd, &one, sizeof one); } while (n < 0 && errno == EINTR);
    // EAGAIN means the counter is saturated: the loop is already due to wake.
    if (n < 0 && errno != EAGAIN) return -errno;
    return 0;
}

void rw_set_thread_name(const char *name) {
    char buf[16];
    strncpy(buf, name, sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    pthread_setname_np(pthread_self(), buf);
}
