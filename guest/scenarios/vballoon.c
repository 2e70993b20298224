/*
 * vballoon: virtio-balloon over virtio-mmio. Ring 3 fills mib=N MiB
 * (default 16) of 2 MiB pages with a nonzero pattern ("vballoon: filled",
 * then holds hold_s= s, default 1, so the host can read vessel's RSS),
 * the kernel inflates the balloon with every 4 KiB page of that memory
 * ("vballoon: inflated", holds again: the RSS must have dropped by about
 * N MiB), deflates it, and ring 3 checks that every word now reads zero
 * (the host gave the pages back, MADV_DONTNEED) and writes them again.
 */
#include "arch.h"
#include "console.h"
#include "lib.h"
#include "paging.h"
#include "scenario.h"
#include "syscall.h"
#include "task.h"
#include "ticker.h"
#include "virtio/virtio.h"

#define VB_BASE (USER_REGION_BASE + (2ul << 30))
#define VB_HZ 100
#define VB_PFNS_PER_BUF 1024 /* one 4 KiB frame of le32 PFNs */
#define VB_MAX_CHUNKS 512    /* 1 GiB of 2 MiB pages */
#define VB_CFG_ACTUAL 4

struct vb_args {
	uint64_t base, bytes, nonzero;
};

static struct vb_args vb_args __user_data;
static uint64_t vb_frames[VB_MAX_CHUNKS];

static __user_text void vb_fill_task(uint64_t arg)
{
	struct vb_args *a = (struct vb_args *)arg;

	for (uint64_t p = a->base; p < a->base + a->bytes; p += 8)
		*(volatile uint64_t *)p = p | 1;
	u_exit(0);
}

static __user_text void vb_check_task(uint64_t arg)
{
	struct vb_args *a = (struct vb_args *)arg;
	uint64_t nz = 0;

	for (uint64_t p = a->base; p < a->base + a->bytes; p += 8)
		if (*(volatile uint64_t *)p)
			nz++;
	a->nonzero = nz;
	u_exit(0);
}

static int vb_task(void (*fn)(uint64_t))
{
	struct task t = {.entry = fn, .arg = (uint64_t)&vb_args};

	if (task_run(&t) < 0) {
		kprintf("testguest: vballoon: task killed by vector %lu at 0x%lx\n", t.fault.vector,
			t.fault.rip);
		return -1;
	}
	return 0;
}

/* Send every 4 KiB PFN of the chunks through queue vq. */
static int vb_send(struct vio_queue *vq, uint64_t nchunks, uint32_t *pfns)
{
	uint64_t n = 0, total = 0;

	for (uint64_t c = 0; c < nchunks; c++) {
		for (uint64_t pg = 0; pg < HUGE_PAGE_SIZE / PAGE_SIZE; pg++) {
			pfns[n++] = (uint32_t)((vb_frames[c] >> 12) + pg);
			if (n < VB_PFNS_PER_BUF &&
			    !(c + 1 == nchunks && pg + 1 == HUGE_PAGE_SIZE / PAGE_SIZE))
				continue;
			if (vio_submit(vq, &(struct vio_buf){(uint64_t)pfns, (uint32_t)(4 * n), 0},
				       1) < 0 ||
			    vio_wait(vq, 10000000) < 0) {
				kprintf("testguest: vballoon: queue %u did not complete\n",
					vq->index);
				return -1;
			}
			total += n;
			n = 0;
		}
	}
	return (int)total;
}

static int vballoon_run(const struct guest *g)
{
	static struct ticker tk;
	struct vio_dev d;
	struct vio_queue inq, defq;
	uint64_t mib, hold, nchunks;
	uint32_t *pfns = (uint32_t *)frame_alloc();
	int pages;

	if (guest_arg_u64(g, "mib", 16, 2, 1024, &mib) < 0 ||
	    guest_arg_u64(g, "hold_s", 1, 0, 3600, &hold) < 0)
		return GUEST_EXIT_USAGE;
	nchunks = ALIGN_UP(mib << 20, HUGE_PAGE_SIZE) / HUGE_PAGE_SIZE;
	if (!pfns || (nchunks << 21) > frame_free_2m_bytes()) {
		kprintf("testguest: vballoon: mib=%lu does not fit\n", mib);
		return GUEST_EXIT_USAGE;
	}
	if (vio_find(VIO_ID_BALLOON, 0, &d) < 0) {
		kprintf("testguest: vballoon: no virtio-balloon device found\n");
		return GUEST_EXIT_FAIL;
	}
	if (vio_init(&d, 0) < 0 || vio_queue_setup(&d, 0, &inq) < 0 ||
	    vio_queue_setup(&d, 1, &defq) < 0)
		return GUEST_EXIT_FAIL;
	vio_driver_ok(&d);
	for (uint64_t c = 0; c < nchunks; c++) {
		vb_frames[c] = frame_alloc_2m();
		if (!vb_frames[c] ||
		    paging_map_2m(VB_BASE + (c << 21), vb_frames[c], PTE_W | PTE_U) < 0)
			return GUEST_EXIT_USAGE;
	}
	if (ticker_start(&tk, VB_HZ) < 0)
		return GUEST_EXIT_FAIL;
	vb_args = (struct vb_args){.base = VB_BASE, .bytes = nchunks << 21};
	if (vb_task(vb_fill_task) < 0)
		return GUEST_EXIT_FAIL;
	kprintf("testguest: vballoon: filled %lu MiB\n", nchunks * 2);
	ticker_sleep(&tk, hold * VB_HZ);
	pages = vb_send(&inq, nchunks, pfns);
	if (pages < 0)
		return GUEST_EXIT_FAIL;
	mmio_write32(d.base + 0x100 + VB_CFG_ACTUAL, (uint32_t)pages);
	kprintf("testguest: vballoon: inflated %d pages\n", pages);
	ticker_sleep(&tk, hold * VB_HZ);
	if (vb_send(&defq, nchunks, pfns) != pages)
		return GUEST_EXIT_FAIL;
	mmio_write32(d.base + 0x100 + VB_CFG_ACTUAL, 0);
	if (vb_task(vb_check_task) < 0)
		return GUEST_EXIT_FAIL;
	kprintf("testguest: vballoon: deflated, %lu nonzero words in reused pages\n",
		vb_args.nonzero);
	if (vb_args.nonzero)
		return GUEST_EXIT_FAIL;
	/* The pages are usable again. */
	if (vb_task(vb_fill_task) < 0)
		return GUEST_EXIT_FAIL;
	/* Stopped last: a tick pending from ring-0 work must find its handler, also in ring 3. */
	ticker_stop(&tk);
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_vballoon = {
	.name = "vballoon",
	.summary = "virtio-balloon: fill mib=N MiB, inflate (RSS drops), deflate, pages read zero",
	.run = vballoon_run,
};
