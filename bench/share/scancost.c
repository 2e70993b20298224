/*
 * Page-sharing scan cost (bench/share/run.sh): two guest RAMs in one
 * process, the same content in both, scanned by src/mem/share/ as the soft
 * engine's scanner does. Prints ns per page hashed (the hash alone and a
 * whole first pass: residency, zero test, hash), ns per page merged (the
 * pass that maps frames, runs of consecutive frames with one mmap), ns per copy on write, and the
 * share reached.
 *
 * Usage: share-scancost [MiB per guest, default 64]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time.h"
#include "mem/gmem.h"
#include "mem/share/map.h"
#include "mem/share/store.h"

#define PG GMEM_PAGE_SIZE

/* Content: 1 page in 8 zero, the rest one of 64 patterns (like an OS's repeated pages). */
static void fill(struct gmem *m, uint64_t bytes)
{
	for (uint64_t gpa = 0; gpa < bytes; gpa += PG) {
		uint64_t *p = (uint64_t *)(uintptr_t)gmem_ptr_ro(m, gpa, PG);
		uint64_t n = gpa / PG;

		if (n % 8 == 0) {
			p[0] = 1; /* touched, then zero again */
			p[0] = 0;
			continue;
		}
		for (size_t i = 0; i < PG / 8; i++)
			p[i] = (n % 64) * 0x9E3779B97F4A7C15ull + i;
	}
}

static uint64_t pass(struct share_map *s, unsigned pages, struct share_scan_result *sum)
{
	struct share_scan_result r;
	uint64_t t0 = time_mono_ns();

	memset(sum, 0, sizeof(*sum));
	/* Batches of 512 like the scanner's burst at the default rate. */
	for (unsigned done = 0; done < pages; done += 512) {
		if (share_map_scan(s, 512, &r) < 0)
			return 0;
		sum->scanned += r.scanned;
		sum->visited += r.visited;
		sum->merged += r.merged;
		sum->zeroed += r.zeroed;
	}
	return time_mono_ns() - t0;
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 64, bytes = mib << 20;
	unsigned pages = (unsigned)(bytes / PG);
	char path[128];
	struct verr err = {0};
	struct share_store *st = NULL;
	struct gmem *m1 = NULL, *m2 = NULL;
	struct share_map *s1 = NULL, *s2 = NULL;
	struct share_scan_result r;
	struct share_map_stats ms;
	uint64_t t0, ns, h = 0;
	int ret = 1;

	snprintf(path, sizeof(path), "/dev/shm/vessel-bench-share-%d", (int)getpid());
	if (mib < 2 || share_store_open(path, 1u << 16, &st, &err) || gmem_create(bytes, &m1) ||
	    gmem_create(bytes, &m2) || share_map_create(m1, st, 0, &s1) ||
	    share_map_create(m2, st, 0, &s2)) {
		fprintf(stderr, "share-scancost: set-up failed: %s\n", err.msg);
		goto out;
	}
	fill(m1, bytes);
	fill(m2, bytes);

	t0 = time_mono_ns();
	for (uint64_t gpa = 0; gpa < bytes; gpa += PG)
		h ^= share_store_hash(st, gmem_ptr_ro(m1, gpa, PG));
	ns = time_mono_ns() - t0;
	printf("hash alone:          %6.0f ns/page (%.1f GB/s)  [%" PRIx64 "]\n",
	       (double)ns / pages, (double)bytes / ns, h & 0xf);

	ns = pass(s1, pages, &r);
	printf("first pass (hashes): %6.0f ns/page over %u resident pages, %u zero pages given "
	       "back\n",
	       (double)ns / (r.scanned ? r.scanned : 1), r.scanned, r.zeroed);
	pass(s2, pages, &r);
	/* Pages are stable now: passes leave hints, make frames and merge until nothing changes. */
	uint64_t mns = 0, merged = 0, scanned = 0;
	for (int i = 0; i < 6; i++) {
		mns += pass(i % 2 ? s2 : s1, pages, &r);
		merged += r.merged;
		scanned += r.scanned;
	}
	printf("merge passes:        %" PRIu64 " pages scanned, %" PRIu64
	       " merged in %.1f ms: %.0f ns per merge (hash, compare, mmap)\n",
	       scanned, merged, mns / 1e6, merged ? (double)mns / merged : 0.0);
	ns = pass(s1, pages, &r);
	printf("pass over shared RAM: %5.0f ns per page passed over (shared: an array look-up; "
	       "the zero pages between: mincore)\n",
	       (double)ns / (r.visited ? r.visited : 1));
	share_map_get_stats(s1, &ms);
	printf("VM 1: %" PRIu64 " of %u pages shared (%.0f%%), %" PRIu64
	       " zero; store frames %" PRIu64 "\n",
	       ms.shared + ms.zero, pages, 100.0 * (double)(ms.shared + ms.zero) / pages, ms.zero,
	       share_store_used(st));

	/* Copy on write: one byte into every shared page of m1 through gmem_copy_to. */
	t0 = time_mono_ns();
	unsigned cows = 0;
	for (uint64_t gpa = 0; gpa < bytes; gpa += PG)
		if (share_map_gpa_shared(s1, gpa)) {
			uint8_t b = 0xEE;

			if (gmem_copy_to(m1, gpa + 5, &b, 1))
				goto out;
			cows++;
		}
	ns = time_mono_ns() - t0;
	printf("copy on write:       %6.0f ns per page (%u pages)\n",
	       cows ? (double)ns / cows : 0.0, cows);
	ret = 0;
out:
	share_map_destroy(s1);
	share_map_destroy(s2);
	gmem_destroy(m1);
	gmem_destroy(m2);
	share_store_close(st);
	unlink(path);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ".lock");
	unlink(path);
	return ret;
}
