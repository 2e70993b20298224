/* virtio-blk (see blk.h; virtio 1.2 section 5.2). */
#include "dev/virtio/blk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/backend/block.h"
#include "dev/virtio/device.h"

#define BLK_QUEUE_SIZE 256
#define BLK_SEG_MAX (VQ_MAX_SEGS - 2) /* header and status take one each */
#define BLK_MAX_DISCARD_SECTORS (1u << 22)
#define BLK_MAX_DISCARD_SEG 1

/* Config space offsets (5.2.4). */
#define BLK_CFG_CAPACITY 0
#define BLK_CFG_SEG_MAX 12
#define BLK_CFG_BLK_SIZE 20
#define BLK_CFG_MAX_DISCARD_SECTORS 36
#define BLK_CFG_MAX_DISCARD_SEG 40
#define BLK_CFG_DISCARD_ALIGN 44
#define BLK_CFG_SIZE 60

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_discard_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct virtio_blk {
	struct virtio_dev dev;
	struct blk_backend *be;
	char id[VIRTIO_BLK_ID_BYTES];
	struct vq_elem elem; /* one at a time, under the device lock */
	uint64_t reads, writes, flushes, discards, errors;
};

/* Whether [sector, sector+bytes/512) lies inside the disk, without overflow. */
static bool blk_range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t size = b->be->size;

	return sector <= size / VIRTIO_BLK_SECTOR && bytes <= size - sector * VIRTIO_BLK_SECTOR;
}

/* Move the data part of a request: the readable part after the header, or the writable part before
 * the status. */
static uint8_t blk_rw(struct virtio_blk *b, const struct vq_elem *e, bool write, uint64_t sector,
		      uint64_t *done)
{
	uint64_t len = write ? e->out_len - sizeof(struct blk_req_hdr) : e->in_len - 1;
	uint64_t pos = sector * VIRTIO_BLK_SECTOR, skip = write ? sizeof(struct blk_req_hdr) : 0;
	unsigned first = write ? 0 : e->nr_out, n = write ? e->nr_out : e->nr_in;
	uint64_t left = len;

	*done = 0;
	if (len % VIRTIO_BLK_SECTOR || !blk_range_ok(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (write && b->be->ro)
		return VIRTIO_BLK_S_IOERR;
	for (unsigned i = first; i < first + n && left; i++) {
		const struct iovec *v = &e->iov[i];
		uint64_t chunk;
		int ret;

		if (skip >= v->iov_len) {
			skip -= v->iov_len;
			continue;
		}
		chunk = MIN(v->iov_len - skip, left);
		if (write)
			ret = blk_write(b->be, pos, (uint8_t *)v->iov_base + skip, chunk);
		else
			ret = blk_read(b->be, pos, (uint8_t *)v->iov_base + skip, chunk);
		if (ret)
			return VIRTIO_BLK_S_IOERR;
		skip = 0;
		pos += chunk;
		left -= chunk;
		if (!write)
			*done += chunk;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_discard(struct virtio_blk *b, const struct vq_elem *e)
{
	struct blk_discard_seg s;

	if (b->be->ro)
		return VIRTIO_BLK_S_IOERR;
	if (e->out_len != sizeof(struct blk_req_hdr) + sizeof(s))
		return VIRTIO_BLK_S_UNSUPP; /* we offer max_discard_seg = 1 */
	if (vq_elem_read(e, sizeof(struct blk_req_hdr), &s, sizeof(s)) != sizeof(s))
		return VIRTIO_BLK_S_IOERR;
	if (s.flags || s.num_sectors > BLK_MAX_DISCARD_SECTORS ||
	    !blk_range_ok(b, s.sector, (uint64_t)s.num_sectors * VIRTIO_BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (b->be->ops->discard(b->be, s.sector * VIRTIO_BLK_SECTOR,
				(uint64_t)s.num_sectors * VIRTIO_BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	b->discards++;
	return VIRTIO_BLK_S_OK;
}

/* One request; returns the bytes written into the writable part (data + status). */
static uint32_t blk_request(struct virtio_blk *b, const struct vq_elem *e)
{
	struct blk_req_hdr h;
	uint64_t done = 0;
	uint8_t status;

	if (e->in_len < 1 || vq_elem_read(e, 0, &h, sizeof(h)) != sizeof(h)) {
		virtio_dev_fail(&b->dev, "blk request without header or status byte");
		return 0;
	}
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		status = blk_rw(b, e, h.type == VIRTIO_BLK_T_OUT, h.sector, &done);
		if (h.type == VIRTIO_BLK_T_IN)
			b->reads++;
		else
			b->writes++;
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = b->be->ops->flush(b->be) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		b->flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID:
		done = vq_elem_write(e, 0, b->id, MIN(e->in_len - 1, (uint64_t)sizeof(b->id)));
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD: status = blk_discard(b, e); break;
	default: status = VIRTIO_BLK_S_UNSUPP; break;
	}
	if (status == VIRTIO_BLK_S_IOERR)
		b->errors++;
	vq_elem_write(e, e->in_len - 1, &status, 1);
	return (uint32_t)(done + 1);
}

static void blk_queue_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_blk *b = d->priv;
	bool pushed = false;

	while (virtio_dev_pop(d, q, &b->elem) > 0) {
		uint32_t len = blk_request(b, &b->elem);

		if (!virtio_dev_running(d))
			break;
		vq_push(&d->queues[q].vq, b->elem.head, len);
		pushed = true;
	}
	if (pushed)
		virtio_dev_queue_done(d, q);
}

static const struct virtio_dev_ops blk_ops = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.features = BIT64(VIRTIO_BLK_F_SEG_MAX) | BIT64(VIRTIO_BLK_F_BLK_SIZE) |
		    BIT64(VIRTIO_BLK_F_FLUSH) | BIT64(VIRTIO_BLK_F_DISCARD),
	.nr_queues = 1,
	.queue_max = BLK_QUEUE_SIZE,
	.config_size = BLK_CFG_SIZE,
	.queue_notify = blk_queue_notify,
};

static void cfg_put32(uint8_t *cfg, unsigned off, uint32_t v)
{
	memcpy(cfg + off, &v, sizeof(v));
}

int virtio_blk_create_backend(struct gmem *mem, struct blk_backend *be, const char *id,
			      struct virtio_blk **out)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	uint64_t sectors = be->size / VIRTIO_BLK_SECTOR;
	int ret;

	if (!b) {
		blk_backend_destroy(be);
		return -ENOMEM;
	}
	b->be = be;
	ret = virtio_dev_init(&b->dev, &blk_ops, b, mem);
	if (ret) {
		blk_backend_destroy(be);
		free(b);
		return ret;
	}
	if (be->ro)
		b->dev.host_features |= BIT64(VIRTIO_BLK_F_RO);
	strncpy(b->id, id ? id : "", sizeof(b->id)); /* not NUL-terminated when 20 long (5.2.6) */
	memcpy(b->dev.config + BLK_CFG_CAPACITY, &sectors, sizeof(sectors));
	cfg_put32(b->dev.config, BLK_CFG_SEG_MAX, BLK_SEG_MAX);
	cfg_put32(b->dev.config, BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR);
	cfg_put32(b->dev.config, BLK_CFG_MAX_DISCARD_SECTORS, BLK_MAX_DISCARD_SECTORS);
	cfg_put32(b->dev.config, BLK_CFG_MAX_DISCARD_SEG, BLK_MAX_DISCARD_SEG);
	cfg_put32(b->dev.config, BLK_CFG_DISCARD_ALIGN, 1);
	*out = b;
	return 0;
}

int virtio_blk_create(struct gmem *mem, const char *path, bool ro, struct virtio_blk **out,
		      struct verr *err)
{
	struct blk_backend *be;
	const char *base = strrchr(path, '/');
	int ret = blk_backend_open(path, ro, &be, err);

	if (ret)
		return ret;
	if (be->size % VIRTIO_BLK_SECTOR) {
		blk_backend_destroy(be);
		return verr_set(err, EINVAL, "disk '%s': size %llu is not a multiple of 512", path,
				(unsigned long long)be->size);
	}
	ret = virtio_blk_create_backend(mem, be, base ? base + 1 : path, out);
	if (ret)
		return verr_set(err, -ret, "disk '%s': %s", path, strerror(-ret));
	return 0;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	virtio_dev_cleanup(&b->dev);
	blk_backend_destroy(b->be);
	free(b);
}

struct virtio_dev *virtio_blk_dev(struct virtio_blk *b)
{
	return &b->dev;
}
