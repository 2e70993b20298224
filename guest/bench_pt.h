/*
 * Page-table helpers for test=enginebench: walks and maps on any 4-level
 * hierarchy (Intel SDM Vol. 3A, 4.5), not just the kernel's own (paging.c
 * keeps one static address space; the cr3 and forkwait ops need a second).
 * Tables and frames are identity-mapped (they come from frame_alloc, below
 * 4 GiB), so a table's physical address is also its pointer.
 */
#ifndef GUEST_BENCH_PT_H
#define GUEST_BENCH_PT_H

#include <stdint.h>

/* The level-0 entry for va under pml4 (a physical address), allocating
 * missing tables (user-accessible, writable) when alloc; NULL if impossible. */
uint64_t *bench_pte(uint64_t pml4, uint64_t va, int alloc);

/* A small pool of zeroed frames taken once from frame_alloc and recycled:
 * the guest's allocator never frees, and forkwait builds and tears down an
 * address space per round. Frames must be returned zeroed where the user
 * relies on it (forkwait clears exactly the entries it set). */
#define BENCH_POOL_MAX 64
struct bench_pool {
	uint64_t frame[BENCH_POOL_MAX];
	unsigned nr;
};

/* Fill the pool with n frames: 0, or -1 after printing why. */
int bench_pool_fill(struct bench_pool *p, unsigned n);
uint64_t bench_pool_get(struct bench_pool *p); /* 0 when empty */
void bench_pool_put(struct bench_pool *p, uint64_t frame);

#endif
