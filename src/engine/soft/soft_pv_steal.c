/*
 * Steal time on the soft engine: Linux's MSR_KVM_STEAL_TIME 0x4b564d03
 * (Documentation/virt/kvm/x86/msr.rst; KVM's arch/x86/kvm/x86.c
 * kvm_set_msr_common and record_steal_time). vessel reports no steal: a
 * vCPU thread's run delay is not something the interpreter tracks, and
 * zeros are what a guest sees on an idle host. The structure is still
 * written with the version protocol, so a guest reading it gets a
 * consistent (even) version, a steal count that never goes backwards (it
 * is left as the guest last saw it) and preempted = 0.
 */
#include <errno.h>

#include "engine/soft/soft_pv.h"
#include "mem/gmem.h"

/* struct kvm_steal_time (arch/x86/include/uapi/asm/kvm_para.h), 64 bytes. */
struct kvm_steal_time {
	uint64_t steal;
	uint32_t version;
	uint32_t flags;
	uint8_t preempted;
	uint8_t u8_pad[3];
	uint32_t pad[11];
};

_Static_assert(sizeof(struct kvm_steal_time) == 64, "kvm_steal_time is 64 bytes");

/* KVM_STEAL_RESERVED_MASK: bits 1-5 (the structure is 64-byte aligned, bit 0 enables). */
#define KVM_STEAL_RESERVED_MASK 0x3eull

int soft_pv_steal_msr_write(uint64_t *msr, struct gmem *mem, uint64_t val)
{
	struct kvm_steal_time *st;
	uint32_t ver;

	if (val & KVM_STEAL_RESERVED_MASK)
		return -EINVAL;
	*msr = val;
	if (!(val & KVM_MSR_ENABLED))
		return 0;
	st = gmem_ptr(mem, val & ~(uint64_t)(sizeof(*st) - 1), sizeof(*st));
	if (!st)
		return -EFAULT;
	/* As record_steal_time: an odd version is junk from before, make it even first. */
	ver = __atomic_load_n(&st->version, __ATOMIC_RELAXED);
	if (ver & 1)
		ver++;
	__atomic_store_n(&st->version, ver + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&st->preempted, 0, __ATOMIC_RELAXED);
	/* st->steal += 0: the guest's count stays where it was. */
	__atomic_store_n(&st->version, ver + 2, __ATOMIC_RELEASE);
	return 0;
}
