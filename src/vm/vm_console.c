/* Host input (vessel's stdin) to the guest's UART, from a thread of its own. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "dev/uart.h"
#include "vm/vm_internal.h"

/* Retry period while the guest's receive FIFO is full. */
#define CONSOLE_RETRY_NS 1000000L

static void *console_thread(void *arg)
{
	struct vm *vm = arg;
	uint8_t buf[256];

	while (!atomic_load(&vm->stopping)) {
		struct pollfd pfd[2] = {
			{ .fd = vm->cfg.console_in_fd, .events = POLLIN },
			{ .fd = vm->stop_efd, .events = POLLIN },
		};
		ssize_t n;
		size_t done = 0;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		n = read(vm->cfg.console_in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* EOF or error: the guest just gets no more input */
		while (done < (size_t)n && !atomic_load(&vm->stopping)) {
			int took = uart_receive(vm->uart, buf + done, (size_t)n - done);

			if (took > 0) {
				done += (size_t)took;
			} else {
				struct timespec ts = { .tv_nsec = CONSOLE_RETRY_NS };

				nanosleep(&ts, NULL);
			}
		}
	}
	return NULL;
}

int vm_console_start(struct vm *vm)
{
	int ret;

	if (vm->cfg.console_in_fd < 0)
		return 0;
	ret = pthread_create(&vm->input_thread, NULL, console_thread, vm);
	if (ret)
		return -ret;
	vm->input_started = true;
	return 0;
}

void vm_console_stop(struct vm *vm)
{
	if (!vm->input_started)
		return;
	/* The thread polls stop_efd, which is readable once the VM is stopping. */
	pthread_join(vm->input_thread, NULL);
	vm->input_started = false;
}
