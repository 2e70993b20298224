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

struct gmem {
	struct gmem_region regions[GMEM_MAX_REGIONS];
	unsigned nr_regions;
	uint64_t ram_size; /* total bytes of RAM, all regions */
};

/* Reserve `ram_size` bytes of guest RAM (page-aligned, GMEM_MIN_SIZE..GMEM_MAX_SIZE). */
int gmem_create(uint64_t ram_size, struct gmem **out) MUST_CHECK;
void gmem_destroy(struct gmem *m);

/*
 * Host pointer for [gpa, gpa+len) if it lies wholly inside one RAM region,
 * else NULL. len 0 is allowed (a pointer to gpa if gpa is in RAM).
 */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* True when [gpa, gpa+len) is RAM (possibly spanning regions). */
bool gmem_is_ram(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Copies that may span regions; -EFAULT when any byte is outside RAM (nothing copied then). */
int gmem_copy_to(struct gmem *m, uint64_t gpa, const void *src, size_t len) MUST_CHECK;
int gmem_copy_from(const struct gmem *m, void *dst, uint64_t gpa, size_t len) MUST_CHECK;
int gmem_fill(struct gmem *m, uint64_t gpa, int byte, size_t len) MUST_CHECK;

/* Highest RAM address below the PCI hole, +1 (the end of low RAM). */
uint64_t gmem_low_end(const struct gmem *m);

#endif
