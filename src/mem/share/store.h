/*
 * The host-wide page-sharing store (docs/page-sharing.md): one file on
 * tmpfs that every soft-engine VM with --dedup maps MAP_SHARED. It holds
 * 4 KiB page frames ("slots"), each with a content hash and a reference
 * count, and a hash index to find a frame by content, the way VMware ESX
 * keeps its global hash table of shared pages (Waldspurger, OSDI 2002,
 * section 4.1). A guest page is shared by mapping a slot read-only over it.
 *
 * The file layout (all little-endian, offsets page-aligned):
 *   page 0           struct share_store_hdr (magic, version, geometry,
 *                    free list, a process-shared robust mutex)
 *   meta_off         struct share_slot_meta[nr_slots]
 *   bucket_off       uint32_t[nr_buckets]: slot+1 heading each hash chain
 *   hint_off         struct share_hint[nr_buckets]: the last page seen with
 *                    a hash that had no frame (ESX's "hint" entries: a page
 *                    is copied into a frame only once a second page with its
 *                    hash turns up, so unique pages cost nothing)
 *   data_off         nr_slots * 4 KiB of frames
 * Another process writes this file, so every index read from it is bounds
 * checked and every chain walk is bounded: a corrupt store makes sharing
 * fail, never the host crash.
 *
 * Lifetime: openers hold flock(LOCK_SH) while mapped; an opener that gets
 * LOCK_EX (nobody else holds it) resets the file. A VM that dies leaks its
 * references until then.
 */
#ifndef VESSEL_MEM_SHARE_STORE_H
#define VESSEL_MEM_SHARE_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

#define SHARE_STORE_MAGIC 0x45524f5453534c56ull /* "VLSSTORE" */
#define SHARE_STORE_VERSION 1u
#define SHARE_PAGE_SIZE 4096ull
#define SHARE_STORE_MAX_SLOTS (1u << 26)     /* 256 GiB of frames: bounds the file */
#define SHARE_STORE_DEFAULT_SLOTS (1u << 18) /* 1 GiB of distinct shared content */

struct share_store_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size; /* sizeof(struct share_store_hdr) of the writer */
	uint64_t nr_slots;
	uint64_t nr_buckets; /* power of two */
	uint64_t seed;	     /* hash key: a guest cannot aim for one chain */
	uint64_t meta_off, bucket_off, hint_off, data_off, file_size;
	uint32_t free_head;   /* slot+1 of the first freed slot, 0: none */
	uint32_t next_fresh;  /* slots from here on were never used */
	uint64_t used;	      /* slots with a reference */
	uint32_t poisoned;    /* a holder died inside the lock: no more inserts or frees */
	uint32_t next_owner;  /* owner ids handed to share maps */
	pthread_mutex_t lock; /* process-shared, robust */
};

struct share_slot_meta {
	uint64_t hash;
	uint32_t refcount; /* 0: free */
	uint32_t next;	   /* slot+1: next in the hash chain or the free list */
};

struct share_hint {
	uint64_t hash;
	uint32_t owner; /* share map that saw it, 0: empty */
	uint32_t page;	/* its page index in that map */
};

struct share_store;

/*
 * Open (creating or resetting when nobody else holds it) the store at path
 * with room for nr_slots frames (ignored when attaching to a live store:
 * its geometry wins). A corrupt header is refused with a message.
 */
int share_store_open(const char *path, uint32_t nr_slots, struct share_store **out,
		     struct verr *err) MUST_CHECK;
void share_store_close(struct share_store *s);

/* Keyed 64-bit hash of one 4 KiB page. */
uint64_t share_store_hash(const struct share_store *s, const void *page);

/* A fresh owner id for one share map (hints name the page that left them). */
uint32_t share_store_owner_new(struct share_store *s);

/*
 * Find a frame holding exactly `page` (hash first, then byte by byte) and
 * take a reference. Without one: when a hint says another page (another
 * owner, or another page_id of this owner) had this hash, copy the page
 * into a free slot with one reference; else leave a hint and return
 * -ENOENT. Returns 0 with *slot set, -ENOENT, -ENOSPC when full, -EIO when
 * the store is poisoned or corrupt.
 */
int share_store_get(struct share_store *s, const void *page, uint64_t hash, uint32_t owner,
		    uint32_t page_id, uint32_t *slot) MUST_CHECK;
/* Drop one reference; the last one frees the slot and gives its memory back. */
void share_store_put(struct share_store *s, uint32_t slot);

/* For mmap of a slot: the store's descriptor and the slot's file offset. */
int share_store_fd(const struct share_store *s);
uint64_t share_store_offset(const struct share_store *s, uint32_t slot);
/* Read-only view of a slot's bytes (tests, verification). */
const void *share_store_page(const struct share_store *s, uint32_t slot);
uint32_t share_store_refcount(struct share_store *s, uint32_t slot);
uint64_t share_store_used(struct share_store *s);
uint32_t share_store_nr_slots(const struct share_store *s);

/*
 * Check a header as read from a file of file_size bytes; 0 or -EINVAL with
 * a message. Exposed for the fuzz target.
 */
int share_store_check_hdr(const struct share_store_hdr *h, uint64_t file_size,
			  struct verr *err) MUST_CHECK;

#endif
