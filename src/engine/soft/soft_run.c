/*
 * The vCPU loop of the soft engine (docs/soft-platform.md "How the CPU core
 * uses it"): run the interpreter in slices, fire expired timers, take
 * interrupts at slice and block boundaries when IF=1 and no shadow,
 * deliver exceptions through the IDT, sleep in HLT until a timer or a
 * kick, and return port I/O and MMIO the platform does not own to the VM
 * loop as exits. Hypercalls (VMCALL or the doorbell port) are answered by
 * soft_pv_hc.c, or leave as ENGINE_EXIT_HYPERCALL. PV EOI (soft_pv_eoi.c)
 * is settled before events are taken and offered just before the guest
 * runs, as KVM does around VM entry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "base/time.h"
#include "engine/soft/op.h"
#include "engine/soft/soft_share.h"
#include "engine/soft/soft_vm.h"
#include "engine/soft/sys.h"
#include "guest/hypercall.h"

static int exit_internal(struct engine_vcpu *v, struct engine_exit *ex, int err, const char *what)
{
	struct soft_cpu *cpu = v->cpu;

	ex->reason = ENGINE_EXIT_INTERNAL;
	ex->internal.code = (uint32_t)-err;
	snprintf(ex->internal.msg, sizeof(ex->internal.msg),
		 "soft: vCPU %u: %s at RIP=0x%" PRIx64 " CPL=%u CR0=0x%" PRIx64 " CR3=0x%" PRIx64
		 " CR4=0x%" PRIx64 " EFER=0x%" PRIx64,
		 v->id, what, cpu->rip, cpu->cpl, cpu->cr0, cpu->cr3, cpu->cr4, cpu->efer);
	return 0;
}

static void insn_bytes(struct soft_cpu *cpu, const struct soft_stop *st, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < st->exc.insn_len && o + 4 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%02x", i ? " " : "", st->exc.insn[i]);
	if (!st->exc.insn_len)
		snprintf(buf, len, "(not readable)");
}

void soft_vcpu_wake(struct engine_vcpu *v)
{
	v->cpu->event_pending = true;
	pthread_mutex_lock(&v->lock);
	v->seq++;
	pthread_cond_signal(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

/* Sleep while halted until the next timer event or a kick (the order of docs/soft-platform.md). */
static void halt_wait(struct engine_vcpu *v, struct lapic *l)
{
	struct engine_vm *vm = v->vm;
	uint64_t seq, next;
	struct timespec ts;

	pthread_mutex_lock(&v->lock);
	seq = v->seq;
	pthread_mutex_unlock(&v->lock);
	if (lapic_maybe_pending(l) || atomic_load(&v->kicked))
		return;
	next = plat_next_event_ns(vm->plat, v->id);
	if (soft_pv_timer_next(v) < next)
		next = soft_pv_timer_next(v);
	if (next != PLAT_NO_EVENT && next <= soft_vm_now_ns(vm))
		return;
	pthread_mutex_lock(&v->lock);
	if (next != PLAT_NO_EVENT) {
		uint64_t host = next + vm->start_ns;
		ts.tv_sec = (time_t)(host / 1000000000ull);
		ts.tv_nsec = (long)(host % 1000000000ull);
	}
	while (v->seq == seq && !atomic_load(&v->kicked)) {
		if (next == PLAT_NO_EVENT) {
			pthread_cond_wait(&v->cond, &v->lock);
		} else if (pthread_cond_timedwait(&v->cond, &v->lock, &ts) == ETIMEDOUT) {
			break;
		}
	}
	pthread_mutex_unlock(&v->lock);
}

/* Port I/O: the platform's ports are served here; everything else is an exit. */
static bool do_io(struct engine_vcpu *v, const struct soft_stop *st, struct engine_exit *ex)
{
	uint32_t val = st->io.data;

	/* The hypercall doorbell: a 32-bit OUT, the value ignored (guest/hypercall.h). */
	if (st->io.port == VESSEL_HC_PORT && st->io.write && st->io.size == 4) {
		if (!soft_pv_hypercall(v))
			return false;
		soft_pv_exit(v, ex);
		return true;
	}
	if (bus_access(&v->vm->pio, st->io.port, &val, st->io.size, st->io.write)) {
		if (!st->io.write)
			soft_cpu_io_complete(v->cpu, st, val);
		return false;
	}
	memcpy(v->io_buf, &st->io.data, sizeof(st->io.data));
	ex->reason = ENGINE_EXIT_IO;
	ex->io.port = st->io.port;
	ex->io.size = st->io.size;
	ex->io.write = st->io.write;
	ex->io.count = 1;
	ex->io.data = v->io_buf;
	if (!st->io.write) {
		v->io_in_pending = true;
		v->io_stop = *st;
	}
	atomic_fetch_add(&v->vm->exits, 1);
	return true;
}

static void trace_event(struct engine_vcpu *v, const char *what, unsigned vector, uint32_t ec)
{
	if (v->vm->trace)
		log_info("soft: vCPU %u: %s %u ec=0x%x RIP=0x%" PRIx64 " CPL=%u CR2=0x%" PRIx64, v->id,
			 what, vector, ec, v->cpu->rip, v->cpu->cpl, v->cpu->cr2);
}

/* Deliver; 1 when the VM must stop (triple fault, internal error: ex filled). */
static int deliver(struct engine_vcpu *v, struct engine_exit *ex, unsigned vector,
		   enum soft_event_kind kind, bool has_err, uint32_t ec)
{
	int r = soft_sys_deliver(v->cpu, vector, kind, has_err, ec);

	if (r == SOFT_DELIVER_OK)
		return 0;
	if (r == SOFT_DELIVER_SHUTDOWN) {
		log_error("soft: vCPU %u: triple fault delivering vector %u (error code 0x%x) at RIP=0x%" PRIx64
			  " CR2=0x%" PRIx64 " IDT base 0x%" PRIx64 " limit 0x%x",
			  v->id, vector, ec, v->cpu->rip, v->cpu->cr2, v->cpu->sys.idt.base,
			  v->cpu->sys.idt.limit);
		ex->reason = ENGINE_EXIT_SHUTDOWN;
		return 1;
	}
	exit_internal(v, ex, r, "event delivery failed");
	return 1;
}

/* The stop of one soft_cpu_run; 1 when vcpu_run must return with ex filled. */
static int handle_stop(struct engine_vcpu *v, struct soft_stop *st, int ret, struct engine_exit *ex)
{
	struct soft_cpu *cpu = v->cpu;
	char bytes[64], what[160];

	switch (st->reason) {
	case SOFT_STOP_EVENT:
		if (v->pv.exit_pending) {
			/* VMCALL of a call the VM loop answers (soft_pv_hc.c). */
			soft_pv_exit(v, ex);
			return 1;
		}
		return 0;
	case SOFT_STOP_BUDGET:
	case SOFT_STOP_IRQ_WINDOW:
		return 0;
	case SOFT_STOP_HLT:
		if (!(cpu->rflags & SOFT_IF) && !lapic_maybe_pending(plat_lapic(v->vm->plat, v->id))) {
			/* cli; hlt: nothing but an NMI can wake it; the VM is done (poweroff without ACPI). */
			ex->reason = ENGINE_EXIT_HLT;
			return 1;
		}
		v->halted = true;
		return 0;
	case SOFT_STOP_IO:
		return do_io(v, st, ex) ? 1 : 0;
	case SOFT_STOP_EXCEPTION:
		if (st->exc.vector == SOFT_EXC_UD && st->exc.unimplemented) {
			insn_bytes(cpu, st, bytes, sizeof(bytes));
			snprintf(what, sizeof(what), "instruction not implemented by the soft engine [%s]", bytes);
			return exit_internal(v, ex, -ENOSYS, what), 1;
		}
		trace_event(v, st->exc.soft_int ? "int" : "exception", st->exc.vector, st->exc.error_code);
		return deliver(v, ex, st->exc.vector,
			       st->exc.soft_int ? SOFT_EV_SOFTWARE : SOFT_EV_EXCEPTION,
			       st->exc.has_error_code, st->exc.error_code);
	case SOFT_STOP_INTERNAL:
		if (v->mmio_exit) {
			struct soft_mmio_access *a = &v->mmio_log[v->mmio_n];
			v->mmio_exit = false;
			v->mmio_replay = true;
			ex->reason = ENGINE_EXIT_MMIO;
			ex->mmio.gpa = a->gpa;
			ex->mmio.size = a->size;
			ex->mmio.write = a->write;
			memcpy(ex->mmio.data, &a->val, sizeof(ex->mmio.data));
			atomic_fetch_add(&v->vm->exits, 1);
			return 1;
		}
		if (ret == -ENOTSUP)
			return exit_internal(v, ex, ret, "compatibility/legacy mode is not supported (CS.L=0 or paging off)"), 1;
		snprintf(what, sizeof(what), "internal error %d (%s)", ret, strerror(-ret));
		return exit_internal(v, ex, ret, what), 1;
	case SOFT_STOP_SYSCALL:
		return exit_internal(v, ex, -EINVAL, "user-mode SYSCALL stop in system mode"), 1;
	}
	return 0;
}

/* One soft_cpu_run; returns 1 when vcpu_run must return (ex filled). */
static int run_slice(struct engine_vcpu *v, uint64_t budget, struct engine_exit *ex)
{
	struct soft_stop st;
	int ret = soft_cpu_run(v->cpu, budget, &st);

	return handle_stop(v, &st, ret, ex);
}

/*
 * The previous call returned an exit: complete it. IN: the value goes to
 * the accumulator. MMIO: the access joins the log and the instruction is
 * run again on its own, finding its accesses there (replay); it may stop
 * for a further access of the same instruction.
 */
static int complete_exit(struct engine_vcpu *v, struct engine_exit *ex)
{
	int r;

	soft_pv_complete(v, ex);
	if (v->io_in_pending) {
		uint32_t val = 0;
		v->io_in_pending = false;
		memcpy(&val, v->io_buf, v->io_stop.io.size);
		soft_cpu_io_complete(v->cpu, &v->io_stop, val);
	}
	if (!v->mmio_replay)
		return 0;
	v->mmio_replay = false;
	if (!v->mmio_log[v->mmio_n].write) {
		uint64_t val = 0;
		unsigned size = v->mmio_log[v->mmio_n].size;
		memcpy(&val, ex->mmio.data, size < 8 ? size : 8);
		v->mmio_log[v->mmio_n].val = val;
	}
	v->mmio_n++;
	v->mmio_pos = 0;
	r = run_slice(v, 1, ex);
	if (r && ex->reason == ENGINE_EXIT_MMIO)
		return 1; /* a further access of the same instruction */
	v->mmio_n = 0;
	v->mmio_pos = 0;
	return r;
}

/* Interrupts and NMIs the CPU can take now (docs/soft-platform.md). */
static int take_events(struct engine_vcpu *v, struct engine_exit *ex)
{
	struct soft_cpu *cpu = v->cpu;
	struct lapic *l = plat_lapic(v->vm->plat, v->id);
	int vec;

	if (!lapic_maybe_pending(l))
		return 0;
	if (!cpu->sys.nmi_blocked && plat_nmi_take(v->vm->plat, v->id)) {
		v->halted = false;
		trace_event(v, "nmi", SOFT_EXC_NMI, 0);
		return deliver(v, ex, SOFT_EXC_NMI, SOFT_EV_NMI, false, 0);
	}
	if (!(cpu->rflags & SOFT_IF))
		return 0;
	vec = plat_intr_take(v->vm->plat, v->id);
	if (vec < 0)
		return 0;
	v->halted = false;
	trace_event(v, "irq", (unsigned)vec, 0);
	return deliver(v, ex, (unsigned)vec, SOFT_EV_EXTERNAL, false, 0);
}

/* An AP waits for INIT/SIPI; real-mode start-up code is beyond this engine. */
static int wait_startup(struct engine_vcpu *v, struct engine_exit *ex)
{
	int vec;

	pthread_mutex_lock(&v->lock);
	while (v->startup_vector < 0 && !atomic_load(&v->kicked))
		pthread_cond_wait(&v->cond, &v->lock);
	vec = v->startup_vector;
	pthread_mutex_unlock(&v->lock);
	if (vec < 0) {
		atomic_store(&v->kicked, false);
		ex->reason = ENGINE_EXIT_INTR;
		return 1;
	}
	return exit_internal(v, ex, -ENOTSUP, "SIPI: starting an AP in real mode is not supported"), 1;
}

int soft_vcpu_run(struct engine_vcpu *v, struct engine_exit *ex)
{
	struct engine_vm *vm = v->vm;
	struct soft_cpu *cpu = v->cpu;

	if (!v->running) {
		wait_startup(v, ex);
		return 0;
	}
	if (complete_exit(v, ex))
		return 0;
	for (;;) {
		uint64_t now;
		bool shadow, ev;

		if (atomic_exchange(&v->kicked, false)) {
			ex->reason = ENGINE_EXIT_INTR;
			return 0;
		}
		/*
		 * Clear before looking: a kick after this stops the next slice. A kick
		 * also means "a timer may have moved earlier", so the deadline is
		 * asked for again.
		 */
		ev = cpu->event_pending;
		cpu->event_pending = false;
		now = soft_vm_now_ns(vm);
		if (ev || now >= v->next_event_ns) {
			plat_update(vm->plat, v->id);
			soft_pv_timer_update(v, now);
			soft_pv_clock_check(v);
			v->next_event_ns = plat_next_event_ns(vm->plat, v->id);
			if (soft_pv_timer_next(v) < v->next_event_ns)
				v->next_event_ns = soft_pv_timer_next(v);
		}
		if (vm->share)
			soft_share_tick(vm->share, v, now);
		/*
		 * In a shadow (RIP still at the instruction after STI or MOV SS)
		 * exactly that instruction runs before interrupts are taken.
		 */
		shadow = cpu->sys.irq_shadow && cpu->rip == cpu->sys.shadow_rip;
		cpu->sys.irq_shadow = false;
		/* PV EOI (soft_pv_eoi.c): an EOI the guest signalled in memory comes first. */
		soft_pv_eoi_from_guest(&v->pv.eoi, plat_lapic(vm->plat, v->id));
		if (!shadow && take_events(v, ex))
			return 0;
		if (v->halted) {
			halt_wait(v, plat_lapic(vm->plat, v->id));
			v->next_event_ns = 0;
			continue;
		}
		soft_pv_eoi_to_guest(&v->pv.eoi, plat_lapic(vm->plat, v->id));
		if (run_slice(v, shadow ? 1 : SOFT_RUN_SLICE, ex))
			return 0;
	}
}
