/*
 * `vessel bench engines`: run the enginebench scenario once per (column,
 * op) and fill the table. Each op gets its own VM so one failing op cannot
 * hide the others' numbers and so the soft engine's counters belong to
 * one op (op_count says how they are taken).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/compiler.h"
#include "bench/engines.h"
#include "bench/guest_run.h"
#include "guest/bootinfo.h"

const struct bench_col_info bench_cols[BENCH_NR_COLS] = {
	[BENCH_COL_SOFT] = {.name = "soft", .engine = "soft", .pv = false, .hc = "port"},
	[BENCH_COL_SOFT_PV] = {.name = "soft+pv", .engine = "soft", .pv = true, .hc = "vmcall"},
	[BENCH_COL_KVM] = {.name = "kvm", .engine = "kvm", .pv = false, .hc = "port"},
	[BENCH_COL_KVM_PV] = {.name = "kvm+pv", .engine = "kvm", .pv = true, .hc = "port"},
};

const struct bench_op_info bench_ops[BENCH_NR_OPS] = {
	{.name = "syscall",
	 .pv_form = "same",
	 .what = "SYSCALL/SYSRET round trip, ring 3 to a ring-0 handler and back"},
	{.name = "in", .pv_form = "same", .what = "IN from an unclaimed port (0x80) in ring 0"},
	{.name = "cr8", .pv_form = "same", .what = "MOV to CR8 (task priority) in ring 0"},
	{.name = "callret", .pv_form = "same", .what = "call + ret of an empty function, ring 3"},
	{.name = "pagefault",
	 .pv_form = "same",
	 .what = "ring-3 read of a not-present page, fixed by the ring-0 handler"},
	{.name = "divzero",
	 .pv_form = "same",
	 .what = "ring-3 divide by zero, #DE handler skips the instruction"},
	{.name = "ptemod",
	 .pv_form = "MMU_BATCH of 1",
	 .what = "one PTE changed + INVLPG, then a read through it (ring 0)"},
	{.name = "cr3",
	 .pv_form = "MMU_BATCH LOAD_CR3",
	 .what = "MOV CR3 to the other address space, then a read (ring 0)"},
	{.name = "hcnop",
	 .pv_form = "HC_NOP",
	 .pv_only = true,
	 .what = "one hypercall that does nothing"},
	{.name = "forkwait",
	 .pv_form = "MMU_BATCH per step",
	 .macro = true,
	 .what = "fork/wait: child space over 32 pages, 4 copy-on-write faults, exit"},
};

int bench_cols_parse(const char *list, bool want[BENCH_NR_COLS], struct verr *err)
{
	const char *p = list;

	memset(want, 0, sizeof(bool) * BENCH_NR_COLS);
	while (*p) {
		size_t n = strcspn(p, ",");
		int found = -1;

		for (int c = 0; c < BENCH_NR_COLS; c++)
			if (strlen(bench_cols[c].name) == n && !strncmp(p, bench_cols[c].name, n))
				found = c;
		if (found < 0)
			return verr_set(
				err, EINVAL,
				"--engines: unknown column '%.*s' (want soft, soft+pv, kvm, "
				"kvm+pv)",
				(int)n, p);
		want[found] = true;
		p += n;
		if (*p == ',')
			p++;
	}
	for (int c = 0; c < BENCH_NR_COLS; c++)
		if (want[c])
			return 0;
	return verr_set(err, EINVAL, "--engines: no column named");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Why the guest failed, from its output: the first "testguest: enginebench: "
 * line (the op's own diagnosis), else the first line that reports a FAIL or
 * a trap; "" if none.
 */
static void guest_why(const char *out, char *why, size_t size)
{
	const char *p = out, *op_line = NULL, *any = NULL;

	while (p && *p) {
		if (!strncmp(p, "testguest: enginebench: ", 24) && !op_line)
			op_line = p; /* the first: later ones only say which op failed */
		else if (!strncmp(p, "testguest: ", 11) &&
			 (strstr(p, "FAIL") || strstr(p, "trap")) && !any)
			any = p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!op_line)
		op_line = any;
	why[0] = '\0';
	if (op_line)
		snprintf(why, size, "%.*s", (int)strcspn(op_line, "\r\n"), op_line);
}

static bool sample_find(const char *out, const char *op, struct bench_sample *s)
{
	const char *p = out;

	while (p && *p) {
		if (bench_sample_parse(p, s) == 1 && !strcmp(s->op, op))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* Copy a message into a cell's note, cut to fit. */
static void note_set(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void cell_fail(struct bench_cell *cell, struct bench_table *t, const char *why)
{
	cell->state = BENCH_CELL_FAILED;
	note_set(cell->note, sizeof(cell->note), why);
	t->nr_failed++;
}

static int sample_cmp_ns(const void *a, const void *b)
{
	const struct bench_sample *x = a, *y = b;

	return (x->ns > y->ns) - (x->ns < y->ns);
}

/* One run of op on column c with `rounds` timed rounds; 0 with r filled, else cell marked. */
static int op_run(const struct bench_opts *o, enum bench_col c, const struct bench_op_info *op,
		  uint64_t rounds, uint64_t warm, bool calibrate, struct bench_guest_run *r,
		  struct verr *err)
{
	const struct bench_col_info *col = &bench_cols[c];
	char cmdline[256];

	snprintf(cmdline, sizeof(cmdline),
		 "test=enginebench mode=%s hc=%s op=%s %s=%llu warm=%llu calibrate=%d",
		 col->pv ? "pv" : "emul", col->hc, op->name, op->macro ? "fwiters" : "iters",
		 (unsigned long long)rounds, (unsigned long long)(op->macro ? 1 : warm), calibrate);
	return bench_guest_run(col->engine, o->kernel, cmdline, r, err);
}

/*
 * The soft engine's TLB counters per round: two runs without the TSC
 * calibration (whose PIT polling runs a varying number of instructions),
 * n rounds and one round, same warm-up: everything but n - 1 rounds is
 * the same work in both, so the difference is the rounds' own. 0 or -1.
 */
static int op_count(const struct bench_opts *o, enum bench_col c, const struct bench_op_info *op,
		    uint64_t n, uint64_t warm, struct bench_cell *cell)
{
	struct bench_guest_run full, base;
	struct verr err = {0};
	int ret = -1;

	if (op_run(o, c, op, n, warm, false, &full, &err))
		return -1;
	if (op_run(o, c, op, 1, warm, false, &base, &err) == 0) {
		if (full.result.reason == VM_STOP_EXIT_PORT && full.result.status == 0 &&
		    base.result.reason == VM_STOP_EXIT_PORT && base.result.status == 0) {
			cell->have_tlb = true;
			cell->tlb_fills =
				((double)full.stats.tlb_fills - (double)base.stats.tlb_fills) /
				(double)(n - 1);
			cell->tlb_flushes =
				((double)full.stats.tlb_flushes - (double)base.stats.tlb_flushes) /
				(double)(n - 1);
			ret = 0;
		}
		bench_guest_run_free(&base);
	}
	bench_guest_run_free(&full);
	return ret;
}

/* The state of one timed run: OK with s filled, NA, or FAILED with why. */
static enum bench_cell_state op_timed(const struct bench_opts *o, enum bench_col c,
				      const struct bench_op_info *op, uint64_t n, uint64_t warm,
				      struct bench_sample *s, char *why, size_t size)
{
	struct bench_guest_run r;
	struct verr err = {0};
	enum bench_cell_state st;
	int status;

	if (op_run(o, c, op, n, warm, true, &r, &err)) {
		note_set(why, size, err.msg);
		return BENCH_CELL_FAILED;
	}
	status = r.result.reason == VM_STOP_EXIT_PORT ? r.result.status : -1;
	if (sample_find(r.output, op->name, s) && s->na && status == VESSEL_EXIT_HOST_LIMIT) {
		snprintf(why, size, "%s", s->why);
		st = BENCH_CELL_NA;
	} else if (status == 0 && sample_find(r.output, op->name, s) && !s->na && s->iters == n) {
		st = BENCH_CELL_OK;
	} else {
		if (r.result.reason == VM_STOP_CRASH)
			snprintf(why, size, "guest crashed: %s", r.result.msg);
		else
			guest_why(r.output, why, size);
		if (!why[0])
			snprintf(why, size, "the guest printed no result (exit %d)", status);
		st = BENCH_CELL_FAILED;
	}
	bench_guest_run_free(&r);
	return st;
}

static void op_measure(const struct bench_opts *o, enum bench_col c, int i, struct bench_table *t)
{
	const struct bench_col_info *col = &bench_cols[c];
	const struct bench_op_info *op = &bench_ops[i];
	struct bench_cell *cell = &t->cell[i][c];
	bool kvm = !strcmp(col->engine, "kvm");
	uint64_t n = op->macro ? (kvm ? o->fwiters_kvm : o->fwiters_soft)
			       : (kvm ? o->iters_kvm : o->iters_soft);
	uint64_t warm = n / 10 ? n / 10 : 1;
	struct bench_sample runs[BENCH_MAX_REPEAT];
	unsigned repeat = o->repeat < 1 ? 1 : MIN(o->repeat, BENCH_MAX_REPEAT);
	char why[600];
	double t0 = now_s();

	if (op->pv_only && !col->pv)
		return; /* stays EMPTY */
	/* Repeated runs, median kept: the host's other load lands in one run, not all. */
	for (cell->runs = 0; cell->runs < repeat; cell->runs++) {
		why[0] = '\0';
		cell->state = op_timed(o, c, op, n, warm, &runs[cell->runs], why, sizeof(why));
		if (cell->state != BENCH_CELL_OK)
			break;
	}
	if (cell->state == BENCH_CELL_NA) {
		note_set(cell->note, sizeof(cell->note), why);
	} else if (cell->state == BENCH_CELL_FAILED) {
		cell_fail(cell, t, why);
	} else {
		const struct bench_sample *m;

		qsort(runs, cell->runs, sizeof(runs[0]), sample_cmp_ns);
		m = &runs[cell->runs / 2];
		cell->ns = m->ns;
		cell->cycles = m->cycles;
		cell->iters = m->iters;
		snprintf(cell->via, sizeof(cell->via), "%s", m->via);
	}
	if (cell->state == BENCH_CELL_OK && !kvm && n > 1 && op_count(o, c, op, n, warm, cell))
		cell_fail(cell, t,
			  "the counter runs (calibrate=0) failed where the timed run passed");
	if (!o->progress)
		return;
	if (cell->state == BENCH_CELL_OK)
		fprintf(o->progress,
			"bench: %-8s %-10s %10.2f ns/op  (median of %u runs of %llu rounds, %.2f "
			"s)\n",
			col->name, op->name, cell->ns, cell->runs, (unsigned long long)n,
			now_s() - t0);
	else
		fprintf(o->progress, "bench: %-8s %-10s %s: %s\n", col->name, op->name,
			cell->state == BENCH_CELL_NA ? "n/a" : "FAILED", cell->note);
}

/* Why column c cannot run on this host, or NULL. */
static const char *col_unavailable(enum bench_col c)
{
	if (strcmp(bench_cols[c].engine, "kvm"))
		return NULL;
	if (access("/dev/kvm", R_OK | W_OK))
		return errno == ENOENT ? "no /dev/kvm on this host" : "/dev/kvm not accessible";
	return NULL;
}

int bench_engines_run(const struct bench_opts *o, struct bench_table *t, struct verr *err)
{
	if (!o->kernel || access(o->kernel, R_OK))
		return verr_set(err, ENOENT, "test guest '%s' not readable (build it: make guest)",
				o->kernel ? o->kernel : "(none)");
	memset(t, 0, sizeof(*t));
	for (int c = 0; c < BENCH_NR_COLS; c++) {
		const char *why;

		if (!o->want[c])
			continue;
		why = col_unavailable(c);
		if (why) {
			snprintf(t->col_skip[c], sizeof(t->col_skip[c]), "%s", why);
			if (o->progress)
				fprintf(o->progress, "bench: %s skipped: %s\n", bench_cols[c].name,
					why);
			continue;
		}
		t->col_run[c] = true;
		for (int i = 0; i < BENCH_NR_OPS; i++)
			op_measure(o, c, i, t);
	}
	return 0;
}
