#include "engine/soft/engine_soft.h"

#include <errno.h>

const struct engine_ops *soft_engine_ops(struct verr *err)
{
	/*
	 * The CPU core runs user-mode programs (vessel-cpu-run); running a whole
	 * VM needs the system level (paging, IDT delivery, LAPIC/IOAPIC), which
	 * is not there yet.
	 */
	verr_set(err, ENOSYS,
		 "the soft engine cannot run a whole VM yet (system-level emulation is not "
		 "implemented); use --engine kvm, or build/vessel-cpu-run for user programs");
	return NULL;
}
