/* vCPU threads: run the engine, hand exits to the buses, stop on request. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "vm/vm_internal.h"

static void vcpu_handle_io(struct vm *vm, struct engine_exit *ex)
{
	/* REP INS/OUTS arrive as `count` elements of `size` bytes each. */
	for (uint32_t i = 0; i < ex->io.count; i++)
		bus_access(&vm->pio, ex->io.port, ex->io.data + (size_t)i * ex->io.size, ex->io.size,
			   ex->io.write);
}

static void vcpu_crash(struct vm_vcpu *c, const char *what)
{
	struct vm *vm = c->vm;
	struct engine_regs r;
	struct engine_sregs s;

	if (vm->ops->get_regs(c->ev, &r) == 0 && vm->ops->get_sregs(c->ev, &s) == 0)
		vm_request_stop(vm, VM_STOP_CRASH, 0,
				"vCPU %u: %s at RIP=0x%" PRIx64 " RSP=0x%" PRIx64 " CR0=0x%" PRIx64
				" CR3=0x%" PRIx64 " CR4=0x%" PRIx64 " EFER=0x%" PRIx64,
				c->id, what, r.rip, r.rsp, s.cr0, s.cr3, s.cr4, s.efer);
	else
		vm_request_stop(vm, VM_STOP_CRASH, 0, "vCPU %u: %s", c->id, what);
}

static void *vcpu_thread(void *arg)
{
	struct vm_vcpu *c = arg;
	struct vm *vm = c->vm;
	struct engine_exit ex;

	memset(&ex, 0, sizeof(ex));
	while (!atomic_load(&vm->stopping)) {
		int ret;

		if (atomic_load(&vm->pause_requested)) {
			vm_vcpu_park(c);
			continue;
		}
		ret = vm->ops->vcpu_run(c->ev, &ex);
		if (ret) {
			vm_request_stop(vm, VM_STOP_CRASH, 0, "vCPU %u: %s run failed: %s", c->id,
					vm->ops->name, strerror(-ret));
			break;
		}
		if ((unsigned)ex.reason < ARRAY_SIZE(c->exits))
			atomic_fetch_add_explicit(&c->exits[ex.reason], 1, memory_order_relaxed);
		switch (ex.reason) {
		case ENGINE_EXIT_IO:
			vcpu_handle_io(vm, &ex);
			break;
		case ENGINE_EXIT_MMIO:
			bus_access(&vm->mmio, ex.mmio.gpa, ex.mmio.data, ex.mmio.size, ex.mmio.write);
			break;
		case ENGINE_EXIT_INTR:
			break;
		case ENGINE_EXIT_HYPERCALL:
			ex.hypercall.ret = (uint64_t)-ENOSYS;
			break;
		case ENGINE_EXIT_HLT:
			/*
			 * HLT with interrupts off and no NMI pending: nothing can wake
			 * the vCPU. That is how Linux ends after "reboot: Power down"
			 * without ACPI, so it is a clean stop (poweroff), not a crash.
			 */
			vm_request_stop(vm, VM_STOP_POWEROFF, 0, "vCPU %u halted with interrupts disabled",
					c->id);
			break;
		case ENGINE_EXIT_SHUTDOWN:
			vcpu_crash(c, "triple fault (shutdown)");
			break;
		case ENGINE_EXIT_INTERNAL:
			vm_request_stop(vm, VM_STOP_CRASH, 0, "%s", ex.internal.msg);
			break;
		}
	}
	return NULL;
}

int vm_vcpus_start(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_cpus; i++) {
		struct vm_vcpu *c = &vm->vcpus[i];
		int ret = pthread_create(&c->thread, NULL, vcpu_thread, c);

		if (ret)
			return -ret;
		c->started = true;
	}
	return 0;
}

void vm_vcpus_stop(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_cpus; i++)
		if (vm->vcpus[i].started)
			vm->ops->vcpu_kick(vm->vcpus[i].ev);
	for (unsigned i = 0; i < vm->nr_cpus; i++) {
		if (!vm->vcpus[i].started)
			continue;
		pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].started = false;
	}
}
