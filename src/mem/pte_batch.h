/*
 * Page-table entries written into guest RAM on the guest's behalf (the
 * MMU_BATCH hypercall, guest/hypercall.h): one checker shared by the VM
 * loop (kvm's doorbell) and engines that answer the call themselves (soft).
 */
#ifndef VESSEL_MEM_PTE_BATCH_H
#define VESSEL_MEM_PTE_BATCH_H

#include <stdint.h>

#include "base/compiler.h"

struct gmem;

/*
 * MMU_BATCH's memory part, shared with engines that answer the call
 * themselves (soft): read `count` struct vessel_hc_pte from list_gpa,
 * check every entry (8-byte aligned, in RAM) and `flags`/`cr3`, and only
 * then write them all. Returns count, or -errno with nothing written:
 * -E2BIG count > VESSEL_HC_MMU_MAX, -EINVAL unknown flag, misaligned
 * entry or CR3 (low 12 bits besides PWT/PCD, or not in RAM), -EFAULT
 * list or entry outside RAM.
 */
int64_t gmem_pte_batch(struct gmem *mem, uint64_t list_gpa, uint64_t count, uint64_t flags,
		       uint64_t cr3) MUST_CHECK;

#endif
