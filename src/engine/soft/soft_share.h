/*
 * Content-based page sharing for the soft engine (--dedup), the way VMware
 * ESX does it: see soft_share.c and docs/page-sharing.md.
 */
#ifndef VESSEL_ENGINE_SOFT_SOFT_SHARE_H
#define VESSEL_ENGINE_SOFT_SOFT_SHARE_H

#include <stdint.h>

struct engine_vcpu;
struct soft_share;

/* Called by the vCPU loop at each look at the clock: scan a bounded batch when due. */
void soft_share_tick(struct soft_share *s, struct engine_vcpu *v, uint64_t now_ns);

#endif
