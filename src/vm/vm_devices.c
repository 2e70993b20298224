/* The legacy PC devices every VM has, wired to the VM through struct dev_host. */
#include <errno.h>
#include <string.h>

#include "dev/cmos.h"
#include "dev/exitport.h"
#include "dev/i8042.h"
#include "dev/uart.h"
#include "guest/bootinfo.h"
#include "vm/vm_internal.h"

#define VM_UART_BASE 0x3f8
#define VM_UART_IRQ 4

static int host_irq_set(void *opaque, unsigned gsi, int level)
{
	struct vm *vm = opaque;

	return vm->ops->irq_line(vm->evm, gsi, level);
}

static int host_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;

	return vm->ops->msi(vm->evm, addr, data);
}

static void host_request_exit(void *opaque, enum dev_exit_kind kind, int status)
{
	struct vm *vm = opaque;

	switch (kind) {
	case DEV_EXIT_STATUS:
		vm_request_stop(vm, VM_STOP_EXIT_PORT, status, NULL);
		break;
	case DEV_EXIT_RESET:
		vm_request_stop(vm, VM_STOP_RESET, 0, NULL);
		break;
	case DEV_EXIT_POWEROFF:
		vm_request_stop(vm, VM_STOP_POWEROFF, 0, NULL);
		break;
	}
}

int vm_devices_create(struct vm *vm, struct verr *err)
{
	int ret;

	vm->host = (struct dev_host){
		.opaque = vm,
		.mem = vm->mem,
		.irq_set = host_irq_set,
		.msi = host_msi,
		.request_exit = host_request_exit,
	};
	ret = uart_create(&vm->pio, VM_UART_BASE, VM_UART_IRQ, &vm->host, vm->cfg.console_out_fd,
			  &vm->uart);
	if (!ret)
		ret = exitport_create(&vm->pio, VESSEL_EXIT_PORT, &vm->host, &vm->exitport);
	if (!ret)
		ret = i8042_create(&vm->pio, &vm->host, &vm->i8042);
	if (!ret)
		ret = cmos_create(&vm->pio, &vm->host, &vm->cmos);
	if (ret)
		return verr_set(err, ret, "cannot create the VM's legacy devices: %s",
				strerror(-ret));
	return vm_virtio_create(vm, err);
}

void vm_devices_destroy(struct vm *vm)
{
	vm_virtio_destroy(vm);
	cmos_destroy(vm->cmos);
	i8042_destroy(vm->i8042);
	exitport_destroy(vm->exitport);
	uart_destroy(vm->uart);
	vm->cmos = NULL;
	vm->i8042 = NULL;
	vm->exitport = NULL;
	vm->uart = NULL;
}
