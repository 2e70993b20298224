/*
 * The soft engine's page-sharing scanner (--dedup): a bounded batch of
 * guest pages every few milliseconds, run on the vCPU thread between two
 * slices, so the guest CPU never runs while its pages are remapped. The
 * sharing itself (hash, compare, map read-only, copy on write) is
 * src/mem/share/; this file adds the pacing, the soft TLB's side and the
 * counters. docs/page-sharing.md has the design and the figures.
 */
#include "engine/soft/soft_share.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/time.h"
#include "engine/soft/soft_vm.h"
#include "mem/gmem.h"
#include "mem/share/map.h"
#include "mem/share/rate.h"
#include "mem/share/store.h"

#define SHARE_PERIOD_NS 10000000ull /* a batch at most every 10 ms */
#define SHARE_RATE_MAX (1u << 22)   /* 16 GiB/s: more is a typo */

struct soft_share {
	struct share_store *store;
	struct share_map *map;
	struct share_rate rate;
	uint64_t scan_ns; /* time spent in batches (the scan cost) */
	uint64_t batches;
	uint64_t visited; /* pages looked at, tested or passed over */
	uint64_t tlb_flushes;
};

/* An unsigned from the environment, or def when unset; -EINVAL when malformed or out of range. */
static int env_u64(const char *name, uint64_t def, uint64_t min, uint64_t max, uint64_t *out,
		   struct verr *err)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return verr_set(err, EINVAL, "%s='%s': expected a number %" PRIu64 "..%" PRIu64,
				name, s, min, max);
	*out = v;
	return 0;
}

int soft_share_create(struct engine_vm *vm, struct soft_share **out, struct verr *err)
{
	char path[256];
	const char *env = getenv("VESSEL_SHARE_STORE");
	uint64_t rate, slots, cap;
	struct soft_share *s;
	int r;

	if (vm->nr_cpus > 1)
		return verr_set(err, ENOTSUP,
				"soft engine: --dedup needs --cpus 1 (page sharing does not shoot "
				"down other vCPUs' TLBs)");
	r = env_u64("VESSEL_SHARE_RATE", SHARE_RATE_DEFAULT, 1, SHARE_RATE_MAX, &rate, err);
	if (!r)
		r = env_u64("VESSEL_SHARE_SLOTS", SHARE_STORE_DEFAULT_SLOTS, 1,
			    SHARE_STORE_MAX_SLOTS, &slots, err);
	if (!r)
		r = env_u64("VESSEL_SHARE_MAX_PAGES", 0, 0, UINT64_MAX, &cap, err);
	if (r)
		return r;
	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "/dev/shm/vessel-share-%u.store", (unsigned)getuid());
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = share_store_open(path, (uint32_t)slots, &s->store, err);
	if (r)
		goto err;
	r = share_map_create(vm->mem, s->store, cap, &s->map);
	if (r) {
		verr_set(err, -r, "page sharing: %s", strerror(-r));
		goto err;
	}
	share_rate_init(&s->rate, rate, SHARE_PERIOD_NS, 0); /* guest time starts at 0 */
	*out = s;
	return 0;
err:
	soft_share_destroy(s);
	return r;
}

void soft_share_destroy(struct soft_share *s)
{
	struct share_map_stats st;

	if (!s)
		return;
	if (s->map) {
		share_map_get_stats(s->map, &st);
		log_info("page sharing: %" PRIu64 " pages scanned (%" PRIu64 " visited) in %" PRIu64
			 " batches, %.0f ns per page scanned; %" PRIu64 " merges, %" PRIu64
			 " shared and %" PRIu64 " zero at exit, %" PRIu64
			 " copy-on-write breaks, %" PRIu64 " busy skips",
			 st.scanned, s->visited, s->batches,
			 st.scanned ? (double)s->scan_ns / st.scanned : 0.0, st.merges, st.shared,
			 st.zero, st.cow, st.busy);
	}
	share_map_destroy(s->map);
	share_store_close(s->store);
	free(s);
}

void soft_share_get_stats(const struct soft_share *s, struct engine_stats *out)
{
	struct share_map_stats st;

	share_map_get_stats(s->map, &st);
	out->share_scanned = st.scanned;
	out->share_shared = st.shared + st.zero;
	out->share_zero = st.zero;
	out->share_cow = st.cow;
}

struct share_map *soft_share_map(const struct soft_share *s)
{
	return s->map;
}

/* A page just shared must not keep a write entry: its next write has to fault into the fill. */
static void drop_write_entries(struct soft_share *s, struct soft_cpu *cpu)
{
	for (unsigned u = 0; u < 2; u++)
		for (unsigned i = 0; i < SOFT_TLB_SIZE; i++) {
			const struct soft_tlb_entry *e = &cpu->tlb.write[u][i];

			if (e->tag != SOFT_TLB_INVALID && share_map_gpa_shared(s->map, e->paddr)) {
				soft_tlb_flush_page(cpu, e->tag);
				s->tlb_flushes++;
			}
		}
}

void soft_share_tick(struct soft_share *s, struct engine_vcpu *v, uint64_t now_ns)
{
	struct share_scan_result res;
	uint64_t pages, t0;

	/* now_ns is guest time (monotonic since VM start); the bucket only needs differences. */
	pages = share_rate_avail(&s->rate, now_ns);
	if (!pages)
		return;
	t0 = time_mono_ns();
	if (share_map_scan(s->map, (unsigned)MIN(pages, (uint64_t)UINT32_MAX), &res) < 0)
		return; /* a device was writing guest RAM: try at the next tick */
	share_rate_spend_batch(&s->rate, res.scanned, res.visited);
	s->visited += res.visited;
	if (res.merged)
		drop_write_entries(s, v->cpu);
	s->scan_ns += time_mono_ns() - t0;
	s->batches++;
}
