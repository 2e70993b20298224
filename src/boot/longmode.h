/*
 * The long-mode machine state every kernel is entered in: a flat GDT with a
 * 64-bit TSS, identity page tables for the first 4 GiB, and the matching
 * hidden segment state (Intel SDM Vol. 3A, 9.8.5 "Initializing IA-32e Mode";
 * 3.4.5 segment descriptors; 7.2.3 TSS descriptor in 64-bit mode; 4.5
 * 4-level paging). Linux's 64-bit boot protocol (Documentation/arch/x86/
 * boot.rst, "64-bit BOOT PROTOCOL") asks for exactly this: paging on,
 * identity mapping, CS = __BOOT_CS (0x10), DS/ES/SS = __BOOT_DS (0x18).
 *
 * Guest memory used (see boot.h for the whole low-memory layout):
 *   0x1000  GDT: 0x00 null, 0x08 null, 0x10 code64, 0x18 data, 0x20 TSS (16 bytes)
 *   0x1800  the TSS itself (104 bytes, no I/O bitmap)
 *   0x9000  PML4, 0xA000 PDPT, 0xB000-0xEFFF four page directories of 2 MiB pages
 */
#ifndef VESSEL_BOOT_LONGMODE_H
#define VESSEL_BOOT_LONGMODE_H

#include "base/compiler.h"
#include "boot/boot.h"

struct gmem;

#define LONGMODE_SEL_CODE 0x10
#define LONGMODE_SEL_DATA 0x18
#define LONGMODE_SEL_TSS 0x20
#define LONGMODE_GDT_LIMIT (0x30 - 1)
#define LONGMODE_TSS_ADDR (BOOT_GDT_ADDR + 0x800)
#define LONGMODE_TSS_LIMIT 0x67 /* 104-byte 64-bit TSS, SDM Vol. 3A figure 7-11 */

#define LONGMODE_PDPT_ADDR (BOOT_PML4_ADDR + 0x1000)
#define LONGMODE_PD_ADDR (BOOT_PML4_ADDR + 0x2000) /* four, one per GiB */
#define LONGMODE_MAPPED_BYTES (4ull << 30)

/* Control register and EFER bits (SDM Vol. 3A, 2.5 and 2.2.1). */
#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_PG (1ull << 31)
#define X86_CR4_PAE (1ull << 5)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_RFLAGS_FIXED 0x2ull /* bit 1 always reads as 1 */

/* xAPIC at its reset base, enabled, this vCPU is the bootstrap processor (SDM Vol. 3A, 10.4.4). */
#define LONGMODE_APIC_BASE (0xfee00000ull | (1ull << 11) | (1ull << 8))

/* Page-table entry bits (SDM Vol. 3A, 4.5, tables 4-15 to 4-18). */
#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_PS (1ull << 7)

/*
 * Write the GDT, TSS and page tables into m (which must hold the first
 * 1 MiB) and fill entry->sregs and entry->regs.rflags. RIP, RSP and the
 * argument registers are the format loader's business.
 */
int longmode_setup(struct gmem *m, struct boot_entry *entry) MUST_CHECK;

#endif
