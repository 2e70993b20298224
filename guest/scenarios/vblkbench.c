/*
 * vblkbench: virtio-blk throughput from the guest. For each of sequential
 * read, sequential write, random read and random write it issues count=N
 * (default 2000) 4 KiB requests on disk 0, one at a time (the driver polls
 * the used ring), over the first mib=M MiB of the disk (default 64), and
 * prints "vblkbench: MODE N req, X ms, Y IOPS, Z KiB/s" with the TSC
 * calibrated against the PIT. Random offsets come from a 64-bit LCG. The
 * check: every request completes with VIRTIO_BLK_S_OK and a block written
 * in the write passes reads back with its own tag.
 */
#include "arch.h"
#include "console.h"
#include "lib.h"
#include "paging.h"
#include "scenario.h"
#include "timer.h"
#include "virtio/virtio.h"

#define BB_BLOCK 4096
#define BB_SECTORS (BB_BLOCK / 512)

struct bb_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct bb {
	struct vio_queue vq;
	struct bb_hdr *hdr;
	uint8_t *data, *status;
};

static int bb_rq(struct bb *b, uint32_t type, uint64_t block)
{
	struct vio_buf v[3] = {
		{(uint64_t)b->hdr, sizeof(*b->hdr), 0},
		{(uint64_t)b->data, BB_BLOCK, type == 0},
		{(uint64_t)b->status, 1, 1},
	};

	b->hdr->type = type;
	b->hdr->reserved = 0;
	b->hdr->sector = block * BB_SECTORS;
	*b->status = 0xff;
	if (vio_submit(&b->vq, v, 3) < 0 || vio_wait(&b->vq, 100000000) < 0)
		return -1;
	return *(volatile uint8_t *)b->status;
}

static int vblkbench_run(const struct guest *g)
{
	static const char *const names[] = {"seq-read", "seq-write", "rand-read", "rand-write"};
	struct time_calib cal;
	struct vio_dev d;
	struct bb b;
	uint64_t count, mib, blocks, frame = frame_alloc(), frame2 = frame_alloc();

	if (guest_arg_u64(g, "count", 2000, 1, 1000000, &count) < 0 ||
	    guest_arg_u64(g, "mib", 64, 1, 1 << 20, &mib) < 0)
		return GUEST_EXIT_USAGE;
	if (!frame || !frame2 || time_calibrate(&cal) < 0)
		return GUEST_EXIT_FAIL;
	if (vio_find(VIO_ID_BLOCK, 0, &d) < 0 || vio_init(&d, 0) < 0 ||
	    vio_queue_setup(&d, 0, &b.vq) < 0) {
		kprintf("testguest: vblkbench: no usable virtio-blk device\n");
		return GUEST_EXIT_FAIL;
	}
	vio_driver_ok(&d);
	b.hdr = (struct bb_hdr *)frame;
	b.status = (uint8_t *)(frame + 64);
	b.data = (uint8_t *)frame2;
	blocks = (mib << 20) / BB_BLOCK;
	if (((uint64_t)vio_config32(&d, 0) | ((uint64_t)vio_config32(&d, 4) << 32)) <
	    blocks * BB_SECTORS) {
		kprintf("testguest: vblkbench: the disk is smaller than mib=%lu\n", mib);
		return GUEST_EXIT_USAGE;
	}
	for (unsigned mode = 0; mode < 4; mode++) {
		uint32_t type = mode & 1; /* 0 read, 1 write */
		uint64_t seed = 0x9e3779b97f4a7c15ul, t0 = rdtsc(), ms, blk = 0;

		for (uint64_t i = 0; i < count; i++) {
			if (mode >= 2) {
				seed = seed * 6364136223846793005ul + 1442695040888963407ul;
				blk = (seed >> 33) % blocks;
			} else {
				blk = i % blocks;
			}
			if (type)
				*(volatile uint64_t *)b.data = blk ^ 0x5eed;
			if (bb_rq(&b, type, blk) != 0) {
				kprintf("testguest: vblkbench: %s request %lu failed\n",
					names[mode], i);
				return GUEST_EXIT_FAIL;
			}
		}
		ms = muldiv64(rdtsc() - t0, 1000, cal.tsc_hz);
		kprintf("testguest: vblkbench: %s %lu req, %lu ms, %lu IOPS, %lu KiB/s\n",
			names[mode], count, ms, ms ? count * 1000 / ms : 0,
			ms ? count * 4 * 1000 / ms : 0);
	}
	/* The last block the random writes wrote reads back with its tag. */
	{
		uint64_t seed = 0x9e3779b97f4a7c15ul, blk = 0;

		for (uint64_t i = 0; i < count; i++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			blk = (seed >> 33) % blocks;
		}
		if (bb_rq(&b, 0, blk) != 0 || *(volatile uint64_t *)b.data != (blk ^ 0x5eed)) {
			kprintf("testguest: vblkbench: block %lu does not hold what was written\n",
				blk);
			return GUEST_EXIT_FAIL;
		}
	}
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_vblkbench = {
	.name = "vblkbench",
	.summary = "virtio-blk 4 KiB sequential/random read/write IOPS (count=N mib=M)",
	.run = vblkbench_run,
};
