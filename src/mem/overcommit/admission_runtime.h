/*
 * Admission control over a runtime directory (vm/runtime.h): which VMs are
 * live and how much --mem they hold, the host's ratio setting, and the one
 * call `vessel run` makes before building a VM.
 *
 * Race: two VMs starting at once must not both squeeze under the limit, so
 * the scan and the writing of the newcomer's NAME.json happen under one
 * flock on the runtime directory itself (no lock file to leave behind). A VM counts from the moment
 * its NAME.json is written to the moment its NAME.lock is free (the kernel frees it when the
 * process dies, even by SIGKILL); leftovers of dead VMs are removed by the
 * scan and never count.
 *
 * The limit covers the VMs of one runtime directory: /run/vessel for root,
 * one per user otherwise (docs/overcommit.md).
 */
#ifndef VESSEL_MEM_OVERCOMMIT_ADMISSION_RUNTIME_H
#define VESSEL_MEM_OVERCOMMIT_ADMISSION_RUNTIME_H

#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"
#include "mem/overcommit/admission.h"
#include "vm/runtime.h"

#define ADMISSION_RATIO_ENV "VESSEL_OVERCOMMIT_RATIO"

struct admission_usage {
	uint64_t running; /* --mem of the live VMs, summed */
	unsigned nr_live; /* live VMs counted (named and anonymous) */
	unsigned nr_dead; /* entries of dead VMs removed on the way */
};

/* Where the ratio in force comes from. */
enum admission_source {
	ADMISSION_FROM_DEFAULT,
	ADMISSION_FROM_ENV,  /* $VESSEL_OVERCOMMIT_RATIO */
	ADMISSION_FROM_HOST, /* DIR/host.json, set by `vessel host overcommit RATIO` */
};

/* Take / drop the admission lock, a flock on DIR (blocking; held for a scan only). */
int admission_lock(const char *dir, int *fd, struct verr *err) MUST_CHECK;
void admission_unlock(int fd);

/* Sum the --mem of every live VM of dir except `self` (NULL: none); cleans dead entries. */
int admission_scan(const char *dir, const char *self, struct admission_usage *u,
		   struct verr *err) MUST_CHECK;

/* The ratio in force: $VESSEL_OVERCOMMIT_RATIO, else DIR/host.json, else the default. */
int admission_ratio(const char *dir, unsigned *milli, enum admission_source *src,
		    struct verr *err) MUST_CHECK;
/* Store the ratio in DIR/host.json (atomically). */
int admission_set_ratio(const char *dir, unsigned milli, struct verr *err) MUST_CHECK;
const char *admission_source_name(enum admission_source src);

/* MemTotal of a meminfo file (normally /proc/meminfo), in bytes. */
int admission_mem_total(const char *meminfo, uint64_t *bytes) MUST_CHECK;

/*
 * The admission step of `vessel run`: with the admission lock held, scan,
 * decide for m->mem_bytes, and on success write the claim's NAME.json from m
 * (so the next starter counts this VM). -EDQUOT with the refusal line in err
 * when the VM does not fit.
 */
int admission_enter(const struct runtime_claim *c, const struct runtime_meta *m,
		    struct verr *err) MUST_CHECK;

#endif
