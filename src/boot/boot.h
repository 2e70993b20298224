/*
 * Kernel loaders: put a kernel (and initrd, command line) into guest RAM and
 * describe the CPU state to start it in. Shared by every engine.
 *
 * Two formats, recognised by content:
 *  - ELF64 (the test guest, or any freestanding x86-64 ELF): PT_LOAD segments
 *    at their physical addresses; entered in 64-bit mode with RDI = guest
 *    physical address of struct vessel_bootinfo (guest/bootinfo.h).
 *  - Linux bzImage: 64-bit boot protocol (Documentation/arch/x86/boot.rst):
 *    zero page with e820 map, command line and initrd; entered at the 64-bit
 *    entry point with RSI = zero page.
 * Both are entered in long mode with identity-mapped page tables for the first
 * 4 GiB (2 MiB pages) and a flat GDT built by vessel (CS 0x10, DS 0x18, as
 * Linux's __BOOT_CS/__BOOT_DS), interrupts off.
 *
 * Fixed low-memory layout used by the loaders (all below 1 MiB):
 *   0x01000  GDT
 *   0x02000  struct vessel_bootinfo (ELF) / 0x07000 zero page (Linux)
 *   0x09000  PML4, 0x0A000 PDPT, 0x0B000-0x0EFFF four page directories
 *   0x20000  command line (up to BOOT_CMDLINE_MAX bytes)
 *   0x80000  initial stack top (grows down, ELF guests only)
 */
#ifndef VESSEL_BOOT_BOOT_H
#define VESSEL_BOOT_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"
#include "engine/engine.h"

struct gmem;

#define BOOT_GDT_ADDR 0x1000ull
#define BOOT_BOOTINFO_ADDR 0x2000ull
#define BOOT_ZEROPAGE_ADDR 0x7000ull
#define BOOT_PML4_ADDR 0x9000ull
#define BOOT_CMDLINE_ADDR 0x20000ull
#define BOOT_CMDLINE_MAX 4095u
#define BOOT_STACK_TOP 0x80000ull

struct boot_image {
	const uint8_t *kernel;
	size_t kernel_len;
	const uint8_t *initrd; /* NULL if none */
	size_t initrd_len;
	const char *cmdline;   /* "" if none */
	unsigned nr_cpus;
	const char *kernel_name; /* for messages: the file name */
	const char *initrd_name; /* for messages: the initrd's file name (NULL: "initrd") */
};

/* CPU state to start the boot vCPU in. */
struct boot_entry {
	struct engine_regs regs;
	struct engine_sregs sregs;
};

/*
 * Load img into m and fill entry. On bad input returns -errno with err naming
 * the culprit (e.g. "kernel 'x': segment 1 at 0x... lies outside guest RAM").
 * The image is hostile input: every header field is checked.
 */
int boot_load(struct gmem *m, const struct boot_image *img, struct boot_entry *entry,
	      struct verr *err) MUST_CHECK;

/* Read a whole file (kernel, initrd) with a size cap; what names it in messages. */
int boot_read_file(const char *path, const char *what, uint64_t max_len, uint8_t **data,
		   size_t *len, struct verr *err) MUST_CHECK;

#endif
