/*
 * One VM's side of page sharing (docs/page-sharing.md): which guest pages
 * are mapped read-only onto a store frame, which were given back as zero
 * pages, which may never be shared (pinned: a device keeps a writable
 * pointer), and the hash each page had at the previous scan.
 *
 * Sharing a page: hash it; only a page whose hash did not change since the
 * previous scan is a candidate (KSM's "unstable tree" idea: hot pages are
 * not merged just to be broken again); take a store frame with the same
 * bytes (share_store_get compares byte by byte); mmap it MAP_SHARED|
 * MAP_FIXED read-only over the page, at the same host address, so every
 * pointer into guest RAM keeps reading the same bytes. Zero pages are
 * simply given back with MADV_DONTNEED (the kernel's zero page then backs
 * them and the first write faults in a fresh page).
 *
 * Unsharing (copy on write): copy the bytes, map private anonymous memory
 * over the page, copy back, drop the frame reference.
 *
 * Every remapped page may split a VMA: shared pages are capped so that the
 * process stays below vm.max_map_count (see share_map_create).
 */
#ifndef VESSEL_MEM_SHARE_MAP_H
#define VESSEL_MEM_SHARE_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "mem/gmem.h"
#include "mem/share/store.h"

struct share_map;

struct share_map_stats {
	uint64_t scanned; /* pages looked at (zero test and hash) */
	uint64_t shared;  /* pages mapped on a store frame now */
	uint64_t zero;	  /* pages given back as zero pages now */
	uint64_t cow;	  /* shares broken by a write (zero pages: seen at the next scan) */
	uint64_t merges;  /* pages mapped on a frame, ever */
	uint64_t busy;	  /* scans skipped: a device was writing guest RAM */
	uint64_t full;	  /* candidates refused: cap or store full */
};

struct share_scan_result {
	unsigned visited; /* pages whose residency was looked at */
	unsigned scanned; /* resident pages tested */
	unsigned merged;  /* pages newly mapped on a frame */
	unsigned zeroed;  /* pages given back as zero */
};

/*
 * Attach page sharing to m (gmem_share_attach): from now on every writer
 * through gmem unshares first. max_shared 0: the default cap from
 * vm.max_map_count. The store is borrowed (outlives the map).
 */
int share_map_create(struct gmem *m, struct share_store *store, uint64_t max_shared,
		     struct share_map **out) MUST_CHECK;
/* Unshare every page (copy back), drop every reference, detach from gmem. */
void share_map_destroy(struct share_map *map);

/*
 * Look at up to max_pages resident pages from where the previous scan
 * stopped (non-resident pages are skipped without touching them, at most
 * 16 * max_pages of them). Holds off DMA writers for the batch: -EBUSY
 * when one is inside (nothing done). The caller must drop any writable
 * translation of a page that is shared afterwards (share_map_host_shared).
 */
int share_map_scan(struct share_map *map, unsigned max_pages,
		   struct share_scan_result *res) MUST_CHECK;

/*
 * Make [gpa, gpa+len) private and writable (the gmem hook; the soft TLB's
 * write fill). 0, or -errno when a page cannot be remapped.
 */
int share_map_unshare(struct share_map *map, uint64_t gpa, uint64_t len, bool pin) MUST_CHECK;

/* True when the host address lies in a guest page mapped on a frame now. */
bool share_map_host_shared(const struct share_map *map, const void *host);
bool share_map_gpa_shared(const struct share_map *map, uint64_t gpa);

void share_map_get_stats(const struct share_map *map, struct share_map_stats *st);

#endif
