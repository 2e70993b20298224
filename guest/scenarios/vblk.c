/*
 * vblk: virtio-blk over virtio-mmio. Reads sector 0 of disk 0 and prints
 * its FNV-1a checksum (the host compares it with the file); writes a
 * pattern at sector=N (default 1), reads it back and compares, prints the
 * pattern's checksum; reads past the end must fail with IOERR; a flush
 * must succeed. With ro=1 the device must offer VIRTIO_BLK_F_RO and the
 * write must fail with VIRTIO_BLK_S_IOERR (and leave the sector as it was).
 */
#include "console.h"
#include "lib.h"
#include "paging.h"
#include "scenario.h"
#include "virtio/virtio.h"

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_F_RO (1ul << 5)
#define SECTOR 512

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_io {
	struct vio_queue vq;
	struct blk_hdr *hdr;
	uint8_t *data;
	uint8_t *status;
};

/* One request: the status byte, or -1 on timeout. */
static int blk_rq(struct blk_io *io, uint32_t type, uint64_t sector)
{
	struct vio_buf b[3] = {
		{(uint64_t)io->hdr, sizeof(*io->hdr), 0},
		{(uint64_t)io->data, SECTOR, type == BLK_T_IN},
		{(uint64_t)io->status, 1, 1},
	};
	int64_t len;

	io->hdr->type = type;
	io->hdr->reserved = 0;
	io->hdr->sector = sector;
	*io->status = 0xff;
	if (type == BLK_T_FLUSH) {
		b[1] = b[2];
		if (vio_submit(&io->vq, b, 2) < 0)
			return -1;
	} else if (vio_submit(&io->vq, b, 3) < 0) {
		return -1;
	}
	len = vio_wait(&io->vq, 10000000);
	if (len < 0) {
		kprintf("testguest: vblk: request type %u sector %lu timed out\n", type, sector);
		return -1;
	}
	return *(volatile uint8_t *)io->status;
}

static void blk_pattern(uint8_t *p, uint64_t sector)
{
	for (unsigned i = 0; i < SECTOR; i++)
		p[i] = (uint8_t)(i * 7 + sector * 13 + 1);
}

static int vblk_run(const struct guest *g)
{
	struct vio_dev d;
	struct blk_io io;
	uint64_t sector, ro, cap, sum;
	uint8_t *expect;
	uint64_t frame = frame_alloc(), frame2 = frame_alloc();
	int st;

	if (guest_arg_u64(g, "sector", 1, 0, ~0ul, &sector) < 0 ||
	    guest_arg_u64(g, "ro", 0, 0, 1, &ro) < 0)
		return GUEST_EXIT_USAGE;
	if (!frame || !frame2)
		return GUEST_EXIT_FAIL;
	if (vio_find(VIO_ID_BLOCK, 0, &d) < 0) {
		kprintf("testguest: vblk: no virtio-blk device found\n");
		return GUEST_EXIT_FAIL;
	}
	if (vio_init(&d, 0) < 0 || vio_queue_setup(&d, 0, &io.vq) < 0)
		return GUEST_EXIT_FAIL;
	vio_driver_ok(&d);
	io.hdr = (struct blk_hdr *)frame;
	io.status = (uint8_t *)(frame + 64);
	io.data = (uint8_t *)(frame + 1024);
	expect = (uint8_t *)frame2;
	cap = vio_config32(&d, 0) | ((uint64_t)vio_config32(&d, 4) << 32);
	kprintf("testguest: vblk: capacity %lu sectors, features 0x%lx, ro %u\n", cap, d.features,
		(unsigned)!!(d.features & BLK_F_RO));
	if (sector >= cap) {
		kprintf("testguest: vblk: sector=%lu is past the disk (%lu sectors)\n", sector,
			cap);
		return GUEST_EXIT_USAGE;
	}
	if ((st = blk_rq(&io, BLK_T_IN, 0)) != BLK_S_OK) {
		kprintf("testguest: vblk: read of sector 0 failed, status %d\n", st);
		return GUEST_EXIT_FAIL;
	}
	kprintf("testguest: vblk: sector 0 fnv 0x%lx\n", vio_fnv1a(io.data, SECTOR));
	if ((st = blk_rq(&io, BLK_T_IN, cap)) != BLK_S_IOERR) {
		kprintf("testguest: vblk: read past the end gave status %d, want IOERR\n", st);
		return GUEST_EXIT_FAIL;
	}
	if ((st = blk_rq(&io, BLK_T_IN, sector)) != BLK_S_OK)
		return GUEST_EXIT_FAIL;
	memcpy(expect + SECTOR, io.data, SECTOR); /* what was there before */
	blk_pattern(io.data, sector);
	blk_pattern(expect, sector);
	st = blk_rq(&io, BLK_T_OUT, sector);
	if (ro) {
		if (!(d.features & BLK_F_RO) || st != BLK_S_IOERR) {
			kprintf("testguest: vblk: read-only disk: RO feature %u, write status %d "
				"(want IOERR)\n",
				(unsigned)!!(d.features & BLK_F_RO), st);
			return GUEST_EXIT_FAIL;
		}
		kprintf("testguest: vblk: write refused with IOERR\n");
		memcpy(expect, expect + SECTOR, SECTOR); /* the sector must be unchanged */
	} else if (st != BLK_S_OK) {
		kprintf("testguest: vblk: write of sector %lu failed, status %d\n", sector, st);
		return GUEST_EXIT_FAIL;
	}
	memset(io.data, 0, SECTOR);
	if ((st = blk_rq(&io, BLK_T_IN, sector)) != BLK_S_OK || memcmp(io.data, expect, SECTOR)) {
		kprintf("testguest: vblk: read back of sector %lu: status %d, %s\n", sector, st,
			st == BLK_S_OK ? "data differs" : "failed");
		return GUEST_EXIT_FAIL;
	}
	sum = vio_fnv1a(io.data, SECTOR);
	if (!ro && (st = blk_rq(&io, BLK_T_FLUSH, 0)) != BLK_S_OK) {
		kprintf("testguest: vblk: flush failed, status %d\n", st);
		return GUEST_EXIT_FAIL;
	}
	kprintf("testguest: vblk: sector %lu fnv 0x%lx\n", sector, sum);
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_vblk = {
	.name = "vblk",
	.summary = "virtio-blk: sector 0 checksum, pattern write/read at sector=N, ro=1 refuses "
		   "writes",
	.run = vblk_run,
};
