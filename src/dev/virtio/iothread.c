/* The virtio I/O thread (see iothread.h). */
#include "dev/virtio/iothread.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "dev/virtio/device.h"

struct iothread_watch {
	int fd;
	struct virtio_dev *dev;
	int q;
};

struct virtio_iothread {
	int epfd;
	int stop_fd;
	pthread_t thread;
	bool started;
	unsigned nr;
	struct iothread_watch watch[VIRTIO_IOTHREAD_MAX_FDS];
	atomic_ullong kicks;
};

int virtio_iothread_create(struct virtio_iothread **out)
{
	struct virtio_iothread *t = calloc(1, sizeof(*t));
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = VIRTIO_IOTHREAD_MAX_FDS};
	int ret;

	if (!t)
		return -ENOMEM;
	t->stop_fd = -1;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		goto err_errno;
	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stop_fd < 0 || epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->stop_fd, &ev) < 0)
		goto err_errno;
	*out = t;
	return 0;
err_errno:
	ret = -errno;
	virtio_iothread_destroy(t);
	return ret;
}

int virtio_iothread_add(struct virtio_iothread *t, int fd, struct virtio_dev *d, int q)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = t->nr};

	if (t->started)
		return -EBUSY;
	if (t->nr >= VIRTIO_IOTHREAD_MAX_FDS)
		return -ENOSPC;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	t->watch[t->nr++] = (struct iothread_watch){.fd = fd, .dev = d, .q = q};
	return 0;
}

static void iothread_kick(struct virtio_iothread *t, const struct iothread_watch *w)
{
	uint64_t n;

	/* Reading zeroes the counter: kicks that came meanwhile are served by this pass. */
	if (read(w->fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	atomic_fetch_add_explicit(&t->kicks, 1, memory_order_relaxed);
	/*
	 * Under the device lock, like a register access: a reset from the vCPU
	 * waits for the request in progress, and one that came first leaves the
	 * queue not ready, which virtio_dev_queue_notify ignores.
	 */
	virtio_dev_lock_dma(w->dev);
	if (w->q == VIRTIO_IOTHREAD_ALL_QUEUES) {
		/* Spurious notifications are harmless: a queue with nothing new pops nothing. */
		for (unsigned q = 0; q < w->dev->nr_queues; q++)
			virtio_dev_queue_notify(w->dev, q);
	} else {
		virtio_dev_queue_notify(w->dev, (unsigned)w->q);
	}
	virtio_dev_unlock_dma(w->dev);
}

static void *iothread_main(void *arg)
{
	struct virtio_iothread *t = arg;
	struct epoll_event evs[16];

	for (;;) {
		int n = epoll_wait(t->epfd, evs, (int)ARRAY_SIZE(evs), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("virtio: I/O thread: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			uint32_t idx = evs[i].data.u32;

			if (idx == VIRTIO_IOTHREAD_MAX_FDS)
				return NULL; /* stop_fd */
			if (idx < t->nr)
				iothread_kick(t, &t->watch[idx]);
		}
	}
}

int virtio_iothread_start(struct virtio_iothread *t)
{
	int ret = pthread_create(&t->thread, NULL, iothread_main, t);

	if (ret)
		return -ret;
	t->started = true;
	return 0;
}

void virtio_iothread_destroy(struct virtio_iothread *t)
{
	uint64_t one = 1;

	if (!t)
		return;
	if (t->started) {
		if (write(t->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
			log_error("virtio: cannot stop the I/O thread: %s", strerror(errno));
		else
			pthread_join(t->thread, NULL);
	}
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	if (t->epfd >= 0)
		close(t->epfd);
	free(t);
}

uint64_t virtio_iothread_kicks(const struct virtio_iothread *t)
{
	return t ? atomic_load_explicit(&t->kicks, memory_order_relaxed) : 0;
}
