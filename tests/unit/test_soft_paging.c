/*
 * Unit tests of the soft engine's page walker (src/engine/soft/paging.h,
 * SDM Vol. 3A 4.5-4.8): accessed/dirty bits, U/S, R/W with CR0.WP, NX with
 * EFER.NXE, 2 MiB and 1 GiB pages, reserved bits (RSVD error code), global
 * pages, and paging off. Page tables live in a small fake physical memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/soft/paging.h"

#define PHYS_PAGES 16
#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define A 0x20ull
#define D 0x40ull
#define PS 0x80ull
#define G 0x100ull
#define XD (1ull << 63)

/* Tables: PML4 at page 1, PDPT at 2, PD at 3, PT at 4. */
struct phys {
	uint64_t mem[PHYS_PAGES][512];
};

static uint64_t *entry_ptr(void *opaque, uint64_t pa)
{
	struct phys *p = opaque;
	if (pa / 4096 >= PHYS_PAGES)
		return NULL;
	return &p->mem[pa / 4096][(pa % 4096) / 8];
}

static struct soft_pt_ctx ctx_of(struct phys *p)
{
	return (struct soft_pt_ctx){
		.cr0 = SOFT_CR0_PE | SOFT_CR0_PG | SOFT_CR0_WP,
		.cr3 = 1 * 4096,
		.cr4 = SOFT_CR4_PAE | SOFT_CR4_PGE,
		.efer = SOFT_EFER_LME | SOFT_EFER_LMA | SOFT_EFER_NXE,
		.entry_ptr = entry_ptr,
		.opaque = p,
	};
}

/* va 0x0000_0040_0020_3000: PML4[0] PDPT[1] PD[1] PT[3]. */
#define VA 0x40203000ull

static void map_4k(struct phys *p, uint64_t leaf_flags, uint64_t upper_flags)
{
	memset(p, 0, sizeof(*p));
	p->mem[1][0] = 2 * 4096 | upper_flags;
	p->mem[2][1] = 3 * 4096 | upper_flags;
	p->mem[3][1] = 4 * 4096 | upper_flags;
	p->mem[4][3] = 0x12345000ull | leaf_flags;
}

static int walk(struct soft_pt_ctx *c, uint64_t va, enum soft_access acc, unsigned cpl,
		struct soft_pt_result *r)
{
	return soft_pt_walk(c, va, acc, cpl, r);
}

static void test_4k_read_sets_accessed_not_dirty(void **state)
{
	struct phys *p = test_calloc(1, sizeof(*p));
	struct soft_pt_ctx c = ctx_of(p);
	struct soft_pt_result r;

	map_4k(p, P | RW | US, P | RW | US);
	assert_int_equal(walk(&c, VA + 0x123, SOFT_ACC_READ, 0, &r), 0);
	assert_int_equal(r.paddr, 0x12345000ull);
	assert_int_equal(r.prot, SOFT_ACC_READ | SOFT_ACC_WRITE | SOFT_ACC_FETCH);
	assert_int_equal(r.levels, 4);
	assert_true(p->mem[1][0] & A);
	assert_true(p->mem[2][1] & A);
	assert_true(p->mem[3][1] & A);
	assert_true(p->mem[4][3] & A);
	assert_false(p->mem[4][3] & D);
	/* A write sets D in the leaf only. */
	assert_int_equal(walk(&c, VA, SOFT_ACC_WRITE, 3, &r), 0);
	assert_true(p->mem[4][3] & D);
	assert_false(p->mem[3][1] & D);
	test_free(p);
}

static void test_not_present_error_codes(void **state)
{
	struct phys *p = test_calloc(1, sizeof(*p));
	struct soft_pt_ctx c = ctx_of(p);
	struct soft_pt_result r;

	map_4k(p, 0, P | RW | US);
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 0, &r), SOFT_FILL_FAULT);
	assert_int_equal(walk(&c, VA, SOFT_ACC_WRITE, 3, &r), SOFT_FILL_FAULT | SOFT_PFEC_W | SOFT_PFEC_U);
	assert_int_equal(walk(&c, VA, SOFT_ACC_FETCH, 3, &r), SOFT_FILL_FAULT | SOFT_PFEC_I | SOFT_PFEC_U);
	/* A failed walk sets no A bit in the leaf (there is none) and leaves D alone. */
	assert_false(p->mem[4][3] & (A | D));
	test_free(p);
}

static void test_user_supervisor(void **state)
{
	struct phys *p = test_calloc(1, sizeof(*p));
	struct soft_pt_ctx c = ctx_of(p);
	struct soft_pt_result r;

	/* U/S clear at one upper level: supervisor-only for the whole range. */
	map_4k(p, P | RW | US, P | RW | US);
	p->mem[3][1] &= ~US;
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 3, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_U);
	assert_false(p->mem[4][3] & A); /* a denied access sets no accessed bit */
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 0, &r), 0);
	/* No SMEP: the supervisor may fetch from a user page. */
	p->mem[3][1] |= US;
	assert_int_equal(walk(&c, VA, SOFT_ACC_FETCH, 0, &r), 0);
	test_free(p);
}

static void test_write_protect(void **state)
{
	struct phys *p = test_calloc(1, sizeof(*p));
	struct soft_pt_ctx c = ctx_of(p);
	struct soft_pt_result r;

	map_4k(p, P | US, P | RW | US);
	assert_int_equal(walk(&c, VA, SOFT_ACC_WRITE, 3, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_W | SOFT_PFEC_U);
	assert_int_equal(walk(&c, VA, SOFT_ACC_WRITE, 0, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_W);
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 3, &r), 0);
	assert_int_equal(r.prot, SOFT_ACC_READ | SOFT_ACC_FETCH);
	/* CR0.WP=0: the supervisor writes read-only pages; ring 3 still cannot. */
	c.cr0 &= ~SOFT_CR0_WP;
	assert_int_equal(walk(&c, VA, SOFT_ACC_WRITE, 0, &r), 0);
	assert_true(p->mem[4][3] & D);
	assert_int_equal(walk(&c, VA, SOFT_ACC_WRITE, 3, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_W | SOFT_PFEC_U);
	test_free(p);
}

static void test_nx(void **state)
{
	struct phys *p = test_calloc(1, sizeof(*p));
	struct soft_pt_ctx c = ctx_of(p);
	struct soft_pt_result r;

	map_4k(p, P | RW | US | XD, P | RW | US);
	assert_int_equal(walk(&c, VA, SOFT_ACC_FETCH, 0, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_I);
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 0, &r), 0);
	assert_int_equal(r.prot, SOFT_ACC_READ | SOFT_ACC_WRITE);
	/* Without EFER.NXE bit 63 is reserved, and I/D is not reported. */
	c.efer &= ~SOFT_EFER_NXE;
	assert_int_equal(walk(&c, VA, SOFT_ACC_FETCH, 0, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_RSVD);
	test_free(p);
}

static void test_large_pages(void **state)
{
	struct phys *p = test_calloc(1, sizeof(*p));
	struct soft_pt_ctx c = ctx_of(p);
	struct soft_pt_result r;

	map_4k(p, P | RW, P | RW);
	/* 2 MiB page at PD[1] -> 0x4_0000_0000 + offset. */
	p->mem[3][1] = 0x400000000ull | P | RW | PS;
	assert_int_equal(walk(&c, VA + 0x456, SOFT_ACC_WRITE, 0, &r), 0);
	assert_int_equal(r.paddr, 0x400000000ull + 0x3000);
	assert_int_equal(r.levels, 3);
	assert_true(p->mem[3][1] & D);
	/* 1 GiB page at PDPT[1]. */
	p->mem[2][1] = 0x80000000ull | P | RW | PS;
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 0, &r), 0);
	assert_int_equal(r.paddr, 0x80000000ull + 0x203000);
	assert_int_equal(r.levels, 2);
	/* Bits 29:13 of a 1 GiB entry are reserved. */
	p->mem[2][1] |= 1ull << 13;
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 0, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_RSVD);
	/* Bits 20:13 of a 2 MiB entry likewise. */
	p->mem[2][1] = 3 * 4096 | P | RW;
	p->mem[3][1] = 0x400000000ull | P | RW | PS | (1ull << 20);
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 3, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_RSVD | SOFT_PFEC_U);
	test_free(p);
}

static void test_reserved_bits(void **state)
{
	struct phys *p = test_calloc(1, sizeof(*p));
	struct soft_pt_ctx c = ctx_of(p);
	struct soft_pt_result r;

	/* Physical address bit above MAXPHYADDR in the leaf. */
	map_4k(p, P | RW, P | RW);
	p->mem[4][3] |= 1ull << SOFT_MAXPHYADDR;
	assert_int_equal(walk(&c, VA, SOFT_ACC_WRITE, 0, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_RSVD | SOFT_PFEC_W);
	/* PS in a PML4 entry is reserved. */
	map_4k(p, P | RW, P | RW);
	p->mem[1][0] |= PS;
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 0, &r),
			 SOFT_FILL_FAULT | SOFT_PFEC_P | SOFT_PFEC_RSVD);
	test_free(p);
}

static void test_global_and_paging_off(void **state)
{
	struct phys *p = test_calloc(1, sizeof(*p));
	struct soft_pt_ctx c = ctx_of(p);
	struct soft_pt_result r;

	map_4k(p, P | RW | G, P | RW);
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 0, &r), 0);
	assert_true(r.global);
	c.cr4 &= ~SOFT_CR4_PGE;
	assert_int_equal(walk(&c, VA, SOFT_ACC_READ, 0, &r), 0);
	assert_false(r.global);
	/* Table outside memory: an internal error, not a #PF. */
	p->mem[4][3] = 0;
	p->mem[3][1] = 0x7000000ull | P | RW;
	assert_true(walk(&c, VA, SOFT_ACC_READ, 0, &r) < 0);
	c.cr0 &= ~SOFT_CR0_PG;
	assert_int_equal(walk(&c, 0xabcdef123ull, SOFT_ACC_WRITE, 3, &r), 0);
	assert_int_equal(r.paddr, 0xabcdef000ull);
	test_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_4k_read_sets_accessed_not_dirty),
		cmocka_unit_test(test_not_present_error_codes),
		cmocka_unit_test(test_user_supervisor),
		cmocka_unit_test(test_write_protect),
		cmocka_unit_test(test_nx),
		cmocka_unit_test(test_large_pages),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_global_and_paging_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
