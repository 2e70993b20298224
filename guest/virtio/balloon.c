/* The test guest's host-following virtio-balloon driver (see balloon.h). */
#include "virtio/balloon.h"

#include "arch.h"
#include "console.h"
#include "lib.h"
#include "paging.h"
#include "ticker.h"

/* Features and config (virtio 1.2, 5.5.3 and 5.5.4). */
#define VB_F_STATS_VQ (1ul << 1)
#define VB_CFG_NUM_PAGES 0
#define VB_CFG_ACTUAL 4
/* Statistics tags (5.5.6.3). */
#define VB_S_MEMFREE 4
#define VB_S_MEMTOT 5
#define VB_S_AVAIL 6

#define VB_PAGES_PER_CHUNK (HUGE_PAGE_SIZE / PAGE_SIZE)
#define VB_PFNS_PER_BUF (PAGE_SIZE / 4)
#define VB_STEP_CHUNKS 4 /* 8 MiB per call: keeps an idle loop's tick on time */
/* Frames we can touch in ring 0: the identity map covers low RAM only (paging.h). */
#define VB_TOUCH_LIMIT (3ul << 30)

#define VB_MIN(a, b) ((a) < (b) ? (a) : (b))

struct vb_stat {
	uint16_t tag;
	uint64_t val;
} __attribute__((packed));

/* One word per 4 KiB page: enough for the host to have the page resident. */
static void vb_touch(uint64_t pa)
{
	if (pa >= VB_TOUCH_LIMIT)
		return;
	for (uint64_t p = pa; p < pa + HUGE_PAGE_SIZE; p += PAGE_SIZE)
		*(volatile uint64_t *)p = p | 1;
}

/* Pages of a deflated frame whose word is not zero: the host did not drop them. */
static uint64_t vb_nonzero(uint64_t pa)
{
	uint64_t n = 0;

	if (pa >= VB_TOUCH_LIMIT)
		return 0;
	for (uint64_t p = pa; p < pa + HUGE_PAGE_SIZE; p += PAGE_SIZE)
		if (*(volatile uint64_t *)p)
			n++;
	return n;
}

/* Send the 4 KiB PFNs of chunks [first, first + n) through vq. */
static int vb_send(struct vio_balloon *b, struct vio_queue *vq, unsigned first, unsigned n)
{
	uint64_t k = 0;

	for (unsigned c = first; c < first + n; c++) {
		for (uint64_t pg = 0; pg < VB_PAGES_PER_CHUNK; pg++) {
			b->pfns[k++] = (uint32_t)((b->chunks[c] >> 12) + pg);
			if (k < VB_PFNS_PER_BUF && !(c + 1 == first + n && pg + 1 == VB_PAGES_PER_CHUNK))
				continue;
			if (vio_submit(vq, &(struct vio_buf){(uint64_t)b->pfns, (uint32_t)(4 * k), 0},
				       1) < 0 ||
			    vio_wait(vq, 100000000) < 0) {
				kprintf("testguest: balloon: queue %u did not complete\n", vq->index);
				return -1;
			}
			k = 0;
		}
	}
	return 0;
}

static uint64_t vb_free_bytes(const struct vio_balloon *b)
{
	return (uint64_t)(b->nr_chunks - b->nr_inflated) * HUGE_PAGE_SIZE + frame_free_bytes();
}

static int vb_stats_post(struct vio_balloon *b)
{
	struct vb_stat *s = (struct vb_stat *)b->stats;

	s[0] = (struct vb_stat){VB_S_MEMFREE, vb_free_bytes(b)};
	s[1] = (struct vb_stat){VB_S_MEMTOT, b->mem_bytes};
	s[2] = (struct vb_stat){VB_S_AVAIL, vb_free_bytes(b)};
	b->stats_sent++;
	return vio_submit(&b->statq, &(struct vio_buf){(uint64_t)b->stats, 3 * sizeof(*s), 0}, 1);
}

int vio_balloon_start(struct vio_balloon *b, uint64_t mem_bytes, uint64_t keep_bytes)
{
	uint64_t want;

	b->nr_chunks = b->nr_inflated = 0;
	b->mem_bytes = mem_bytes;
	b->last_target = 0;
	b->pfns = (uint32_t *)frame_alloc();
	b->stats = (uint8_t *)frame_alloc();
	if (!b->pfns || !b->stats) {
		kprintf("testguest: balloon: out of memory\n");
		return -1;
	}
	if (vio_find(VIO_ID_BALLOON, 0, &b->d) < 0) {
		kprintf("testguest: balloon: no virtio-balloon device (vessel run --balloon)\n");
		return -1;
	}
	/* Peek at the offer: stats only when the device has them. */
	if (vio_init(&b->d, 0) < 0)
		return -1;
	want = b->d.features & VB_F_STATS_VQ;
	b->has_stats = want != 0;
	if ((want && vio_init(&b->d, want) < 0) || vio_queue_setup(&b->d, 0, &b->inq) < 0 ||
	    vio_queue_setup(&b->d, 1, &b->defq) < 0 ||
	    (b->has_stats && vio_queue_setup(&b->d, 2, &b->statq) < 0))
		return -1;
	vio_driver_ok(&b->d);
	/* 5.5.6.3: the driver hands over a first statistics buffer right away. */
	if (b->has_stats && vb_stats_post(b) < 0)
		return -1;
	while (b->nr_chunks < VIO_BALLOON_MAX_CHUNKS && frame_free_2m_bytes() > keep_bytes) {
		uint64_t pa = frame_alloc_2m();

		if (!pa)
			break;
		b->chunks[b->nr_chunks++] = pa;
		vb_touch(pa);
	}
	kprintf("testguest: balloon: ready, pool %lu MiB, stats %s\n", (uint64_t)b->nr_chunks * 2,
		b->has_stats ? "on" : "off");
	return 0;
}

int vio_balloon_follow(struct vio_balloon *b)
{
	uint32_t target = vio_config32(&b->d, VB_CFG_NUM_PAGES) / VB_PAGES_PER_CHUNK;
	unsigned n;

	if (target > b->nr_chunks)
		target = b->nr_chunks;
	if (target != b->last_target) {
		/* A new target came with a config-change interrupt: lower the line. */
		vio_int_ack(&b->d);
		b->last_target = target;
	}
	if (target > b->nr_inflated) {
		n = VB_MIN(target - b->nr_inflated, VB_STEP_CHUNKS);
		if (vb_send(b, &b->inq, b->nr_inflated, n) < 0)
			return -1;
		b->nr_inflated += n;
	} else if (target < b->nr_inflated) {
		n = VB_MIN(b->nr_inflated - target, VB_STEP_CHUNKS);
		if (vb_send(b, &b->defq, b->nr_inflated - n, n) < 0)
			return -1;
		b->nr_inflated -= n;
		for (unsigned c = b->nr_inflated; c < b->nr_inflated + n; c++) {
			uint64_t bad = vb_nonzero(b->chunks[c]);

			if (bad) {
				kprintf("testguest: balloon: %lu pages of a deflated frame kept "
					"their data\n",
					bad);
				return -1;
			}
			vb_touch(b->chunks[c]); /* in use again: the host backs it again */
		}
	} else {
		n = 0;
	}
	if (n) {
		mmio_write32(b->d.base + 0x100 + VB_CFG_ACTUAL,
			     (uint32_t)(b->nr_inflated * VB_PAGES_PER_CHUNK));
		if (b->nr_inflated == target)
			kprintf("testguest: balloon: at %lu MiB\n", (uint64_t)target * 2);
	}
	/* The host took our statistics (it returns the buffer when it wants new ones). */
	if (b->has_stats && vio_has_used(&b->statq)) {
		if (vio_wait(&b->statq, 0) < 0 || vb_stats_post(b) < 0)
			return -1;
	}
	return 0;
}

int vio_balloon_sleep(struct vio_balloon *b, struct ticker *t, uint64_t ticks, uint64_t every)
{
	uint64_t start = t->ticks, end = start + ticks;

	if (!b) {
		ticker_sleep(t, ticks);
		return 0;
	}
	/* Deadlines from the start, so the driver's work does not stretch the sleep. */
	for (uint64_t due = start + every; ; due += every) {
		if (due > end)
			due = end;
		if (vio_balloon_follow(b) < 0)
			return -1;
		while (t->ticks < due)
			ticker_sleep(t, 1);
		if (due == end)
			return 0;
	}
}
