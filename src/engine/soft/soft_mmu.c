/*
 * The soft CPU's callbacks for a whole VM (the TLB fill is in soft_fill.c):
 * MMIO to the LAPIC/IOAPIC or out to the VM loop, the MSRs of the platform
 * and of the KVM paravirtual interface (soft_pv_clock.c), the guest TSC,
 * CPUID and the hypercall hook (soft_pv_hc.c).
 */
#include <errno.h>
#include <inttypes.h>

#include "base/time.h"
#include "engine/soft/op.h"
#include "engine/soft/paging.h"
#include "engine/soft/soft_vm.h"
#include "engine/soft/sys.h"
#include "mem/gmem.h"

#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0

uint64_t soft_vm_now_ns(void *opaque)
{
	struct engine_vm *vm = opaque;
	return time_mono_ns() - vm->start_ns;
}

/*
 * MMIO outside the platform: the instruction stops before it retires
 * (-EAGAIN, RIP unchanged), the VM loop performs the access, and the next
 * vcpu_run replays the instruction, which then finds the access in the log.
 */
static int mmio_external(struct engine_vcpu *v, uint64_t gpa, unsigned size, bool write,
			 uint64_t *val)
{
	struct soft_mmio_access *a;

	if (v->mmio_pos < v->mmio_n) {
		a = &v->mmio_log[v->mmio_pos++];
		if (a->gpa != gpa || a->size != size || a->write != write)
			return -EIO; /* the replay diverged: cannot happen for deterministic code */
		if (!write)
			*val = a->val;
		return 0;
	}
	if (v->mmio_n == SOFT_MMIO_LOG)
		return -E2BIG;
	a = &v->mmio_log[v->mmio_n];
	a->gpa = gpa;
	a->size = (uint8_t)size;
	a->write = write;
	a->val = write ? *val : 0;
	v->mmio_exit = true;
	return -EAGAIN;
}

static int mmio_read(void *opaque, uint64_t pa, unsigned size, uint64_t *val)
{
	struct engine_vcpu *v = opaque;
	int r = plat_mmio_read(v->vm->plat, v->id, pa, size, val);

	if (r != -ENOENT)
		return r;
	return mmio_external(v, pa, size, false, val);
}

static int mmio_write(void *opaque, uint64_t pa, unsigned size, uint64_t val)
{
	struct engine_vcpu *v = opaque;
	int r = plat_mmio_write(v->vm->plat, v->id, pa, size, val);

	if (r != -ENOENT)
		return r;
	return mmio_external(v, pa, size, true, &val);
}

/*
 * Info, not a warning: Linux probes MSRs a CPU may lack with rdmsr_safe
 * (0x34, 0x140, 0xc0011029 at every boot) and takes the #GP as "absent",
 * as on hardware without them. VESSEL_LOG=info shows them for bring-up.
 */
static void msr_unknown(struct engine_vcpu *v, const char *what, uint32_t msr, uint64_t val)
{
	if (ratelimit_ok(&v->rl_msr))
		log_info("soft: vCPU %u: %s of unknown MSR 0x%x (value 0x%" PRIx64 ") at RIP 0x%" PRIx64
			 ": #GP(0)", v->id, what, msr, val, v->cpu->rip);
}

static int msr_read(void *opaque, uint32_t msr, uint64_t *val)
{
	struct engine_vcpu *v = opaque;
	struct lapic *l = plat_lapic(v->vm->plat, v->id);

	switch (msr) {
	case MSR_APIC_BASE: *val = lapic_get_base(l); return 0;
	case MSR_TSC_DEADLINE: *val = lapic_tsc_deadline_read(l); return 0;
	default:
		if (soft_pv_msr_read(v, msr, val) == 0)
			return 0;
		msr_unknown(v, "read", msr, 0);
		return -ENOENT;
	}
}

static int msr_write(void *opaque, uint32_t msr, uint64_t val)
{
	struct engine_vcpu *v = opaque;
	struct lapic *l = plat_lapic(v->vm->plat, v->id);

	switch (msr) {
	case MSR_APIC_BASE: return lapic_set_base(l, val);
	case MSR_TSC_DEADLINE:
		/* The platform's deadline is in guest TSC units without an IA32_TSC offset. */
		lapic_tsc_deadline_write(l, val - v->cpu->tsc_offset);
		v->next_event_ns = 0; /* look at the timers again before running on */
		return 0;
	default: {
		/* -EINVAL: a KVM MSR refusing the value (#GP, logged there). */
		int r = soft_pv_msr_write(v, msr, val);

		if (r != -ENOENT)
			return r;
		msr_unknown(v, "write", msr, val);
		return -ENOENT;
	}
	}
}

static uint64_t rdtsc(void *opaque)
{
	struct engine_vcpu *v = opaque;
	return plat_tsc(v->vm->plat);
}

static void cpuid(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	struct engine_vcpu *v = opaque;
	soft_cpuid_system(&v->cpuid, leaf, subleaf, out);
}

static bool irq_pending(void *opaque)
{
	struct engine_vcpu *v = opaque;
	return lapic_maybe_pending(plat_lapic(v->vm->plat, v->id));
}

static int hypercall(void *opaque)
{
	return soft_pv_hypercall(opaque);
}

static const struct soft_op_table *const sys_tables[] = {
	&soft_sys_seg_ops, &soft_sys_event_ops, &soft_sys_ctl_ops, NULL,
};

static const struct soft_op_table *const extra_tables[] = {
	&soft_sse_ops, &soft_x87_ops, &soft_fxsave_ops, NULL,
};

void soft_vcpu_config(struct engine_vcpu *v, struct soft_cpu_config *cfg)
{
	/* VESSEL_SOFT_PV=0 hides the KVM interface (CPUID leaves, MSRs, KVM_HC_*). */
	v->pv.kvm = soft_pv_wanted();
	v->cpuid.kvm_pv = v->pv.kvm;
	*cfg = (struct soft_cpu_config){
		.opaque = v,
		.tlb_fill = soft_vm_tlb_fill,
		.mmio_read = mmio_read,
		.mmio_write = mmio_write,
		.extra_ops = extra_tables,
		.sys_ops = sys_tables,
		.msr_read = msr_read,
		.msr_write = msr_write,
		.rdtsc = rdtsc,
		.cpuid = cpuid,
		.irq_pending = irq_pending,
		.hypercall = hypercall,
	};
}
