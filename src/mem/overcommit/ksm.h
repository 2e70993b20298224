/*
 * KSM (Kernel Samepage Merging, Documentation/admin-guide/mm/ksm.rst): the
 * host kernel's ksmd scans memory marked MADV_MERGEABLE and backs identical
 * pages with one write-protected frame, copied again on the next write.
 *
 * Two sides: a VM's guest RAM is marked mergeable under --dedup (kvm engine;
 * the soft engine shares pages itself), and the host's ksmd is switched and
 * tuned through sysfs (`vessel host ksm`). Sharing pages across tenants is a
 * timing side channel (docs/overcommit.md), hence opt-in per VM.
 */
#ifndef VESSEL_MEM_OVERCOMMIT_KSM_H
#define VESSEL_MEM_OVERCOMMIT_KSM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

struct gmem;

#define KSM_SYSFS_DIR "/sys/kernel/mm/ksm"

/* madvise(MADV_MERGEABLE) on every RAM region of m; err names the culprit. */
int ksm_mark_mergeable(struct gmem *m, struct verr *err) MUST_CHECK;

/* The host's KSM state (sysfs files of the same names; absent ones stay 0). */
struct ksm_host {
	uint64_t run;		 /* 0 stopped, 1 running, 2 unmerged everything */
	uint64_t pages_shared;	 /* shared frames in use */
	uint64_t pages_sharing;	 /* further mappings of them: pages saved */
	uint64_t pages_unshared; /* scanned, unique for now */
	uint64_t pages_volatile; /* changing too fast to merge */
	uint64_t full_scans;
	uint64_t pages_to_scan;	  /* per ksmd wake-up */
	uint64_t sleep_millisecs; /* between wake-ups */
	uint64_t ksm_zero_pages;  /* merged with the zero page (use_zero_pages=1) */
	uint64_t page_size;	  /* host page size, for ksm_host_saved */
};

/* Read dir's files (normally KSM_SYSFS_DIR); -ENOENT when the kernel has no KSM. */
int ksm_host_read(const char *dir, struct ksm_host *k) MUST_CHECK;
/* Bytes the host saves now: (pages_sharing + ksm_zero_pages) x page size. */
uint64_t ksm_host_saved(const struct ksm_host *k);
/*
 * Write one number to dir/file ("run", "pages_to_scan", "sleep_millisecs");
 * a clear message when not root (EACCES/EPERM) or the kernel refuses the value.
 */
int ksm_host_write(const char *dir, const char *file, uint64_t val, struct verr *err) MUST_CHECK;

#endif
