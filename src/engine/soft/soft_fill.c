/*
 * The soft CPU's TLB fill for a whole VM: walk the guest page tables
 * (paging.h) and map the physical page onto guest RAM, or report MMIO.
 */
#include "engine/soft/paging.h"
#include "engine/soft/soft_vm.h"
#include "mem/gmem.h"

static uint64_t *entry_ptr(void *opaque, uint64_t pa)
{
	return gmem_ptr(opaque, pa & ~7ull, 8);
}

int soft_vm_tlb_fill(void *opaque, uint64_t va, enum soft_access acc, unsigned cpl,
		     struct soft_tlb_fill *out)
{
	struct engine_vcpu *v = opaque;
	struct soft_cpu *cpu = v->cpu;
	struct soft_pt_ctx ctx = {
		.cr0 = cpu->cr0, .cr3 = cpu->cr3, .cr4 = cpu->cr4, .efer = cpu->efer,
		.entry_ptr = entry_ptr, .opaque = v->vm->mem,
	};
	struct soft_pt_result res;
	int r = soft_pt_walk(&ctx, va, acc, cpl, &res);

	if (r)
		return r;
	out->paddr = res.paddr;
	out->prot = res.prot;
	out->global = res.global;
	out->host_page = gmem_ptr(v->vm->mem, res.paddr, SOFT_PAGE_SIZE);
	out->mmio = !out->host_page;
	return 0;
}
