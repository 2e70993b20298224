/*
 * Content-based page sharing for the soft engine (--dedup), the way VMware
 * ESX does it: see soft_share.c and docs/page-sharing.md.
 */
#ifndef VESSEL_ENGINE_SOFT_SOFT_SHARE_H
#define VESSEL_ENGINE_SOFT_SOFT_SHARE_H

#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"
#include "engine/soft/cpu.h"

struct engine_vcpu;
struct engine_vm;
struct engine_stats;
struct gmem;
struct share_map;
struct soft_share;

/*
 * Page sharing for vm (its RAM is vm->mem): opens the host-wide store
 * (VESSEL_SHARE_STORE, default /dev/shm/vessel-share-UID.store) and
 * attaches to guest RAM. Refused with more than one vCPU (see the docs).
 * Knobs (environment): VESSEL_SHARE_RATE pages/s (default 4096),
 * VESSEL_SHARE_SLOTS store frames when creating it, VESSEL_SHARE_MAX_PAGES
 * a lower cap on this VM's shared pages.
 */
int soft_share_create(struct engine_vm *vm, struct soft_share **out, struct verr *err) MUST_CHECK;
void soft_share_destroy(struct soft_share *s);
void soft_share_get_stats(const struct soft_share *s, struct engine_stats *st);
struct share_map *soft_share_map(const struct soft_share *s);

/* Called by the vCPU loop at each look at the clock: scan a bounded batch when due. */
void soft_share_tick(struct soft_share *s, struct engine_vcpu *v, uint64_t now_ns);

/*
 * The host page behind physical page paddr for an access acc (soft_fill.c):
 * a write unshares first; reads and fetches keep the shared frame (its host
 * address never changes). NULL when paddr is not RAM or unsharing failed
 * (*err then -errno).
 */
void *soft_fill_host_page(struct gmem *mem, struct share_map *map, uint64_t paddr,
			  enum soft_access acc, int *err);

#endif
