/*
 * enginebench: the microbenchmarks of the software-vs-hardware
 * virtualization comparison (Adams & Agesen, ASPLOS 2006), for
 * `vessel bench engines` (src/bench/, docs/engines.md).
 *
 *   test=enginebench [mode=emul|pv] [hc=port|vmcall] [op=NAME|all] [iters=N]
 *                    [warm=N] [fwiters=N] [pages=N] [writes=N] [calibrate=0|1]
 * calibrate=0 skips the TSC calibration (ns then print as 0): the host's
 * counter runs use it, so that their work outside the ops is the same
 * from run to run (the calibration polls the PIT for a fixed time, a
 * varying number of instructions).
 * iters: timed rounds of each microbenchmark (default 1000), after warm
 * untimed ones (default iters/10); fwiters: timed forkwait rounds (default
 * iters/100, at least 2; one untimed round first); pages/writes: forkwait's
 * parent pages (32) and pages the child writes (4).
 *
 * Prints one line per op:
 *   enginebench: op=NAME mode=MODE iters=N cycles=C ns=X via=trap|hypercall|native
 * (X with two decimals; cycles and ns per round after subtracting an empty
 * loop; the TSC rate is calibrated against the PIT), or
 *   enginebench: op=NAME mode=MODE n/a: WHY
 * where this host cannot run the op (SYSCALL under our machines' /dev/kvm).
 * In mode=pv, ptemod, cr3 and forkwait use VESSEL_HC_MMU_BATCH and hcnop
 * times VESSEL_HC_NOP; the other ops run the same instructions as in
 * mode=emul. Every hypercall's result is checked: a wrong one fails the run.
 * With op=NAME alone, an op the host cannot run ends with exit 77.
 */
#include "arch.h"
#include "bench_ops.h"
#include "console.h"
#include "guest.h"
#include "lib.h"
#include "scenario.h"
#include "timer.h"

struct eb_op {
	const char *name;
	enum bench_status (*fn)(const struct bench_cfg *c, struct bench_result *r);
	int pv_only; /* meaningless without hypercalls */
	int macro;   /* rounds from fwiters= rather than iters= */
};

static const struct eb_op eb_ops[] = {
	{"syscall", bench_syscall, 0, 0},
	{"in", bench_in, 0, 0},
	{"cr8", bench_cr8, 0, 0},
	{"callret", bench_callret, 0, 0},
	{"pagefault", bench_pagefault, 0, 0},
	{"divzero", bench_divzero, 0, 0},
	{"ptemod", bench_ptemod, 0, 0},
	{"cr3", bench_cr3, 0, 0},
	{"hcnop", bench_hcnop, 1, 0},
	{"forkwait", bench_forkwait, 0, 1},
};

static int eb_word(const char *v, size_t len, const char *want)
{
	return v && len == strlen(want) && memcmp(v, want, len) == 0;
}

static int eb_args(const struct guest *g, struct bench_cfg *c, struct bench_cfg *fw)
{
	size_t len;
	const char *v;
	uint64_t fwdef;

	*c = (struct bench_cfg){.pv = 0, .hc = BENCH_HC_PORT};
	v = guest_arg(g, "mode", &len);
	if (v && !eb_word(v, len, "emul") && !eb_word(v, len, "pv"))
		goto bad;
	c->pv = eb_word(v, len, "pv");
	v = guest_arg(g, "hc", &len);
	if (v && !eb_word(v, len, "port") && !eb_word(v, len, "vmcall"))
		goto bad;
	if (eb_word(v, len, "vmcall"))
		c->hc = BENCH_HC_VMCALL;
	if (guest_arg_u64(g, "iters", 1000, 1, 10000000, &c->n) < 0)
		return -1;
	if (guest_arg_u64(g, "warm", c->n / 10 ? c->n / 10 : 1, 1, 10000000, &c->warm) < 0)
		return -1;
	*fw = *c;
	fwdef = c->n / 100 ? c->n / 100 : 2;
	if (guest_arg_u64(g, "fwiters", fwdef, 1, 100000, &fw->n) < 0 ||
	    guest_arg_u64(g, "pages", 32, 1, 254, &fw->pages) < 0 ||
	    guest_arg_u64(g, "writes", 4, 1, 60, &fw->writes) < 0)
		return -1;
	fw->warm = 1;
	return 0;
bad:
	kprintf("testguest: enginebench: want mode=emul|pv hc=port|vmcall\n");
	return -1;
}

/* Cycles * 100 per round, after the empty loop. */
static uint64_t eb_cycles100(const struct bench_result *r)
{
	uint64_t d = r->t_op > r->t_empty ? r->t_op - r->t_empty : 0;

	return r->n ? muldiv64(d, 100, r->n) : 0;
}

static int eb_one(const struct eb_op *op, const struct bench_cfg *c, uint64_t tsc_hz, int alone)
{
	struct bench_result r = {.n = 0};
	const char *mode = c->pv ? "pv" : "emul";
	enum bench_status st = op->fn(c, &r);
	uint64_t c100, ns100;

	if (st == BENCH_NA) {
		kprintf("enginebench: op=%s mode=%s n/a: %s\n", op->name, mode, r.why);
		if (alone)
			guest_host_limit(r.why);
		return 0;
	}
	if (st != BENCH_OK) {
		kprintf("testguest: enginebench: op=%s mode=%s FAILED\n", op->name, mode);
		return -1;
	}
	c100 = eb_cycles100(&r);
	ns100 = tsc_hz ? muldiv64(c100, 1000000000ul, tsc_hz) : 0;
	kprintf("enginebench: op=%s mode=%s iters=%lu cycles=%lu ns=%lu.%02lu via=%s\n", op->name,
		mode, r.n, (c100 + 50) / 100, ns100 / 100, ns100 % 100, r.via);
	return 0;
}

static int enginebench_run(const struct guest *g)
{
	struct bench_cfg c, fw;
	struct time_calib cal;
	const char *want;
	size_t len;
	int fails = 0, ran = 0;
	uint64_t calibrate;

	if (eb_args(g, &c, &fw) < 0)
		return GUEST_EXIT_USAGE;
	want = guest_arg(g, "op", &len);
	if (eb_word(want, len, "all"))
		want = 0;
	if (guest_arg_u64(g, "calibrate", 1, 0, 1, &calibrate) < 0)
		return GUEST_EXIT_USAGE;
	cal.tsc_hz = 0;
	if (calibrate && (time_calibrate(&cal) < 0 || cal.tsc_hz == 0))
		return GUEST_EXIT_FAIL;
	kprintf("enginebench: tsc_hz=%lu mode=%s hc=%s\n", cal.tsc_hz, c.pv ? "pv" : "emul",
		c.hc == BENCH_HC_VMCALL ? "vmcall" : "port");
	for (size_t i = 0; i < ARRAY_SIZE(eb_ops); i++) {
		const struct eb_op *op = &eb_ops[i];

		if (want && !eb_word(want, len, op->name))
			continue;
		if (op->pv_only && !c.pv) {
			if (want) {
				kprintf("testguest: enginebench: op=%s needs mode=pv\n", op->name);
				return GUEST_EXIT_USAGE;
			}
			continue;
		}
		ran++;
		if (eb_one(op, op->macro ? &fw : &c, cal.tsc_hz, want != 0) < 0)
			fails++;
	}
	if (!ran) {
		kprintf("testguest: enginebench: no op named by op= (want all or one of:");
		for (size_t i = 0; i < ARRAY_SIZE(eb_ops); i++)
			kprintf(" %s", eb_ops[i].name);
		kprintf(")\n");
		return GUEST_EXIT_USAGE;
	}
	return fails ? GUEST_EXIT_FAIL : GUEST_EXIT_PASS;
}

const struct scenario scenario_enginebench = {
	.name = "enginebench",
	.summary = "the engine comparison microbenchmarks (mode=emul|pv hc=port|vmcall op= iters=)",
	.run = enginebench_run,
};
