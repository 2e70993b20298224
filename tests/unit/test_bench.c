/*
 * vessel bench engines, host side (src/bench/): the parser of the guest's
 * enginebench lines (hostile input: malformed lines must be refused, not
 * half-read), the --engines list, the CSV's shape, and one soft-engine run
 * of the guest when it is built (the TLB counters move with the op).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bench/engines.h"
#include "bench/guest_run.h"

static void test_parse_result(void **state)
{
	struct bench_sample s;

	(void)state;
	assert_int_equal(bench_sample_parse("enginebench: op=ptemod mode=pv iters=300 cycles=1574 "
					    "ns=787.10 via=hypercall\r\n",
					    &s),
			 1);
	assert_string_equal(s.op, "ptemod");
	assert_string_equal(s.mode, "pv");
	assert_false(s.na);
	assert_int_equal(s.iters, 300);
	assert_int_equal(s.cycles, 1574);
	assert_true(s.ns > 787.09 && s.ns < 787.11);
	assert_string_equal(s.via, "hypercall");
}

static void test_parse_na(void **state)
{
	struct bench_sample s;

	(void)state;
	assert_int_equal(bench_sample_parse("enginebench: op=syscall mode=emul n/a: SYSCALL "
					    "stays at CPL 3\n",
					    &s),
			 1);
	assert_true(s.na);
	assert_string_equal(s.op, "syscall");
	assert_string_equal(s.why, "SYSCALL stays at CPL 3");
}

static void test_parse_other_lines(void **state)
{
	struct bench_sample s;

	(void)state;
	assert_int_equal(bench_sample_parse("testguest: running enginebench\n", &s), 0);
	assert_int_equal(bench_sample_parse("enginebench: tsc_hz=2000000000 mode=pv\n", &s), 0);
	assert_int_equal(bench_sample_parse("", &s), 0);
}

static void test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"enginebench: op=in mode=emul iters=0 cycles=1 ns=1.00 via=trap",   /* 0 rounds */
		"enginebench: op=in mode=emul iters=10 cycles=-1 ns=1.00 via=trap", /* sign */
		"enginebench: op=in mode=emul iters=10 cycles=1 ns=x via=trap",
		"enginebench: op=in mode=emul iters=10 cycles=1 ns=1.0", /* no via */
		"enginebench: op=in mode=emul iters=10 cycles=1 ns=1.0 via=trap junk",
		"enginebench: op=in mode=emul cycles=1 iters=10 ns=1.0 via=trap", /* order */
		"enginebench: op=in mode=emul iters=99999999999999999999999 cycles=1 ns=1 via=t",
		"enginebench: op=averyveryverylongopname mode=emul iters=1 cycles=1 ns=1 via=t",
		"enginebench: op= mode=emul iters=1 cycles=1 ns=1 via=t",
		"enginebench: op=in mode=emul n/a: ",
		"enginebench: op=in",
	};
	struct bench_sample s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = bench_sample_parse(bad[i], &s);

		if (r != -EINVAL)
			fail_msg("accepted (%d): %s", r, bad[i]);
	}
}

static void test_cols(void **state)
{
	bool want[BENCH_NR_COLS];
	struct verr err = {0};

	(void)state;
	assert_int_equal(bench_cols_parse("soft,kvm+pv", want, &err), 0);
	assert_true(want[BENCH_COL_SOFT] && want[BENCH_COL_KVM_PV]);
	assert_false(want[BENCH_COL_SOFT_PV] || want[BENCH_COL_KVM]);
	assert_int_equal(bench_cols_parse("soft,vt", want, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'vt'"));
	err = (struct verr){0};
	assert_int_equal(bench_cols_parse("", want, &err), -EINVAL);
}

/* The CSV: one header, one row per op, same field count, "na" for what did not run. */
static void test_csv(void **state)
{
	struct bench_table *t = calloc(1, sizeof(*t));
	char path[] = "/tmp/vessel-test-bench-XXXXXX", line[1024];
	struct verr err = {0};
	int fd = mkstemp(path), rows = 0, fields0 = 0;
	FILE *f;

	(void)state;
	assert_non_null(t);
	assert_true(fd >= 0);
	close(fd);
	t->col_run[BENCH_COL_SOFT] = true;
	t->cell[6][BENCH_COL_SOFT] = (struct bench_cell){.state = BENCH_CELL_OK,
							 .ns = 64.5,
							 .cycles = 129,
							 .have_tlb = true,
							 .tlb_fills = 1,
							 .tlb_flushes = 1};
	assert_int_equal(bench_csv_write(t, path, &err), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		int fields = 1;

		for (char *p = line; *p; p++)
			fields += *p == ',';
		if (rows == 0)
			fields0 = fields;
		assert_int_equal(fields, fields0);
		if (rows == 7) /* ptemod: the filled cell */
			assert_non_null(strstr(line, "ptemod,MMU_BATCH of 1,64.50,na,na,na,129,"));
		else if (rows > 0)
			assert_non_null(strstr(line, ",na,na,na,na,"));
		rows++;
	}
	fclose(f);
	unlink(path);
	free(t);
	assert_int_equal(rows, 1 + BENCH_NR_OPS);
}

/* A real run on soft: the per-round counters must move with the op, not be constants. */
static void test_soft_run(void **state)
{
	const char *elf = "build/guest/testguest.elf";
	struct bench_guest_run one, many;
	struct verr err = {0};

	(void)state;
	if (access(elf, R_OK)) {
		skip();
		return;
	}
	assert_int_equal(bench_guest_run("soft", elf,
					 "test=enginebench op=ptemod iters=1 warm=2 calibrate=0",
					 &one, &err),
			 0);
	assert_int_equal(bench_guest_run("soft", elf,
					 "test=enginebench op=ptemod iters=41 warm=2 calibrate=0",
					 &many, &err),
			 0);
	assert_int_equal(one.result.status, 0);
	assert_int_equal(many.result.status, 0);
	assert_non_null(strstr(many.output, "enginebench: op=ptemod mode=emul iters=41 "));
	/* One INVLPG per round: 40 more flushes; at least one refill per round. */
	assert_int_equal(many.stats.tlb_flushes - one.stats.tlb_flushes, 40);
	assert_true(many.stats.tlb_fills - one.stats.tlb_fills >= 40);
	bench_guest_run_free(&one);
	bench_guest_run_free(&many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_result),
		cmocka_unit_test(test_parse_na),
		cmocka_unit_test(test_parse_other_lines),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_cols),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_soft_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
