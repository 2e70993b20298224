/*
 * The guest's physical memory map in BIOS INT 15h/E820 form (ACPI 6.4,
 * section 15 "System Address Map Interfaces"). Built once from struct gmem
 * and used by the Linux zero page and, later, by the MP table.
 *
 * Layout (vessel has no BIOS, but Linux expects the PC holes to exist):
 *   [0, 0x9fc00)            RAM  (conventional memory)
 *   [0x9fc00, 0x100000)     reserved (EBDA, VGA window, BIOS ROM area)
 *   [0x100000, low end)     RAM  (up to 3 GiB, where the PCI hole starts)
 *   [4 GiB, 4 GiB + rest)   RAM  (only when the guest has more than 3 GiB)
 */
#ifndef VESSEL_BOOT_E820_H
#define VESSEL_BOOT_E820_H

#include <stdint.h>

struct gmem;

#define E820_TYPE_RAM 1
#define E820_TYPE_RESERVED 2

#define E820_EBDA_START 0x9fc00ull
#define E820_HIGH_MEM_START 0x100000ull /* 1 MiB */

/* gmem has at most GMEM_MAX_REGIONS regions; low RAM splits into three entries. */
#define E820_MAX_ENTRIES 8

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct e820_map {
	unsigned nr;
	struct e820_entry entries[E820_MAX_ENTRIES];
};

/* Fill map from m's RAM regions (m holds at least GMEM_MIN_SIZE, so low RAM passes 1 MiB). */
void e820_build(const struct gmem *m, struct e820_map *map);

#endif
