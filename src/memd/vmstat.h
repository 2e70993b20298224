/*
 * A VM's "stat" answer (docs/control-protocol.md) turned into policy input.
 * The answer comes from a VM process, which a guest may have subverted:
 * it is parsed strictly and every figure is bounded by the policy.
 */
#ifndef VESSEL_MEMD_VMSTAT_H
#define VESSEL_MEMD_VMSTAT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"
#include "memd/policy.h"

struct memd_vmstat {
	struct memd_vm_in in;	/* name, shares, floor left for the caller */
	bool has_balloon;	/* false: the VM has no balloon device, memd leaves it alone */
	uint64_t stats_updates; /* times the guest sent statistics (freshness) */
};

/*
 * Parse one answer line. -EPROTO with a message when it is not a
 * successful stat answer or a figure memd needs is missing or malformed.
 */
int memd_vmstat_parse(const char *line, struct memd_vmstat *s, struct verr *err) MUST_CHECK;

#endif
