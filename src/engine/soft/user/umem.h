/*
 * The user-mode address space of a program run by vessel-cpu-run.
 *
 * A 4-level radix map (9 bits a level, like x86-64 paging, SDM Vol. 3A 4.5)
 * from guest page number to a host page of anonymous memory plus the guest's
 * permissions. Host pages are always readable and writable for us; the guest's
 * PROT_* bits live in the map and are enforced by the TLB fill callback and by
 * the checked copy helpers the syscall layer uses.
 *
 * Only the lower half (0 .. UMEM_TOP) exists, as for a Linux user process.
 * Every change that can make a cached translation or decoded code stale calls
 * the `on_change` hook so the owner can flush the CPU's TLB and code cache.
 */
#ifndef VESSEL_ENGINE_SOFT_USER_UMEM_H
#define VESSEL_ENGINE_SOFT_USER_UMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/compiler.h"

#define UMEM_PAGE_SIZE 4096ull
#define UMEM_PAGE_MASK (~(UMEM_PAGE_SIZE - 1))
#define UMEM_TOP 0x800000000000ull /* first non-canonical user address (47 bits) */

/* Guest permissions: the same values as PROT_READ/PROT_WRITE/PROT_EXEC. */
#define UMEM_R 1u
#define UMEM_W 2u
#define UMEM_X 4u
#define UMEM_PROT_MASK 7u

/* on_change reasons: translations are stale (map/unmap/protect), and/or
 * pages that were or are executable changed (decoded code may be stale). */
#define UMEM_CHANGE_MAP 1u
#define UMEM_CHANGE_CODE 2u

struct umem_node;

struct umem {
	struct umem_node *root;
	uint64_t mapped_pages;
	/* Called after pages changed so translations and decoded code can be
	 * dropped; `what` is a mask of UMEM_CHANGE_*. */
	void (*on_change)(void *opaque, uint64_t gva, uint64_t len, unsigned what);
	void *opaque;
};

int umem_create(struct umem **out) MUST_CHECK;
void umem_destroy(struct umem *m);

/* Map fresh zero-filled memory at [gva, gva+len), replacing what was there. Page aligned. */
int umem_map(struct umem *m, uint64_t gva, uint64_t len, unsigned prot) MUST_CHECK;
/* Unmap [gva, gva+len); holes are fine (as munmap). */
int umem_unmap(struct umem *m, uint64_t gva, uint64_t len) MUST_CHECK;
/* Change permissions; -ENOMEM when a page in the range is not mapped (as mprotect). */
int umem_protect(struct umem *m, uint64_t gva, uint64_t len, unsigned prot) MUST_CHECK;

/* Host page and guest permissions of the page holding gva; false when unmapped. */
bool umem_lookup(const struct umem *m, uint64_t gva, uint8_t **host_page, unsigned *prot);
/* True when no page of [gva, gva+len) is mapped. */
bool umem_is_free(const struct umem *m, uint64_t gva, uint64_t len);
/* Highest free page-aligned range of len bytes ending at or below `top`; -ENOMEM if none. */
int umem_find_free(const struct umem *m, uint64_t len, uint64_t bottom, uint64_t top,
		   uint64_t *out) MUST_CHECK;

/*
 * Checked copies on behalf of the guest (copy_to_user/copy_from_user): the
 * whole range must be mapped with the needed guest permission, else -EFAULT
 * and nothing is copied.
 */
int umem_copy_to(struct umem *m, uint64_t gva, const void *src, size_t len) MUST_CHECK;
int umem_copy_from(const struct umem *m, void *dst, uint64_t gva, size_t len) MUST_CHECK;
/* Write ignoring guest permissions (the loader filling read-only segments). */
int umem_poke(struct umem *m, uint64_t gva, const void *src, size_t len) MUST_CHECK;
/* Copy a NUL-terminated string of at most max-1 bytes: length, -EFAULT or -ENAMETOOLONG. */
long umem_copy_str(const struct umem *m, char *dst, uint64_t gva, size_t max) MUST_CHECK;

/*
 * Host iovecs for the guest range [gva, gva+len) with the permission a host
 * read(2) (write=true: it writes guest memory) or write(2) needs; adjacent
 * host pages are merged. At most max entries: *covered tells how many bytes
 * they hold (a short transfer, as the kernel may do). -EFAULT when the first
 * page is inaccessible; a later bad page ends the list early.
 */
int umem_iov(const struct umem *m, uint64_t gva, size_t len, bool write, struct iovec *iov,
	     int max, size_t *covered) MUST_CHECK;
/* Tell the owner that the host side wrote [gva, gva+len) (after a host read into guest memory). */
void umem_written(struct umem *m, uint64_t gva, size_t len);

#endif
