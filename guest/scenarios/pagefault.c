/*
 * pagefault: ring-3 memory mapped on demand, and protection enforced.
 *
 * 1. A task writes a pattern into `pages` pages (default 64) of an unmapped
 *    user range, then reads everything back, including bytes it never wrote
 *    (must be zero). The kernel maps a zeroed frame on each not-present
 *    fault: exactly one fault per page, first fault at the first address
 *    touched, frames taken from the allocator match pages + page tables.
 * 2. Tasks that touch kernel memory, write read-only user text, or touch an
 *    unmapped address outside the demand range must each be killed by #PF
 *    with the right error code and CR2.
 */
#include "arch.h"
#include "console.h"
#include "guest.h"
#include "desc.h"
#include "paging.h"
#include "scenario.h"
#include "syscall.h"
#include "task.h"
#include "trap.h"

#define PF_BASE USER_REGION_BASE
#define PF_FIRST_OFFSET 0x18 /* first touch is not page-aligned: CR2 must be exact */

/* Pattern word for page i at byte offset off. */
static __user_text uint64_t pf_pattern(uint64_t i, uint64_t off)
{
	return (PF_BASE + i * 4096 + off) * 0x9e3779b97f4a7c15ul ^ i;
}

static __user_text void pf_fill_task(uint64_t pages)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < pages; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(PF_BASE + i * 4096);

		p[PF_FIRST_OFFSET / 8] = pf_pattern(i, PF_FIRST_OFFSET);
		p[511] = pf_pattern(i, 4088);
	}
	for (uint64_t i = 0; i < pages; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(PF_BASE + i * 4096);

		bad += p[PF_FIRST_OFFSET / 8] != pf_pattern(i, PF_FIRST_OFFSET);
		bad += p[511] != pf_pattern(i, 4088);
		bad += p[256] != 0; /* never written: must read as zero */
	}
	u_exit(bad);
}

static __user_text void pf_poke_task(uint64_t addr)
{
	*(volatile uint64_t *)addr = 1;
	u_exit(0); /* not reached if the store faults */
}

static __user_text void pf_peek_task(uint64_t addr)
{
	u_exit(*(volatile uint64_t *)addr);
}

/* Run entry(addr), expect it killed by #PF with error code `err` at addr. */
static int pf_expect_kill(const char *what, void (*entry)(uint64_t), uint64_t addr, uint64_t err)
{
	struct task t = {.entry = entry, .arg = addr};

	if (task_run(&t) == 0) {
		kprintf("testguest: pagefault: %s at 0x%lx did not fault (exit %lu)\n", what, addr,
			t.exit_code);
		return -1;
	}
	if (t.fault.vector != VEC_PF || t.fault.cr2 != addr || (t.fault.error_code & 0x1f) != err) {
		kprintf("testguest: pagefault: %s at 0x%lx: vector %lu err 0x%lx cr2 0x%lx, "
			"want #PF err 0x%lx\n",
			what, addr, t.fault.vector, t.fault.error_code, t.fault.cr2, err);
		return -1;
	}
	kprintf("testguest: pagefault: %s killed the task (#PF err 0x%lx)\n", what,
		t.fault.error_code);
	return 0;
}

static int pf_run(const struct guest *g)
{
	struct demand_region r = {.base = PF_BASE};
	struct task t = {.entry = pf_fill_task};
	uint64_t pages, free0, used, want_used, t0, cycles;
	static uint64_t kernel_word = 0x5a5a;
	int ret;

	if (guest_arg_u64(g, "pages", 64, 1, 4096, &pages) < 0)
		return GUEST_EXIT_USAGE;
	r.size = pages * PAGE_SIZE;
	t.arg = pages;
	free0 = frame_free_bytes();
	demand_region_install(&r);
	t0 = rdtsc();
	ret = task_run(&t);
	cycles = rdtsc() - t0;
	demand_region_remove();
	if (ret < 0) {
		kprintf("testguest: pagefault: task killed by vector %lu err 0x%lx at rip 0x%lx "
			"cr2 0x%lx\n",
			t.fault.vector, t.fault.error_code, t.fault.rip, t.fault.cr2);
		return GUEST_EXIT_FAIL;
	}
	used = (free0 - frame_free_bytes()) / PAGE_SIZE;
	/* One PDPT and one PD for the region, one PT per 512 pages, one frame per page. */
	want_used = pages + 2 + (pages + 511) / 512;
	kprintf("testguest: pagefault: %lu pages, %lu faults, %lu frames, %lu pattern errors, "
		"%lu TSC cycles per page\n",
		pages, r.faults, used, t.exit_code, cycles / pages);
	if (t.exit_code != 0 || r.faults != pages || r.first_cr2 != PF_BASE + PF_FIRST_OFFSET ||
	    used != want_used) {
		kprintf("testguest: pagefault: want 0 errors, %lu faults, first at 0x%lx (got "
			"0x%lx), "
			"%lu frames\n",
			pages, PF_BASE + PF_FIRST_OFFSET, r.first_cr2, want_used);
		return GUEST_EXIT_FAIL;
	}
	if (pf_expect_kill("read of kernel data", pf_peek_task, (uint64_t)&kernel_word,
			   PF_USER | PF_PRESENT) < 0 ||
	    pf_expect_kill("write to user text", pf_poke_task, (uint64_t)pf_fill_task,
			   PF_USER | PF_PRESENT | PF_WRITE) < 0 ||
	    pf_expect_kill("write past the demand range", pf_poke_task, PF_BASE + r.size,
			   PF_USER | PF_WRITE) < 0)
		return GUEST_EXIT_FAIL;
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_pagefault = {
	.name = "pagefault",
	.summary = "demand-maps pages from ring 3, checks faults and protection (pages=N)",
	.run = pf_run,
};
