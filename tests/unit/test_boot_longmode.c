/*
 * Long-mode entry state: the page tables really translate identity (walked
 * here as the MMU would, SDM Vol. 3A 4.5), the GDT descriptors agree with the
 * hidden segment state handed to the engine, and the control registers are
 * the ones the brief and Linux's 64-bit boot protocol ask for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/boot.h"
#include "boot/longmode.h"
#include "mem/gmem.h"

#define MIB (1ull << 20)
#define ADDR_MASK 0x000ffffffffff000ull

struct fixture {
	struct gmem *m;
	struct boot_entry e;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(gmem_create(64 * MIB, &f->m), 0);
	/* Garbage first: the tables must not depend on zeroed RAM. */
	assert_int_equal(gmem_fill(f->m, 0, 0xa5, MIB), 0);
	assert_int_equal(longmode_setup(f->m, &f->e), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gmem_destroy(f->m);
	free(f);
	return 0;
}

static uint64_t read64(struct fixture *f, uint64_t gpa)
{
	uint64_t v;

	assert_int_equal(gmem_copy_from(f->m, &v, gpa, sizeof(v)), 0);
	return v;
}

/* 4-level walk with 2 MiB pages; false when not present. */
static bool translate(struct fixture *f, uint64_t va, uint64_t *pa, bool *writable)
{
	uint64_t pml4e, pdpte, pde;

	pml4e = read64(f, (f->e.sregs.cr3 & ADDR_MASK) + ((va >> 39) & 511) * 8);
	if (!(pml4e & 1))
		return false;
	pdpte = read64(f, (pml4e & ADDR_MASK) + ((va >> 30) & 511) * 8);
	if (!(pdpte & 1))
		return false;
	assert_false(pdpte & (1ull << 7)); /* no 1 GiB pages: not every CPU has them */
	pde = read64(f, (pdpte & ADDR_MASK) + ((va >> 21) & 511) * 8);
	if (!(pde & 1))
		return false;
	assert_true(pde & (1ull << 7)); /* 2 MiB page */
	assert_false(pde & (1ull << 2)); /* supervisor only */
	*writable = (pml4e & pdpte & pde & 2) != 0;
	*pa = (pde & 0x000fffffffe00000ull) | (va & 0x1fffff);
	return true;
}

static void test_identity_map(void **state)
{
	struct fixture *f = *state;
	static const uint64_t vas[] = { 0, 0x1000, 0x7000, 0x9fc00, 0x100000, 0x1234567,
					0x3ffffff, 0x40000000, 0xbfffffff, 0xc0000000,
					0xfec00000, 0xfee00000, 0xffffffff };

	for (unsigned i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
		uint64_t pa = ~0ull;
		bool w = false;

		assert_true(translate(f, vas[i], &pa, &w));
		assert_int_equal(pa, vas[i]);
		assert_true(w);
	}
	/* Every 2 MiB page of the 4 GiB, not just samples. */
	for (uint64_t va = 0; va < (4ull << 30); va += 2 * MIB) {
		uint64_t pa;
		bool w;

		assert_true(translate(f, va + 0x1ff, &pa, &w));
		assert_int_equal(pa, va + 0x1ff);
	}
}

static void test_nothing_above_4g(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	bool w;

	assert_false(translate(f, 1ull << 32, &pa, &w));
	assert_false(translate(f, 1ull << 39, &pa, &w));
	assert_false(translate(f, 0xffffffff80000000ull, &pa, &w));
}

static void test_control_registers(void **state)
{
	struct fixture *f = *state;
	const struct engine_sregs *s = &f->e.sregs;

	/* PE|MP|ET|NE|WP|PG */
	assert_int_equal(s->cr0, 0x80010033ull);
	assert_int_equal(s->cr3, BOOT_PML4_ADDR);
	assert_true(s->cr4 & (1ull << 5));     /* PAE */
	assert_int_equal(s->cr4 & ~(1ull << 7), 1ull << 5); /* nothing else but optional PGE */
	assert_int_equal(s->efer, 0x500ull);   /* LME|LMA, no SCE */
	assert_int_equal(f->e.regs.rflags, 0x2);
	assert_int_equal(s->apic_base & 0xfffff000ull, 0xfee00000ull);
	assert_true(s->apic_base & (1ull << 11));
}

static uint64_t s_gdt_base(struct fixture *f)
{
	return f->e.sregs.gdt.base;
}

/* Decode an 8-byte code/data descriptor (SDM Vol. 3A, figure 3-8). */
static void assert_desc_matches(struct fixture *f, const struct engine_segment *seg)
{
	uint64_t d = read64(f, s_gdt_base(f) + seg->selector);
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	uint64_t base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	bool g = (d >> 55) & 1;

	assert_int_equal(base, seg->base);
	assert_int_equal(g ? (limit << 12) | 0xfff : limit, seg->limit);
	assert_int_equal((d >> 40) & 0xf, seg->type);
	assert_int_equal((d >> 44) & 1, seg->s);
	assert_int_equal((d >> 45) & 3, seg->dpl);
	assert_int_equal((d >> 47) & 1, seg->present);
	assert_int_equal((d >> 53) & 1, seg->l);
	assert_int_equal((d >> 54) & 1, seg->db);
	assert_int_equal(g, seg->g);
}

static void test_segments(void **state)
{
	struct fixture *f = *state;
	const struct engine_sregs *s = &f->e.sregs;
	const struct engine_segment *data[] = { &s->ds, &s->es, &s->fs, &s->gs, &s->ss };

	assert_int_equal(s->gdt.base, BOOT_GDT_ADDR);
	assert_true(s->gdt.limit >= 0x2f);
	assert_int_equal(read64(f, BOOT_GDT_ADDR), 0); /* null descriptor */
	assert_int_equal(read64(f, BOOT_GDT_ADDR + 8), 0);

	assert_int_equal(s->cs.selector, 0x10);
	assert_int_equal(s->cs.type, 0xb);
	assert_int_equal(s->cs.l, 1);
	assert_int_equal(s->cs.db, 0);
	assert_int_equal(s->cs.s, 1);
	assert_int_equal(s->cs.present, 1);
	assert_int_equal(s->cs.g, 1);
	assert_int_equal(s->cs.dpl, 0);
	assert_desc_matches(f, &s->cs);
	for (unsigned i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		assert_int_equal(data[i]->selector, 0x18);
		assert_int_equal(data[i]->type, 0x3);
		assert_int_equal(data[i]->present, 1);
		assert_int_equal(data[i]->unusable, 0);
		assert_desc_matches(f, data[i]);
	}
	assert_int_equal(s->ldt.unusable, 1);
}

static void test_tss(void **state)
{
	struct fixture *f = *state;
	const struct engine_segment *tr = &f->e.sregs.tr;
	uint64_t lo, hi, base;
	uint16_t iomap;

	/* A present, busy 64-bit TSS (type 0xb, S=0) with a 16-byte GDT descriptor. */
	assert_int_equal(tr->type, 0xb);
	assert_int_equal(tr->s, 0);
	assert_int_equal(tr->present, 1);
	assert_int_equal(tr->unusable, 0);
	assert_true(tr->limit >= 0x67);
	assert_true(tr->selector + 16u <= f->e.sregs.gdt.limit + 1u);
	lo = read64(f, BOOT_GDT_ADDR + tr->selector);
	hi = read64(f, BOOT_GDT_ADDR + tr->selector + 8);
	base = ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24) | (hi << 32);
	assert_int_equal(base, tr->base);
	assert_int_equal((lo & 0xffff) | ((lo >> 32) & 0xf0000), tr->limit);
	assert_int_equal((lo >> 40) & 0xf, 0xb);
	assert_int_equal((lo >> 47) & 1, 1);
	/* The TSS lies in the boot area, clear of the tables around it. */
	assert_true(tr->base >= BOOT_GDT_ADDR + f->e.sregs.gdt.limit + 1);
	assert_true(tr->base + tr->limit < BOOT_BOOTINFO_ADDR);
	/* No I/O bitmap: its base points past the limit. */
	assert_int_equal(gmem_copy_from(f->m, &iomap, tr->base + 0x66, 2), 0);
	assert_true(iomap > tr->limit);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_map),
		T(test_nothing_above_4g),
		T(test_control_registers),
		T(test_segments),
		T(test_tss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
