/*
 * virtio-balloon (src/dev/virtio/balloon.c) through the device core:
 * inflated pages are given back (read as zero), deflate counts, PFNs
 * outside RAM put the device in NEEDS_RESET, the statistics buffer is held
 * until stats are requested, balloon_set_target updates num_pages and
 * raises a configuration interrupt, free page reporting releases ranges.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/virtio/balloon.h"
#include "dev/virtio/device.h"
#include "mem/gmem.h"

#define DESC(q) (0x10000ull + 0x3000ull * (q))
#define AVAIL(q) (DESC(q) + 0x1000)
#define USED(q) (DESC(q) + 0x2000)
#define BUF 0x40000ull
#define VICTIM 0x100000ull /* the pages we balloon */

struct fix {
	struct gmem *m;
	struct virtio_balloon *b;
	struct virtio_dev *d;
	uint16_t idx[4];
	unsigned irqs[5]; /* per queue, [4] config */
};

static void fake_interrupt(void *opaque, struct virtio_dev *d, int q)
{
	struct fix *f = opaque;

	f->irqs[q < 0 ? 4 : q]++;
}

static int setup(void **state)
{
	static struct fix f;

	memset(&f, 0, sizeof(f));
	if (gmem_create(4ull << 20, &f.m) || virtio_balloon_create(f.m, true, &f.b))
		return -1;
	f.d = virtio_balloon_dev(f.b);
	virtio_dev_set_transport(
		f.d, &(struct virtio_transport){.opaque = &f, .interrupt = fake_interrupt});
	virtio_dev_features_write(
		f.d, 0, 1u << VIRTIO_BALLOON_F_STATS_VQ | 1u << VIRTIO_BALLOON_F_PAGE_REPORTING);
	virtio_dev_features_write(f.d, 1, 1);
	virtio_dev_status_write(f.d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					     VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 4; q++) {
		f.d->queues[q].size = 8;
		f.d->queues[q].desc = DESC(q);
		f.d->queues[q].driver = AVAIL(q);
		f.d->queues[q].device = USED(q);
		virtio_dev_queue_enable(f.d, q);
		if (!f.d->queues[q].ready)
			return -1;
	}
	virtio_dev_status_write(f.d, f.d->status | VIRTIO_STATUS_DRIVER_OK);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	virtio_balloon_destroy(f->b);
	gmem_destroy(f->m);
	return 0;
}

/* Offer one buffer [addr, addr+len) on queue q and kick. */
static void offer(struct fix *f, unsigned q, uint64_t addr, uint32_t len, bool writable)
{
	struct vring_desc d = {addr, len, writable ? VRING_DESC_F_WRITE : 0, 0};
	uint16_t head = 0;

	assert_int_equal(gmem_copy_to(f->m, DESC(q), &d, sizeof(d)), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL(q) + 4 + 2 * (f->idx[q] % 8), &head, 2), 0);
	f->idx[q]++;
	assert_int_equal(gmem_copy_to(f->m, AVAIL(q) + 2, &f->idx[q], 2), 0);
	pthread_mutex_lock(&f->d->lock);
	virtio_dev_queue_notify(f->d, q);
	pthread_mutex_unlock(&f->d->lock);
}

static uint16_t used_idx(struct fix *f, unsigned q)
{
	uint16_t v;

	assert_int_equal(gmem_copy_from(f->m, &v, USED(q) + 2, 2), 0);
	return v;
}

static void test_inflate_releases_pages(void **state)
{
	struct fix *f = *state;
	uint32_t pfns[3] = {VICTIM >> 12, (VICTIM >> 12) + 1, (VICTIM >> 12) + 5};
	uint8_t page[4096], zero[4096] = {0};
	struct balloon_info bi;

	assert_int_equal(gmem_fill(f->m, VICTIM, 0x77, 8 * 4096), 0);
	assert_int_equal(gmem_copy_to(f->m, BUF, pfns, sizeof(pfns)), 0);
	offer(f, 0, BUF, sizeof(pfns), false);
	assert_int_equal(used_idx(f, 0), 1);
	for (unsigned i = 0; i < 8; i++) {
		bool ballooned = i == 0 || i == 1 || i == 5;

		assert_int_equal(gmem_copy_from(f->m, page, VICTIM + 4096ull * i, 4096), 0);
		if (ballooned)
			assert_memory_equal(page, zero, 4096);
		else
			assert_int_equal(page[100], 0x77);
	}
	offer(f, 1, BUF, sizeof(pfns), false); /* deflate */
	balloon_get_info(f->b, &bi);
	assert_int_equal(bi.inflated_pages, 3);
	assert_int_equal(bi.deflated_pages, 3);
	assert_false(f->d->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_target_and_actual(void **state)
{
	struct fix *f = *state;
	uint32_t v = 0, actual = 1234;
	struct balloon_info bi;
	unsigned before = f->irqs[4];

	balloon_set_target(f->b, 4096);
	virtio_dev_config_read(f->d, 0, &v, 4);
	assert_int_equal(v, 4096);
	assert_int_equal(f->irqs[4], before + 1);
	virtio_dev_config_write(f->d, 4, &actual, 4);
	virtio_dev_config_write(f->d, 0, &actual, 4); /* num_pages is the device's */
	virtio_dev_config_read(f->d, 0, &v, 4);
	assert_int_equal(v, 4096);
	balloon_get_info(f->b, &bi);
	assert_int_equal(bi.target_pages, 4096);
	assert_int_equal(bi.actual_pages, 1234);
}

static void test_stats_held_until_requested(void **state)
{
	struct fix *f = *state;
	uint8_t stats[20] = {0};
	uint64_t memfree = 123456789;
	struct balloon_info bi;

	stats[0] = VIRTIO_BALLOON_S_MEMFREE;
	memcpy(stats + 2, &memfree, 8);
	stats[10] = 200; /* unknown tag: ignored */
	assert_int_equal(gmem_copy_to(f->m, BUF, stats, sizeof(stats)), 0);
	offer(f, 2, BUF, sizeof(stats), false);
	assert_int_equal(used_idx(f, 2), 0); /* held */
	balloon_get_info(f->b, &bi);
	assert_int_equal(bi.stats[VIRTIO_BALLOON_S_MEMFREE], 123456789);
	assert_int_equal(bi.stats_valid, 1u << VIRTIO_BALLOON_S_MEMFREE);
	balloon_request_stats(f->b);
	assert_int_equal(used_idx(f, 2), 1); /* returned: the driver refills it */
}

static void test_free_page_reporting(void **state)
{
	struct fix *f = *state;
	uint8_t page[4096], zero[4096] = {0};
	struct balloon_info bi;

	assert_int_equal(gmem_fill(f->m, VICTIM, 0x55, 4 * 4096), 0);
	offer(f, 3, VICTIM, 4 * 4096, true);
	assert_int_equal(used_idx(f, 3), 1);
	assert_int_equal(gmem_copy_from(f->m, page, VICTIM + 3 * 4096, 4096), 0);
	assert_memory_equal(page, zero, 4096);
	balloon_get_info(f->b, &bi);
	assert_int_equal(bi.reported_bytes, 4 * 4096);
}

static void test_pfn_outside_ram(void **state)
{
	struct fix *f = *state;
	uint32_t pfn = 0x7fffffff;

	assert_int_equal(gmem_copy_to(f->m, BUF, &pfn, 4), 0);
	offer(f, 0, BUF, 4, false);
	assert_true(f->d->status & VIRTIO_STATUS_NEEDS_RESET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inflate_releases_pages),
		cmocka_unit_test(test_target_and_actual),
		cmocka_unit_test(test_stats_held_until_requested),
		cmocka_unit_test(test_free_page_reporting),
		cmocka_unit_test(test_pfn_outside_ram),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
