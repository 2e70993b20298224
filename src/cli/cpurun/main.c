/*
 * vessel-cpu-run: run a static x86-64 Linux program on vessel's software CPU
 * in ring 3, with its Linux system calls emulated (src/engine/soft/user/).
 * The exit status is the program's; a fault the program cannot survive ends
 * the runner with the same signal a native run would die of.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "engine/soft/cpu.h"
#include "engine/soft/user/umem.h"
#include "engine/soft/user/uproc.h"
#include "engine/soft/user/usys.h"

extern char **environ;

static void cpurun_usage(FILE *f)
{
	fprintf(f,
		"usage: vessel-cpu-run [--stats] [--strace] PROGRAM [ARGS...]\n"
		"Run a static x86-64 Linux ELF program (ET_EXEC or static-pie) on vessel's\n"
		"software CPU (the soft engine's interpreter) in ring 3, with its Linux system\n"
		"calls emulated or forwarded to the host. The environment is passed on.\n"
		"Dynamically linked programs, fork/exec/clone and signal delivery are not\n"
		"supported. Exit status: the program's; a fatal CPU exception ends the runner\n"
		"with the signal a native run would get (SIGSEGV, SIGILL, SIGFPE, ...).\n"
		"\n"
		"  --stats    print instructions executed, MIPS, system calls, TLB and\n"
		"             decoded-block cache figures to stderr at exit\n"
		"  --strace   print every system call and its result to stderr\n"
		"  --help     this text\n");
}

static void cpurun_notice(void *opaque, const char *msg)
{
	fprintf(stderr, "vessel-cpu-run: %s\n", msg);
}

static double cpurun_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void cpurun_stats(const struct uproc *p, double secs)
{
	const struct soft_cpu *c = p->cpu;
	const struct soft_stats *s = &c->stats;

	fprintf(stderr, "vessel-cpu-run: stats: instructions %" PRIu64 "\n", c->insns_retired);
	fprintf(stderr, "vessel-cpu-run: stats: seconds %.3f\n", secs);
	fprintf(stderr, "vessel-cpu-run: stats: MIPS %.1f\n",
		secs > 0 ? (double)c->insns_retired / secs / 1e6 : 0.0);
	fprintf(stderr, "vessel-cpu-run: stats: syscalls %" PRIu64 " (unimplemented %" PRIu64 ")\n",
		p->syscalls, p->unknown_syscalls);
	fprintf(stderr, "vessel-cpu-run: stats: tlb fills %" PRIu64 " flushes %" PRIu64
			" page flushes %" PRIu64 "\n",
		s->tlb_fills, s->tlb_flushes, s->tlb_page_flushes);
	fprintf(stderr, "vessel-cpu-run: stats: blocks decoded %" PRIu64 " insns decoded %" PRIu64
			" block lookups %" PRIu64 " jump cache hits %" PRIu64 "\n",
		s->blocks_decoded, s->insns_decoded, s->block_lookups, s->jump_cache_hits);
	fprintf(stderr, "vessel-cpu-run: stats: smc invalidations %" PRIu64 " exceptions %" PRIu64
			" mapped pages %" PRIu64 "\n",
		s->smc_invalidations, s->exceptions, p->mem->mapped_pages);
	for (unsigned nr = 0; nr < UPROC_SYSCALLS; nr++) {
		const char *name = usys_name(nr);

		if (p->syscall_count[nr])
			fprintf(stderr, "vessel-cpu-run: stats: syscall %s(%u) %" PRIu32 "\n",
				name ? name : "unimplemented", nr, p->syscall_count[nr]);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "strace", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uproc_config cfg = { .notice = cpurun_notice };
	struct uproc_result res;
	struct verr err = { 0 };
	struct uproc *p = NULL;
	bool stats = false;
	double t0;
	int c;

	/* "+": options end at PROGRAM; the rest are the program's arguments. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 's': stats = true; break;
		case 't': cfg.strace = true; break;
		case 'h': cpurun_usage(stdout); return 0;
		default: cpurun_usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		cpurun_usage(stderr);
		return 2;
	}
	cfg.path = argv[optind];
	cfg.argv = (const char *const *)&argv[optind];
	cfg.envp = (const char *const *)environ;
	if (uproc_create(&cfg, &p, &err)) {
		fprintf(stderr, "vessel-cpu-run: %s\n", err.msg);
		return 126;
	}
	/* The program owns stdout from here: flush ours so output order matches a native run. */
	fflush(stdout);
	t0 = cpurun_now();
	if (uproc_run(p, &res, &err)) {
		fprintf(stderr, "vessel-cpu-run: %s: %s\n", cfg.path, err.msg);
		if (stats)
			cpurun_stats(p, cpurun_now() - t0);
		uproc_destroy(p);
		return 125;
	}
	if (stats)
		cpurun_stats(p, cpurun_now() - t0);
	uproc_destroy(p);
	if (res.signaled) {
		fprintf(stderr, "vessel-cpu-run: %s: %s: killed by SIG%s\n", cfg.path, res.msg,
			sigabbrev_np(res.signo) ? sigabbrev_np(res.signo) : "?");
		/* End the way a native run would (the shell sees the same status). */
		signal(res.signo, SIG_DFL);
		raise(res.signo);
		return 128 + res.signo;
	}
	return res.status;
}
