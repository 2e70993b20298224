#include "engine/soft/user/ustack.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/soft/user/uelf.h"
#include "engine/soft/user/umem.h"

/* Push bytes downwards; fails when the strings would not fit the stack. */
static int ustack_push(struct umem *m, uint64_t *sp, uint64_t floor, const void *src, size_t len)
{
	if (*sp - floor < len)
		return -E2BIG;
	*sp -= len;
	return umem_copy_to(m, *sp, src, len);
}

static size_t ustack_count(const char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int ustack_build(struct umem *m, const struct ustack_params *p, uint64_t *sp_out, struct verr *err)
{
	const uint64_t floor = USTACK_TOP - USTACK_SIZE;
	/* Strings may use at most this much, so the tables below always fit. */
	const uint64_t string_floor = USTACK_TOP - USTACK_MAX_STRINGS;
	size_t argc = ustack_count(p->argv), envc = ustack_count(p->envp);
	uint64_t sp = USTACK_TOP, execfn, platform, random, *argv_at = NULL, *envp_at = NULL;
	uint64_t auxv[2 * 24], *table = NULL;
	size_t na = 0, nt;
	int r;

	r = umem_map(m, floor, USTACK_SIZE, UMEM_R | UMEM_W);
	if (r)
		return verr_set(err, -r, "cannot map the %llu MiB stack",
				(unsigned long long)(USTACK_SIZE >> 20));
	/* fs/exec.c leaves the top word empty, then copies the file name. */
	sp -= sizeof(uint64_t);
	r = ustack_push(m, &sp, string_floor, p->execfn, strlen(p->execfn) + 1);
	execfn = sp;
	argv_at = calloc(argc + 1, sizeof(*argv_at));
	envp_at = calloc(envc + 1, sizeof(*envp_at));
	if (!argv_at || !envp_at) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = envc; i-- > 0 && !r;) {
		r = ustack_push(m, &sp, string_floor, p->envp[i], strlen(p->envp[i]) + 1);
		envp_at[i] = sp;
	}
	for (size_t i = argc; i-- > 0 && !r;) {
		r = ustack_push(m, &sp, string_floor, p->argv[i], strlen(p->argv[i]) + 1);
		argv_at[i] = sp;
	}
	if (r) {
		verr_set(err, -r, "arguments and environment exceed %u KiB",
			 USTACK_MAX_STRINGS >> 10);
		goto out;
	}
	sp &= ~15ull;
	r = ustack_push(m, &sp, string_floor, "x86_64", 7);
	platform = sp;
	if (!r)
		r = ustack_push(m, &sp, string_floor, p->random, sizeof(p->random));
	random = sp;
	if (r)
		goto out;

#define AUX(type, val) (auxv[na++] = (type), auxv[na++] = (val))
	AUX(AT_HWCAP, p->hwcap);
	AUX(AT_PAGESZ, UMEM_PAGE_SIZE);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, p->elf->phdr);
	AUX(AT_PHENT, p->elf->phent);
	AUX(AT_PHNUM, p->elf->phnum);
	AUX(AT_BASE, 0); /* no interpreter */
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, p->elf->entry);
	AUX(AT_UID, p->uid);
	AUX(AT_EUID, p->euid);
	AUX(AT_GID, p->gid);
	AUX(AT_EGID, p->egid);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random);
	AUX(AT_HWCAP2, 0);
	AUX(AT_EXECFN, execfn);
	AUX(AT_PLATFORM, platform);
	AUX(AT_NULL, 0);
#undef AUX

	/* argc, argv[], NULL, envp[], NULL, auxv: keep rsp 16-byte aligned. */
	nt = 1 + argc + 1 + envc + 1 + na;
	table = calloc(nt, sizeof(*table));
	if (!table) {
		r = -ENOMEM;
		goto out;
	}
	table[0] = argc;
	memcpy(&table[1], argv_at, argc * sizeof(*table));
	memcpy(&table[2 + argc], envp_at, envc * sizeof(*table));
	memcpy(&table[3 + argc + envc], auxv, na * sizeof(*table));
	sp -= nt * sizeof(*table);
	sp &= ~15ull;
	if (sp < floor) {
		r = verr_set(err, E2BIG, "too many arguments for the stack");
		goto out;
	}
	r = umem_copy_to(m, sp, table, nt * sizeof(*table));
	*sp_out = sp;
out:
	if (r)
		verr_set(err, -r, "cannot lay out the initial stack");
	free(table);
	free(argv_at);
	free(envp_at);
	return r;
}
