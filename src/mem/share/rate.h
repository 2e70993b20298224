/*
 * The page-sharing scanner's rate bound: a token bucket of pages. Credit
 * grows with time at `rate` pages per second up to `burst` pages, so a vCPU
 * that slept (an idle guest) scans at most one burst when it wakes, and
 * over any interval T the scanner looks at no more than rate*T + burst
 * pages (ESX bounds its scan rate the same way: a few pages per second of
 * guest memory, Waldspurger 2002, section 4.2).
 */
#ifndef VESSEL_MEM_SHARE_RATE_H
#define VESSEL_MEM_SHARE_RATE_H

#include <stdint.h>

#define SHARE_RATE_DEFAULT 4096u /* pages/s: 16 MiB/s of guest RAM */

struct share_rate {
	uint64_t rate;	      /* pages per second */
	uint64_t burst;	      /* most credit kept */
	uint64_t period_ns;   /* least time between two batches */
	uint64_t last_ns;     /* when credit was last added */
	uint64_t credit_nano; /* credit in pages * 1e9 (no rounding loss) */
};

/* rate pages/s, a batch at most every period_ns; burst rate/8 (at least 1). */
void share_rate_init(struct share_rate *r, uint64_t rate, uint64_t period_ns, uint64_t now_ns);
/* Pages the scanner may look at now (0: not yet); the caller spends them with share_rate_spend. */
uint64_t share_rate_avail(struct share_rate *r, uint64_t now_ns);
void share_rate_spend(struct share_rate *r, uint64_t pages);
/*
 * Spend what one batch cost: each page tested (zero test, hash) is one
 * page, each page only passed over (not resident, shared, pinned: no more
 * than an array read or a share of a mincore call) a sixteenth, and a batch
 * at least one. Without charging for passing over, the credit stays at the
 * burst once most of RAM is shared and every batch passes over all of RAM.
 */
void share_rate_spend_batch(struct share_rate *r, uint64_t tested, uint64_t visited);

#endif
