/*
 * Admission control: may one more VM start under the host's overcommit limit?
 *
 * Guest RAM is reserved lazily (gmem.h), so any sum of --mem "fits" at start
 * and the bet is settled later, by the host's OOM killer if nothing else. The
 * limit makes the bet explicit: the --mem of every live VM of the runtime
 * directory, plus the one asking, must stay within ratio x host RAM
 * (MemTotal). docs/overcommit.md explains the default ratio.
 *
 * The decision itself is a pure function of four figures (unit-tested); the
 * runtime-directory side (who is live, the lock that serialises concurrent
 * starts) is admission_runtime.h.
 */
#ifndef VESSEL_MEM_OVERCOMMIT_ADMISSION_H
#define VESSEL_MEM_OVERCOMMIT_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

/* Ratios in thousandths: 1500 is 1.5 x host RAM; 0 means no limit ("off"). */
#define ADMISSION_RATIO_OFF 0u
#define ADMISSION_RATIO_DEFAULT 1500u
#define ADMISSION_RATIO_MIN 100u    /* 0.1: below this nothing sensible starts */
#define ADMISSION_RATIO_MAX 100000u /* 100: far beyond any sane bet */

struct admission_figures {
	uint64_t host_total;  /* bytes of host RAM (MemTotal) */
	unsigned ratio_milli; /* ADMISSION_RATIO_OFF or MIN..MAX */
	uint64_t running;     /* --mem of the live VMs, summed, in bytes */
	uint64_t asked;	      /* --mem of the VM asking, in bytes */
};

/* Bytes of guest RAM allowed in all (UINT64_MAX when the ratio is off); never overflows. */
uint64_t admission_allowed(const struct admission_figures *f);

/* True when running + asked <= allowed (saturating: an overflowing sum is refused). */
bool admission_admit(const struct admission_figures *f);

/*
 * The refusal line, without the "vessel: " prefix:
 * "admission refused: 4096 MiB asked + 30720 MiB running > 36157 MiB allowed
 *  (ratio 1.50 x 24105 MiB host RAM); see 'vessel host overcommit'".
 */
void admission_explain(const struct admission_figures *f, char *buf, size_t cap);

/* "1.5", "2", "0.75" (up to three decimals) or "off"; -EINVAL/-ERANGE otherwise. */
int admission_parse_ratio(const char *s, unsigned *milli) MUST_CHECK;

/* "1.50" (two decimals, three when needed) or "off". */
void admission_format_ratio(unsigned milli, char *buf, size_t cap);

#endif
