/* One-shot hypercall timers on a timerfd thread (hypercall_timer.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/log.h"
#include "vm/hypercall_timer.h"

struct hypercall_timer {
	const struct engine_ops *ops;
	struct engine_vm *evm;
	unsigned apic_id;
	int tfd, stop_fd;
	_Atomic uint8_t vector; /* written by the vCPU thread, read when the timer fires */
	pthread_t thread;
	bool started;
};

static void *timer_thread(void *arg)
{
	struct hypercall_timer *t = arg;
	struct pollfd fds[2] = { { .fd = t->tfd, .events = POLLIN }, { .fd = t->stop_fd, .events = POLLIN } };

	for (;;) {
		uint64_t n;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("hypercall timer: poll: %s", strerror(errno));
			return NULL;
		}
		if (fds[1].revents)
			return NULL;
		if (!(fds[0].revents & POLLIN) || read(t->tfd, &n, sizeof(n)) != sizeof(n))
			continue; /* disarmed between the expiry and the read */
		/* Fixed delivery, physical destination (SDM Vol. 3A, 11.11.1-2). */
		if (t->ops->msi(t->evm, 0xfee00000ull | (uint64_t)t->apic_id << 12, atomic_load(&t->vector)))
			log_warn("hypercall timer: MSI to APIC %u failed", t->apic_id);
	}
}

int hypercall_timer_create(const struct engine_ops *ops, struct engine_vm *evm, unsigned apic_id,
			   struct hypercall_timer **out)
{
	struct hypercall_timer *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->evm = evm;
	t->apic_id = apic_id;
	t->stop_fd = -1;
	t->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->tfd < 0)
		goto err_errno;
	t->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (t->stop_fd < 0)
		goto err_errno;
	ret = pthread_create(&t->thread, NULL, timer_thread, t);
	if (ret) {
		hypercall_timer_destroy(t);
		return -ret;
	}
	t->started = true;
	*out = t;
	return 0;
err_errno:
	ret = -errno;
	hypercall_timer_destroy(t);
	return ret;
}

int hypercall_timer_set(struct hypercall_timer *t, uint64_t ns, uint8_t vector)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ns / 1000000000ull),
						.tv_nsec = (long)(ns % 1000000000ull) } };

	atomic_store(&t->vector, vector);
	return timerfd_settime(t->tfd, 0, &its, NULL) ? -errno : 0;
}

void hypercall_timer_destroy(struct hypercall_timer *t)
{
	uint64_t one = 1;

	if (!t)
		return;
	if (t->started) {
		if (write(t->stop_fd, &one, sizeof(one)) != sizeof(one))
			log_error("hypercall timer: cannot stop its thread: %s", strerror(errno));
		else
			pthread_join(t->thread, NULL);
	}
	if (t->tfd >= 0)
		close(t->tfd);
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	free(t);
}
