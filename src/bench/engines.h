/*
 * `vessel bench engines`: the software-vs-hardware virtualization
 * microbenchmarks (Adams & Agesen, ASPLOS 2006) run by the test guest's
 * enginebench scenario (guest/scenarios/enginebench.c) on each way vessel
 * can run a guest CPU, collected into one table (docs/engines.md).
 *
 * Columns: soft (the interpreter; privileged instructions and faults
 * emulated), soft+pv (the same guest asking for page-table work through
 * VMCALL hypercalls), kvm (VT through /dev/kvm), kvm+pv (hypercalls through
 * the doorbell port). Each (column, op) runs in its own VM in this process;
 * on soft two more VMs, without the TSC calibration, with n rounds and with
 * one, give the TLB fill and flush counters per round by difference (boot,
 * set-up and warm-up are the same work in both and cancel).
 */
#ifndef VESSEL_BENCH_ENGINES_H
#define VESSEL_BENCH_ENGINES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/compiler.h"
#include "base/err.h"

enum bench_col {
	BENCH_COL_SOFT,
	BENCH_COL_SOFT_PV,
	BENCH_COL_KVM,
	BENCH_COL_KVM_PV,
	BENCH_NR_COLS,
};

struct bench_col_info {
	const char *name;   /* column name for --engines, the table and the CSV */
	const char *engine; /* "soft" or "kvm" */
	bool pv;
	const char *hc; /* the way in for hypercalls: "vmcall" or "port" */
};

extern const struct bench_col_info bench_cols[BENCH_NR_COLS];

/* The guest's ops, in table order; pv_form: what mode=pv changes. */
struct bench_op_info {
	const char *name;
	const char *pv_form; /* "same", "MMU_BATCH of 1", ... */
	bool pv_only;	     /* no emulated form (hcnop) */
	bool macro;	     /* rounds from fwiters= */
	const char *what;    /* one line for the table's legend */
};

#define BENCH_NR_OPS 10
#define BENCH_MAX_REPEAT 15
extern const struct bench_op_info bench_ops[BENCH_NR_OPS];

/* One line of enginebench output. */
struct bench_sample {
	char op[16];
	char mode[8];
	bool na;
	char why[128]; /* na: the host limitation */
	uint64_t iters;
	uint64_t cycles;
	double ns;
	char via[16];
};

/*
 * Parse one line of guest output: 1 and *s filled for an "enginebench:
 * op=..." line, 0 for any other line, -EINVAL for an enginebench op line
 * that is malformed.
 */
int bench_sample_parse(const char *line, struct bench_sample *s) MUST_CHECK;

enum bench_cell_state {
	BENCH_CELL_EMPTY, /* not run: column skipped or not applicable */
	BENCH_CELL_OK,
	BENCH_CELL_NA,	   /* the host cannot run it (guest said n/a) */
	BENCH_CELL_FAILED, /* the guest failed a check, crashed, or said nothing */
};

struct bench_cell {
	enum bench_cell_state state;
	double ns;
	uint64_t cycles;
	uint64_t iters;
	char via[16];
	bool have_tlb; /* soft columns: per-round counters below are valid */
	double tlb_fills, tlb_flushes;
	unsigned runs;	/* timed runs taken; ns and cycles are their median */
	char note[320]; /* NA or FAILED: why */
};

struct bench_table {
	struct bench_cell cell[BENCH_NR_OPS][BENCH_NR_COLS];
	bool col_run[BENCH_NR_COLS];
	char col_skip[BENCH_NR_COLS][128]; /* why a wanted column did not run, "" otherwise */
	unsigned nr_failed;
};

struct bench_opts {
	const char *kernel; /* the test guest ELF */
	bool want[BENCH_NR_COLS];
	uint64_t iters_soft, iters_kvm; /* timed rounds per microbenchmark */
	uint64_t fwiters_soft, fwiters_kvm;
	unsigned repeat; /* timed runs per cell (median taken), >= 1 */
	FILE *progress;	 /* progress lines, or NULL */
};

/* Column names from a comma list ("soft,kvm"): 0, or -EINVAL naming the culprit. */
int bench_cols_parse(const char *list, bool want[BENCH_NR_COLS], struct verr *err) MUST_CHECK;

/* Run every wanted column; failures land in the table (nr_failed), not in the result. */
int bench_engines_run(const struct bench_opts *o, struct bench_table *t,
		      struct verr *err) MUST_CHECK;

/* report.c: the table as text; the CSV; the gnuplot script (for the CSV beside it). */
void bench_table_print(const struct bench_table *t, FILE *f);
int bench_csv_write(const struct bench_table *t, const char *path, struct verr *err) MUST_CHECK;
int bench_gnuplot_write(const struct bench_table *t, const char *path, const char *csv_name,
			const char *svg_name, struct verr *err) MUST_CHECK;
/*
 * Run gnuplot on script in dir: 0; -ENOENT when gnuplot is not installed;
 * another -errno with err set when it ran and failed.
 */
int bench_gnuplot_run(const char *dir, const char *script, struct verr *err) MUST_CHECK;

#endif
