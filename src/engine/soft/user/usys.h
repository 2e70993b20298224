/*
 * Linux x86-64 system calls for the user-mode runner. Numbers and argument
 * layouts follow arch/x86/entry/syscalls/syscall_64.tbl; results are the raw
 * kernel ABI: a value, or -errno. Every guest pointer and length is checked
 * through the address space (umem) and gives -EFAULT like Linux when bad.
 */
#ifndef VESSEL_ENGINE_SOFT_USER_USYS_H
#define VESSEL_ENGINE_SOFT_USER_USYS_H

#include <stdint.h>

struct uproc;

/* Arguments in ABI order: rdi, rsi, rdx, r10, r8, r9. */
int64_t usys_call(struct uproc *p, uint64_t nr, const uint64_t a[6]);

/* Name of a system call number for messages, or NULL. */
const char *usys_name(uint64_t nr);

/* The per-area handler sets (usys_fd.c, usys_mem.c, usys_misc.c), indexed by number. */
struct usys_entry {
	const char *name;
	int64_t (*fn)(struct uproc *p, const uint64_t a[6]);
};

#define USYS_MAX 512
extern const struct usys_entry usys_fd_table[USYS_MAX];
extern const struct usys_entry usys_mem_table[USYS_MAX];
extern const struct usys_entry usys_misc_table[USYS_MAX];

/* Host result to ABI result: r < 0 means errno holds the error. */
int64_t usys_host(int64_t r);

#endif
