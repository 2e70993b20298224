/*
 * The initial stack of a new Linux process, laid out as fs/binfmt_elf.c
 * (create_elf_tables) and fs/exec.c do on x86-64 (x86-64 psABI 3.4.1,
 * "Initial Stack and Register State"):
 *
 *   top:  the executable's file name (AT_EXECFN points here)
 *         envp strings, argv strings (argv[0] lowest)
 *         "x86_64" (AT_PLATFORM), 16 random bytes (AT_RANDOM)
 *         padding to 16 bytes
 *         auxv pairs ending with AT_NULL
 *         NULL, envp[envc-1] .. envp[0]
 *         NULL, argv[argc-1] .. argv[0]
 *   rsp:  argc                         (rsp is 16-byte aligned)
 */
#ifndef VESSEL_ENGINE_SOFT_USER_USTACK_H
#define VESSEL_ENGINE_SOFT_USER_USTACK_H

#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

struct umem;
struct uelf_info;

#define USTACK_TOP 0x7ffffffff000ull   /* STACK_TOP of a 47-bit x86-64 process */
#define USTACK_SIZE (8ull << 20)       /* the default 8 MiB RLIMIT_STACK */
#define USTACK_MAX_STRINGS (128u << 10) /* bytes of argv+envp strings we accept */

struct ustack_params {
	const char *const *argv;  /* NULL-terminated */
	const char *const *envp;  /* NULL-terminated */
	const char *execfn;       /* AT_EXECFN string */
	const struct uelf_info *elf;
	uint64_t hwcap;           /* AT_HWCAP: CPUID.1:EDX of the CPU the program sees */
	uint8_t random[16];       /* AT_RANDOM bytes */
	uint32_t uid, euid, gid, egid;
};

/* Map the stack below USTACK_TOP and lay out argc/argv/envp/auxv; *sp_out = initial RSP. */
int ustack_build(struct umem *m, const struct ustack_params *p, uint64_t *sp_out,
		 struct verr *err) MUST_CHECK;

#endif
