/*
 * virtio-balloon (virtio 1.2 section 5.5): inflateq 0, deflateq 1,
 * statsq 2 (VIRTIO_BALLOON_F_STATS_VQ), reporting_vq 3
 * (VIRTIO_BALLOON_F_PAGE_REPORTING; FREE_PAGE_HINT is not offered, so the
 * queues stay contiguous as Linux and QEMU number them), plus
 * VIRTIO_BALLOON_F_DEFLATE_ON_OOM.
 *
 * Inflated and reported pages are given back to the host with
 * madvise(MADV_DONTNEED) on the guest-RAM mapping (anonymous private
 * memory), so vessel's RSS drops and the pages read as zero when the guest
 * uses them again. Deflating needs no host action (MUST_TELL_HOST is not
 * offered). Every PFN and buffer is checked to lie in guest RAM.
 */
#ifndef VESSEL_DEV_VIRTIO_BALLOON_H
#define VESSEL_DEV_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"

struct gmem;
struct virtio_dev;
struct virtio_balloon;

#define VIRTIO_BALLOON_F_MUST_TELL_HOST 0
#define VIRTIO_BALLOON_F_STATS_VQ 1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2
#define VIRTIO_BALLOON_F_PAGE_REPORTING 5
#define VIRTIO_BALLOON_PFN_SHIFT 12

/* Statistics tags (5.5.6.3). */
#define VIRTIO_BALLOON_S_SWAP_IN 0
#define VIRTIO_BALLOON_S_SWAP_OUT 1
#define VIRTIO_BALLOON_S_MAJFLT 2
#define VIRTIO_BALLOON_S_MINFLT 3
#define VIRTIO_BALLOON_S_MEMFREE 4
#define VIRTIO_BALLOON_S_MEMTOT 5
#define VIRTIO_BALLOON_S_AVAIL 6
#define VIRTIO_BALLOON_S_CACHES 7
#define VIRTIO_BALLOON_S_HTLB_PGALLOC 8
#define VIRTIO_BALLOON_S_HTLB_PGFAIL 9
#define VIRTIO_BALLOON_S_NR 10

struct balloon_info {
	uint32_t target_pages;			 /* what the host asked for */
	uint32_t actual_pages;			 /* what the driver says it holds */
	uint64_t inflated_pages, deflated_pages; /* counted from the queues */
	uint64_t reported_bytes;		 /* free page reporting */
	uint64_t stats[VIRTIO_BALLOON_S_NR];
	uint32_t stats_valid; /* bit per tag the guest reported */
	uint64_t stats_updates;
};

/*
 * page_reporting: offer VIRTIO_BALLOON_F_PAGE_REPORTING (free page reporting
 * gives the guest's free memory back to the host as it frees it).
 */
int virtio_balloon_create(struct gmem *mem, bool page_reporting, struct virtio_balloon **out)
	MUST_CHECK;
void virtio_balloon_destroy(struct virtio_balloon *b);
struct virtio_dev *virtio_balloon_dev(struct virtio_balloon *b);

/* Ask the guest to hold `pages` 4 KiB pages (config change interrupt). Thread-safe. */
void balloon_set_target(struct virtio_balloon *b, uint32_t pages);
/* Ask the guest for fresh statistics (returns its stats buffer). Thread-safe. */
void balloon_request_stats(struct virtio_balloon *b);
/* A snapshot of the balloon's state. Thread-safe. */
void balloon_get_info(struct virtio_balloon *b, struct balloon_info *out);

#endif
