/* Marking guest RAM mergeable for KSM; see ksm.h. */
#include "mem/overcommit/ksm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mem/gmem.h"

int ksm_mark_mergeable(struct gmem *m, struct verr *err)
{
	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];

		/* Only marks the VMA: nothing is touched or reserved until ksmd scans it. */
		if (madvise(r->host, r->size, MADV_MERGEABLE) < 0) {
			int e = errno;

			return verr_set(err, e,
					"--dedup: cannot mark guest RAM at 0x%" PRIx64 " (%" PRIu64
					" MiB) mergeable: %s%s",
					r->gpa, r->size >> 20, strerror(e),
					e == EINVAL ? " (host kernel without KSM?)" : "");
		}
	}
	return 0;
}
