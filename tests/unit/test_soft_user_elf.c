/* uelf_load: static ELF64 loading into the user page map, and rejection of bad headers. */
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

#define IMG_SIZE 0x3000

/* A two-segment ET_EXEC: text (R X) at 0x401000 from offset 0x1000, data+bss (R W). */
static void img_build(uint8_t *img)
{
	Elf64_Ehdr eh = {
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = 0x401010, .e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 3,
	};
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R, .p_offset = 0, .p_vaddr = 0x400000,
		  .p_filesz = 0x200, .p_memsz = 0x200, .p_align = 0x1000 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000, .p_vaddr = 0x401000,
		  .p_filesz = 0x100, .p_memsz = 0x100, .p_align = 0x1000 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x2000, .p_vaddr = 0x402000,
		  .p_filesz = 0x10, .p_memsz = 0x3000, .p_align = 0x1000 },
	};

	memset(img, 0, IMG_SIZE);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), ph, sizeof(ph));
	memset(img + 0x1000, 0x90, 0x100);
	memset(img + 0x2000, 0xab, 0x10);
	memset(img + 0x2010, 0xcd, 0x100); /* beyond p_filesz: must not be loaded */
}

static Elf64_Phdr *img_ph(uint8_t *img, unsigned i)
{
	return (Elf64_Phdr *)(void *)(img + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

static Elf64_Ehdr *img_eh(uint8_t *img)
{
	return (Elf64_Ehdr *)(void *)img;
}

static void test_load_exec(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct umem *m;
	struct uelf_info info;
	struct verr err = { 0 };
	uint8_t *host, buf[16];
	unsigned prot;

	(void)state;
	img_build(img);
	assert_int_equal(umem_create(&m), 0);
	assert_int_equal(uelf_load(m, img, IMG_SIZE, "t", &info, &err), 0);
	assert_int_equal(info.entry, 0x401010);
	assert_int_equal(info.bias, 0);
	assert_int_equal(info.phdr, 0x400000 + sizeof(Elf64_Ehdr));
	assert_int_equal(info.phnum, 3);
	assert_int_equal(info.brk, 0x405000);
	assert_true(umem_lookup(m, 0x401000, &host, &prot));
	assert_int_equal(prot, UMEM_R | UMEM_X);
	assert_int_equal(host[0x10], 0x90);
	assert_true(umem_lookup(m, 0x402000, &host, &prot));
	assert_int_equal(prot, UMEM_R | UMEM_W);
	assert_int_equal(host[0xf], 0xab);
	assert_int_equal(host[0x10], 0); /* bss is zero, not the file's bytes */
	assert_true(umem_lookup(m, 0x404000, &host, &prot));
	assert_false(umem_lookup(m, 0x405000, &host, &prot));
	/* The program headers are readable where AT_PHDR says. */
	assert_int_equal(umem_copy_from(m, buf, info.phdr, 4), 0);
	assert_int_equal(((Elf64_Phdr *)(void *)buf)->p_type, PT_LOAD);
	umem_destroy(m);
}

static void test_load_pie(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct umem *m;
	struct uelf_info info;
	struct verr err = { 0 };

	(void)state;
	img_build(img);
	img_eh(img)->e_type = ET_DYN;
	img_eh(img)->e_entry = 0x1010;
	for (unsigned i = 0; i < 3; i++)
		img_ph(img, i)->p_vaddr -= 0x400000;
	assert_int_equal(umem_create(&m), 0);
	assert_int_equal(uelf_load(m, img, IMG_SIZE, "pie", &info, &err), 0);
	assert_int_equal(info.bias, UELF_DYN_BASE);
	assert_int_equal(info.entry, UELF_DYN_BASE + 0x1010);
	assert_false(umem_is_free(m, UELF_DYN_BASE + 0x1000, 0x1000));
	umem_destroy(m);
}

/* Each corruption must be refused with -ENOEXEC, a message, and nothing left mapped. */
static void expect_refused(uint8_t *img, size_t size, const char *what)
{
	struct umem *m;
	struct uelf_info info;
	struct verr err = { 0 };

	assert_int_equal(umem_create(&m), 0);
	assert_int_equal(uelf_load(m, img, size, "bad", &info, &err), -ENOEXEC);
	if (!strstr(err.msg, what))
		fail_msg("message '%s' lacks '%s'", err.msg, what);
	assert_int_equal(m->mapped_pages, 0);
	umem_destroy(m);
}

static void test_bad_headers(void **state)
{
	static uint8_t img[IMG_SIZE];

	(void)state;
	img_build(img);
	expect_refused(img, 3, "not an ELF");
	expect_refused(img, 40, "too short");
	img[0] = 0;
	expect_refused(img, IMG_SIZE, "not an ELF");
	img_build(img);
	img[EI_CLASS] = ELFCLASS32;
	expect_refused(img, IMG_SIZE, "ELF64");
	img_build(img);
	img_eh(img)->e_machine = EM_386;
	expect_refused(img, IMG_SIZE, "not x86-64");
	img_build(img);
	img_eh(img)->e_type = ET_REL;
	expect_refused(img, IMG_SIZE, "not an executable");
	img_build(img);
	img_eh(img)->e_phentsize = 32;
	expect_refused(img, IMG_SIZE, "program header size");
	img_build(img);
	img_eh(img)->e_phnum = 0;
	expect_refused(img, IMG_SIZE, "program headers");
	img_build(img);
	img_eh(img)->e_phoff = IMG_SIZE - 8;
	expect_refused(img, IMG_SIZE, "outside the file");
	img_build(img);
	img_eh(img)->e_phoff = UINT64_MAX - 8; /* overflow */
	expect_refused(img, IMG_SIZE, "outside the file");
}

static void test_bad_segments(void **state)
{
	static uint8_t img[IMG_SIZE];

	(void)state;
	img_build(img);
	img_ph(img, 1)->p_filesz = 0x200; /* > memsz */
	expect_refused(img, IMG_SIZE, "file size exceeds");
	img_build(img);
	img_ph(img, 2)->p_offset = IMG_SIZE; /* data beyond the end */
	img_ph(img, 2)->p_vaddr = 0x403000;
	expect_refused(img, IMG_SIZE, "outside the file");
	img_build(img);
	img_ph(img, 1)->p_vaddr = 0x401800; /* offset 0x1000: not congruent */
	expect_refused(img, IMG_SIZE, "differ mod page");
	img_build(img);
	img_ph(img, 2)->p_vaddr = 0x7ffffffff000;
	img_ph(img, 2)->p_offset = 0x2000;
	expect_refused(img, IMG_SIZE, "outside user space");
	img_build(img);
	img_ph(img, 2)->p_memsz = UINT64_MAX - 0x1000; /* wraps */
	expect_refused(img, IMG_SIZE, "outside user space");
	img_build(img);
	img_ph(img, 0)->p_type = PT_INTERP;
	expect_refused(img, IMG_SIZE, "dynamically linked");
	img_build(img);
	img_ph(img, 0)->p_vaddr = 0;
	img_ph(img, 1)->p_vaddr = 0x1000;
	img_ph(img, 2)->p_vaddr = 0x2000;
	img_eh(img)->e_entry = 0x1010;
	expect_refused(img, IMG_SIZE, "below 64 KiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_exec),
		cmocka_unit_test(test_load_pie),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
