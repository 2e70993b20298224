/*
 * The boot ABI between vessel and a freestanding ELF64 guest (the test guest).
 * Shared by both sides: fixed-size fields only, little-endian, no pointers.
 *
 * vessel loads the ELF's PT_LOAD segments at their physical addresses and
 * enters e_entry in 64-bit mode, CPL 0, interrupts off, with:
 *   - paging on, the first 4 GiB identity-mapped with 2 MiB pages (PML4 at
 *     0x9000), writable, user-accessible bits clear;
 *   - a flat GDT at 0x1000: 0x08 unused, 0x10 64-bit code, 0x18 data;
 *   - RDI = guest physical address of struct vessel_bootinfo;
 *   - RSP = 0x80000 (a small stack below 512 KiB; the guest should set its own).
 *
 * Devices (port I/O): 8250 UART at 0x3F8 (IRQ 4), exit port VESSEL_EXIT_PORT
 * (an 8-bit write ends the VM with that exit status), i8042 at 0x60/0x64
 * (0xFE to 0x64 resets = ends the VM cleanly), CMOS/RTC at 0x70/0x71.
 */
#ifndef VESSEL_GUEST_BOOTINFO_H
#define VESSEL_GUEST_BOOTINFO_H

#include <stdint.h>

#define VESSEL_BOOTINFO_MAGIC 0x31544f4f424c5356ull /* "VSLBOOT1" */
#define VESSEL_EXIT_PORT 0xf4

/* Exit status a scenario uses when the host cannot run it (never counted as a pass). */
#define VESSEL_EXIT_HOST_LIMIT 77

struct vessel_bootinfo {
	uint64_t magic;       /* VESSEL_BOOTINFO_MAGIC */
	uint64_t mem_bytes;   /* guest RAM size in bytes */
	uint64_t low_mem_end; /* RAM is [0, low_mem_end) and [4 GiB, ...) when larger */
	uint64_t cmdline_gpa; /* NUL-terminated command line */
	uint32_t cmdline_len; /* bytes, without the NUL */
	uint32_t nr_cpus;
	uint64_t image_end;   /* first byte after the loaded ELF image (page-aligned) */
};

#endif
