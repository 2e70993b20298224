/*
 * The guest's own 4-level page tables (Intel SDM Vol. 3A, 4.5).
 *
 * Virtual layout:
 *   [0, 4 GiB)        identity map, supervisor-only, except the image's user
 *                     sections and .rodata (4 KiB pages in the first 2 MiB);
 *                     page 0 unmapped; 3-4 GiB uncached (LAPIC, IOAPIC).
 *   [512 GiB, ...)    USER_REGION_BASE: ring-3 memory mapped on demand.
 * Page-table pages and user frames come from a bump allocator over RAM
 * between 2 MiB and the end of low memory; RAM above 4 GiB (guest/bootinfo.h)
 * serves only as user 2 MiB pages.
 */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include <stdint.h>

#include "guest.h"

#define PAGE_SIZE 4096ul
#define HUGE_PAGE_SIZE (2ul << 20)

#define PTE_P (1ul << 0)
#define PTE_W (1ul << 1)
#define PTE_U (1ul << 2)
#define PTE_PWT (1ul << 3)
#define PTE_PCD (1ul << 4)
#define PTE_PS (1ul << 7)
#define PTE_ADDR 0x000ffffffffff000ul

#define USER_REGION_BASE (512ul << 30)

/* Build the tables and switch CR3 to them; 0 or -1 (after printing why). */
int paging_init(const struct guest *g);

/* A free, zeroed 4 KiB frame (identity-mapped), or 0 when RAM is exhausted. */
uint64_t frame_alloc(void);
uint64_t frame_free_bytes(void);

/*
 * A 2 MiB-aligned 2 MiB frame for a user large page, above 4 GiB first, or 0.
 * NOT zeroed (zeroing megabytes in an emulated ring 0 is slow): the caller
 * must make ring 3 write it before reading it.
 */
uint64_t frame_alloc_2m(void);
uint64_t frame_free_2m_bytes(void);

/* Map one page at va (user region) to pa with PTE flags; 0 or -1 if out of frames / already mapped.
 */
int paging_map_4k(uint64_t va, uint64_t pa, uint64_t flags);
int paging_map_2m(uint64_t va, uint64_t pa, uint64_t flags);

/* Whether ring 3 may access [va, va+len) (present and user at every level; writable if write). */
int paging_user_ok(uint64_t va, uint64_t len, int write);

/* A range of the user region whose pages are allocated, zeroed and mapped on first touch. */
struct demand_region {
	uint64_t base;
	uint64_t size;
	uint64_t faults;     /* pages mapped by faults */
	uint64_t first_cr2;  /* address of the first fault, for the scenario's checks */
	uint64_t last_frame; /* physical frame of the latest fault */
};

/* Install r as the #PF handler for user not-present faults inside it. */
void demand_region_install(struct demand_region *r);
void demand_region_remove(void);

#endif
