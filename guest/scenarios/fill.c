/*
 * fill: fill fill_mib= MiB (default 16) of ring-3 memory with a fixed
 * pattern, hold it hold_s= seconds (default 0) while the vCPU idles, then
 * verify every word. Every page holds the same bytes, so the host can merge
 * them (KSM, page sharing); the verification catches any corruption from
 * merging, unmerging, ballooning or swapping. Progress lines let a harness
 * act while the guest holds: "fill: filled", "fill: holding", "fill: verified".
 * balloon=1: while holding, the virtio balloon follows the host's target
 * (guest/virtio/balloon.h); its pool is the RAM left after the fill buffer
 * is mapped, so ballooning never touches the buffer the verify checks.
 * rewrite=1: after the verify, write a different word into every page
 * (unique per page: the host must break every share, copy on write) and
 * verify again: data written after merging survives too.
 */
#include "arch.h"
#include "console.h"
#include "guest.h"
#include "lib.h"
#include "paging.h"
#include "scenario.h"
#include "syscall.h"
#include "task.h"
#include "ticker.h"
#include "virtio/balloon.h"

#define FILL_BASE (USER_REGION_BASE + (1ul << 30))
#define FILL_PATTERN 0x5aa5c33c0ff0e11eul
#define FILL_HZ 100
#define FILL_BALLOON_EVERY 10 /* ticks between two balloon steps */
#define FILL_BALLOON_KEEP (4ul << 20)

struct fill_args {
	uint64_t base;
	uint64_t bytes;
	uint64_t first_bad; /* address of the first mismatch (verify) */
	uint64_t salt;      /* 0: the same bytes in every page; else unique per page */
};

static struct fill_args fill_args __user_data;

/* salt 0: the same for every page, identical pages for the host to merge. */
static __user_text uint64_t fill_word(uint64_t addr, uint64_t salt)
{
	return FILL_PATTERN ^ (addr & 0xfff) ^ ((addr >> 12) * salt);
}

static __user_text void fill_task(uint64_t arg)
{
	const struct fill_args *a = (const struct fill_args *)arg;

	for (uint64_t p = a->base; p < a->base + a->bytes; p += 8)
		*(volatile uint64_t *)p = fill_word(p, a->salt);
	u_exit(0);
}

static __user_text void verify_task(uint64_t arg)
{
	struct fill_args *a = (struct fill_args *)arg;
	uint64_t bad = 0;

	a->first_bad = 0;
	for (uint64_t p = a->base; p < a->base + a->bytes; p += 8)
		if (*(volatile uint64_t *)p != fill_word(p, a->salt)) {
			if (!bad)
				a->first_bad = p;
			bad++;
		}
	u_exit(bad);
}

static int fill_map(uint64_t bytes)
{
	for (uint64_t off = 0; off < bytes; off += HUGE_PAGE_SIZE) {
		uint64_t pa = frame_alloc_2m();

		if (!pa || paging_map_2m(FILL_BASE + off, pa, PTE_W | PTE_U) < 0) {
			kprintf("testguest: fill: out of guest RAM after %lu MiB\n", off >> 20);
			return -1;
		}
	}
	return 0;
}

static int fill_memory(void)
{
	struct task t = {.entry = fill_task, .arg = (uint64_t)&fill_args};

	if (task_run(&t) < 0) {
		kprintf("testguest: fill: fill task killed by vector %lu at 0x%lx cr2 0x%lx\n",
			t.fault.vector, t.fault.rip, t.fault.cr2);
		return -1;
	}
	return 0;
}

/* Runs the verify task; returns the number of bad words, or -1 when it was killed. */
static int64_t fill_verify(const struct ticker *tk, uint64_t mib)
{
	struct task t = {.entry = verify_task, .arg = (uint64_t)&fill_args};
	uint64_t t0 = rdtsc();

	if (task_run(&t) < 0) {
		kprintf("testguest: fill: verify task killed by vector %lu at 0x%lx cr2 0x%lx\n",
			t.fault.vector, t.fault.rip, t.fault.cr2);
		return -1;
	}
	kprintf("testguest: fill: verified %lu MiB in %lu ms, %lu bad words\n", mib,
		muldiv64(rdtsc() - t0, 1000, tk->calib.tsc_hz), t.exit_code);
	if (t.exit_code)
		kprintf("testguest: fill: first bad word at 0x%lx\n", fill_args.first_bad);
	return (int64_t)t.exit_code;
}

static int fill_run(const struct guest *g)
{
	static struct ticker tk;
	static struct vio_balloon vb;
	struct vio_balloon *b = NULL;
	uint64_t mib, hold, t0, balloon, rewrite;

	if (guest_arg_u64(g, "fill_mib", 16, 1, 1ul << 20, &mib) < 0 ||
	    guest_arg_u64(g, "hold_s", 0, 0, 1ul << 32, &hold) < 0 ||
	    guest_arg_u64(g, "balloon", 0, 0, 1, &balloon) < 0 ||
	    guest_arg_u64(g, "rewrite", 0, 0, 1, &rewrite) < 0)
		return GUEST_EXIT_USAGE;
	if (mib << 20 > frame_free_2m_bytes()) {
		kprintf("testguest: fill: fill_mib=%lu but only %lu MiB free in 2 MiB frames\n",
			mib, frame_free_2m_bytes() >> 20);
		return GUEST_EXIT_USAGE;
	}
	if (ticker_start(&tk, FILL_HZ) < 0)
		return GUEST_EXIT_FAIL;
	fill_args =
		(struct fill_args){.base = FILL_BASE, .bytes = ALIGN_UP(mib << 20, HUGE_PAGE_SIZE)};
	if (fill_map(fill_args.bytes) < 0)
		return GUEST_EXIT_USAGE; /* page tables took the last 2 MiB frames: fill_mib too
					    large */
	t0 = rdtsc();
	if (fill_memory() < 0)
		return GUEST_EXIT_FAIL;
	kprintf("testguest: fill: filled %lu MiB in %lu ms\n", mib,
		muldiv64(rdtsc() - t0, 1000, tk.calib.tsc_hz));
	if (balloon) {
		b = &vb;
		if (vio_balloon_start(b, g->boot->mem_bytes, FILL_BALLOON_KEEP) < 0)
			return GUEST_EXIT_FAIL;
	}
	if (hold) {
		kprintf("testguest: fill: holding %lu s\n", hold);
		if (vio_balloon_sleep(b, &tk, hold * FILL_HZ, FILL_BALLOON_EVERY) < 0)
			return GUEST_EXIT_FAIL;
	}
	ticker_stop(&tk);
	if (fill_verify(&tk, mib) != 0)
		return GUEST_EXIT_FAIL;
	if (rewrite) {
		fill_args.salt = 0x9e3779b97f4a7c15ul;
		t0 = rdtsc();
		if (fill_memory() < 0)
			return GUEST_EXIT_FAIL;
		kprintf("testguest: fill: rewrote %lu MiB in %lu ms\n", mib,
			muldiv64(rdtsc() - t0, 1000, tk.calib.tsc_hz));
		if (fill_verify(&tk, mib) != 0)
			return GUEST_EXIT_FAIL;
	}
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_fill = {
	.name = "fill",
	.summary = "fills fill_mib=N MiB with a fixed pattern, idles hold_s=S s, verifies (rewrite=1: again with a new one)",
	.run = fill_run,
};
