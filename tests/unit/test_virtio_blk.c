/*
 * virtio-blk requests (src/dev/virtio/blk.c) on an in-memory raw disk,
 * driven through the device core: read, write, flush, get-id, discard,
 * requests past the end, read-only disks, unknown types, and a request
 * without a status byte (NEEDS_RESET).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/backend/block.h"
#include "dev/virtio/blk.h"
#include "dev/virtio/device.h"
#include "mem/gmem.h"

#define DISK_BYTES (1u << 20)
#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define HDR 0x20000ull
#define DATA 0x21000ull
#define STATUS 0x23000ull

struct fix {
	struct gmem *m;
	struct virtio_blk *b;
	struct virtio_dev *d;
	int fd; /* a dup of the disk, to look at it from the host */
	uint16_t idx;
};

static void start(struct fix *f, bool ro)
{
	struct blk_backend *be;
	struct verr err = {0};
	int fd = memfd_create("disk", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, DISK_BYTES), 0);
	f->fd = dup(fd);
	assert_int_equal(raw_backend_open_fd(fd, "disk", ro, &be, &err), 0);
	assert_int_equal(virtio_blk_create_backend(f->m, be, "disk-id", &f->b), 0);
	f->d = virtio_blk_dev(f->b);
	virtio_dev_features_write(f->d, 1, 1);
	virtio_dev_status_write(f->d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					      VIRTIO_STATUS_FEATURES_OK);
	f->d->queues[0].size = 8;
	f->d->queues[0].desc = DESC;
	f->d->queues[0].driver = AVAIL;
	f->d->queues[0].device = USED;
	virtio_dev_queue_enable(f->d, 0);
	assert_true(f->d->queues[0].ready);
	virtio_dev_status_write(f->d, f->d->status | VIRTIO_STATUS_DRIVER_OK);
	f->idx = 0;
}

static void stop(struct fix *f)
{
	virtio_blk_destroy(f->b);
	close(f->fd);
	f->b = NULL;
}

static int setup(void **state)
{
	static struct fix f;

	memset(&f, 0, sizeof(f));
	if (gmem_create(4ull << 20, &f.m))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	gmem_destroy(f->m);
	return 0;
}

/* One request: header, optional data (len bytes, writable for reads), status. Returns the status.
 */
static int request(struct fix *f, uint32_t type, uint64_t sector, uint32_t len, bool data_writable,
		   uint32_t *used_len)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} h = {type, 0, sector};
	struct vring_desc d[3];
	unsigned n = 0;
	uint8_t status = 0xaa;
	uint16_t head = 0;

	assert_int_equal(gmem_copy_to(f->m, HDR, &h, sizeof(h)), 0);
	assert_int_equal(gmem_copy_to(f->m, STATUS, &status, 1), 0);
	d[n++] = (struct vring_desc){HDR, sizeof(h), VRING_DESC_F_NEXT, 1};
	if (len)
		d[n++] = (struct vring_desc){
			DATA, len, VRING_DESC_F_NEXT | (data_writable ? VRING_DESC_F_WRITE : 0), 2};
	d[n - 1].next = (uint16_t)n;
	d[n++] = (struct vring_desc){STATUS, 1, VRING_DESC_F_WRITE, 0};
	assert_int_equal(gmem_copy_to(f->m, DESC, d, n * sizeof(d[0])), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 4 + 2 * (f->idx % 8), &head, 2), 0);
	f->idx++;
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 2, &f->idx, 2), 0);
	virtio_dev_queue_notify(f->d, 0);
	assert_int_equal(gmem_copy_from(f->m, &status, STATUS, 1), 0);
	if (used_len)
		assert_int_equal(
			gmem_copy_from(f->m, used_len, USED + 4 + 8 * ((f->idx - 1) % 8) + 4, 4),
			0);
	return status;
}

static void test_read_write_flush_id(void **state)
{
	struct fix *f = *state;
	uint8_t buf[1024], back[1024];
	uint32_t used;

	start(f, false);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31 + 7);
	assert_int_equal(gmem_copy_to(f->m, DATA, buf, sizeof(buf)), 0);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 10, 1024, false, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	assert_int_equal(pread(f->fd, back, sizeof(back), 10 * 512), (ssize_t)sizeof(back));
	assert_memory_equal(back, buf, sizeof(buf));
	assert_int_equal(gmem_fill(f->m, DATA, 0, sizeof(buf)), 0);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 10, 1024, true, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1025);
	assert_int_equal(gmem_copy_from(f->m, back, DATA, sizeof(back)), 0);
	assert_memory_equal(back, buf, sizeof(buf));
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, 20, true, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(gmem_copy_from(f->m, back, DATA, 8), 0);
	assert_memory_equal(back, "disk-id", 8);
	assert_int_equal(request(f, 99, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
	/* Discard one sector: it reads as zeros afterwards (memfd supports hole punching). */
	{
		struct {
			uint64_t sector;
			uint32_t num, flags;
		} seg = {10, 1, 0};
		assert_int_equal(gmem_copy_to(f->m, DATA, &seg, sizeof(seg)), 0);
		assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg), false, NULL),
				 VIRTIO_BLK_S_OK);
		assert_int_equal(pread(f->fd, back, 512, 10 * 512), 512);
		memset(buf, 0, 512);
		assert_memory_equal(back, buf, 512);
	}
	assert_false(f->d->status & VIRTIO_STATUS_NEEDS_RESET);
	stop(f);
}

static void test_bounds_and_lengths(void **state)
{
	struct fix *f = *state;
	const uint64_t sectors = DISK_BYTES / 512;

	start(f, false);
	/* The last sector is fine; one past it, a range that runs over, and a wrapping sector are
	 * not. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, sectors - 1, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, sectors, 512, true, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, sectors - 1, 1024, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, UINT64_MAX / 256, 512, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	/* Data not a multiple of 512. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 100, true, NULL), VIRTIO_BLK_S_IOERR);
	assert_false(f->d->status & VIRTIO_STATUS_NEEDS_RESET);
	stop(f);
}

static void test_read_only(void **state)
{
	struct fix *f = *state;
	uint8_t back[512], zero[512] = {0};

	start(f, true);
	assert_true(f->d->host_features & (1ull << VIRTIO_BLK_F_RO));
	assert_int_equal(gmem_fill(f->m, DATA, 0x11, 512), 0);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(pread(f->fd, back, 512, 0), 512);
	assert_memory_equal(back, zero, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
	stop(f);
}

static void test_missing_status_needs_reset(void **state)
{
	struct fix *f = *state;
	struct vring_desc d = {HDR, 16, 0, 0}; /* header only: nowhere to put the status */
	uint16_t head = 0, idx = 1;

	start(f, false);
	assert_int_equal(gmem_copy_to(f->m, DESC, &d, sizeof(d)), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 4, &head, 2), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 2, &idx, 2), 0);
	virtio_dev_queue_notify(f->d, 0);
	assert_true(f->d->status & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(f->d->isr & VIRTIO_ISR_CONFIG);
	assert_int_equal(f->d->nr_malformed, 1);
	stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_write_flush_id),
		cmocka_unit_test(test_bounds_and_lengths),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_missing_status_needs_reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
