/*
 * enginebench ops whose timed loop runs in ring 3, as a user process would
 * run it: SYSCALL/SYSRET round trips, call/ret, page faults and
 * divide-by-zero exceptions that the kernel handles. Timing is done in
 * ring 3 too (RDTSC is allowed there: CR4.TSD is clear); the kernel side
 * counts what it handled, and the op fails unless every round arrived.
 */
#include "arch.h"
#include "bench_ops.h"
#include "bench_pt.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "paging.h"
#include "syscall.h"
#include "syscall_msr.h"
#include "task.h"
#include "trap.h"

enum bu_op { BU_SYSCALL, BU_CALLRET, BU_TOUCH, BU_DIVZERO };

/* What the ring-3 loop does and what it measured; shared with the kernel. */
struct bu_job {
	uint64_t op;
	uint64_t n, warm;
	uint64_t t_op, t_empty;
	uint64_t page_a, page_b; /* BU_TOUCH: the two pages touched in turn */
};

static struct bu_job bu_job __user_data;

/* The page-fault op's two pages, in a part of the user region no other op uses. */
#define BU_PF_BASE (USER_REGION_BASE + (3ul << 30))

static __user_text __attribute__((noipa)) void bu_callee(void)
{
	__asm__ volatile("");
}

/* One loop per op, so each timed loop holds nothing but the op and the loop itself. */
static __user_text void bu_loop_syscall(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t a = 0;

		/* syscall_entry (entry.S) keeps every register but RAX, RCX, R11. */
		__asm__ volatile("syscall" : "+a"(a) : : "rcx", "r11", "memory");
	}
}

static __user_text void bu_loop_callret(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bu_callee();
}

static __user_text void bu_loop_touch(uint64_t n, uint64_t a, uint64_t b)
{
	for (uint64_t i = 0; i < n; i++)
		(void)*(volatile uint64_t *)(i & 1 ? a : b);
}

static __user_text void bu_loop_divzero(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint32_t lo = 1, hi = 0, zero = 0;

		/* divl %ecx is F7 F1: the #DE handler checks those bytes and skips them. */
		__asm__ volatile("divl %2" : "+a"(lo), "+d"(hi) : "c"(zero));
	}
}

static __user_text void bu_loop(uint64_t op, uint64_t n, const struct bu_job *j)
{
	if (op == BU_SYSCALL)
		bu_loop_syscall(n);
	else if (op == BU_CALLRET)
		bu_loop_callret(n);
	else if (op == BU_TOUCH)
		bu_loop_touch(n, j->page_a, j->page_b);
	else
		bu_loop_divzero(n);
}

static __user_text void bu_empty(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		__asm__ volatile("" : : : "memory");
}

/* The task: warm up, time the empty loop, time the op. */
static __user_text void bu_task(uint64_t arg)
{
	struct bu_job *j = (struct bu_job *)arg;
	uint64_t t0;

	bu_loop(j->op, j->warm, j);
	bu_empty(j->warm); /* the empty loop's code is decoded and cached too (soft) */
	t0 = rdtsc();
	bu_empty(j->n);
	j->t_empty = rdtsc() - t0;
	t0 = rdtsc();
	bu_loop(j->op, j->n, j);
	j->t_op = rdtsc() - t0;
	u_exit(0);
}

static int bu_run(const struct bench_cfg *c, uint64_t op, struct task *t, struct bench_result *r)
{
	bu_job.op = op;
	bu_job.n = c->n;
	bu_job.warm = c->warm;
	t->entry = bu_task;
	t->arg = (uint64_t)&bu_job;
	if (task_run(t) < 0)
		return -1;
	r->n = c->n;
	r->t_op = bu_job.t_op;
	r->t_empty = bu_job.t_empty;
	return 0;
}

static int bu_expect(const char *op, uint64_t got, uint64_t want)
{
	if (got == want)
		return 0;
	kprintf("testguest: enginebench: %s: kernel handled %lu rounds, want %lu\n", op, got, want);
	return -1;
}

static void bu_killed(const char *op, const struct task *t)
{
	kprintf("testguest: enginebench: %s: task killed by vector %lu err 0x%lx at 0x%lx cr2 "
		"0x%lx\n",
		op, t->fault.vector, t->fault.error_code, t->fault.rip, t->fault.cr2);
}

static void bu_syscall_nop(struct syscall_regs *regs, void *ctx)
{
	(void)regs;
	(*(uint64_t *)ctx)++;
}

enum bench_status bench_syscall(const struct bench_cfg *c, struct bench_result *r)
{
	struct task t = {.entry = 0};
	uint64_t count = 0;
	int ret;

	r->via = "trap";
	syscall_msr_enable(bu_syscall_nop, &count);
	ret = bu_run(c, BU_SYSCALL, &t, r);
	syscall_msr_disable();
	if (ret < 0) {
		/* The host quirk the syscall scenario reports (DESIGN.md): same detection. */
		if ((t.fault.vector == VEC_UD && t.fault.rip == (uint64_t)syscall_entry_cpl3) ||
		    (t.fault.vector == VEC_PF && t.fault.rip == (uint64_t)syscall_entry_probe &&
		     (t.fault.error_code & PF_USER))) {
			r->why = "SYSCALL from ring 3 does not reach CPL 0 on this host";
			return BENCH_NA;
		}
		bu_killed("syscall", &t);
		return BENCH_FAIL;
	}
	return bu_expect("syscall", count, c->warm + c->n) ? BENCH_FAIL : BENCH_OK;
}

enum bench_status bench_callret(const struct bench_cfg *c, struct bench_result *r)
{
	struct task t = {.entry = 0};

	r->via = "native";
	if (bu_run(c, BU_CALLRET, &t, r) < 0) {
		bu_killed("callret", &t);
		return BENCH_FAIL;
	}
	return BENCH_OK;
}

struct bu_touch {
	uint64_t *pte_a, *pte_b;
	uint64_t frame;
	uint64_t faults;
};

/* Not-present fault on one of the two pages: map it, unmap the other. */
static int bu_touch_fault(struct trap_frame *f, void *ctx)
{
	struct bu_touch *s = ctx;
	uint64_t page = read_cr2() & ~(PAGE_SIZE - 1);
	uint64_t *in, *out;

	if (!trap_from_user(f) || (f->error_code & PF_PRESENT))
		return -1;
	if (page == bu_job.page_a) {
		in = s->pte_a;
		out = s->pte_b;
	} else if (page == bu_job.page_b) {
		in = s->pte_b;
		out = s->pte_a;
	} else {
		return -1;
	}
	*in = s->frame | PTE_P | PTE_U;
	*out = 0;
	invlpg(page == bu_job.page_a ? bu_job.page_b : bu_job.page_a);
	s->faults++;
	return 0;
}

enum bench_status bench_pagefault(const struct bench_cfg *c, struct bench_result *r)
{
	struct bu_touch s = {.frame = frame_alloc()};
	struct task t = {.entry = 0};
	struct bench_cfg even;
	uint64_t cr3 = read_cr3() & PTE_ADDR;
	int ret;

	r->via = "trap";
	bu_job.page_a = BU_PF_BASE;
	bu_job.page_b = BU_PF_BASE + PAGE_SIZE;
	s.pte_a = bench_pte(cr3, bu_job.page_a, 1);
	s.pte_b = bench_pte(cr3, bu_job.page_b, 1);
	if (!s.frame || !s.pte_a || !s.pte_b) {
		kprintf("testguest: enginebench: pagefault: out of guest RAM\n");
		return BENCH_FAIL;
	}
	/* Page A mapped, B not: the loop touches B first, then A, B, ...: each touch faults. */
	*s.pte_a = s.frame | PTE_P | PTE_U;
	*s.pte_b = 0;
	invlpg(bu_job.page_b);
	/*
	 * The loops touch B on even rounds, A on odd ones: an even warm-up ends
	 * on A, so the timed loop's first touch (B) faults like every other.
	 */
	even = *c;
	even.warm += even.warm & 1;
	trap_register(VEC_PF, bu_touch_fault, &s);
	ret = bu_run(&even, BU_TOUCH, &t, r);
	trap_unregister(VEC_PF);
	*s.pte_a = 0;
	*s.pte_b = 0;
	invlpg(bu_job.page_a);
	invlpg(bu_job.page_b);
	if (ret < 0) {
		bu_killed("pagefault", &t);
		return BENCH_FAIL;
	}
	return bu_expect("pagefault", s.faults, even.warm + even.n) ? BENCH_FAIL : BENCH_OK;
}

/* #DE from the loop's divl %ecx: skip the two-byte instruction. */
static int bu_divzero_fault(struct trap_frame *f, void *ctx)
{
	const uint8_t *ip = (const uint8_t *)f->rip;

	if (!trap_from_user(f) || f->rip < (uint64_t)__user_start ||
	    f->rip + 2 > (uint64_t)__user_text_end || ip[0] != 0xf7 || ip[1] != 0xf1)
		return -1;
	f->rip += 2;
	(*(uint64_t *)ctx)++;
	return 0;
}

enum bench_status bench_divzero(const struct bench_cfg *c, struct bench_result *r)
{
	struct task t = {.entry = 0};
	uint64_t count = 0;
	int ret;

	r->via = "trap";
	trap_register(0, bu_divzero_fault, &count);
	ret = bu_run(c, BU_DIVZERO, &t, r);
	trap_unregister(0);
	if (ret < 0) {
		bu_killed("divzero", &t);
		return BENCH_FAIL;
	}
	return bu_expect("divzero", count, c->warm + c->n) ? BENCH_FAIL : BENCH_OK;
}
