/*
 * One VM's page sharing (src/mem/share/map.c) with two guest RAMs in one
 * process: merging, copy on write through the soft TLB's write fill and
 * through gmem writers, zero pages, pinning, residency, DMA exclusion.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "engine/soft/soft_share.h"
#include "mem/gmem.h"
#include "mem/share/map.h"
#include "mem/share/store.h"

#define RAM (8ull << 20)
#define PG GMEM_PAGE_SIZE

struct fx {
	char path[128];
	struct share_store *store;
	struct gmem *m1, *m2;
	struct share_map *s1, *s2;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct verr err = {0};

	snprintf(f->path, sizeof(f->path), "/dev/shm/vessel-test-map-%d", (int)getpid());
	unlink(f->path);
	assert_int_equal(share_store_open(f->path, 64, &f->store, &err), 0);
	assert_int_equal(gmem_create(RAM, &f->m1), 0);
	assert_int_equal(gmem_create(RAM, &f->m2), 0);
	assert_int_equal(share_map_create(f->m1, f->store, 0, &f->s1), 0);
	assert_int_equal(share_map_create(f->m2, f->store, 0, &f->s2), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char lock[160];

	share_map_destroy(f->s1);
	share_map_destroy(f->s2);
	gmem_destroy(f->m1);
	gmem_destroy(f->m2);
	share_store_close(f->store);
	snprintf(lock, sizeof(lock), "%s.lock", f->path);
	unlink(f->path);
	unlink(lock);
	free(f);
	return 0;
}

static void pattern(uint8_t *p, uint8_t seed)
{
	for (size_t i = 0; i < PG; i++)
		p[i] = (uint8_t)(seed ^ (i * 13) ^ (i >> 8));
}

/* Write a page straight through the RAM mapping (what the guest did before sharing). */
static void poke_page(struct gmem *m, uint64_t gpa, uint8_t seed)
{
	pattern((uint8_t *)(uintptr_t)gmem_ptr_ro(m, gpa, PG), seed);
}

static void scan_all(struct share_map *s)
{
	struct share_scan_result r;

	assert_int_equal(share_map_scan(s, (unsigned)(RAM / PG), &r), 0);
}

/* /proc/self/maps: is the page at host mapped from the store file? */
static bool mapped_from_store(const struct fx *f, const void *host)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	assert_non_null(m);
	while (fgets(line, sizeof(line), m)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)host >= lo &&
		    (uintptr_t)host < hi) {
			found = strstr(line, f->path) != NULL;
			break;
		}
	}
	fclose(m);
	return found;
}

static void merge_one(struct fx *f, uint64_t gpa, uint8_t seed)
{
	poke_page(f->m1, gpa, seed);
	poke_page(f->m2, gpa, seed);
	/* First scan records the hash; the second (unchanged) leaves a hint in the store. */
	scan_all(f->s1);
	scan_all(f->s2);
	assert_false(share_map_gpa_shared(f->s1, gpa));
	scan_all(f->s1);
	assert_false(share_map_gpa_shared(f->s1, gpa)); /* unique so far: no frame */
	/* m2's page matches m1's hint: a frame; m1 finds it at its next scan. */
	scan_all(f->s2);
	assert_true(share_map_gpa_shared(f->s2, gpa));
	scan_all(f->s1);
}

static void test_merge(void **state)
{
	struct fx *f = *state;
	uint8_t want[PG], other[PG];
	struct share_map_stats st;

	pattern(want, 0x42);
	pattern(other, 0x43);
	poke_page(f->m1, 0x21000, 0x43); /* different in m1 only */
	merge_one(f, 0x10000, 0x42);
	assert_true(share_map_gpa_shared(f->s1, 0x10000));
	assert_true(share_map_gpa_shared(f->s2, 0x10000));
	assert_false(share_map_gpa_shared(f->s1, 0x21000));
	assert_true(mapped_from_store(f, gmem_ptr_ro(f->m1, 0x10000, PG)));
	assert_true(mapped_from_store(f, gmem_ptr_ro(f->m2, 0x10000, PG)));
	assert_false(mapped_from_store(f, gmem_ptr_ro(f->m1, 0x21000, PG)));
	/* Both still read their bytes. */
	assert_memory_equal(gmem_ptr_ro(f->m1, 0x10000, PG), want, PG);
	assert_memory_equal(gmem_ptr_ro(f->m2, 0x10000, PG), want, PG);
	assert_memory_equal(gmem_ptr_ro(f->m1, 0x21000, PG), other, PG);
	/* One frame for the two pages; the page only m1 has got none. */
	share_map_get_stats(f->s1, &st);
	assert_int_equal(st.shared, 1);
	assert_int_equal(st.cow, 0);
	assert_int_equal(share_store_used(f->store), 1);
}

/* A write through the soft TLB's write fill copies: the other VM keeps the old bytes. */
static void test_cow_fill(void **state)
{
	struct fx *f = *state;
	uint8_t want[PG];
	struct share_map_stats st;
	uint8_t *w;
	const void *rd;
	int err;

	merge_one(f, 0x30000, 0x77);
	pattern(want, 0x77);
	/* A read fill keeps the share (same host address). */
	rd = soft_fill_host_page(f->m1, f->s1, 0x30000, SOFT_ACC_READ, &err);
	assert_int_equal(err, 0);
	assert_ptr_equal(rd, gmem_ptr_ro(f->m1, 0x30000, PG));
	assert_true(share_map_gpa_shared(f->s1, 0x30000));
	/* The write fill unshares and returns the same address, now writable. */
	w = soft_fill_host_page(f->m1, f->s1, 0x30000, SOFT_ACC_WRITE, &err);
	assert_int_equal(err, 0);
	assert_ptr_equal(w, rd);
	assert_false(share_map_gpa_shared(f->s1, 0x30000));
	assert_false(mapped_from_store(f, w));
	assert_memory_equal(w, want, PG); /* content copied */
	w[5] = 0xEE;
	assert_int_equal(((const uint8_t *)gmem_ptr_ro(f->m1, 0x30000, PG))[5], 0xEE);
	/* The other VM is untouched and still shared. */
	assert_memory_equal(gmem_ptr_ro(f->m2, 0x30000, PG), want, PG);
	assert_true(share_map_gpa_shared(f->s2, 0x30000));
	share_map_get_stats(f->s1, &st);
	assert_int_equal(st.cow, 1);
	/* Not RAM: NULL, no error. */
	assert_null(soft_fill_host_page(f->m1, f->s1, RAM + PG, SOFT_ACC_WRITE, &err));
	assert_int_equal(err, 0);
}

/* gmem_copy_to and gmem_fill (devices, loaders) unshare too, even across pages. */
static void test_cow_gmem_writers(void **state)
{
	struct fx *f = *state;
	uint8_t want[PG], buf[16];
	uint8_t got[PG];

	merge_one(f, 0x40000, 0x11);
	merge_one(f, 0x41000, 0x12);
	pattern(want, 0x11);
	memset(buf, 0xAB, sizeof(buf));
	/* 16 bytes straddling the two shared pages of m2. */
	assert_int_equal(gmem_copy_to(f->m2, 0x41000 - 8, buf, sizeof(buf)), 0);
	assert_false(share_map_gpa_shared(f->s2, 0x40000));
	assert_false(share_map_gpa_shared(f->s2, 0x41000));
	assert_int_equal(gmem_copy_from(f->m2, got, 0x40000, PG), 0);
	memcpy(want + PG - 8, buf, 8);
	assert_memory_equal(got, want, PG);
	/* m1 keeps the originals. */
	pattern(want, 0x11);
	assert_memory_equal(gmem_ptr_ro(f->m1, 0x40000, PG), want, PG);
	assert_true(share_map_gpa_shared(f->s1, 0x40000));
	assert_int_equal(gmem_fill(f->m1, 0x40000, 0, 4), 0);
	assert_false(share_map_gpa_shared(f->s1, 0x40000));
	assert_int_equal(((const uint8_t *)gmem_ptr_ro(f->m1, 0x40000, PG))[3], 0);
	assert_int_equal(((const uint8_t *)gmem_ptr_ro(f->m1, 0x40000, PG))[4], want[4]);
	/* Out of RAM: refused before anything changes. */
	assert_int_equal(gmem_copy_to(f->m1, RAM - 4, buf, 8), -EFAULT);
}

static bool resident(const void *host)
{
	unsigned char v = 0;

	assert_int_equal(mincore((void *)((uintptr_t)host & ~(PG - 1)), PG, &v), 0);
	return v & 1;
}

/* An all-zero page is given back to the kernel; a later write is seen as a broken share. */
static void test_zero_page(void **state)
{
	struct fx *f = *state;
	struct share_map_stats st;
	uint8_t *p = (uint8_t *)(uintptr_t)gmem_ptr_ro(f->m1, 0x50000, PG);
	uint8_t one = 1;

	p[0] = 1;
	p[0] = 0; /* resident, all zero */
	assert_true(resident(p));
	scan_all(f->s1);
	share_map_get_stats(f->s1, &st);
	assert_int_equal(st.zero, 1);
	assert_false(resident(p));
	assert_int_equal(p[100], 0);
	assert_int_equal(gmem_copy_to(f->m1, 0x50000 + 7, &one, 1), 0);
	scan_all(f->s1);
	share_map_get_stats(f->s1, &st);
	assert_int_equal(st.zero, 0);
	assert_int_equal(st.cow, 1);
	assert_int_equal(p[7], 1);
}

/* The scanner never faults in memory the guest did not touch. */
static void test_residency(void **state)
{
	struct fx *f = *state;
	const uint8_t *base = gmem_ptr_ro(f->m1, 0, RAM);
	unsigned n = 0;
	struct share_scan_result r;

	poke_page(f->m1, 0x3000, 9);
	assert_int_equal(share_map_scan(f->s1, (unsigned)(RAM / PG), &r), 0);
	assert_int_equal(r.scanned, 1);
	for (uint64_t off = 0; off < RAM; off += PG)
		n += resident(base + off);
	assert_int_equal(n, 1);
}

/* /proc/self/maps: the bounds of the mapping that holds host. */
static void mapping_of(const void *host, uintptr_t *lo, uintptr_t *hi)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];

	assert_non_null(m);
	*lo = *hi = 0;
	while (fgets(line, sizeof(line), m)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && (uintptr_t)host >= a &&
		    (uintptr_t)host < b) {
			*lo = a;
			*hi = b;
			break;
		}
	}
	fclose(m);
}

/*
 * Eight consecutive pages, new to the store, get consecutive frames when
 * the second VM copies them in, and both VMs map them as one run (one
 * mmap): each page reads its own frame, the run is one mapping of eight
 * pages at consecutive offsets, and a write into the middle breaks only
 * that page's share.
 */
static void test_merge_run(void **state)
{
	struct fx *f = *state;
	const uint64_t base = 0xA0000;
	uintptr_t lo, hi;
	uint8_t want[PG];
	struct share_map_stats st;
	uint8_t b = 0xEE, seed[8];
	uint64_t buckets = 0;
	unsigned n = 0;

	/*
	 * The store keeps one hint per hash bucket (64 for 64 slots): contents
	 * whose hashes share a bucket would overwrite each other's hint and get
	 * their frames in another round. Pick eight that do not.
	 */
	for (unsigned v = 0x80; n < 8; v++) {
		unsigned bk;

		assert_true(v < 0x100);
		pattern(want, (uint8_t)v);
		bk = (unsigned)(share_store_hash(f->store, want) & 63);
		if (!(buckets & (1ull << bk))) {
			buckets |= 1ull << bk;
			seed[n++] = (uint8_t)v;
		}
	}
	for (uint64_t k = 0; k < 8; k++) {
		poke_page(f->m1, base + k * PG, seed[k]);
		poke_page(f->m2, base + k * PG, seed[k]);
	}
	scan_all(f->s1);
	scan_all(f->s2);
	scan_all(f->s1); /* hints */
	scan_all(f->s2); /* frames, consecutive */
	scan_all(f->s1);
	for (uint64_t k = 0; k < 8; k++) {
		assert_true(share_map_gpa_shared(f->s1, base + k * PG));
		assert_true(share_map_gpa_shared(f->s2, base + k * PG));
	}
	assert_int_equal(share_store_used(f->store), 8);
	mapping_of(gmem_ptr_ro(f->m1, base, PG), &lo, &hi);
	assert_int_equal(lo, (uintptr_t)gmem_ptr_ro(f->m1, base, PG));
	assert_int_equal(hi - lo, 8 * PG);
	mapping_of(gmem_ptr_ro(f->m2, base, PG), &lo, &hi);
	assert_int_equal(hi - lo, 8 * PG);
	for (uint64_t k = 0; k < 8; k++) {
		pattern(want, seed[k]);
		assert_memory_equal(gmem_ptr_ro(f->m1, base + k * PG, PG), want, PG);
		assert_memory_equal(gmem_ptr_ro(f->m2, base + k * PG, PG), want, PG);
	}
	share_map_get_stats(f->s1, &st);
	assert_int_equal(st.shared, 8);
	assert_int_equal(st.merges, 8);
	/* Copy on write of page 3 of m1: pages 2 and 4 stay shared, m2 keeps its bytes. */
	assert_int_equal(gmem_copy_to(f->m1, base + 3 * PG + 9, &b, 1), 0);
	assert_false(share_map_gpa_shared(f->s1, base + 3 * PG));
	assert_true(share_map_gpa_shared(f->s1, base + 2 * PG));
	assert_true(share_map_gpa_shared(f->s1, base + 4 * PG));
	assert_int_equal(((const uint8_t *)gmem_ptr_ro(f->m1, base + 3 * PG, PG))[9], 0xEE);
	pattern(want, seed[3]);
	assert_memory_equal(gmem_ptr_ro(f->m2, base + 3 * PG, PG), want, PG);
	pattern(want, seed[4]);
	assert_memory_equal(gmem_ptr_ro(f->m1, base + 4 * PG, PG), want, PG);
}

/*
 * Shared pages between private ones are passed over without being tested,
 * the private ones around them are tested, and a batch that stops at
 * max_pages inside a run of private pages goes on from there next time.
 */
static void test_scan_passes_shared(void **state)
{
	struct fx *f = *state;
	struct share_scan_result r;
	unsigned tested = 0;

	merge_one(f, 0x90000, 0x61);
	merge_one(f, 0x92000, 0x62);
	assert_true(share_map_gpa_shared(f->s1, 0x90000));
	assert_true(share_map_gpa_shared(f->s1, 0x92000));
	poke_page(f->m1, 0x91000, 0x71);
	poke_page(f->m1, 0x93000, 0x72);
	poke_page(f->m1, 0x94000, 0x73);
	assert_int_equal(share_map_scan(f->s1, (unsigned)(RAM / PG), &r), 0);
	assert_int_equal(r.visited, RAM / PG);
	assert_int_equal(r.scanned, 3);
	/*
	 * One page a batch (16 visits at most) for one pass from page 0: the
	 * three private pages are tested once each, every batch stops at the
	 * page it tested or after 16 visits (the last one may wrap around to
	 * page 15 at most: nothing to test there).
	 */
	for (unsigned visited = 0; visited < RAM / PG;) {
		assert_int_equal(share_map_scan(f->s1, 1, &r), 0);
		assert_true(r.scanned <= 1);
		assert_true(r.visited >= 1 && r.visited <= 16);
		tested += r.scanned;
		visited += r.visited;
		assert_true(visited < RAM / PG + 16);
	}
	assert_int_equal(tested, 3);
	/* Their bytes are intact, the shared ones still shared. */
	assert_int_equal(*(const uint8_t *)gmem_ptr_ro(f->m1, 0x93000, 1), 0x72);
	assert_true(share_map_gpa_shared(f->s1, 0x90000));
	assert_true(share_map_gpa_shared(f->s1, 0x92000));
}

/*
 * A page whose bytes changed between two scans is not shared (unstable);
 * two identical pages of one VM share once both are stable.
 */
static void test_unstable(void **state)
{
	struct fx *f = *state;

	poke_page(f->m1, 0x60000, 1);
	poke_page(f->m1, 0x61000, 2);
	scan_all(f->s1);
	poke_page(f->m1, 0x60000, 2);
	scan_all(f->s1);
	assert_false(share_map_gpa_shared(f->s1, 0x60000));
	assert_true(share_map_gpa_shared(f->s1, 0x61000) == false);
	scan_all(f->s1); /* 0x60000 now stable: 0x61000 left a hint, so it gets a frame */
	assert_true(share_map_gpa_shared(f->s1, 0x60000));
	scan_all(f->s1);
	assert_true(share_map_gpa_shared(f->s1, 0x61000));
	assert_int_equal(share_store_used(f->store), 1);
}

/* gmem_ptr hands out a pointer a device may keep: the page is unshared and never shared again. */
static void test_pin(void **state)
{
	struct fx *f = *state;
	uint8_t *p;

	merge_one(f, 0x70000, 0x5A);
	assert_true(share_map_gpa_shared(f->s1, 0x70000));
	p = gmem_ptr(f->m1, 0x70010, 16);
	assert_non_null(p);
	assert_false(share_map_gpa_shared(f->s1, 0x70000));
	p[0] = 3;			      /* writable */
	p[0] = (uint8_t)(0x5A ^ (0x10 * 13)); /* back to the pattern: identical again */
	scan_all(f->s1);
	scan_all(f->s1);
	scan_all(f->s1);
	assert_false(share_map_gpa_shared(f->s1, 0x70000));
	p[1] = 4;
}

/* While a device writes guest RAM (DMA bracket), the scanner backs off. */
static void test_dma_excludes_scan(void **state)
{
	struct fx *f = *state;
	struct share_scan_result r;
	struct share_map_stats st;

	poke_page(f->m1, 0x80000, 4);
	gmem_dma_begin(f->m1);
	gmem_dma_begin(f->m1); /* nests */
	assert_int_equal(share_map_scan(f->s1, 100, &r), -EBUSY);
	gmem_dma_end(f->m1);
	assert_int_equal(share_map_scan(f->s1, 100, &r), -EBUSY);
	gmem_dma_end(f->m1);
	assert_int_equal(share_map_scan(f->s1, 100, &r), 0);
	assert_int_equal(r.scanned, 1);
	share_map_get_stats(f->s1, &st);
	assert_int_equal(st.busy, 2);
}

/* The per-VM cap (max_map_count) holds. */
static void test_cap(void **state)
{
	struct fx *f = *state;
	struct share_map *capped = NULL;
	struct gmem *m = NULL;
	struct share_map_stats st;

	assert_int_equal(gmem_create(RAM, &m), 0);
	assert_int_equal(share_map_create(m, f->store, 2, &capped), 0);
	for (int i = 0; i < 5; i++)
		poke_page(m, 0x1000 * (uint64_t)(i + 1), 0x33);
	for (int i = 0; i < 3; i++) {
		struct share_scan_result r;

		assert_int_equal(share_map_scan(capped, 128, &r),
				 0); /* 128 * 16 visits: all of RAM */
	}
	share_map_get_stats(capped, &st);
	assert_int_equal(st.shared, 2);
	assert_true(st.full >= 3);
	/* Destroy copies shared pages back: writable through the plain mapping again. */
	share_map_destroy(capped);
	((uint8_t *)(uintptr_t)gmem_ptr_ro(m, 0x1000, PG))[0] = 1;
	((uint8_t *)(uintptr_t)gmem_ptr_ro(m, 0x2000, PG))[0] = 1;
	assert_null(m->share_ops);
	gmem_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cow_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cow_gmem_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_residency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unstable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_excludes_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_passes_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_run, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
