/*
 * Host memory readings for `vessel memd`: /proc/meminfo (MemTotal,
 * MemAvailable; proc(5)) and the pressure stall information of
 * /proc/pressure/memory (Documentation/accounting/psi.rst: lines
 * "some avg10=A avg60=B avg300=C total=T" and "full ..."). PSI needs Linux
 * 4.20 with CONFIG_PSI and may be off (psi=0): then memd goes by
 * MemAvailable alone. Tests point both paths at files of their own.
 */
#ifndef VESSEL_MEMD_HOST_H
#define VESSEL_MEMD_HOST_H

#include <stddef.h>

#include "base/compiler.h"
#include "base/err.h"
#include "memd/policy.h"

#define HOST_MEMINFO_PATH "/proc/meminfo"
#define HOST_PSI_PATH "/proc/pressure/memory"

/*
 * Parse meminfo text into h->mem_total and h->mem_available (bytes).
 * Kernels before 3.14 have no MemAvailable: MemFree + Cached stands in.
 * -EINVAL with a message when MemTotal or both estimates are missing.
 */
int host_parse_meminfo(const char *text, struct memd_host *h, struct verr *err) MUST_CHECK;

/* Parse PSI text: sets psi_valid and the avg10 figures; -EINVAL when the "some" line is not there.
 */
int host_parse_psi(const char *text, struct memd_host *h, struct verr *err) MUST_CHECK;

/*
 * Read both files (psi_path NULL: do not use PSI). A missing or unreadable
 * PSI file is not an error: psi_valid stays false. The meminfo file must be read.
 */
int host_read(const char *meminfo_path, const char *psi_path, struct memd_host *h,
	      struct verr *err) MUST_CHECK;

#endif
