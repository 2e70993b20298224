/*
 * kvmclock on the soft engine: Linux's paravirtual clock MSRs
 * (Documentation/virt/kvm/x86/msr.rst: MSR_KVM_WALL_CLOCK_NEW,
 * MSR_KVM_SYSTEM_TIME_NEW and their old numbers 0x11/0x12), and the
 * dispatch of all KVM MSRs (PV EOI: soft_pv_eoi.c, steal time:
 * soft_pv_steal.c).
 *
 * The guest TSC is the soft platform's (plat_tsc(): host CLOCK_MONOTONIC
 * since VM creation at the CPUID 0x15 rate) plus this vCPU's IA32_TSC
 * offset, and guest time is that same clock in ns. So one snapshot
 * {tsc_timestamp, system_time, mul/shift} stays exact for ever: the
 * structure is written when the guest enables it and again only if the
 * guest moves its TSC (a write to IA32_TSC), and is flagged
 * PVCLOCK_TSC_STABLE_BIT, so Linux never needs calibration, and never
 * sees time go backwards.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "engine/soft/soft_vm.h"
#include "mem/gmem.h"

/* struct pvclock_vcpu_time_info (arch/x86/include/asm/pvclock-abi.h), 32 bytes. */
struct pv_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

/* struct pvclock_wall_clock, 12 bytes. */
struct pv_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};

#define PVCLOCK_TSC_STABLE_BIT (1u << 0)

_Static_assert(sizeof(struct pv_time_info) == 32, "pvclock_vcpu_time_info is 32 bytes");
_Static_assert(sizeof(struct pv_wall_clock) == 12, "pvclock_wall_clock is 12 bytes");

/* The guest TSC rate from the CPUID leaf 0x15 the platform fills (crystal Hz * EBX / EAX). */
static uint64_t tsc_hz(const struct engine_vcpu *v)
{
	const uint32_t *l = v->cpuid.leaf15[0];

	if (!l[0] || !l[1] || !l[2])
		return PLAT_DEFAULT_TSC_HZ;
	return (uint64_t)l[2] * l[1] / l[0];
}

/*
 * ns = ((tsc_delta << shift) * mul) >> 32 (shift < 0: right shift): the
 * pair KVM computes in kvm_get_time_scale(NSEC_PER_SEC, tsc_hz).
 */
static void time_scale(uint64_t hz, int8_t *shift_out, uint32_t *mul_out)
{
	uint64_t scaled = PLAT_NS_PER_SEC, tps64 = hz;
	uint32_t tps32;
	int shift = 0;

	while (tps64 > scaled * 2 || (tps64 >> 32)) {
		tps64 >>= 1;
		shift--;
	}
	tps32 = (uint32_t)tps64;
	while (tps32 <= scaled || (scaled >> 32)) {
		if ((scaled >> 32) || (tps32 & 0x80000000u))
			scaled >>= 1;
		else
			tps32 <<= 1;
		shift++;
	}
	*shift_out = (int8_t)shift;
	*mul_out = (uint32_t)((scaled << 32) / tps32);
}

/*
 * The version protocol of pvclock: odd while the fields change, even
 * after; the guest retries a read that saw an odd or a changed version.
 * One vCPU writes its own structure, so release ordering on each version
 * store is what keeps the guest's acquire reads consistent.
 */
static void clock_write(struct engine_vcpu *v)
{
	uint64_t gpa = v->pv.system_time_msr & ~1ull;
	struct pv_time_info *ti;
	uint64_t hz = tsc_hz(v), raw;
	uint32_t ver;

	if (!(v->pv.system_time_msr & 1))
		return;
	ti = gmem_ptr(v->vm->mem, gpa, sizeof(*ti));
	if (!ti) {
		if (ratelimit_ok(&v->rl_msr))
			log_warn("soft: vCPU %u: kvmclock at 0x%" PRIx64 " is not RAM: not updated", v->id,
				 gpa);
		return;
	}
	ver = __atomic_load_n(&ti->version, __ATOMIC_RELAXED);
	__atomic_store_n(&ti->version, (ver + 1) | 1, __ATOMIC_RELEASE);
	raw = plat_tsc(v->vm->plat);
	ti->tsc_timestamp = raw + v->cpu->tsc_offset;
	ti->system_time = (uint64_t)((unsigned __int128)raw * PLAT_NS_PER_SEC / hz);
	time_scale(hz, &ti->tsc_shift, &ti->tsc_to_system_mul);
	ti->flags = PVCLOCK_TSC_STABLE_BIT;
	__atomic_store_n(&ti->version, (ver | 1) + 1, __ATOMIC_RELEASE);
	v->pv.clock_tsc_offset = v->cpu->tsc_offset;
}

/* Wall-clock time at guest time 0 (what KVM writes: the boot time). */
static void wall_write(struct engine_vcpu *v, uint64_t gpa)
{
	struct pv_wall_clock *wc = gmem_ptr(v->vm->mem, gpa, sizeof(*wc));
	struct timespec now;
	uint64_t wall, boot;
	uint32_t ver;

	if (!wc) {
		if (ratelimit_ok(&v->rl_msr))
			log_warn("soft: vCPU %u: kvm wall clock at 0x%" PRIx64 " is not RAM", v->id, gpa);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	wall = (uint64_t)now.tv_sec * PLAT_NS_PER_SEC + (uint64_t)now.tv_nsec;
	boot = wall - soft_vm_now_ns(v->vm);
	ver = __atomic_load_n(&wc->version, __ATOMIC_RELAXED);
	__atomic_store_n(&wc->version, (ver + 1) | 1, __ATOMIC_RELEASE);
	wc->sec = (uint32_t)(boot / PLAT_NS_PER_SEC);
	wc->nsec = (uint32_t)(boot % PLAT_NS_PER_SEC);
	__atomic_store_n(&wc->version, (ver | 1) + 1, __ATOMIC_RELEASE);
}

void soft_pv_clock_check(struct engine_vcpu *v)
{
	if ((v->pv.system_time_msr & 1) && v->cpu->tsc_offset != v->pv.clock_tsc_offset)
		clock_write(v);
}

int soft_pv_msr_read(struct engine_vcpu *v, uint32_t msr, uint64_t *val)
{
	if (!v->pv.kvm)
		return -ENOENT;
	switch (msr) {
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*val = v->pv.system_time_msr;
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*val = v->pv.wall_clock_msr;
		return 0;
	case MSR_KVM_PV_EOI_EN:
		*val = v->pv.eoi.msr;
		return 0;
	case MSR_KVM_STEAL_TIME:
		*val = v->pv.steal_time_msr;
		return 0;
	default:
		return -ENOENT;
	}
}

int soft_pv_msr_write(struct engine_vcpu *v, uint32_t msr, uint64_t val)
{
	int r;

	if (!v->pv.kvm)
		return -ENOENT;
	switch (msr) {
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		/* Bit 0 enables; KVM takes any address (and updates nothing outside RAM). */
		v->pv.system_time_msr = val;
		clock_write(v);
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		v->pv.wall_clock_msr = val;
		wall_write(v, val);
		return 0;
	case MSR_KVM_PV_EOI_EN:
		r = soft_pv_eoi_msr_write(&v->pv.eoi, v->vm->mem, plat_lapic(v->vm->plat, v->id), val);
		if (r && ratelimit_ok(&v->rl_msr))
			log_warn("soft: vCPU %u: MSR_KVM_PV_EOI_EN 0x%" PRIx64
				 " is not a 4-byte-aligned RAM address: #GP(0)", v->id, val);
		return r;
	case MSR_KVM_STEAL_TIME:
		r = soft_pv_steal_msr_write(&v->pv.steal_time_msr, v->vm->mem, val);
		if (r == -EFAULT) {
			/* KVM accepts it and writes nothing. */
			if (ratelimit_ok(&v->rl_msr))
				log_warn("soft: vCPU %u: steal time at 0x%" PRIx64 " is not RAM", v->id,
					 val & ~(uint64_t)1);
			return 0;
		}
		if (r && ratelimit_ok(&v->rl_msr))
			log_warn("soft: vCPU %u: MSR_KVM_STEAL_TIME 0x%" PRIx64
				 " sets reserved bits 1-5: #GP(0)", v->id, val);
		else if (!r && (val & 1))
			log_debug("soft: steal time enabled at 0x%" PRIx64, val & ~(uint64_t)1);
		return r;
	default:
		return -ENOENT;
	}
}
