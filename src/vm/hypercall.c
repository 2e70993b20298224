/* The hypercall dispatcher (hypercall.h; ABI in guest/hypercall.h). */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "guest/hypercall.h"
#include "mem/gmem.h"
#include "mem/pte_batch.h"
#include "vm/hypercall.h"

static int64_t hc_console(const struct hypercall_host *h, uint64_t gpa, uint64_t len)
{
	uint8_t buf[HYPERCALL_CONSOLE_MAX];

	if (len > HYPERCALL_CONSOLE_MAX)
		return -E2BIG;
	if (gmem_copy_from(h->mem, buf, gpa, len))
		return -EFAULT;
	h->console(h->opaque, buf, len);
	return (int64_t)len;
}

static int64_t hc_mmu(const struct hypercall_host *h, const uint64_t a[4])
{
	int64_t n;
	int r;

	if (!h->mmu_flush)
		return -ENOSYS;
	n = gmem_pte_batch(h->mem, a[0], a[1], a[2], a[3]);
	if (n < 0)
		return n;
	r = h->mmu_flush(h->opaque, a[2] & VESSEL_HC_MMU_LOAD_CR3, a[3],
			 a[2] & VESSEL_HC_MMU_FLUSH_ALL);
	return r < 0 ? r : n;
}

static int64_t hc_timer(const struct hypercall_host *h, uint64_t ns, uint64_t vector)
{
	if (!h->timer)
		return -ENOSYS;
	if (ns > VESSEL_HC_TIMER_MAX_NS || (ns && (vector < 32 || vector > 255)))
		return -EINVAL;
	return h->timer(h->opaque, ns, (uint8_t)vector);
}

int64_t hypercall_dispatch(const struct hypercall_host *h, uint64_t nr, const uint64_t args[4])
{
	switch (nr) {
	case VESSEL_HC_NOP:
		return 0;
	case VESSEL_HC_CONSOLE_WRITE:
		return hc_console(h, args[0], args[1]);
	case VESSEL_HC_MMU_BATCH:
		return hc_mmu(h, args);
	case VESSEL_HC_TIMER_ONESHOT:
		return hc_timer(h, args[0], args[1]);
	case VESSEL_HC_YIELD:
		sched_yield();
		return 0;
	case VESSEL_HC_EXIT:
		if (args[0] > 255)
			return -EINVAL;
		h->exit(h->opaque, (int)args[0]);
		return 0;
	default:
		return -ENOSYS;
	}
}
