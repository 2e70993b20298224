/* The hypercall dispatcher (hypercall.h; ABI in guest/hypercall.h). */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "guest/hypercall.h"
#include "mem/gmem.h"
#include "vm/hypercall.h"

/* CR3 without PCIDE: bits 3 (PWT) and 4 (PCD) besides the address (SDM Vol. 3A, 4.5.2). */
#define CR3_FLAGS_OK 0x18ull
#define CR3_ADDR_MAX (1ull << 52)

int64_t hypercall_mmu_write(struct gmem *mem, uint64_t list_gpa, uint64_t count, uint64_t flags,
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

static int64_t hc_console(const struct hypercall_host *h, uint64_t gpa, uint64_t len)
{
	uint8_t buf[HYPERCALL_CONSOLE_MAX];

	if (len > HYPERCALL_CONSOLE_MAX)
		return -E2BIG;
	if (gmem_copy_from(h->mem, buf, gpa, len))
		return -EFAULT;
	h->console(h->opaque, buf, len);
	return (int64_t)len;
}

static int64_t hc_mmu(const struct hypercall_host *h, const uint64_t a[4])
{
	int64_t n;
	int r;

	if (!h->mmu_flush)
		return -ENOSYS;
	n = hypercall_mmu_write(h->mem, a[0], a[1], a[2], a[3]);
	if (n < 0)
		return n;
	r = h->mmu_flush(h->opaque, a[2] & VESSEL_HC_MMU_LOAD_CR3, a[3],
			 a[2] & VESSEL_HC_MMU_FLUSH_ALL);
	return r < 0 ? r : n;
}

static int64_t hc_timer(const struct hypercall_host *h, uint64_t ns, uint64_t vector)
{
	if (!h->timer)
		return -ENOSYS;
	if (ns > HYPERCALL_TIMER_MAX_NS || (ns && (vector < 32 || vector > 255)))
		return -EINVAL;
	return h->timer(h->opaque, ns, (uint8_t)vector);
}

int64_t hypercall_dispatch(const struct hypercall_host *h, uint64_t nr, const uint64_t args[4])
{
	switch (nr) {
	case VESSEL_HC_NOP:
		return 0;
	case VESSEL_HC_CONSOLE_WRITE:
		return hc_console(h, args[0], args[1]);
	case VESSEL_HC_MMU_BATCH:
		return hc_mmu(h, args);
	case VESSEL_HC_TIMER_ONESHOT:
		return hc_timer(h, args[0], args[1]);
	case VESSEL_HC_YIELD:
		sched_yield();
		return 0;
	case VESSEL_HC_EXIT:
		if (args[0] > 255)
			return -EINVAL;
		h->exit(h->opaque, (int)args[0]);
		return 0;
	default:
		return -ENOSYS;
	}
}
