/* Page sharing for the soft engine: being written (the scanner does nothing yet). */
#include "engine/soft/soft_share.h"

void soft_share_tick(struct soft_share *s, struct engine_vcpu *v, uint64_t now_ns)
{
	(void)s;
	(void)v;
	(void)now_ns;
}
