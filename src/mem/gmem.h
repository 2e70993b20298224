/*
 * Guest physical memory.
 *
 * RAM is anonymous MAP_NORESERVE memory (reserved lazily, so the sum of guest
 * RAM may exceed host RAM). Below 4 GiB it stops at GMEM_PCI_HOLE_START; the
 * rest lies above 4 GiB, leaving a hole for PCI MMIO, the IOAPIC and LAPIC.
 *
 * Every access on behalf of the guest goes through the checked helpers here:
 * they reject ranges that overflow, leave RAM, or straddle two regions.
 */
#ifndef VESSEL_MEM_GMEM_H
#define VESSEL_MEM_GMEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

#define GMEM_PAGE_SIZE 4096ull
#define GMEM_PCI_HOLE_START 0xC0000000ull /* 3 GiB: RAM below 4 GiB stops here */
#define GMEM_HIGH_START 0x100000000ull    /* RAM above the hole starts at 4 GiB */
#define GMEM_MIN_SIZE (2ull << 20)        /* 2 MiB: below this nothing boots */
#define GMEM_MAX_SIZE (1ull << 40)        /* 1 TiB: far beyond any host we target */
#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

/*
 * Page sharing (--dedup on the soft engine, docs/page-sharing.md) may map a
 * guest page read-only onto a frame shared with other VMs. Before anyone
 * writes through a host pointer, the page must be made private again.
 */
struct gmem_share_ops {
	/*
	 * Make every page of [gpa, gpa+len) (RAM, checked by the caller) private
	 * and writable (copy on write). pin: the caller keeps a writable host
	 * pointer (virtqueue rings, buffers), so these pages are never shared
	 * again. Returns 0 or -errno (out of memory or mappings).
	 */
	int (*unshare)(void *opaque, uint64_t gpa, uint64_t len, bool pin);
};

struct gmem {
	struct gmem_region regions[GMEM_MAX_REGIONS];
	unsigned nr_regions;
	uint64_t ram_size; /* total bytes of RAM, all regions */
	/* NULL unless page sharing is on: then every writer unshares first. */
	const struct gmem_share_ops *share_ops;
	void *share_opaque;
	/*
	 * Device threads writing guest RAM hold the read side (gmem_dma_begin);
	 * the page-sharing scanner takes the write side around a merge batch,
	 * so no merge remaps a page while a device writes it.
	 */
	pthread_rwlock_t dma_lock;
};

/* Reserve `ram_size` bytes of guest RAM (page-aligned, GMEM_MIN_SIZE..GMEM_MAX_SIZE). */
int gmem_create(uint64_t ram_size, struct gmem **out) MUST_CHECK;
void gmem_destroy(struct gmem *m);

/*
 * Host pointer for [gpa, gpa+len) if it lies wholly inside one RAM region,
 * else NULL. len 0 is allowed (a pointer to gpa if gpa is in RAM).
 * The pointer may be written and kept: with page sharing on, the pages are
 * unshared and pinned (never shared again); NULL if unsharing fails.
 */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Like gmem_ptr for readers only: never unshares (the soft TLB's read fills). */
const void *gmem_ptr_ro(const struct gmem *m, uint64_t gpa, uint64_t len);

/* True when [gpa, gpa+len) is RAM (possibly spanning regions). */
bool gmem_is_ram(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Copies that may span regions; -EFAULT when any byte is outside RAM (nothing copied then). */
int gmem_copy_to(struct gmem *m, uint64_t gpa, const void *src, size_t len) MUST_CHECK;
int gmem_copy_from(const struct gmem *m, void *dst, uint64_t gpa, size_t len) MUST_CHECK;
int gmem_fill(struct gmem *m, uint64_t gpa, int byte, size_t len) MUST_CHECK;

/*
 * A device thread about to write guest RAM through pointers it got earlier
 * (virtqueue buffers) brackets the writes with these: cheap (a reader lock,
 * and nothing at all when page sharing is off). May nest.
 */
void gmem_dma_begin(struct gmem *m);
void gmem_dma_end(struct gmem *m);

/*
 * Page sharing only: hold off every DMA writer. Returns false (and holds
 * nothing) when a writer is inside: the scanner then skips its batch
 * rather than stall the vCPU.
 */
bool gmem_dma_try_exclusive(struct gmem *m);
void gmem_dma_exclusive_end(struct gmem *m);

/* Turn page sharing on before any device or vCPU runs (ops NULL: off). */
void gmem_share_attach(struct gmem *m, const struct gmem_share_ops *ops, void *opaque);

/* Highest RAM address below the PCI hole, +1 (the end of low RAM). */
uint64_t gmem_low_end(const struct gmem *m);

#endif
