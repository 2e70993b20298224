/*
 * 4-level page walk for the soft TLB (SDM Vol. 3A, 4.5-4.8; see paging.h).
 */
#include <errno.h>

#include "engine/soft/paging.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_XD (1ull << 63)
/* Bits 51:12 of an entry: the next table or the 4 KiB frame. */
#define PTE_ADDR 0x000ffffffffff000ull

/* Reserved bits every entry has: physical address bits above MAXPHYADDR (4.5 tables 4-14..4-19). */
static uint64_t rsvd_common(const struct soft_pt_ctx *ctx)
{
	uint64_t r = PTE_ADDR & ~((1ull << SOFT_MAXPHYADDR) - 1);
	if (!(ctx->efer & SOFT_EFER_NXE))
		r |= PTE_XD;
	return r;
}

static int fault(unsigned ec, enum soft_access acc, unsigned cpl, const struct soft_pt_ctx *ctx)
{
	if (acc == SOFT_ACC_WRITE)
		ec |= SOFT_PFEC_W;
	if (cpl == 3)
		ec |= SOFT_PFEC_U;
	/* I/D is reported for fetches when NX is in force (SDM Vol. 3A, 4.7). */
	if (acc == SOFT_ACC_FETCH && (ctx->efer & SOFT_EFER_NXE))
		ec |= SOFT_PFEC_I;
	return (int)(SOFT_FILL_FAULT | ec);
}

int soft_pt_walk(const struct soft_pt_ctx *ctx, uint64_t va, enum soft_access acc, unsigned cpl,
		 struct soft_pt_result *out)
{
	uint64_t *used[4];
	uint64_t table = ctx->cr3 & PTE_ADDR, e = 0, rsvd = rsvd_common(ctx);
	bool user = true, writable = true, nx = false;
	unsigned level, shift = 39, n = 0;
	uint64_t page_mask = 0;

	out->global = false;
	out->levels = 0;
	if (!(ctx->cr0 & SOFT_CR0_PG)) {
		out->paddr = va & SOFT_PAGE_MASK;
		out->prot = SOFT_ACC_READ | SOFT_ACC_WRITE | SOFT_ACC_FETCH;
		return 0;
	}
	for (level = 4; level >= 1; level--, shift -= 9) {
		uint64_t *p = ctx->entry_ptr(ctx->opaque, table + ((va >> shift) & 511) * 8);
		uint64_t r = rsvd;

		if (!p)
			return -EFAULT; /* a table outside RAM: an internal error the engine reports with the state */
		e = __atomic_load_n(p, __ATOMIC_RELAXED);
		used[n++] = p;
		out->levels = n;
		if (!(e & PTE_P))
			return fault(0, acc, cpl, ctx);
		if (level == 4)
			r |= PTE_PS; /* PML4E bit 7 is reserved */
		else if (level == 3 && (e & PTE_PS))
			r |= 0x3fffe000ull; /* 1 GiB page: bits 29:13 */
		else if (level == 2 && (e & PTE_PS))
			r |= 0x1fe000ull;   /* 2 MiB page: bits 20:13 */
		if (e & r)
			return fault(SOFT_PFEC_P | SOFT_PFEC_RSVD, acc, cpl, ctx);
		user = user && (e & PTE_US);
		writable = writable && (e & PTE_RW);
		nx = nx || ((ctx->efer & SOFT_EFER_NXE) && (e & PTE_XD));
		if ((level == 3 || level == 2) && (e & PTE_PS)) {
			page_mask = (1ull << shift) - 1;
			break;
		}
		if (level == 1)
			break;
		table = e & PTE_ADDR;
	}

	unsigned prot = 0;
	if (cpl < 3 || user) {
		prot |= SOFT_ACC_READ;
		if (writable || (cpl < 3 && !(ctx->cr0 & SOFT_CR0_WP)))
			prot |= SOFT_ACC_WRITE;
		if (!nx)
			prot |= SOFT_ACC_FETCH;
	}
	if (!(prot & acc))
		return fault(SOFT_PFEC_P, acc, cpl, ctx);

	for (unsigned i = 0; i < n; i++)
		if (!(__atomic_load_n(used[i], __ATOMIC_RELAXED) & PTE_A))
			__atomic_fetch_or(used[i], PTE_A, __ATOMIC_RELAXED);
	if (acc == SOFT_ACC_WRITE && !(e & PTE_D))
		__atomic_fetch_or(used[n - 1], PTE_D, __ATOMIC_RELAXED);
	/*
	 * A read fill must not hand out a write entry whose D bit is still clear:
	 * the core only installs the entry for the access asked for, so the first
	 * write takes its own fill and sets D then.
	 */
	if (page_mask)
		out->paddr = ((e & PTE_ADDR & ~page_mask) | (va & page_mask)) & SOFT_PAGE_MASK;
	else
		out->paddr = e & PTE_ADDR;
	out->prot = prot;
	out->global = (ctx->cr4 & SOFT_CR4_PGE) && (e & PTE_G);
	return 0;
}
