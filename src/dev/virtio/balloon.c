/* virtio-balloon (see balloon.h; virtio 1.2 section 5.5). */
#include "dev/virtio/balloon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/log.h"
#include "dev/virtio/device.h"
#include "mem/gmem.h"

#define BALLOON_INFLATEQ 0
#define BALLOON_DEFLATEQ 1
#define BALLOON_STATSQ 2
#define BALLOON_REPORTQ 3
#define BALLOON_QUEUE_SIZE 128
#define BALLOON_PAGE 4096ull
/* Config (5.5.4): num_pages, actual, free_page_hint_cmd_id, poison_val. */
#define BALLOON_CFG_NUM_PAGES 0
#define BALLOON_CFG_ACTUAL 4
#define BALLOON_CFG_SIZE 16

struct balloon_stat {
	uint16_t tag;
	uint64_t val;
} __attribute__((packed));

struct virtio_balloon {
	struct virtio_dev dev;
	struct vq_elem elem;
	/* The stats buffer the driver handed us, held until we want new stats (5.5.6.3). */
	struct vq_elem stats_elem;
	bool stats_held;
	struct balloon_info info;
};

/* Give [host, host+len) back to the host: it then reads as zero. */
static void balloon_release(struct virtio_balloon *b, uint8_t *host, uint64_t len)
{
	if (madvise(host, len, MADV_DONTNEED) && ratelimit_ok(&b->dev.rl))
		log_warn("virtio-balloon: madvise(DONTNEED) of %llu bytes failed: %s",
			 (unsigned long long)len, strerror(errno));
}

/* One buffer of le32 PFNs (5.5.6.1); contiguous runs go to madvise together. */
static void balloon_pfns(struct virtio_balloon *b, bool inflate)
{
	uint8_t *run = NULL;
	uint64_t run_len = 0, n = b->elem.out_len / 4;

	for (uint64_t i = 0; i < n; i++) {
		uint32_t pfn;
		uint8_t *host;

		if (vq_elem_read(&b->elem, 4 * i, &pfn, 4) != 4)
			break;
		host = gmem_ptr(b->dev.mem, (uint64_t)pfn << VIRTIO_BALLOON_PFN_SHIFT,
				BALLOON_PAGE);
		if (!host) {
			virtio_dev_fail(&b->dev, "balloon PFN outside guest RAM");
			return;
		}
		if (inflate) {
			b->info.inflated_pages++;
			if (run && host == run + run_len) {
				run_len += BALLOON_PAGE;
				continue;
			}
			if (run)
				balloon_release(b, run, run_len);
			run = host;
			run_len = BALLOON_PAGE;
		} else {
			b->info.deflated_pages++;
		}
	}
	if (run)
		balloon_release(b, run, run_len);
}

/* Free page reporting (5.5.6.5): every buffer is a range of free guest pages. */
static void balloon_report(struct virtio_balloon *b)
{
	for (unsigned i = 0; i < b->elem.nr_out + b->elem.nr_in; i++) {
		uintptr_t s = (uintptr_t)b->elem.iov[i].iov_base;
		uintptr_t e = s + b->elem.iov[i].iov_len;
		uintptr_t as = (s + BALLOON_PAGE - 1) & ~(uintptr_t)(BALLOON_PAGE - 1);
		uintptr_t ae = e & ~(uintptr_t)(BALLOON_PAGE - 1);

		if (ae > as) {
			balloon_release(b, (uint8_t *)as, ae - as);
			b->info.reported_bytes += ae - as;
		}
	}
}

static void balloon_take_stats(struct virtio_balloon *b)
{
	struct balloon_stat s;

	for (uint64_t off = 0; off + sizeof(s) <= b->elem.out_len; off += sizeof(s)) {
		if (vq_elem_read(&b->elem, off, &s, sizeof(s)) != sizeof(s))
			break;
		if (s.tag < VIRTIO_BALLOON_S_NR) {
			b->info.stats[s.tag] = s.val;
			b->info.stats_valid |= 1u << s.tag;
		}
	}
	b->info.stats_updates++;
	b->stats_elem = b->elem;
	b->stats_held = true;
}

static void balloon_queue_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_balloon *b = d->priv;
	bool stats = virtio_dev_has(d, VIRTIO_BALLOON_F_STATS_VQ), pushed = false;
	unsigned reportq = stats ? BALLOON_REPORTQ : BALLOON_STATSQ;

	while (virtio_dev_pop(d, q, &b->elem) > 0) {
		if (q == BALLOON_INFLATEQ || q == BALLOON_DEFLATEQ) {
			balloon_pfns(b, q == BALLOON_INFLATEQ);
		} else if (stats && q == BALLOON_STATSQ) {
			if (b->stats_held) /* the driver must not give two; return the older */
				vq_push(&d->queues[q].vq, b->stats_elem.head, 0);
			balloon_take_stats(b);
			continue; /* held, not returned until stats are wanted */
		} else if (q == reportq && virtio_dev_has(d, VIRTIO_BALLOON_F_PAGE_REPORTING)) {
			balloon_report(b);
		}
		if (!virtio_dev_running(d))
			return;
		vq_push(&d->queues[q].vq, b->elem.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio_dev_queue_done(d, q);
}

static void balloon_config_write(struct virtio_dev *d, uint32_t off, const void *data,
				 unsigned size)
{
	struct virtio_balloon *b = d->priv;

	/* Only `actual` is the driver's to write (5.5.6). */
	if (off < BALLOON_CFG_ACTUAL || off + size > BALLOON_CFG_ACTUAL + 4)
		return;
	memcpy(d->config + off, data, size);
	memcpy(&b->info.actual_pages, d->config + BALLOON_CFG_ACTUAL, 4);
}

static void balloon_reset(struct virtio_dev *d)
{
	struct virtio_balloon *b = d->priv;

	b->stats_held = false;
	b->info.actual_pages = 0;
	memset(d->config + BALLOON_CFG_ACTUAL, 0, 4);
}

static const struct virtio_dev_ops balloon_ops = {
	.name = "balloon",
	.device_id = VIRTIO_ID_BALLOON,
	.features = BIT64(VIRTIO_BALLOON_F_STATS_VQ) | BIT64(VIRTIO_BALLOON_F_DEFLATE_ON_OOM) |
		    BIT64(VIRTIO_BALLOON_F_PAGE_REPORTING),
	.nr_queues = 4,
	.queue_max = BALLOON_QUEUE_SIZE,
	.config_size = BALLOON_CFG_SIZE,
	.queue_notify = balloon_queue_notify,
	.config_write = balloon_config_write,
	.reset = balloon_reset,
};

void balloon_set_target(struct virtio_balloon *b, uint32_t pages)
{
	pthread_mutex_lock(&b->dev.lock);
	b->info.target_pages = pages;
	memcpy(b->dev.config + BALLOON_CFG_NUM_PAGES, &pages, 4);
	if (b->dev.status & VIRTIO_STATUS_DRIVER_OK)
		virtio_dev_config_changed(&b->dev);
	pthread_mutex_unlock(&b->dev.lock);
}

void balloon_request_stats(struct virtio_balloon *b)
{
	struct virtio_dev *d = &b->dev;

	virtio_dev_lock_dma(d);
	if (b->stats_held && virtio_dev_running(d)) {
		b->stats_held = false;
		vq_push(&d->queues[BALLOON_STATSQ].vq, b->stats_elem.head, 0);
		virtio_dev_queue_done(d, BALLOON_STATSQ);
	}
	virtio_dev_unlock_dma(d);
}

void balloon_get_info(struct virtio_balloon *b, struct balloon_info *out)
{
	pthread_mutex_lock(&b->dev.lock);
	*out = b->info;
	pthread_mutex_unlock(&b->dev.lock);
}

int virtio_balloon_create(struct gmem *mem, bool page_reporting, struct virtio_balloon **out)
{
	struct virtio_balloon *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	ret = virtio_dev_init(&b->dev, &balloon_ops, b, mem);
	if (ret) {
		free(b);
		return ret;
	}
	if (!page_reporting)
		b->dev.host_features &= ~BIT64(VIRTIO_BALLOON_F_PAGE_REPORTING);
	*out = b;
	return 0;
}

void virtio_balloon_destroy(struct virtio_balloon *b)
{
	if (!b)
		return;
	virtio_dev_cleanup(&b->dev);
	free(b);
}

struct virtio_dev *virtio_balloon_dev(struct virtio_balloon *b)
{
	return &b->dev;
}
