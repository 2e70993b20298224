/*
 * A static x86-64 Linux program run in ring 3 by the soft CPU core: its
 * address space, its CPU, and the Linux process state the emulated system
 * calls keep (program break, signal dispositions, TID address...).
 *
 * File descriptors are the host's: the program's fd N is the runner's fd N
 * (the runner keeps no other descriptor open while the program runs).
 */
#ifndef VESSEL_ENGINE_SOFT_USER_UPROC_H
#define VESSEL_ENGINE_SOFT_USER_UPROC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"
#include "engine/soft/user/uelf.h"

struct soft_cpu;
struct umem;

#define UPROC_NSIG 64
#define UPROC_MMAP_TOP 0x7ffff7fff000ull /* Linux's mmap_base without randomisation */
#define UPROC_BRK_MAX (1ull << 36)        /* 64 GiB of heap at most */
#define UPROC_SYSCALLS 512                /* syscall numbers we count */

/* struct kernel_sigaction of x86-64 (arch/x86/include/uapi/asm/signal.h). */
struct uproc_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct uproc_config {
	const char *path;          /* program file */
	const char *const *argv;   /* argv[0] included, NULL-terminated */
	const char *const *envp;   /* NULL-terminated */
	bool strace;               /* print each system call to stderr */
	/* One-line notices for the user (refused calls, faults); may be NULL. */
	void (*notice)(void *opaque, const char *msg);
	void *opaque;
};

struct uproc {
	struct umem *mem;
	struct soft_cpu *cpu;
	struct uelf_info elf;
	struct uproc_config cfg;
	uint64_t brk_start, brk;      /* program break: start and current */
	uint64_t tid_address;         /* set_tid_address */
	uint64_t robust_list, robust_len;
	uint64_t sigmask;
	struct uproc_sigaction sigact[UPROC_NSIG + 1];
	uint64_t altstack[3];         /* stack_t: ss_sp, ss_flags, ss_size */
	bool exited;
	int exit_status;
	uint64_t syscalls;                       /* system calls made */
	uint32_t syscall_count[UPROC_SYSCALLS];  /* per number, for --stats */
	uint64_t unknown_syscalls;               /* answered -ENOSYS: not implemented */
};

/* How the program ended. */
struct uproc_result {
	bool signaled;        /* killed by a fault the runner cannot deliver */
	int status;           /* exit status (exited) */
	int signo;            /* signal a native run would die of (signaled) */
	char msg[256];        /* for signaled: what happened, with RIP */
};

int uproc_create(const struct uproc_config *cfg, struct uproc **out, struct verr *err) MUST_CHECK;
void uproc_destroy(struct uproc *p);

/* Run to exit or fatal fault. -errno only for internal failures (err says why). */
int uproc_run(struct uproc *p, struct uproc_result *res, struct verr *err) MUST_CHECK;

/* Print a notice through cfg.notice (printf-like). */
void uproc_notice(struct uproc *p, const char *fmt, ...) PRINTF_LIKE(2, 3);

#endif
