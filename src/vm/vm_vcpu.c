/*
 * vCPU threads: run the engine, hand exits to the buses and hypercalls to
 * the dispatcher (hypercall.c), stop on request.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/fdio.h"
#include "base/log.h"
#include "guest/hypercall.h"
#include "vm/hypercall.h"
#include "vm/hypercall_timer.h"
#include "vm/vm_internal.h"

#define CR4_PGE (1ull << 7)

/* Hypercall state of one vCPU thread, on its stack: gone when the thread ends. */
struct vcpu_hc {
	struct vm_vcpu *c;
	struct hypercall_host host;
	struct hypercall_timer *timer; /* created at the first TIMER_ONESHOT */
};

static void hc_console(void *opaque, const void *buf, size_t len)
{
	struct vcpu_hc *hc = opaque;

	/* A console that is gone drops the output, as the UART does. */
	fd_write_all(hc->c->vm->cfg.console_out_fd, buf, len);
}

static void hc_exit(void *opaque, int status)
{
	struct vcpu_hc *hc = opaque;

	vm_request_stop(hc->c->vm, VM_STOP_EXIT_PORT, status, NULL);
}

/*
 * After MMU_BATCH on an engine without its own answer (kvm): KVM_SET_SREGS
 * resets KVM's MMU context, which flushes the vCPU's TLB, only when CR0,
 * CR3, CR4 or EFER change. So the flush is a set_sregs with CR4.PGE
 * flipped (a PGE change flushes everything on hardware too, SDM Vol. 3A,
 * 4.10.4.1), then the real state with the new or same CR3.
 */
static int hc_mmu_flush(void *opaque, bool load_cr3, uint64_t cr3, bool flush_all)
{
	struct vcpu_hc *hc = opaque;
	const struct engine_ops *ops = hc->c->vm->ops;
	struct engine_sregs s, t;
	int r;

	(void)flush_all; /* the PGE flip drops global entries too */
	/* The entries were written from here, not by the guest: kvm's shadow pages do not know. */
	if (ops->mmu_sync) {
		r = ops->mmu_sync(hc->c->vm->evm);
		if (r)
			return r;
	}
	r = ops->get_sregs(hc->c->ev, &s);
	if (r)
		return r;
	if (load_cr3)
		s.cr3 = cr3;
	t = s;
	t.cr4 ^= CR4_PGE;
	r = ops->set_sregs(hc->c->ev, &t);
	return r ? r : ops->set_sregs(hc->c->ev, &s);
}

static int hc_timer(void *opaque, uint64_t ns, uint8_t vector)
{
	struct vcpu_hc *hc = opaque;
	struct vm *vm = hc->c->vm;

	if (!hc->timer) {
		if (!ns)
			return 0;
		/* APIC IDs are the vCPU indices on every engine. */
		int r = hypercall_timer_create(vm->ops, vm->evm, hc->c->id, &hc->timer);
		if (r)
			return r;
	}
	return hypercall_timer_set(hc->timer, ns, vector);
}

static void vcpu_hc_init(struct vcpu_hc *hc, struct vm_vcpu *c)
{
	*hc = (struct vcpu_hc){
		.c = c,
		.host = { .mem = c->vm->mem, .opaque = hc, .console = hc_console, .exit = hc_exit,
			  .mmu_flush = hc_mmu_flush, .timer = hc_timer },
	};
}

/* The doorbell: a 32-bit OUT to VESSEL_HC_PORT; registers as for VMCALL. */
static void vcpu_doorbell(struct vcpu_hc *hc)
{
	const struct engine_ops *ops = hc->c->vm->ops;
	struct engine_regs r;

	if (ops->get_regs(hc->c->ev, &r))
		return;
	r.rax = (uint64_t)hypercall_dispatch(&hc->host, r.rax,
					     (const uint64_t[4]){ r.rbx, r.rcx, r.rdx, r.rsi });
	if (ops->set_regs(hc->c->ev, &r))
		log_error("vCPU %u: hypercall result not stored", hc->c->id);
}

static void vcpu_handle_io(struct vm *vm, struct vcpu_hc *hc, struct engine_exit *ex)
{
	if (ex->io.port == VESSEL_HC_PORT && ex->io.write && ex->io.size == 4 && ex->io.count == 1) {
		vcpu_doorbell(hc);
		return;
	}
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
	struct vcpu_hc hc;

	vcpu_hc_init(&hc, c);
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
			vcpu_handle_io(vm, &hc, &ex);
			break;
		case ENGINE_EXIT_MMIO:
			bus_access(&vm->mmio, ex.mmio.gpa, ex.mmio.data, ex.mmio.size, ex.mmio.write);
			break;
		case ENGINE_EXIT_INTR:
			break;
		case ENGINE_EXIT_HYPERCALL:
			ex.hypercall.ret = (uint64_t)hypercall_dispatch(&hc.host, ex.hypercall.nr,
									ex.hypercall.args);
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
	hypercall_timer_destroy(hc.timer);
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
