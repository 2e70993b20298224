/* Host input (vessel's stdin) to the guest's UART, through an fdpump thread. */
#include "base/fdpump.h"
#include "dev/uart.h"
#include "vm/vm_internal.h"

static size_t console_feed_uart(void *ctx, const uint8_t *buf, size_t n)
{
	int took = uart_receive(ctx, buf, n);

	return took > 0 ? (size_t)took : 0;
}

int vm_console_start(struct vm *vm)
{
	struct fdpump_sink sink = { .ctx = vm->uart, .feed = console_feed_uart };

	if (vm->cfg.console_in_fd < 0 || vm->input)
		return 0;
	return fdpump_start(vm->cfg.console_in_fd, &sink, &vm->input);
}

void vm_console_stop(struct vm *vm)
{
	fdpump_stop(vm->input);
	vm->input = NULL;
}
