/*
 * The test guest's virtio-balloon driver that follows the host (virtio 1.2
 * section 5.5.6): the device's num_pages is the target, the driver inflates
 * or deflates toward it a few MiB per call and writes `actual`, and answers
 * the statistics queue (5.5.6.3) with its free and total memory.
 *
 * The pages it may give are a pool of every 2 MiB frame still free when it
 * starts (so memory a scenario already holds, like fill's buffer, is never
 * ballooned); the balloon moves in whole 2 MiB frames (512 pages), so a
 * target is rounded down to a multiple of 2 MiB and capped at the pool. At
 * start the driver writes one word in each 4 KiB page of the pool (a guest
 * whose free memory was used before, as an OS's freed caches): inflating
 * then really lowers vessel's RSS. Deflated pages are checked to read zero
 * (the host dropped them) and written again, so the RSS comes back.
 */
#ifndef GUEST_VIRTIO_BALLOON_H
#define GUEST_VIRTIO_BALLOON_H

#include <stdint.h>

#include "virtio/virtio.h"

#define VIO_BALLOON_MAX_CHUNKS 2048 /* 4 GiB of 2 MiB frames */

struct vio_balloon {
	struct vio_dev d;
	struct vio_queue inq, defq, statq;
	int has_stats;
	uint32_t *pfns; /* one frame of le32 PFNs */
	uint8_t *stats; /* one frame: the statistics buffer */
	uint64_t chunks[VIO_BALLOON_MAX_CHUNKS];
	unsigned nr_chunks;   /* frames in the pool */
	unsigned nr_inflated; /* chunks[0, nr_inflated) are in the balloon */
	uint64_t mem_bytes;   /* guest RAM, reported as the total */
	uint32_t last_target; /* in 2 MiB frames, for the progress line */
	uint64_t stats_sent;
};

/*
 * Find the balloon, negotiate STATS_VQ when offered, take the pool (all free
 * 2 MiB frames except keep_bytes of RAM for the kernel) and touch it.
 * Prints "balloon: ready, pool N MiB". 0, or -1 after printing why.
 */
int vio_balloon_start(struct vio_balloon *b, uint64_t mem_bytes, uint64_t keep_bytes);
/*
 * One step toward the host's target (at most 8 MiB), then a stats answer if
 * the host returned the buffer. Prints "balloon: at N MiB" when it reaches
 * a new target. Call it from the idle loop; 0, or -1 on a device error.
 */
int vio_balloon_follow(struct vio_balloon *b);

struct ticker;
/*
 * Sleep `ticks` ticks of t; with a balloon b (NULL: plain ticker_sleep), call
 * vio_balloon_follow every `every` ticks on a fixed schedule. 0 or -1.
 */
int vio_balloon_sleep(struct vio_balloon *b, struct ticker *t, uint64_t ticks, uint64_t every);

#endif
