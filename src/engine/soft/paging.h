/*
 * The guest page-table walker of the soft engine's system level: 4-level
 * paging (SDM Vol. 3A, 4.5) with 4 KiB, 2 MiB and 1 GiB pages, accessed and
 * dirty bits set as hardware sets them (4.8), the access rights of 4.6
 * (U/S, R/W with CR0.WP, XD with EFER.NXE; no SMEP/SMAP: not advertised),
 * global pages (CR4.PGE, 4.10.2.4) and #PF error codes with RSVD (4.7).
 * The walker is the soft TLB's fill: its result is one 4 KiB page.
 */
#ifndef VESSEL_ENGINE_SOFT_PAGING_H
#define VESSEL_ENGINE_SOFT_PAGING_H

#include <stdint.h>

#include "engine/soft/cpu.h"

#define SOFT_CR0_PE (1ull << 0)
#define SOFT_CR0_TS (1ull << 3)
#define SOFT_CR0_WP (1ull << 16)
#define SOFT_CR0_PG (1ull << 31)
#define SOFT_CR4_PSE (1ull << 4)
#define SOFT_CR4_PAE (1ull << 5)
#define SOFT_CR4_PGE (1ull << 7)
#define SOFT_EFER_SCE (1ull << 0)
#define SOFT_EFER_LME (1ull << 8)
#define SOFT_EFER_LMA (1ull << 10)
#define SOFT_EFER_NXE (1ull << 11)

/* Physical address width the CPUID advertises (leaf 0x80000008: 40 bits). */
#define SOFT_MAXPHYADDR 40

struct soft_pt_ctx {
	uint64_t cr0, cr3, cr4, efer;
	/* Host pointer to the 8-byte table entry at physical address pa, NULL if not RAM. */
	uint64_t *(*entry_ptr)(void *opaque, uint64_t pa);
	void *opaque;
};

struct soft_pt_result {
	uint64_t paddr;  /* physical address of the 4 KiB page holding va */
	unsigned prot;   /* enum soft_access mask allowed at the CPL asked for */
	bool global;
	unsigned levels; /* entries read (4 for a 4 KiB page) */
};

/*
 * Translate va for an access acc (one of enum soft_access) at cpl. Return 0
 * with *out filled, or SOFT_FILL_FAULT | #PF error code. A/D bits are set
 * only when the access is allowed: A in every entry used, D in the final one
 * for a write. With CR0.PG=0 the translation is the identity.
 */
int soft_pt_walk(const struct soft_pt_ctx *ctx, uint64_t va, enum soft_access acc, unsigned cpl,
		 struct soft_pt_result *out) MUST_CHECK;

#endif
