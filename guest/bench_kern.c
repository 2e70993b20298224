/*
 * enginebench ops whose timed loop runs in ring 0, as a guest kernel would
 * run it: port input, TPR writes through CR8, one PTE change + INVLPG, an
 * address-space switch (MOV CR3), and the bare hypercall. In mode=pv the
 * PTE change and the switch go through VESSEL_HC_MMU_BATCH instead.
 *
 * The PTE and CR3 ops read the page through the changed mapping on every
 * round and compare it with the marker of the frame that should be there:
 * that checks the trap or the hypercall really took effect.
 */
#include "arch.h"
#include "bench_ops.h"
#include "bench_pt.h"
#include "console.h"
#include "guest.h"
#include "hcall.h"
#include "paging.h"

/* Pages of the user region no other op uses (PML4 entry 1, distinct 1 GiB slots). */
#define BK_PTE_PAGE (USER_REGION_BASE + (4ul << 30))
#define BK_CR3_PAGE (USER_REGION_BASE + (5ul << 30))

#define BK_MARK(k) (0x56455353454c3000ul | (k)) /* "VESSEL0" + k */

/* The batch the PTE and CR3 ops hand to VESSEL_HC_MMU_BATCH; identity-mapped, so gpa == va. */
static struct vessel_hc_pte bk_batch __attribute__((aligned(16)));

int64_t bench_hcall(const struct bench_cfg *c, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3)
{
	if (c->hc == BENCH_HC_VMCALL)
		return hcall_vmcall(nr, a0, a1, a2, a3);
	return hcall_port(nr, a0, a1, a2, a3);
}

static uint64_t bk_empty(uint64_t n)
{
	uint64_t t0 = rdtsc();

	for (uint64_t i = 0; i < n; i++)
		__asm__ volatile("" : : : "memory");
	return rdtsc() - t0;
}

static void bk_in_loop(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		(void)inb(GUEST_BENCH_PORT);
}

enum bench_status bench_in(const struct bench_cfg *c, struct bench_result *r)
{
	uint64_t t0;

	r->via = "trap";
	bk_in_loop(c->warm);
	bk_empty(c->warm); /* warm the empty loop too (soft decodes it once) */
	r->t_empty = bk_empty(c->n);
	t0 = rdtsc();
	bk_in_loop(c->n);
	r->t_op = rdtsc() - t0;
	r->n = c->n;
	return BENCH_OK;
}

static inline void bk_write_cr8(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

static inline uint64_t bk_read_cr8(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void bk_cr8_loop(uint64_t n)
{
	/* Alternate 0 and 1: TPR class 1 masks only vectors 16..31, which nothing sends. */
	for (uint64_t i = 0; i < n; i++)
		bk_write_cr8(i & 1);
}

enum bench_status bench_cr8(const struct bench_cfg *c, struct bench_result *r)
{
	uint64_t t0, back;

	r->via = "trap";
	bk_cr8_loop(c->warm);
	bk_empty(c->warm); /* warm the empty loop too (soft decodes it once) */
	r->t_empty = bk_empty(c->n);
	t0 = rdtsc();
	bk_cr8_loop(c->n);
	r->t_op = rdtsc() - t0;
	r->n = c->n;
	bk_write_cr8(5);
	back = bk_read_cr8();
	bk_write_cr8(0);
	if (back != 5) {
		kprintf("testguest: enginebench: cr8: wrote 5, read back %lu\n", back);
		return BENCH_FAIL;
	}
	return BENCH_OK;
}

/* Two frames with a marker each; 0, or -1 when RAM is out. */
static int bk_frames(uint64_t f[2])
{
	f[0] = frame_alloc();
	f[1] = frame_alloc();
	if (!f[0] || !f[1]) {
		kprintf("testguest: enginebench: out of guest RAM\n");
		return -1;
	}
	*(uint64_t *)f[0] = BK_MARK(0);
	*(uint64_t *)f[1] = BK_MARK(1);
	return 0;
}

/* n rounds of: PTE -> the other frame, make the TLB forget, read through it. Returns the misses. */
static uint64_t bk_ptemod_loop(const struct bench_cfg *c, uint64_t *pte, const uint64_t f[2],
			       uint64_t n, int64_t *bad_ret)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = f[i & 1] | PTE_P | PTE_W;

		if (c->pv) {
			int64_t ret;

			bk_batch.value = v;
			ret = bench_hcall(c, VESSEL_HC_MMU_BATCH, (uint64_t)&bk_batch, 1, 0, 0);
			if (ret != 1) {
				*bad_ret = ret;
				return n - i;
			}
		} else {
			*pte = v;
			invlpg(BK_PTE_PAGE);
		}
		bad += *(volatile uint64_t *)BK_PTE_PAGE != BK_MARK(i & 1);
	}
	return bad;
}

enum bench_status bench_ptemod(const struct bench_cfg *c, struct bench_result *r)
{
	uint64_t *pte = bench_pte(read_cr3() & PTE_ADDR, BK_PTE_PAGE, 1);
	uint64_t f[2], t0, bad;
	int64_t bad_ret = 0;

	r->via = c->pv ? "hypercall" : "trap";
	if (!pte || bk_frames(f) < 0)
		return BENCH_FAIL;
	*pte = f[1] | PTE_P | PTE_W;
	invlpg(BK_PTE_PAGE);
	bk_batch.pte_gpa = (uint64_t)pte; /* identity map: the table's va is its gpa */
	bad = bk_ptemod_loop(c, pte, f, c->warm, &bad_ret);
	bk_empty(c->warm); /* warm the empty loop too (soft decodes it once) */
	r->t_empty = bk_empty(c->n);
	t0 = rdtsc();
	bad += bk_ptemod_loop(c, pte, f, c->n, &bad_ret);
	r->t_op = rdtsc() - t0;
	r->n = c->n;
	*pte = 0;
	invlpg(BK_PTE_PAGE);
	if (bad_ret) {
		kprintf("testguest: enginebench: ptemod: MMU_BATCH of 1 returned %ld, want 1\n",
			(long)bad_ret);
		return BENCH_FAIL;
	}
	if (bad) {
		kprintf("testguest: enginebench: ptemod: %lu reads saw the old frame after the "
			"PTE changed\n",
			bad);
		return BENCH_FAIL;
	}
	return BENCH_OK;
}

static uint64_t bk_cr3_loop(const struct bench_cfg *c, const uint64_t as[2], uint64_t n,
			    int64_t *bad_ret)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (c->pv) {
			int64_t ret = bench_hcall(c, VESSEL_HC_MMU_BATCH, (uint64_t)&bk_batch, 0,
						  VESSEL_HC_MMU_LOAD_CR3, as[i & 1]);

			if (ret != 0) {
				*bad_ret = ret;
				return n - i;
			}
		} else {
			write_cr3(as[i & 1]);
		}
		bad += *(volatile uint64_t *)BK_CR3_PAGE != BK_MARK(i & 1);
	}
	return bad;
}

enum bench_status bench_cr3(const struct bench_cfg *c, struct bench_result *r)
{
	uint64_t as[2] = {read_cr3() & PTE_ADDR, frame_alloc()};
	uint64_t f[2], t0, bad, *pte0, *pte1;
	int64_t bad_ret = 0;

	r->via = c->pv ? "hypercall" : "trap";
	if (!as[1] || bk_frames(f) < 0)
		return BENCH_FAIL;
	/* Address space 1: the kernel's, with its own user region (PML4 entry 1). */
	for (int k = 0; k < 512; k++)
		((uint64_t *)as[1])[k] = ((uint64_t *)as[0])[k];
	((uint64_t *)as[1])[(BK_CR3_PAGE >> 39) & 511] = 0;
	pte0 = bench_pte(as[0], BK_CR3_PAGE, 1);
	pte1 = bench_pte(as[1], BK_CR3_PAGE, 1);
	if (!pte0 || !pte1) {
		kprintf("testguest: enginebench: cr3: out of guest RAM\n");
		return BENCH_FAIL;
	}
	*pte0 = f[0] | PTE_P | PTE_W;
	*pte1 = f[1] | PTE_P | PTE_W;
	invlpg(BK_CR3_PAGE);
	bad = bk_cr3_loop(c, as, c->warm, &bad_ret);
	bk_empty(c->warm); /* warm the empty loop too (soft decodes it once) */
	r->t_empty = bk_empty(c->n);
	t0 = rdtsc();
	bad += bk_cr3_loop(c, as, c->n, &bad_ret);
	r->t_op = rdtsc() - t0;
	r->n = c->n;
	write_cr3(as[0]);
	*pte0 = 0;
	invlpg(BK_CR3_PAGE);
	if (bad_ret) {
		kprintf("testguest: enginebench: cr3: MMU_BATCH with LOAD_CR3 returned %ld, want "
			"0\n",
			(long)bad_ret);
		return BENCH_FAIL;
	}
	if (bad) {
		kprintf("testguest: enginebench: cr3: %lu reads saw the other address space\n",
			bad);
		return BENCH_FAIL;
	}
	return BENCH_OK;
}

static int64_t bk_hcnop_loop(const struct bench_cfg *c, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int64_t ret = bench_hcall(c, VESSEL_HC_NOP, 0, 0, 0, 0);

		if (ret != 0)
			return ret;
	}
	return 0;
}

enum bench_status bench_hcnop(const struct bench_cfg *c, struct bench_result *r)
{
	int64_t ret;
	uint64_t t0;

	r->via = "hypercall";
	ret = bk_hcnop_loop(c, c->warm);
	bk_empty(c->warm); /* warm the empty loop too (soft decodes it once) */
	r->t_empty = bk_empty(c->n);
	t0 = rdtsc();
	if (!ret)
		ret = bk_hcnop_loop(c, c->n);
	r->t_op = rdtsc() - t0;
	r->n = c->n;
	if (ret) {
		kprintf("testguest: enginebench: hcnop: VESSEL_HC_NOP returned %ld, want 0\n",
			(long)ret);
		return BENCH_FAIL;
	}
	return BENCH_OK;
}
