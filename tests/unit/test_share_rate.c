/* The page-sharing scanner's rate bound (src/mem/share/rate.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mem/share/rate.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* Run a vCPU loop that ticks every step_ns for dur_ns and spends all it gets. */
static uint64_t run(struct share_rate *r, uint64_t start, uint64_t dur_ns, uint64_t step_ns,
		    unsigned *batches)
{
	uint64_t total = 0;

	*batches = 0;
	for (uint64_t t = start; t <= start + dur_ns; t += step_ns) {
		uint64_t n = share_rate_avail(r, t);

		if (n) {
			(*batches)++;
			assert_true(n <= r->burst);
			share_rate_spend(r, n);
			total += n;
		}
	}
	return total;
}

/* Ticks every 50 us (a busy vCPU): the rate holds within one burst over 10 s. */
static void test_busy_vcpu(void **state)
{
	struct share_rate r;
	unsigned batches;
	uint64_t total;

	(void)state;
	share_rate_init(&r, 4096, 10 * MS, 0);
	total = run(&r, 0, 10 * SEC, 50000, &batches);
	assert_true(total <= 4096 * 10 + r.burst);
	assert_true(total >= 4096 * 10 - r.burst);
	/* A batch at most every period: 10 s / 10 ms. */
	assert_true(batches <= 1001);
	assert_true(batches >= 900);
}

/* A vCPU that ticks rarely (halted guest) gets at most one burst per tick. */
static void test_sleepy_vcpu(void **state)
{
	struct share_rate r;
	unsigned batches;
	uint64_t total;

	(void)state;
	share_rate_init(&r, 4096, 10 * MS, 0);
	total = run(&r, 0, 10 * SEC, 2 * SEC, &batches);
	assert_int_equal(batches, 5);
	assert_int_equal(total, 5 * r.burst);
	assert_int_equal(r.burst, 512);
}

/* Spending less than given keeps the rest (up to the burst); spending more leaves nothing. */
static void test_spend(void **state)
{
	struct share_rate r;

	(void)state;
	share_rate_init(&r, 1000, 10 * MS, 0);
	assert_int_equal(share_rate_avail(&r, 5 * MS), 0); /* before the first period */
	assert_int_equal(share_rate_avail(&r, 20 * MS), 20);
	share_rate_spend(&r, 5);
	assert_int_equal(share_rate_avail(&r, 30 * MS), 25);
	share_rate_spend(&r, 1000);
	assert_int_equal(share_rate_avail(&r, 40 * MS), 10);
	/* A huge gap: capped at the burst (rate/8). */
	assert_int_equal(share_rate_avail(&r, 100 * SEC), 125);
	/* Tiny rates still make progress. */
	share_rate_init(&r, 1, 10 * MS, 0);
	assert_int_equal(r.burst, 1);
	assert_int_equal(share_rate_avail(&r, 500 * MS), 0);
	assert_int_equal(share_rate_avail(&r, 1000 * MS), 1);
}

/*
 * A batch that only passes over pages (all of RAM shared) spends a
 * sixteenth of a page each: a busy vCPU then passes over 16 * rate pages a
 * second, not the whole of RAM at every batch.
 */
static void test_spend_batch(void **state)
{
	struct share_rate r;
	uint64_t passed = 0;

	(void)state;
	share_rate_init(&r, 1600, 10 * MS, 0);
	assert_int_equal(share_rate_avail(&r, 100 * MS), 160);
	share_rate_spend_batch(&r, 10, 10 + 16 * 50); /* 10 tested, 800 passed over: 60 */
	assert_int_equal(share_rate_avail(&r, 110 * MS), 100 + 16);
	share_rate_spend_batch(&r, 0, 0); /* nothing at all still costs one */
	assert_int_equal(share_rate_avail(&r, 120 * MS), 115 + 16);
	share_rate_spend_batch(&r, 0, 15); /* less than 16 passed over: the minimum, one */
	assert_int_equal(share_rate_avail(&r, 130 * MS), 130 + 16);
	/* Ten seconds of batches that spend all they get on passing over. */
	share_rate_init(&r, 1600, 10 * MS, 0);
	for (uint64_t t = 10 * MS; t <= 10 * SEC; t += 10 * MS) {
		uint64_t n = share_rate_avail(&r, t);

		share_rate_spend_batch(&r, 0, 16 * n);
		passed += 16 * n;
	}
	assert_true(passed <= 16 * (1600 * 10 + r.burst));
	assert_true(passed >= 16 * (1600 * 10 - r.burst));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_vcpu),
		cmocka_unit_test(test_sleepy_vcpu),
		cmocka_unit_test(test_spend),
		cmocka_unit_test(test_spend_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
