/*
 * ELF64 loader for freestanding x86-64 kernels such as vessel's test guest
 * (System V ABI gABI "ELF-64 Object File Format" 1.5; AMD64 psABI 1.0 for
 * EM_X86_64). PT_LOAD segments are placed at their physical addresses
 * (p_paddr), which must lie in low guest RAM at or above 1 MiB: below that is
 * vessel's boot area (GDT, bootinfo, page tables, command line, stack), and
 * above the low RAM end nothing is identity-mapped. The entry point must lie
 * inside a loaded segment. The guest gets struct vessel_bootinfo
 * (guest/bootinfo.h) at BOOT_BOOTINFO_ADDR, its address in RDI.
 */
#ifndef VESSEL_BOOT_ELF_H
#define VESSEL_BOOT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"
#include "boot/boot.h"

struct gmem;

/* More program headers than this is not a kernel, it is an attack on our loop. */
#define ELF_MAX_PHDRS 64
/* The lowest address a segment may use: everything below belongs to the boot area. */
#define ELF_MIN_LOAD_ADDR 0x100000ull

/* True when data starts with the ELF magic (any class: the loader reports what is wrong). */
bool elf_is_elf(const uint8_t *data, size_t len);

/*
 * Load img->kernel (an ELF image) into m, write the bootinfo and set
 * entry->regs.rip and .rdi. The command line must already be at
 * BOOT_CMDLINE_ADDR (boot_load puts it there).
 */
int elf_load(struct gmem *m, const struct boot_image *img, struct boot_entry *entry,
	     struct verr *err) MUST_CHECK;

#endif
