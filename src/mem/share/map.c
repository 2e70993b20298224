/*
 * One VM's page-sharing state: see map.h and docs/page-sharing.md.
 *
 * Locking: the scanner runs on the vCPU thread with DMA writers held off
 * (gmem_dma_try_exclusive) and map->lock held; an unshare takes map->lock.
 * The per-page slot array is read without the lock on the unshare fast path:
 * only the scanner sets entries, and it never runs while a writer that
 * could race it (a DMA writer, or the vCPU itself) is inside.
 */
#include "mem/share/map.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/log.h"

#define SHARE_PINNED 1u /* a device keeps a writable pointer: never share */
#define SHARE_ZERO 2u	/* given back with MADV_DONTNEED */
#define MINCORE_CHUNK 64u
#define MAP_COUNT_MARGIN 4096u /* mappings left for the rest of the process */

struct share_map {
	struct gmem *mem;
	struct share_store *store;
	uint64_t nr_pages;
	uint64_t region_first[GMEM_MAX_REGIONS]; /* page index of each region's first page */
	uint32_t *slot;				 /* per page: store slot + 1 when shared, else 0 */
	uint64_t *hash;				 /* per page: hash at the previous scan */
	uint8_t *flags;				 /* per page: SHARE_* */
	uint64_t cursor;			 /* next page the scanner looks at */
	uint64_t max_shared;
	uint32_t owner; /* this map's id in the store's hints */
	pthread_mutex_t lock;
	struct share_map_stats st;
};

static void *array_alloc(uint64_t bytes)
{
	/* Untouched parts cost nothing: a 1 TiB guest's arrays stay virtual. */
	void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void array_free(void *p, uint64_t bytes)
{
	if (p)
		munmap(p, bytes ? bytes : 1);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static long count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	long n = 0;
	int c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/*
 * Each shared page can cost two mappings (its own and the split-off rest of
 * the RAM mapping), so the pages we may share are half of what is left
 * under vm.max_map_count, less a margin for the rest of the process.
 */
static uint64_t default_cap(void)
{
	long max = read_long("/proc/sys/vm/max_map_count"), now = count_maps();

	if (max < 0)
		max = 65530; /* the kernel's default */
	if (now < 0)
		now = 1024;
	if (max - now <= (long)MAP_COUNT_MARGIN)
		return 0;
	return (uint64_t)(max - now - MAP_COUNT_MARGIN) / 2;
}

static const struct gmem_share_ops map_ops;

int share_map_create(struct gmem *m, struct share_store *store, uint64_t max_shared,
		     struct share_map **out)
{
	struct share_map *map = calloc(1, sizeof(*map));

	if (!map)
		return -ENOMEM;
	map->mem = m;
	map->store = store;
	for (unsigned i = 0; i < m->nr_regions; i++) {
		map->region_first[i] = map->nr_pages;
		map->nr_pages += m->regions[i].size / GMEM_PAGE_SIZE;
	}
	pthread_mutex_init(&map->lock, NULL);
	map->slot = array_alloc(map->nr_pages * sizeof(*map->slot));
	map->hash = array_alloc(map->nr_pages * sizeof(*map->hash));
	map->flags = array_alloc(map->nr_pages);
	if (!map->slot || !map->hash || !map->flags) {
		share_map_destroy(map);
		return -ENOMEM;
	}
	map->owner = share_store_owner_new(store);
	map->max_shared = default_cap();
	if (max_shared && max_shared < map->max_shared)
		map->max_shared = max_shared;
	gmem_share_attach(m, &map_ops, map);
	*out = map;
	return 0;
}

static uint8_t *page_host(const struct share_map *map, uint64_t idx)
{
	const struct gmem *m = map->mem;
	unsigned i = m->nr_regions - 1;

	while (i > 0 && idx < map->region_first[i])
		i--;
	return m->regions[i].host + (idx - map->region_first[i]) * GMEM_PAGE_SIZE;
}

/* Page index of gpa; false when gpa is not RAM. */
static bool page_index(const struct share_map *map, uint64_t gpa, uint64_t *idx)
{
	const struct gmem *m = map->mem;

	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			*idx = map->region_first[i] + (gpa - r->gpa) / GMEM_PAGE_SIZE;
			return true;
		}
	}
	return false;
}

static bool host_index(const struct share_map *map, const void *host, uint64_t *idx)
{
	const struct gmem *m = map->mem;
	uintptr_t h = (uintptr_t)host;

	for (unsigned i = 0; i < m->nr_regions; i++) {
		uintptr_t b = (uintptr_t)m->regions[i].host;

		if (h >= b && h - b < m->regions[i].size) {
			*idx = map->region_first[i] + (h - b) / GMEM_PAGE_SIZE;
			return true;
		}
	}
	return false;
}

/* Map private anonymous memory over the page and put `bytes` in it. */
static int page_make_private(uint8_t *host, const void *bytes)
{
	/* Same flags as the RAM mapping (gmem.c) so the kernel can merge the VMAs again. */
	void *p = mmap(host, GMEM_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	memcpy(host, bytes, GMEM_PAGE_SIZE);
	return 0;
}

/* map->lock held. */
static int unshare_page(struct share_map *map, uint64_t idx)
{
	uint32_t slot = map->slot[idx] - 1;
	uint8_t *host = page_host(map, idx);
	uint8_t buf[GMEM_PAGE_SIZE];
	int r;

	memcpy(buf, host, sizeof(buf));
	r = page_make_private(host, buf);
	if (r) {
		log_error("page sharing: cannot unshare a guest page (%s); raise vm.max_map_count",
			  strerror(-r));
		return r;
	}
	__atomic_store_n(&map->slot[idx], 0, __ATOMIC_RELAXED);
	map->hash[idx] = 0; /* must look stable for two more scans before sharing again */
	map->st.shared--;
	map->st.cow++;
	share_store_put(map->store, slot);
	return 0;
}

int share_map_unshare(struct share_map *map, uint64_t gpa, uint64_t len, bool pin)
{
	uint64_t end;
	int r = 0;

	if (!len)
		len = 1;
	if (gpa + len < gpa || !gmem_is_ram(map->mem, gpa, len))
		return -EFAULT;
	/* A range spanning two regions has the PCI hole in between: walk by gpa. */
	end = gpa + len;
	for (uint64_t a = gpa & ~(GMEM_PAGE_SIZE - 1); a < end; a += GMEM_PAGE_SIZE) {
		uint64_t idx;

		if (!page_index(map, a, &idx))
			continue;
		/* Fast path: not shared and (no pin asked or already pinned). */
		if (!__atomic_load_n(&map->slot[idx], __ATOMIC_RELAXED) &&
		    (!pin || (__atomic_load_n(&map->flags[idx], __ATOMIC_RELAXED) & SHARE_PINNED)))
			continue;
		pthread_mutex_lock(&map->lock);
		if (map->slot[idx])
			r = unshare_page(map, idx);
		if (!r && pin) {
			if (map->flags[idx] & SHARE_ZERO)
				map->st.zero--;
			__atomic_store_n(&map->flags[idx], SHARE_PINNED, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&map->lock);
		if (r)
			return r;
	}
	return 0;
}

static int map_unshare_op(void *opaque, uint64_t gpa, uint64_t len, bool pin)
{
	return share_map_unshare(opaque, gpa, len, pin);
}

static const struct gmem_share_ops map_ops = {
	.unshare = map_unshare_op,
};

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	uint64_t acc = 0;

	for (size_t i = 0; i < GMEM_PAGE_SIZE / 8; i += 8) {
		acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] |
		       w[i + 7];
		if (acc)
			return false;
	}
	return true;
}

/*
 * Guest pages given a frame but not mapped yet: consecutive guest pages on
 * consecutive frames are mapped with one mmap (the frames of pages another
 * VM copied into the store in order are consecutive, fresh slots being
 * handed out in order). An mmap into a fragmented address space is most of
 * a merge's cost, and the kernel keeps such a run as one mapping.
 */
struct merge_run {
	uint8_t *host; /* first page */
	uint64_t idx;
	uint32_t slot;
	unsigned n;
};

/* map->lock held, DMA held off: map the pending run, or give its frames back. */
static void merge_run_flush(struct share_map *map, struct merge_run *run,
			    struct share_scan_result *res)
{
	void *p;

	if (!run->n)
		return;
	p = mmap(run->host, (size_t)run->n * GMEM_PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED,
		 share_store_fd(map->store), (off_t)share_store_offset(map->store, run->slot));
	for (unsigned k = 0; k < run->n; k++) {
		uint8_t *host = run->host + (uint64_t)k * GMEM_PAGE_SIZE;

		if (p != MAP_FAILED) {
			__atomic_store_n(&map->slot[run->idx + k], run->slot + k + 1,
					 __ATOMIC_RELAXED);
			map->st.shared++;
			map->st.merges++;
			res->merged++;
			continue;
		}
		/*
		 * Normally nothing was unmapped (the map-count check comes first),
		 * but if it was, the frame holds the same bytes: put them back.
		 */
		if (page_make_private(host, share_store_page(map->store, run->slot + k)) < 0)
			log_error("page sharing: guest page at host %p lost its mapping",
				  (void *)host);
		share_store_put(map->store, run->slot + k);
		map->st.full++;
	}
	run->n = 0;
}

/* map->lock held, DMA held off: find or make a frame for the page and queue its mapping. */
static void try_merge(struct share_map *map, uint64_t idx, uint8_t *host, uint64_t hash,
		      struct merge_run *run, struct share_scan_result *res)
{
	uint32_t slot;
	int r;

	if (map->st.shared + run->n >= map->max_shared) {
		map->st.full++;
		return;
	}
	r = share_store_get(map->store, host, hash, map->owner, (uint32_t)idx, &slot);
	if (r) {
		if (r != -ENOENT) /* -ENOENT: unique so far, a hint was left */
			map->st.full++;
		return;
	}
	if (run->n && idx == run->idx + run->n && slot == run->slot + run->n) {
		run->n++; /* host pages of one scan run are consecutive too */
		return;
	}
	merge_run_flush(map, run, res);
	*run = (struct merge_run){.host = host, .idx = idx, .slot = slot, .n = 1};
}

static void zero_run_flush(uint8_t *start, uint64_t n)
{
	if (n)
		madvise(start, n * GMEM_PAGE_SIZE, MADV_DONTNEED);
}

/* A page the scanner must look at: not shared already, not pinned (no syscall needed to know). */
static bool page_candidate(const struct share_map *map, uint64_t idx)
{
	return !map->slot[idx] && !(map->flags[idx] & SHARE_PINNED);
}

/*
 * Test pages [idx, idx+n), all candidates, whose residency is vec, until
 * max_pages were tested; returns pages passed.
 */
static unsigned scan_run(struct share_map *map, uint64_t idx, unsigned n, const unsigned char *vec,
			 struct share_scan_result *res, unsigned max_pages)
{
	uint8_t *base = page_host(map, idx);
	uint8_t *zero_start = NULL;
	uint64_t zero_n = 0;
	struct merge_run run = {0};
	unsigned i;

	for (i = 0; i < n && res->scanned < max_pages; i++) {
		uint64_t pi = idx + i;
		uint8_t *host = base + (uint64_t)i * GMEM_PAGE_SIZE;
		uint8_t fl = map->flags[pi];
		uint64_t h;

		if (!(vec[i] & 1)) {
			zero_run_flush(zero_start, zero_n);
			zero_n = 0;
			continue;
		}
		res->scanned++;
		map->st.scanned++;
		if (page_is_zero(host)) {
			if (!(fl & SHARE_ZERO)) {
				map->flags[pi] = fl | SHARE_ZERO;
				map->st.zero++;
				res->zeroed++;
			}
			if (!zero_n)
				zero_start = host;
			zero_n++;
			continue;
		}
		zero_run_flush(zero_start, zero_n);
		zero_n = 0;
		if (fl & SHARE_ZERO) {
			/* Written since we gave it back: the kernel broke that share. */
			map->flags[pi] = fl & ~SHARE_ZERO;
			map->st.zero--;
			map->st.cow++;
		}
		h = share_store_hash(map->store, host);
		if (h == map->hash[pi])
			try_merge(map, pi, host, h, &run, res);
		else
			map->hash[pi] = h;
	}
	zero_run_flush(zero_start, zero_n);
	merge_run_flush(map, &run, res);
	return i;
}

/*
 * Scan pages from [idx, idx+n) of one region chunk until max_pages were
 * tested; returns pages passed. Shared and pinned pages are passed over
 * from our own arrays: mincore over them would cost ~200 ns a page (each
 * shared page is its own mapping, a tmpfs page-cache lookup), and once most
 * of RAM is shared every batch passes over all of it (16 pages per page
 * tested), which took 6-17 ms of each 10 ms period from the guest.
 */
static unsigned scan_chunk(struct share_map *map, uint64_t idx, unsigned n,
			   struct share_scan_result *res, unsigned max_pages)
{
	uint8_t *base = page_host(map, idx);
	unsigned char vec[MINCORE_CHUNK];
	unsigned i = 0;

	while (i < n && res->scanned < max_pages) {
		unsigned run = 0, done;

		while (i < n && !page_candidate(map, idx + i))
			i++;
		while (i + run < n && page_candidate(map, idx + i + run))
			run++;
		if (!run)
			break;
		/* Never fault in untouched memory: look at residency first. */
		if (mincore(base + (uint64_t)i * GMEM_PAGE_SIZE, (size_t)run * GMEM_PAGE_SIZE,
			    vec) < 0) {
			i += run;
			continue;
		}
		done = scan_run(map, idx + i, run, vec, res, max_pages);
		i += done;
		if (done < run)
			break; /* max_pages reached */
	}
	return i;
}

int share_map_scan(struct share_map *map, unsigned max_pages, struct share_scan_result *res)
{
	const struct gmem *m = map->mem;
	/*
	 * At most one pass (a page is hashed at most once per batch), and at most
	 * 16 pages passed over (not resident, pinned, shared) per page tested:
	 * mincore over shared RAM costs ~200 ns a page (one mapping per page).
	 */
	uint64_t visit_max = MIN((uint64_t)max_pages * 16, map->nr_pages);

	memset(res, 0, sizeof(*res));
	if (!gmem_dma_try_exclusive(map->mem)) {
		map->st.busy++;
		return -EBUSY;
	}
	pthread_mutex_lock(&map->lock);
	while (res->scanned < max_pages && res->visited < visit_max && map->nr_pages) {
		unsigned i = m->nr_regions - 1;
		uint64_t region_end, n;

		if (map->cursor >= map->nr_pages)
			map->cursor = 0;
		while (i > 0 && map->cursor < map->region_first[i])
			i--;
		region_end = map->region_first[i] + m->regions[i].size / GMEM_PAGE_SIZE;
		n = MIN((uint64_t)MINCORE_CHUNK, region_end - map->cursor);
		n = MIN(n, visit_max - res->visited);
		n = scan_chunk(map, map->cursor, (unsigned)n, res, max_pages);
		res->visited += n;
		map->cursor += n;
	}
	pthread_mutex_unlock(&map->lock);
	gmem_dma_exclusive_end(map->mem);
	return 0;
}

bool share_map_host_shared(const struct share_map *map, const void *host)
{
	uint64_t idx;

	return host_index(map, host, &idx) && __atomic_load_n(&map->slot[idx], __ATOMIC_RELAXED);
}

bool share_map_gpa_shared(const struct share_map *map, uint64_t gpa)
{
	uint64_t idx;

	return page_index(map, gpa, &idx) && __atomic_load_n(&map->slot[idx], __ATOMIC_RELAXED);
}

void share_map_get_stats(const struct share_map *map, struct share_map_stats *st)
{
	/* Plain loads of counters another thread may bump: a snapshot, not a transaction. */
	st->scanned = __atomic_load_n(&map->st.scanned, __ATOMIC_RELAXED);
	st->shared = __atomic_load_n(&map->st.shared, __ATOMIC_RELAXED);
	st->zero = __atomic_load_n(&map->st.zero, __ATOMIC_RELAXED);
	st->cow = __atomic_load_n(&map->st.cow, __ATOMIC_RELAXED);
	st->merges = __atomic_load_n(&map->st.merges, __ATOMIC_RELAXED);
	st->busy = __atomic_load_n(&map->st.busy, __ATOMIC_RELAXED);
	st->full = __atomic_load_n(&map->st.full, __ATOMIC_RELAXED);
}

void share_map_destroy(struct share_map *map)
{
	if (!map)
		return;
	if (map->slot) {
		pthread_mutex_lock(&map->lock);
		for (uint64_t i = 0; i < map->nr_pages && map->st.shared; i++)
			if (map->slot[i] && unshare_page(map, i) < 0) {
				/* Cannot copy back: keep the mapping, just drop our reference
				 * count. */
				share_store_put(map->store, map->slot[i] - 1);
				map->slot[i] = 0;
				map->st.shared--;
			}
		pthread_mutex_unlock(&map->lock);
	}
	if (map->mem && map->mem->share_opaque == map)
		gmem_share_attach(map->mem, NULL, NULL);
	array_free(map->slot, map->nr_pages * sizeof(*map->slot));
	array_free(map->hash, map->nr_pages * sizeof(*map->hash));
	array_free(map->flags, map->nr_pages);
	pthread_mutex_destroy(&map->lock);
	free(map);
}
