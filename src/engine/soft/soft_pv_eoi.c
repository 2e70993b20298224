/*
 * PV EOI on the soft engine: Linux's KVM paravirtual end of interrupt
 * (Documentation/virt/kvm/x86/msr.rst, MSR_KVM_PV_EOI_EN 0x4b564d04;
 * KVM's arch/x86/kvm/lapic.c apic_sync_pv_eoi_from_guest/_to_guest; the
 * guest side is arch/x86/kernel/kvm.c kvm_guest_apic_eoi_write).
 *
 * An EOI register write is an MMIO access to the LAPIC page: on the soft
 * engine a TLB miss path, a lock and a decode. With PV EOI the guest
 * clears bit 0 of a word in its own RAM instead (one BTR), and the run
 * loop does the EOI at its next look at the interrupt lines. The flag
 * states, as KVM's comment puts them:
 *   pending unset               -> we did not offer a skip;
 *   pending set, guest bit set  -> offered, the guest has not EOI'd yet;
 *   pending set, guest bit 0    -> offered, the guest EOI'd: do it now.
 * Only this vCPU's thread touches the word, between slices, so no
 * ordering is needed against the guest (msr.rst: the hypervisor modifies
 * the bit only in the vCPU's context).
 */
#include <errno.h>
#include <inttypes.h>

#include "base/log.h"
#include "engine/soft/platform/lapic.h"
#include "engine/soft/soft_pv.h"
#include "mem/gmem.h"

#define KVM_PV_EOI_BIT 1u

void soft_pv_eoi_from_guest(struct soft_pv_eoi *e, struct lapic *l)
{
	uint32_t word;

	if (!e->pending)
		return;
	e->pending = false;
	word = __atomic_load_n(e->flag, __ATOMIC_RELAXED);
	if (word & KVM_PV_EOI_BIT) {
		/* Not used yet: take the offer back; to_guest makes it again if still safe. */
		__atomic_store_n(e->flag, word & ~KVM_PV_EOI_BIT, __ATOMIC_RELAXED);
		lapic_pv_eoi_disarm(l, false);
		return;
	}
	if (lapic_pv_eoi_disarm(l, true) >= 0) {
		e->eois++;
		/* Powers of two: a handful of lines for a boot, enough to see it is used. */
		if (!(e->eois & (e->eois - 1)))
			log_debug("soft: PV EOI: %" PRIu64 " EOIs done on the guest's behalf (%" PRIu64
				  " offered)", e->eois, e->armed);
	}
}

void soft_pv_eoi_to_guest(struct soft_pv_eoi *e, struct lapic *l)
{
	if (!e->flag || e->pending)
		return;
	if (!lapic_pv_eoi_arm(l))
		return;
	__atomic_store_n(e->flag, __atomic_load_n(e->flag, __ATOMIC_RELAXED) | KVM_PV_EOI_BIT,
			 __ATOMIC_RELAXED);
	e->pending = true;
	e->armed++;
}

int soft_pv_eoi_msr_write(struct soft_pv_eoi *e, struct gmem *mem, struct lapic *l, uint64_t val)
{
	uint64_t gpa = val & ~KVM_MSR_ENABLED;
	uint32_t *flag = NULL;

	/* KVM: bit 1 is reserved (and makes the address misaligned): #GP. */
	if (gpa & 3)
		return -EINVAL;
	if (val & KVM_MSR_ENABLED) {
		/* KVM maps the word when enabled; not RAM: #GP. Pinned (never shared again). */
		flag = gmem_ptr(mem, gpa, sizeof(*flag));
		if (!flag)
			return -EINVAL;
	}
	/* An offer on the old word: an EOI the guest signalled there is still owed. */
	soft_pv_eoi_from_guest(e, l);
	e->msr = val;
	e->flag = flag;
	if (flag)
		log_debug("soft: PV EOI enabled at 0x%" PRIx64, gpa);
	return 0;
}
