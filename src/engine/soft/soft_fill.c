/*
 * The soft CPU's TLB fill for a whole VM: walk the guest page tables
 * (paging.h) and map the physical page onto guest RAM, or report MMIO.
 *
 * With page sharing (--dedup, soft_share.c) a guest page may be mapped
 * read-only onto a frame other VMs use: a write fill unshares the page
 * before handing out its host address, and so does the page walker before
 * it sets an accessed or dirty bit in a shared page-table page. Read and
 * fetch fills keep the shared frame: the page's host address never
 * changes, so their TLB entries stay valid across an unshare.
 */
#include "engine/soft/paging.h"
#include "engine/soft/soft_share.h"
#include "engine/soft/soft_vm.h"
#include "mem/gmem.h"
#include "mem/share/map.h"

#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)

struct fill_walk {
	struct gmem *mem;
	struct share_map *map; /* NULL: sharing off */
	enum soft_access acc;
	int err;
};

static uint64_t *entry_ptr(void *opaque, uint64_t pa)
{
	struct fill_walk *w = opaque;
	uint64_t *p = (uint64_t *)(uintptr_t)gmem_ptr_ro(w->mem, pa & ~7ull, 8);
	uint64_t e;

	if (!p || !w->map || !share_map_gpa_shared(w->map, pa))
		return p;
	/*
	 * The walker writes an entry only to set A (any level) or D (a write
	 * through it): unshare exactly then. An unneeded unshare on a write
	 * through a non-leaf entry (D is not used there) is only a lost share.
	 */
	e = __atomic_load_n(p, __ATOMIC_RELAXED);
	if (!(e & PTE_A) || (w->acc == SOFT_ACC_WRITE && !(e & PTE_D))) {
		int r = share_map_unshare(w->map, pa & ~7ull, 8, false);

		if (r < 0) {
			w->err = r;
			return NULL;
		}
	}
	return p;
}

void *soft_fill_host_page(struct gmem *mem, struct share_map *map, uint64_t paddr,
			  enum soft_access acc, int *err)
{
	const void *p = gmem_ptr_ro(mem, paddr, SOFT_PAGE_SIZE);

	*err = 0;
	if (p && map && acc == SOFT_ACC_WRITE) {
		*err = share_map_unshare(map, paddr, SOFT_PAGE_SIZE, false);
		if (*err)
			return NULL;
	}
	return (void *)(uintptr_t)p;
}

int soft_vm_tlb_fill(void *opaque, uint64_t va, enum soft_access acc, unsigned cpl,
		     struct soft_tlb_fill *out)
{
	struct engine_vcpu *v = opaque;
	struct soft_cpu *cpu = v->cpu;
	struct share_map *map = v->vm->share ? soft_share_map(v->vm->share) : NULL;
	struct fill_walk w = {.mem = v->vm->mem, .map = map, .acc = acc};
	struct soft_pt_ctx ctx = {
		.cr0 = cpu->cr0,
		.cr3 = cpu->cr3,
		.cr4 = cpu->cr4,
		.efer = cpu->efer,
		.entry_ptr = entry_ptr,
		.opaque = &w,
	};
	struct soft_pt_result res;
	int r = soft_pt_walk(&ctx, va, acc, cpl, &res);

	if (w.err)
		return w.err; /* could not unshare a page-table page: internal error */
	if (r)
		return r;
	out->paddr = res.paddr;
	out->prot = res.prot;
	out->global = res.global;
	out->host_page = soft_fill_host_page(v->vm->mem, map, res.paddr, acc, &r);
	if (r)
		return r;
	out->mmio = !out->host_page;
	return 0;
}
