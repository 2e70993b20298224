/*
 * user: a compute loop in ring 3 whose result the kernel verifies.
 *
 * The task steps a 64-bit LCG x' = a*x + c for `iters` iterations (default
 * 20 million, runs natively in ring 3) and sums the states. The kernel checks
 * both numbers with a jump-ahead: (x, s, 1) -> M (x, s, 1) with
 * M = [[a 0 c] [1 1 0] [0 0 1]], so M^iters in O(log iters) 3x3 products,
 * cheap enough for the emulated ring 0. The seed comes from the TSC.
 */
#include "arch.h"
#include "console.h"
#include "guest.h"
#include "scenario.h"
#include "syscall.h"
#include "task.h"

#define LCG_A 6364136223846793005ul /* Knuth's MMIX constants */
#define LCG_C 1442695040888963407ul

struct user_result {
	uint64_t x, sum, cycles, cpl;
	int reported;
};

static __user_text void user_task(uint64_t arg)
{
	uint64_t iters = arg, x, s = 0, t0, t1;

	x = u_syscall(SYS_SCENARIO, 0, 0, 0); /* op 0: the seed */
	t0 = rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		s += x;
		x = x * LCG_A + LCG_C;
	}
	t1 = rdtsc();
	u_syscall(SYS_SCENARIO, 1, x, s); /* op 1: the results */
	u_exit(t1 - t0);
}

static uint64_t user_call(struct trap_frame *f, void *ctx)
{
	struct user_result *r = ctx;

	if (f->rdi == 0)
		return r->x; /* the seed */
	r->x = f->rsi;
	r->sum = f->rdx;
	r->cpl = f->cs & 3;
	r->reported = 1;
	return 0;
}

static void mat_mul(uint64_t out[3][3], const uint64_t a[3][3], const uint64_t b[3][3])
{
	uint64_t t[3][3];

	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			t[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			out[i][j] = t[i][j];
}

/* (x_n, sum of x_0..x_{n-1}) by jump-ahead. */
static void lcg_jump(uint64_t seed, uint64_t n, uint64_t *x, uint64_t *sum)
{
	uint64_t p[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
	uint64_t m[3][3] = {{LCG_A, 0, LCG_C}, {1, 1, 0}, {0, 0, 1}};

	for (; n; n >>= 1) {
		if (n & 1)
			mat_mul(p, p, m);
		mat_mul(m, m, m);
	}
	*x = p[0][0] * seed + p[0][2];
	*sum = p[1][0] * seed + p[1][2];
}

static int user_run(const struct guest *g)
{
	struct user_result r = {.x = rdtsc() * 0x9e3779b97f4a7c15ul, .reported = 0};
	uint64_t iters, seed = r.x, want_x, want_sum;
	struct task t = {.entry = user_task};

	if (guest_arg_u64(g, "iters", 20000000, 1, 1ul << 40, &iters) < 0)
		return GUEST_EXIT_USAGE;
	t.arg = iters;
	syscall_set_scenario(user_call, &r);
	if (task_run(&t) < 0) {
		kprintf("testguest: user task killed by vector %lu at 0x%lx\n", t.fault.vector,
			t.fault.rip);
		return GUEST_EXIT_FAIL;
	}
	syscall_set_scenario(0, 0);
	lcg_jump(seed, iters, &want_x, &want_sum);
	kprintf("testguest: user: seed 0x%lx, %lu iterations in %lu TSC cycles (%lu.%02lu "
		"cycles/iter)\n",
		seed, iters, t.exit_code, t.exit_code / iters, t.exit_code * 100 / iters % 100);
	if (!r.reported || r.cpl != 3) {
		kprintf("testguest: user: result %sreported, from CPL %lu (want 3)\n",
			r.reported ? "" : "not ", r.cpl);
		return GUEST_EXIT_FAIL;
	}
	if (r.x != want_x || r.sum != want_sum) {
		kprintf("testguest: user: checksum mismatch: ring 3 got x=0x%lx sum=0x%lx, "
			"want x=0x%lx sum=0x%lx\n",
			r.x, r.sum, want_x, want_sum);
		return GUEST_EXIT_FAIL;
	}
	kprintf("testguest: user: checksum x=0x%lx sum=0x%lx verified\n", r.x, r.sum);
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_user = {
	.name = "user",
	.summary = "ring-3 compute loop, checksum verified by jump-ahead (iters=N)",
	.run = user_run,
};
