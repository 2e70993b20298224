/*
 * libFuzzer target for split virtqueue parsing (src/dev/virtio/virtqueue.c)
 * and the virtio-blk request path on top of it. The input is the first
 * 64 KiB of a small guest's RAM: descriptor table at 0, available ring at
 * 0x1000, used ring at 0x2000, the rest buffers; byte 0x2ff0 picks the
 * queue size and features. Contract checked on every input: vq_pop either
 * fails (and the queue stays broken) or returns a chain whose buffers lie
 * in guest RAM, readable before writable, at most VQ_MAX_SEGS of them,
 * with lengths that add up; the blk device never crashes and a malformed
 * queue puts it in NEEDS_RESET. Seeds: tests/fuzz/corpus/virtqueue/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dev/backend/block.h"
#include "dev/virtio/blk.h"
#include "dev/virtio/device.h"
#include "dev/virtio/virtqueue.h"
#include "mem/gmem.h"

#define WINDOW 0x10000
#define DESC 0x0
#define AVAIL 0x1000
#define USED 0x2000
#define CTRL 0x2ff0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_elem(const struct gmem *m, const struct vq_elem *e)
{
	uint64_t out = 0, in = 0;
	const uint8_t *lo = m->regions[0].host, *hi = lo + m->regions[0].size;

	if (e->nr_out + e->nr_in > VQ_MAX_SEGS)
		__builtin_trap();
	for (unsigned i = 0; i < e->nr_out + e->nr_in; i++) {
		const uint8_t *p = e->iov[i].iov_base;

		if (p < lo || p > hi || e->iov[i].iov_len > (size_t)(hi - p))
			__builtin_trap();
		if (i < e->nr_out)
			out += e->iov[i].iov_len;
		else
			in += e->iov[i].iov_len;
	}
	if (out != e->out_len || in != e->in_len)
		__builtin_trap();
}

static void fuzz_queue(struct gmem *m, uint16_t qsize, bool event_idx, bool indirect)
{
	static struct vq_elem e;
	struct vq vq;
	uint8_t scratch[64];

	if (vq_enable(&vq, m, qsize, DESC, AVAIL, USED, event_idx, indirect))
		return;
	for (int n = 0; n < 2 * VQ_MAX_SIZE; n++) {
		int ret = vq_pop(&vq, &e);

		if (ret < 0) {
			if (!vq.broken || !vq.why || vq_pop(&vq, &e) != -EBADMSG)
				__builtin_trap();
			return;
		}
		if (ret == 0)
			break;
		check_elem(m, &e);
		vq_elem_read(&e, 0, scratch, sizeof(scratch));
		memset(scratch, 0xee, sizeof(scratch));
		vq_push(&vq, e.head, (uint32_t)vq_elem_write(&e, 0, scratch, sizeof(scratch)));
		vq_should_notify(&vq);
	}
}

/* The same memory through virtio-blk on a 1 MiB in-memory disk. */
static void fuzz_blk(struct gmem *m, uint16_t qsize, uint64_t features)
{
	struct blk_backend *be;
	struct virtio_blk *b;
	struct virtio_dev *d;
	struct verr err = {0};
	int fd = memfd_create("fuzz-disk", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, 1 << 20)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (raw_backend_open_fd(fd, "fuzz-disk", features & 1, &be, &err))
		return;
	if (virtio_blk_create_backend(m, be, "fuzz", &b))
		return;
	d = virtio_blk_dev(b);
	pthread_mutex_lock(&d->lock);
	virtio_dev_features_write(d, 0, (uint32_t)features);
	virtio_dev_features_write(d, 1, 1);
	virtio_dev_status_write(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					   VIRTIO_STATUS_FEATURES_OK);
	d->queues[0].size = qsize;
	d->queues[0].desc = DESC;
	d->queues[0].driver = AVAIL;
	d->queues[0].device = USED;
	virtio_dev_queue_enable(d, 0);
	virtio_dev_status_write(d, d->status | VIRTIO_STATUS_DRIVER_OK);
	virtio_dev_queue_notify(d, 0);
	if (d->queues[0].vq.broken && !(d->status & VIRTIO_STATUS_NEEDS_RESET))
		__builtin_trap();
	pthread_mutex_unlock(&d->lock);
	virtio_blk_destroy(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gmem *m;
	uint8_t ctrl;
	uint16_t qsize;

	if (!m && gmem_create(GMEM_MIN_SIZE, &m))
		return 0;
	if (gmem_fill(m, 0, 0, WINDOW) || gmem_copy_to(m, 0, data, size < WINDOW ? size : WINDOW))
		return 0;
	ctrl = size > CTRL ? data[CTRL] : 0;
	qsize = (uint16_t)(1u << (ctrl & 7)); /* 1..128 */
	fuzz_queue(m, qsize, ctrl & 8, ctrl & 16);
	if (gmem_fill(m, 0, 0, WINDOW) || gmem_copy_to(m, 0, data, size < WINDOW ? size : WINDOW))
		return 0;
	fuzz_blk(m, qsize,
		 ((ctrl & 8) ? 1ull << VIRTIO_F_EVENT_IDX : 0) |
			 ((ctrl & 16) ? 1ull << VIRTIO_F_INDIRECT_DESC : 0) | ((ctrl >> 5) & 1));
	return 0;
}
