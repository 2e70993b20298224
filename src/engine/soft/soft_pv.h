/*
 * Paravirtual state of one soft vCPU: Linux's KVM interface (kvmclock,
 * PV EOI and steal time; Documentation/virt/kvm/x86/msr.rst and
 * cpuid.rst) and
 * vessel's own hypercalls (guest/hypercall.h, docs/hypercalls.md). Zero
 * (calloc) means "guest enabled nothing".
 */
#ifndef VESSEL_ENGINE_SOFT_SOFT_PV_H
#define VESSEL_ENGINE_SOFT_SOFT_PV_H

#include <stdbool.h>
#include <stdint.h>

struct engine_vcpu;
struct engine_exit;
struct gmem;
struct lapic;

/* Linux's KVM paravirtual MSRs (Documentation/virt/kvm/x86/msr.rst). */
#define MSR_KVM_WALL_CLOCK 0x11
#define MSR_KVM_SYSTEM_TIME 0x12
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define MSR_KVM_STEAL_TIME 0x4b564d03
#define MSR_KVM_PV_EOI_EN 0x4b564d04

/* The enable bit of the KVM MSRs that take a guest physical address. */
#define KVM_MSR_ENABLED 1ull

/*
 * PV EOI (msr.rst MSR_KVM_PV_EOI_EN; KVM's arch/x86/kvm/lapic.c pv_eoi_*):
 * the guest names a 4-byte-aligned u32 in RAM. Before the guest runs, the
 * engine sets its bit 0 when the EOI of the interrupt just taken may be
 * skipped (lapic_pv_eoi_arm); the guest's EOI path (Linux's
 * kvm_guest_apic_eoi_write) then clears the bit with one instruction
 * instead of writing the APIC's EOI register; before taking events the
 * engine finds the bit cleared and does the EOI itself.
 */
struct soft_pv_eoi {
	uint64_t msr;      /* MSR_KVM_PV_EOI_EN as written */
	uint32_t *flag;    /* the guest's word (pinned host pointer) while enabled, else NULL */
	bool pending;      /* bit 0 set by us and not yet looked at (KVM_APIC_PV_EOI_PENDING) */
	uint64_t armed;    /* times the guest was told it may skip an EOI */
	uint64_t eois;     /* EOIs done on the guest's behalf */
};

struct soft_pv_vcpu {
	bool kvm;                 /* KVM interface offered (VESSEL_SOFT_PV != 0) */
	uint64_t system_time_msr; /* MSR_KVM_SYSTEM_TIME(_NEW) as written (bit 0: enabled) */
	uint64_t wall_clock_msr;  /* the last MSR_KVM_WALL_CLOCK(_NEW) written */
	uint64_t clock_tsc_offset; /* the IA32_TSC offset the kvmclock snapshot was taken with */
	struct soft_pv_eoi eoi;   /* MSR_KVM_PV_EOI_EN (soft_pv_eoi.c) */
	uint64_t steal_time_msr;  /* MSR_KVM_STEAL_TIME as written (soft_pv_steal.c) */
	uint64_t timer_deadline_ns; /* VESSEL_HC_TIMER_ONESHOT: guest ns, 0 = none */
	uint8_t timer_vector;
	/* A call the VM loop answers: returned as ENGINE_EXIT_HYPERCALL. */
	bool exit_pending;        /* the run stopped for it (VMCALL): fill the exit */
	bool ret_pending;         /* an exit went out: its ret goes to RAX on the next run */
	uint64_t nr, args[4];
	uint64_t calls;           /* hypercalls answered by the engine itself */
};

/* Whether to offer the KVM interface: env VESSEL_SOFT_PV unset or not "0". */
bool soft_pv_wanted(void);

/*
 * One hypercall (VMCALL hook or doorbell; registers already in the CPU).
 * 0: answered, RAX set; 1: for the VM loop (nr/args kept, exit_pending).
 */
int soft_pv_hypercall(struct engine_vcpu *v);
/* Fill ex with the pending call (ENGINE_EXIT_HYPERCALL); ret comes back through soft_pv_complete. */
void soft_pv_exit(struct engine_vcpu *v, struct engine_exit *ex);
void soft_pv_complete(struct engine_vcpu *v, const struct engine_exit *ex);
/* The one-shot timer: fire it if due at `now`; the deadline (UINT64_MAX: none). */
void soft_pv_timer_update(struct engine_vcpu *v, uint64_t now);
uint64_t soft_pv_timer_next(const struct engine_vcpu *v);

/* The KVM MSRs (soft_pv_clock.c): 0, -ENOENT (not one of them), -EINVAL (#GP). */
int soft_pv_msr_read(struct engine_vcpu *v, uint32_t msr, uint64_t *val);
int soft_pv_msr_write(struct engine_vcpu *v, uint32_t msr, uint64_t val);
/*
 * PV EOI (soft_pv_eoi.c), taking the pieces rather than the vCPU so they
 * can be tested alone. msr_write: 0, or -EINVAL (#GP, as KVM's
 * kvm_lapic_set_pv_eoi: address not 4-byte aligned, or enabled outside
 * RAM); a pending flag is settled first. from_guest: before taking events,
 * settle a pending flag (EOI if the guest cleared it). to_guest: before
 * the guest runs, set the flag when the LAPIC says the EOI may be skipped.
 */
int soft_pv_eoi_msr_write(struct soft_pv_eoi *e, struct gmem *mem, struct lapic *l,
			  uint64_t val);
void soft_pv_eoi_from_guest(struct soft_pv_eoi *e, struct lapic *l);
void soft_pv_eoi_to_guest(struct soft_pv_eoi *e, struct lapic *l);

/*
 * Steal time (soft_pv_steal.c): struct kvm_steal_time at a 64-byte
 * aligned GPA; vessel reports no steal (the count is left as it is). 0, or
 * -EINVAL (#GP: reserved bits 1-5 set), -EFAULT (enabled outside RAM:
 * accepted, nothing written, as KVM).
 */
int soft_pv_steal_msr_write(uint64_t *msr, struct gmem *mem, uint64_t val);

/* Rewrite the kvmclock snapshot if the guest moved its TSC since (cheap when not). */
void soft_pv_clock_check(struct engine_vcpu *v);

#endif
