/* The engine table as text, as CSV, and as a gnuplot bar chart (docs/engines.md). */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "bench/engines.h"

extern char **environ;

/* Column names in the CSV (no '+', friendlier to spreadsheet and gnuplot users). */
static const char *const csv_col[BENCH_NR_COLS] = {"soft", "soft_pv", "kvm", "kvm_pv"};

static const struct bench_cell *cell_ok(const struct bench_table *t, int i, int c)
{
	const struct bench_cell *cell = &t->cell[i][c];

	return cell->state == BENCH_CELL_OK ? cell : NULL;
}

static void print_ns(FILE *f, const struct bench_table *t, int i, int c)
{
	const struct bench_cell *cell = &t->cell[i][c];

	switch (cell->state) {
	case BENCH_CELL_OK: fprintf(f, " %10.2f", cell->ns); break;
	case BENCH_CELL_NA: fprintf(f, " %10s", "n/a"); break;
	case BENCH_CELL_FAILED: fprintf(f, " %10s", "FAILED"); break;
	case BENCH_CELL_EMPTY: fprintf(f, " %10s", t->col_run[c] ? "-" : "skipped"); break;
	}
}

static void print_ratio(FILE *f, const struct bench_table *t, int i, int num, int den)
{
	const struct bench_cell *a = cell_ok(t, i, num), *b = cell_ok(t, i, den);

	if (a && b && b->ns > 0)
		fprintf(f, " %9.2f", a->ns / b->ns);
	else
		fprintf(f, " %9s", "-");
}

void bench_table_print(const struct bench_table *t, FILE *f)
{
	fprintf(f, "ns per operation (lower is better); ratios of those times\n\n");
	fprintf(f, "%-10s %-19s", "op", "pv form");
	for (int c = 0; c < BENCH_NR_COLS; c++)
		fprintf(f, " %10s", bench_cols[c].name);
	fprintf(f, " %9s %9s %9s\n", "soft/kvm", "pv/soft", "pv/kvm");
	for (int i = 0; i < BENCH_NR_OPS; i++) {
		fprintf(f, "%-10s %-19s", bench_ops[i].name, bench_ops[i].pv_form);
		for (int c = 0; c < BENCH_NR_COLS; c++)
			print_ns(f, t, i, c);
		print_ratio(f, t, i, BENCH_COL_SOFT, BENCH_COL_KVM);
		print_ratio(f, t, i, BENCH_COL_SOFT_PV, BENCH_COL_SOFT);
		print_ratio(f, t, i, BENCH_COL_KVM_PV, BENCH_COL_KVM);
		fprintf(f, "\n");
	}
	fprintf(f, "\nsoft MMU (software TLB) per round: fills, flushes (full + single page)\n\n");
	fprintf(f, "%-10s %12s %12s %14s %14s\n", "op", "soft fills", "soft flushes",
		"soft+pv fills", "soft+pv flush");
	for (int i = 0; i < BENCH_NR_OPS; i++) {
		fprintf(f, "%-10s", bench_ops[i].name);
		for (int c = BENCH_COL_SOFT; c <= BENCH_COL_SOFT_PV; c++) {
			const struct bench_cell *cell = cell_ok(t, i, c);
			int w = c == BENCH_COL_SOFT ? 12 : 14;

			if (cell && cell->have_tlb)
				fprintf(f, " %*.2f %*.2f", w, cell->tlb_fills, w,
					cell->tlb_flushes);
			else
				fprintf(f, " %*s %*s", w, "-", w, "-");
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\n");
	for (int i = 0; i < BENCH_NR_OPS; i++)
		fprintf(f, "  %-10s %s\n", bench_ops[i].name, bench_ops[i].what);
	for (int c = 0; c < BENCH_NR_COLS; c++)
		if (t->col_skip[c][0])
			fprintf(f, "column %s skipped: %s\n", bench_cols[c].name, t->col_skip[c]);
	for (int i = 0; i < BENCH_NR_OPS; i++)
		for (int c = 0; c < BENCH_NR_COLS; c++) {
			const struct bench_cell *cell = &t->cell[i][c];

			if (cell->state == BENCH_CELL_NA || cell->state == BENCH_CELL_FAILED)
				fprintf(f, "%s on %s %s: %s\n", bench_ops[i].name,
					bench_cols[c].name,
					cell->state == BENCH_CELL_NA ? "n/a" : "FAILED",
					cell->note);
		}
}

static void csv_num(FILE *f, const struct bench_cell *cell, int what)
{
	if (!cell || (what >= 2 && !cell->have_tlb))
		fputs(",na", f);
	else if (what == 0)
		fprintf(f, ",%.2f", cell->ns);
	else if (what == 1)
		fprintf(f, ",%llu", (unsigned long long)cell->cycles);
	else
		fprintf(f, ",%.3f", what == 2 ? cell->tlb_fills : cell->tlb_flushes);
}

int bench_csv_write(const struct bench_table *t, const char *path, struct verr *err)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return verr_set(err, errno, "cannot write '%s': %s", path, strerror(errno));
	fputs("op,pv_form", f);
	for (int c = 0; c < BENCH_NR_COLS; c++)
		fprintf(f, ",%s_ns", csv_col[c]);
	for (int c = 0; c < BENCH_NR_COLS; c++)
		fprintf(f, ",%s_cycles", csv_col[c]);
	for (int c = BENCH_COL_SOFT; c <= BENCH_COL_SOFT_PV; c++)
		fprintf(f, ",%s_tlb_fills,%s_tlb_flushes", csv_col[c], csv_col[c]);
	fputs("\n", f);
	for (int i = 0; i < BENCH_NR_OPS; i++) {
		fprintf(f, "%s,%s", bench_ops[i].name, bench_ops[i].pv_form);
		for (int what = 0; what < 2; what++)
			for (int c = 0; c < BENCH_NR_COLS; c++)
				csv_num(f, cell_ok(t, i, c), what);
		for (int c = BENCH_COL_SOFT; c <= BENCH_COL_SOFT_PV; c++) {
			csv_num(f, cell_ok(t, i, c), 2);
			csv_num(f, cell_ok(t, i, c), 3);
		}
		fputs("\n", f);
	}
	if (fclose(f))
		return verr_set(err, errno, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int bench_gnuplot_write(const struct bench_table *t, const char *path, const char *csv_name,
			const char *svg_name, struct verr *err)
{
	FILE *f = fopen(path, "w");
	bool first = true;

	if (!f)
		return verr_set(err, errno, "cannot write '%s': %s", path, strerror(errno));
	fprintf(f,
		"# vessel bench engines: ns per operation on each engine (log scale).\n"
		"# Written by `vessel bench engines`; run from its directory: gnuplot %s\n"
		"set terminal svg size 960,540 dynamic font 'sans,12' background '#ffffff'\n"
		"set output '%s'\n"
		"set datafile separator ','\n"
		"set datafile missing 'na'\n"
		"set datafile columnheaders\n"
		"set title 'vessel: cost of one operation per engine (ns, log scale)'\n"
		"set style data histograms\n"
		"set style histogram clustered gap 1\n"
		"set style fill solid 0.85 border -1\n"
		"set boxwidth 0.9\n"
		"set logscale y\n"
		"set format y '10^{%%L}'\n"
		"set ylabel 'ns per operation'\n"
		"set grid ytics\n"
		"set key top left\n"
		"set xtics rotate by -30 nomirror\n"
		"plot",
		path, svg_name);
	for (int c = 0; c < BENCH_NR_COLS; c++) {
		if (!t->col_run[c])
			continue;
		/* Columns of the CSV: op, pv_form, then the ns columns in bench_cols order. */
		fprintf(f, "%s '%s' using %d:xtic(1) title '%s'", first ? "" : ",", csv_name, 3 + c,
			bench_cols[c].name);
		first = false;
	}
	if (first)
		fprintf(f, " 1 notitle");
	fprintf(f, "\n");
	if (fclose(f))
		return verr_set(err, errno, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int bench_gnuplot_run(const char *dir, const char *script, struct verr *err)
{
	char cd[4200];
	char *argv[] = {"gnuplot", "-e", cd, (char *)script, NULL};
	pid_t pid;
	int ret, status;

	if (strchr(dir, '\''))
		return verr_set(err, EINVAL, "output directory '%s': no quotes, please", dir);
	snprintf(cd, sizeof(cd), "cd '%s'", dir);
	ret = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (ret == ENOENT)
		return -ENOENT;
	if (ret)
		return verr_set(err, ret, "cannot run gnuplot: %s", strerror(ret));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return verr_set(err, errno, "waiting for gnuplot: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return verr_set(err, EIO, "gnuplot failed on %s/%s (status %d)", dir, script,
				status);
	return 0;
}
