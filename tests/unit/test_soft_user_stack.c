/* ustack_build: the initial stack as Linux lays it out (argc, argv, envp, auxv). */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/soft/user/uelf.h"
#include "engine/soft/user/umem.h"
#include "engine/soft/user/ustack.h"

static uint64_t rd64(struct umem *m, uint64_t a)
{
	uint64_t v = 0;

	assert_int_equal(umem_copy_from(m, &v, a, 8), 0);
	return v;
}

static void expect_str(struct umem *m, uint64_t a, const char *want)
{
	char buf[256];

	assert_true(umem_copy_str(m, buf, a, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

/* Value of auxv entry `type`, or ~0 when absent; auxv starts at `a`. */
static uint64_t auxv_get(struct umem *m, uint64_t a, uint64_t type, uint64_t *last)
{
	uint64_t found = ~0ull;

	for (unsigned i = 0; i < 64; i++, a += 16) {
		uint64_t t = rd64(m, a);

		if (t == type)
			found = rd64(m, a + 8);
		if (t == AT_NULL) {
			*last = i;
			return found;
		}
	}
	fail_msg("auxv without AT_NULL");
	return found;
}

static void test_layout(void **state)
{
	const char *const argv[] = { "/bin/prog", "a", "bc d", NULL };
	const char *const envp[] = { "X=1", "PATH=/bin", NULL };
	struct uelf_info elf = { .entry = 0x401234, .phdr = 0x400040, .phent = 56, .phnum = 9 };
	struct ustack_params p = {
		.argv = argv, .envp = envp, .execfn = "/bin/prog", .elf = &elf,
		.hwcap = 0x178bfbff, .uid = 1, .euid = 2, .gid = 3, .egid = 4,
	};
	struct verr err = { 0 };
	struct umem *m;
	uint64_t sp, a, last, rnd;
	uint8_t bytes[16];

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		p.random[i] = (uint8_t)(i * 17 + 3);
	assert_int_equal(umem_create(&m), 0);
	assert_int_equal(ustack_build(m, &p, &sp, &err), 0);
	assert_int_equal(sp % 16, 0); /* psABI: rsp 16-byte aligned at entry */
	assert_true(sp < USTACK_TOP && sp > USTACK_TOP - USTACK_SIZE);
	assert_int_equal(rd64(m, sp), 3);
	expect_str(m, rd64(m, sp + 8), "/bin/prog");
	expect_str(m, rd64(m, sp + 16), "a");
	expect_str(m, rd64(m, sp + 24), "bc d");
	assert_int_equal(rd64(m, sp + 32), 0);
	expect_str(m, rd64(m, sp + 40), "X=1");
	expect_str(m, rd64(m, sp + 48), "PATH=/bin");
	assert_int_equal(rd64(m, sp + 56), 0);
	a = sp + 64;
	assert_int_equal(auxv_get(m, a, AT_PAGESZ, &last), 4096);
	assert_int_equal(auxv_get(m, a, AT_PHDR, &last), 0x400040);
	assert_int_equal(auxv_get(m, a, AT_PHENT, &last), 56);
	assert_int_equal(auxv_get(m, a, AT_PHNUM, &last), 9);
	assert_int_equal(auxv_get(m, a, AT_ENTRY, &last), 0x401234);
	assert_int_equal(auxv_get(m, a, AT_HWCAP, &last), 0x178bfbff);
	assert_int_equal(auxv_get(m, a, AT_CLKTCK, &last), 100);
	assert_int_equal(auxv_get(m, a, AT_SECURE, &last), 0);
	assert_int_equal(auxv_get(m, a, AT_UID, &last), 1);
	assert_int_equal(auxv_get(m, a, AT_EUID, &last), 2);
	assert_int_equal(auxv_get(m, a, AT_GID, &last), 3);
	assert_int_equal(auxv_get(m, a, AT_EGID, &last), 4);
	expect_str(m, auxv_get(m, a, AT_EXECFN, &last), "/bin/prog");
	expect_str(m, auxv_get(m, a, AT_PLATFORM, &last), "x86_64");
	rnd = auxv_get(m, a, AT_RANDOM, &last);
	assert_int_equal(umem_copy_from(m, bytes, rnd, 16), 0);
	assert_memory_equal(bytes, p.random, 16);
	assert_true(last >= 18);
	/* The stack is writable and below it nothing is mapped (no guard surprises). */
	assert_true(umem_is_free(m, USTACK_TOP - USTACK_SIZE - 4096, 4096));
	umem_destroy(m);
}

static void test_too_big(void **state)
{
	static char big[USTACK_MAX_STRINGS];
	const char *const argv[] = { "p", big, NULL };
	const char *const envp[] = { NULL };
	struct uelf_info elf = { .entry = 0x401000 };
	struct ustack_params p = { .argv = argv, .envp = envp, .execfn = "p", .elf = &elf };
	struct verr err = { 0 };
	struct umem *m;
	uint64_t sp;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(umem_create(&m), 0);
	assert_int_equal(ustack_build(m, &p, &sp, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "exceed"));
	umem_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
