/*
 * The hypercall dispatcher (src/vm/hypercall.c): every call's validation
 * against a real guest RAM (gmem) and recording callbacks, and that a
 * refused MMU batch writes nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "guest/hypercall.h"
#include "mem/gmem.h"
#include "mem/pte_batch.h"
#include "vm/hypercall.h"

#define RAM (4ull << 20)
#define LIST 0x10000ull  /* where the tests put MMU batch lists */
#define PT 0x20000ull    /* a "page table" the batches write */
#define TEXT 0x30000ull

struct rec {
	char console[128];
	size_t console_len;
	int exits, exit_status;
	int flushes;
	bool load_cr3, flush_all;
	uint64_t cr3;
	int timers;
	uint64_t timer_ns;
	uint8_t timer_vector;
};

struct fx {
	struct gmem *mem;
	struct rec rec;
	struct hypercall_host host;
};

static void rec_console(void *o, const void *buf, size_t len)
{
	struct rec *r = o;

	assert_true(len <= sizeof(r->console));
	memcpy(r->console, buf, len);
	r->console_len = len;
}

static void rec_exit(void *o, int status)
{
	struct rec *r = o;

	r->exits++;
	r->exit_status = status;
}

static int rec_flush(void *o, bool load_cr3, uint64_t cr3, bool flush_all)
{
	struct rec *r = o;

	r->flushes++;
	r->load_cr3 = load_cr3;
	r->cr3 = cr3;
	r->flush_all = flush_all;
	return 0;
}

static int rec_timer(void *o, uint64_t ns, uint8_t vector)
{
	struct rec *r = o;

	r->timers++;
	r->timer_ns = ns;
	r->timer_vector = vector;
	return 0;
}

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	if (gmem_create(RAM, &f.mem))
		return -1;
	f.host = (struct hypercall_host){ .mem = f.mem, .opaque = &f.rec, .console = rec_console,
					  .exit = rec_exit, .mmu_flush = rec_flush, .timer = rec_timer };
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gmem_destroy(f->mem);
	return 0;
}

static int64_t call(struct fx *f, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	const uint64_t a[4] = { a0, a1, a2, a3 };

	return hypercall_dispatch(&f->host, nr, a);
}

static void put_list(struct fx *f, const struct vessel_hc_pte *e, unsigned n)
{
	assert_int_equal(gmem_copy_to(f->mem, LIST, e, n * sizeof(*e)), 0);
}

static uint64_t pte(struct fx *f, unsigned i)
{
	uint64_t v;

	assert_int_equal(gmem_copy_from(f->mem, &v, PT + i * 8, 8), 0);
	return v;
}

static void test_nop_unknown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(call(f, VESSEL_HC_NOP, 1, 2, 3, 4), 0);
	assert_int_equal(call(f, VESSEL_HC_EXIT + 1, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(call(f, 0, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(call(f, UINT64_MAX, 0, 0, 0, 0), -ENOSYS);
}

static void test_console(void **state)
{
	struct fx *f = *state;

	assert_int_equal(gmem_copy_to(f->mem, TEXT, "hello", 5), 0);
	assert_int_equal(call(f, VESSEL_HC_CONSOLE_WRITE, TEXT, 5, 0, 0), 5);
	assert_int_equal(f->rec.console_len, 5);
	assert_memory_equal(f->rec.console, "hello", 5);
	f->rec.console_len = 99;
	assert_int_equal(call(f, VESSEL_HC_CONSOLE_WRITE, RAM - 2, 4, 0, 0), -EFAULT);
	assert_int_equal(call(f, VESSEL_HC_CONSOLE_WRITE, UINT64_MAX - 1, 4, 0, 0), -EFAULT);
	assert_int_equal(call(f, VESSEL_HC_CONSOLE_WRITE, TEXT, HYPERCALL_CONSOLE_MAX + 1, 0, 0),
			 -E2BIG);
	assert_int_equal(call(f, VESSEL_HC_CONSOLE_WRITE, TEXT, UINT64_MAX, 0, 0), -E2BIG);
	assert_int_equal(f->rec.console_len, 99); /* nothing written by the refused calls */
	assert_int_equal(call(f, VESSEL_HC_CONSOLE_WRITE, TEXT, 0, 0, 0), 0);
}

static void test_mmu_ok(void **state)
{
	struct fx *f = *state;
	struct vessel_hc_pte e[3] = { { PT, 0x5003 }, { PT + 8, 0x6003 }, { PT + 16, 0 } };

	put_list(f, e, 3);
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, 3, 0, 0), 3);
	assert_int_equal(pte(f, 0), 0x5003);
	assert_int_equal(pte(f, 1), 0x6003);
	assert_int_equal(f->rec.flushes, 1);
	assert_false(f->rec.load_cr3);
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, 0,
			      VESSEL_HC_MMU_LOAD_CR3 | VESSEL_HC_MMU_FLUSH_ALL, 0x1000 | 0x18),
			 0);
	assert_int_equal(f->rec.flushes, 2);
	assert_true(f->rec.load_cr3);
	assert_true(f->rec.flush_all);
	assert_int_equal(f->rec.cr3, 0x1018);
}

static void test_mmu_refused(void **state)
{
	struct fx *f = *state;
	struct vessel_hc_pte e[2] = { { PT, 0x7003 }, { PT + 12, 0x8003 } };

	put_list(f, e, 2);
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, 2, 0, 0), -EINVAL); /* misaligned */
	e[1].pte_gpa = RAM;
	put_list(f, e, 2);
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, 2, 0, 0), -EFAULT); /* outside RAM */
	e[1].pte_gpa = UINT64_MAX & ~7ull;
	put_list(f, e, 2);
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, 2, 0, 0), -EFAULT);
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, RAM - 16, 2, 0, 0), -EFAULT); /* list leaves RAM */
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, VESSEL_HC_MMU_MAX + 1, 0, 0), -E2BIG);
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, UINT64_MAX, 0, 0), -E2BIG);
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, 0, 1u << 5, 0), -EINVAL); /* unknown flag */
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, 0, VESSEL_HC_MMU_LOAD_CR3, RAM),
			 -EINVAL); /* CR3 outside RAM */
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, 0, VESSEL_HC_MMU_LOAD_CR3, 0x1001),
			 -EINVAL); /* reserved CR3 bit */
	/* The first entry was valid each time, yet nothing was written or flushed. */
	assert_int_equal(pte(f, 0), 0);
	assert_int_equal(f->rec.flushes, 0);
	/* The maximum is allowed. */
	{
		static struct vessel_hc_pte many[VESSEL_HC_MMU_MAX];

		for (unsigned i = 0; i < VESSEL_HC_MMU_MAX; i++)
			many[i] = (struct vessel_hc_pte){ PT + i * 8, i };
		put_list(f, many, VESSEL_HC_MMU_MAX);
		assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, VESSEL_HC_MMU_MAX, 0, 0),
				 VESSEL_HC_MMU_MAX);
		assert_int_equal(pte(f, 511), 511);
	}
}

static void test_mmu_no_engine_support(void **state)
{
	struct fx *f = *state;

	f->host.mmu_flush = NULL;
	f->host.timer = NULL;
	assert_int_equal(call(f, VESSEL_HC_MMU_BATCH, LIST, 0, 0, 0), -ENOSYS);
	assert_int_equal(call(f, VESSEL_HC_TIMER_ONESHOT, 1000, 40, 0, 0), -ENOSYS);
}

static void test_timer(void **state)
{
	struct fx *f = *state;

	assert_int_equal(call(f, VESSEL_HC_TIMER_ONESHOT, 1000, 0x41, 0, 0), 0);
	assert_int_equal(f->rec.timer_ns, 1000);
	assert_int_equal(f->rec.timer_vector, 0x41);
	assert_int_equal(call(f, VESSEL_HC_TIMER_ONESHOT, 0, 0, 0, 0), 0); /* cancel: vector ignored */
	assert_int_equal(f->rec.timer_ns, 0);
	assert_int_equal(call(f, VESSEL_HC_TIMER_ONESHOT, 1000, 31, 0, 0), -EINVAL);
	assert_int_equal(call(f, VESSEL_HC_TIMER_ONESHOT, 1000, 256, 0, 0), -EINVAL);
	assert_int_equal(call(f, VESSEL_HC_TIMER_ONESHOT, VESSEL_HC_TIMER_MAX_NS + 1, 40, 0, 0),
			 -EINVAL);
	assert_int_equal(f->rec.timers, 2);
}

static void test_exit_yield(void **state)
{
	struct fx *f = *state;

	assert_int_equal(call(f, VESSEL_HC_YIELD, 0, 0, 0, 0), 0);
	assert_int_equal(call(f, VESSEL_HC_EXIT, 256, 0, 0, 0), -EINVAL);
	assert_int_equal(f->rec.exits, 0);
	assert_int_equal(call(f, VESSEL_HC_EXIT, 7, 0, 0, 0), 0);
	assert_int_equal(f->rec.exits, 1);
	assert_int_equal(f->rec.exit_status, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nop_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_no_engine_support, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_yield, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
