/*
 * Guest virtual memory access for handlers, through the software TLB.
 *
 * The hit path is QEMU softmmu's: the tag compare includes the low address
 * bits (size - 1), so a hit is one compare and one add and is always aligned
 * and inside one page; misaligned and page-crossing accesses, misses, MMIO
 * and writes to pages holding decoded code take the slow path (mem.c).
 *
 * All functions return 0, or SOFT_FAULT (2) with the exception recorded
 * (#PF with CR2 and error code, #GP(0) for a non-canonical address). Writes
 * that span two pages check both before storing anything.
 */
#ifndef VESSEL_ENGINE_SOFT_MEM_H
#define VESSEL_ENGINE_SOFT_MEM_H

#include <stdint.h>
#include <string.h>

#include "engine/soft/cpu.h"

int soft_mem_read_slow(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t *val);
int soft_mem_write_slow(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t val);
/* Read for a read-modify-write: translated for writing, as hardware does (a
 * fault reports W=1 in the #PF error code even though the read comes first). */
int soft_mem_rmw_read_slow(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t *val);
/* Any length (FXSAVE area, 16-byte operands): reads/writes all or nothing. */
int soft_mem_read_buf(struct soft_cpu *cpu, uint64_t va, void *buf, unsigned len);
int soft_mem_write_buf(struct soft_cpu *cpu, uint64_t va, const void *buf, unsigned len);
/* Check that [va, va+len) is writable without writing (multi-store instructions). */
int soft_mem_probe_write(struct soft_cpu *cpu, uint64_t va, unsigned len);

static inline struct soft_tlb_entry *soft_tlb_entry_read(struct soft_cpu *cpu, uint64_t va)
{
	return &cpu->tlb.read[cpu->cpl == 3][(va >> SOFT_PAGE_SHIFT) & (SOFT_TLB_SIZE - 1)];
}

static inline struct soft_tlb_entry *soft_tlb_entry_write(struct soft_cpu *cpu, uint64_t va)
{
	return &cpu->tlb.write[cpu->cpl == 3][(va >> SOFT_PAGE_SHIFT) & (SOFT_TLB_SIZE - 1)];
}

#define SOFT_DEFINE_ACCESS(bits, type)                                                         \
	static inline __attribute__((always_inline)) int soft_read##bits(struct soft_cpu *cpu, uint64_t va, uint64_t *val)    \
	{                                                                                      \
		struct soft_tlb_entry *e = soft_tlb_entry_read(cpu, va);                       \
		if (likely(e->tag == (va & (SOFT_PAGE_MASK | (sizeof(type) - 1))))) {          \
			type t;                                                                \
			memcpy(&t, (const void *)(uintptr_t)(va + e->addend), sizeof(t));      \
			*val = t;                                                              \
			return 0;                                                              \
		}                                                                              \
		return soft_mem_read_slow(cpu, va, sizeof(type), val);                         \
	}                                                                                      \
	static inline __attribute__((always_inline)) int soft_write##bits(struct soft_cpu *cpu, uint64_t va, uint64_t val)    \
	{                                                                                      \
		struct soft_tlb_entry *e = soft_tlb_entry_write(cpu, va);                      \
		if (likely(e->tag == (va & (SOFT_PAGE_MASK | (sizeof(type) - 1))))) {          \
			type t = (type)val;                                                    \
			memcpy((void *)(uintptr_t)(va + e->addend), &t, sizeof(t));            \
			return 0;                                                              \
		}                                                                              \
		return soft_mem_write_slow(cpu, va, sizeof(type), val);                        \
	}

#define SOFT_DEFINE_RMW(bits, type)                                                            \
	static inline __attribute__((always_inline)) int soft_rmw_read##bits(struct soft_cpu *cpu, uint64_t va, uint64_t *val) \
	{                                                                                      \
		struct soft_tlb_entry *e = soft_tlb_entry_write(cpu, va);                      \
		if (likely(e->tag == (va & (SOFT_PAGE_MASK | (sizeof(type) - 1))))) {          \
			type t;                                                                \
			memcpy(&t, (const void *)(uintptr_t)(va + e->addend), sizeof(t));      \
			*val = t;                                                              \
			return 0;                                                              \
		}                                                                              \
		return soft_mem_rmw_read_slow(cpu, va, sizeof(type), val);                     \
	}

SOFT_DEFINE_RMW(8, uint8_t)
SOFT_DEFINE_RMW(16, uint16_t)
SOFT_DEFINE_RMW(32, uint32_t)
SOFT_DEFINE_RMW(64, uint64_t)

static inline __attribute__((always_inline)) int soft_rmw_read(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
	switch (size) {
	case 1: return soft_rmw_read8(cpu, va, val);
	case 2: return soft_rmw_read16(cpu, va, val);
	case 4: return soft_rmw_read32(cpu, va, val);
	default: return soft_rmw_read64(cpu, va, val);
	}
}

SOFT_DEFINE_ACCESS(8, uint8_t)
SOFT_DEFINE_ACCESS(16, uint16_t)
SOFT_DEFINE_ACCESS(32, uint32_t)
SOFT_DEFINE_ACCESS(64, uint64_t)

/* Size chosen at run time (1, 2, 4, 8). */
static inline __attribute__((always_inline)) int soft_read(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
	switch (size) {
	case 1: return soft_read8(cpu, va, val);
	case 2: return soft_read16(cpu, va, val);
	case 4: return soft_read32(cpu, va, val);
	default: return soft_read64(cpu, va, val);
	}
}

static inline __attribute__((always_inline)) int soft_write(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t val)
{
	switch (size) {
	case 1: return soft_write8(cpu, va, val);
	case 2: return soft_write16(cpu, va, val);
	case 4: return soft_write32(cpu, va, val);
	default: return soft_write64(cpu, va, val);
	}
}

#endif
