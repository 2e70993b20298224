#include "base/fdpump.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"

/* Retry period while the device's receive buffer is full. */
#define FDPUMP_RETRY_MS 1

struct fdpump {
	int in_fd;
	int stop_efd; /* readable once fdpump_stop is called */
	struct fdpump_sink sink;
	pthread_t thread;
};

/* Feed buf[0..n) to the sink; false when asked to stop while waiting for room. */
static bool pump_deliver(struct fdpump *p, const uint8_t *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		size_t took = p->sink.feed(p->sink.ctx, buf + done, n - done);
		struct pollfd stop = { .fd = p->stop_efd, .events = POLLIN };

		done += took;
		if (!took && poll(&stop, 1, FDPUMP_RETRY_MS) > 0)
			return false;
	}
	return true;
}

static void *pump_thread(void *arg)
{
	struct fdpump *p = arg;
	uint8_t buf[256];

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = p->in_fd, .events = POLLIN },
			{ .fd = p->stop_efd, .events = POLLIN },
		};
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		n = read(p->in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* EOF or error: the guest just gets no more input */
		if (!pump_deliver(p, buf, (size_t)n))
			break;
	}
	return NULL;
}

int fdpump_start(int in_fd, const struct fdpump_sink *sink, struct fdpump **out)
{
	struct fdpump *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->in_fd = in_fd;
	p->sink = *sink;
	p->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (p->stop_efd < 0) {
		ret = -errno;
		free(p);
		return ret;
	}
	ret = pthread_create(&p->thread, NULL, pump_thread, p);
	if (ret) {
		close(p->stop_efd);
		free(p);
		return -ret;
	}
	*out = p;
	return 0;
}

void fdpump_stop(struct fdpump *p)
{
	uint64_t one = 1;

	if (!p)
		return;
	if (write(p->stop_efd, &one, sizeof(one)) < 0)
		log_debug("fdpump: stop eventfd: %s", strerror(errno));
	pthread_join(p->thread, NULL);
	close(p->stop_efd);
	free(p);
}
