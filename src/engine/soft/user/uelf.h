/*
 * Loading a static x86-64 Linux ELF executable (ET_EXEC, or static-pie
 * ET_DYN) into a user address space, as Linux's fs/binfmt_elf.c does for a
 * program without PT_INTERP. Format: System V gABI "ELF-64 Object File
 * Format" and the x86-64 psABI. The file is hostile input: every header
 * field is checked before use.
 */
#ifndef VESSEL_ENGINE_SOFT_USER_UELF_H
#define VESSEL_ENGINE_SOFT_USER_UELF_H

#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

struct umem;

/* Where Linux (x86-64, no randomisation) puts an ET_DYN program: ELF_ET_DYN_BASE. */
#define UELF_DYN_BASE 0x555555554000ull
#define UELF_MAX_PHNUM 256

struct uelf_info {
	uint64_t entry;    /* AT_ENTRY: e_entry + load bias */
	uint64_t phdr;     /* AT_PHDR: program headers in guest memory */
	uint64_t phent;    /* AT_PHENT */
	uint64_t phnum;    /* AT_PHNUM */
	uint64_t bias;     /* load bias (0 for ET_EXEC) */
	uint64_t brk;      /* page-aligned end of the highest segment: initial program break */
	uint64_t lo, hi;   /* lowest and highest (exclusive) mapped address */
};

/*
 * Check and load an ELF image held in memory (`image`, `size` bytes; `name`
 * only names it in messages). On error nothing is left mapped.
 */
int uelf_load(struct umem *m, const uint8_t *image, size_t size, const char *name,
	      struct uelf_info *info, struct verr *err) MUST_CHECK;

#endif
