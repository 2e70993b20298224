/* The memory part of the MMU_BATCH hypercall (pte_batch.h). */
#include <errno.h>

#include "guest/hypercall.h"
#include "mem/gmem.h"
#include "mem/pte_batch.h"

/* CR3 without PCIDE: bits 3 (PWT) and 4 (PCD) besides the address (SDM Vol. 3A, 4.5.2). */
#define CR3_FLAGS_OK 0x18ull
#define CR3_ADDR_MAX (1ull << 52)

int64_t gmem_pte_batch(struct gmem *mem, uint64_t list_gpa, uint64_t count, uint64_t flags,
		       uint64_t cr3)
{
	struct vessel_hc_pte list[VESSEL_HC_MMU_MAX];

	if (count > VESSEL_HC_MMU_MAX)
		return -E2BIG;
	if (flags & ~(uint64_t)(VESSEL_HC_MMU_LOAD_CR3 | VESSEL_HC_MMU_FLUSH_ALL))
		return -EINVAL;
	if ((flags & VESSEL_HC_MMU_LOAD_CR3) &&
	    ((cr3 & 0xfff & ~CR3_FLAGS_OK) || cr3 >= CR3_ADDR_MAX ||
	     !gmem_is_ram(mem, cr3 & ~0xfffull, GMEM_PAGE_SIZE)))
		return -EINVAL;
	if (count && gmem_copy_from(mem, list, list_gpa, count * sizeof(list[0])))
		return -EFAULT;
	/* All checked before the first write: a bad batch changes nothing. */
	for (uint64_t i = 0; i < count; i++) {
		if (list[i].pte_gpa & 7)
			return -EINVAL;
		if (!gmem_is_ram(mem, list[i].pte_gpa, 8))
			return -EFAULT;
	}
	for (uint64_t i = 0; i < count; i++) {
		/*
		 * gmem_ptr makes the page private (and pinned) under page sharing:
		 * page-table pages are written often and rarely identical anyway.
		 */
		uint64_t *pte = gmem_ptr(mem, list[i].pte_gpa, 8);

		if (!pte)
			return i ? (int64_t)i : -ENOMEM;
		/* One aligned 8-byte store, as the guest's own MOV would be: a page
		 * walk on another vCPU sees the old entry or the new, never half. */
		__atomic_store_n(pte, list[i].value, __ATOMIC_RELEASE);
	}
	return (int64_t)count;
}
