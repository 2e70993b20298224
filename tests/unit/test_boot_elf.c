/* ELF64 loader: a good image lands where its headers say; every lie is refused by name. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/boot.h"
#include "boot/elf.h"
#include "guest/bootinfo.h"
#include "mem/gmem.h"

#define MIB (1ull << 20)
#define IMG_SIZE 0x3000
#define TEXT_OFF 0x1000
#define TEXT_LEN 0x800
#define TEXT_ADDR 0x200000ull
#define DATA_OFF 0x2000
#define DATA_LEN 0x100
#define DATA_ADDR 0x400000ull
#define DATA_MEMSZ 0x3000 /* BSS past the file bytes */
#define ENTRY (TEXT_ADDR + 0x10)

struct fixture {
	struct gmem *m;
	uint8_t img[IMG_SIZE];
	size_t len;
};

static Elf64_Ehdr *ehdr(struct fixture *f)
{
	return (Elf64_Ehdr *)(void *)f->img;
}

static Elf64_Phdr *phdr(struct fixture *f, unsigned i)
{
	return (Elf64_Phdr *)(void *)(f->img + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

/* A two-segment kernel: text at 2 MiB (entry inside), data+bss at 4 MiB, a PT_NOTE between. */
static void build_elf(struct fixture *f)
{
	Elf64_Ehdr *eh = ehdr(f);

	memset(f->img, 0, sizeof(f->img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = ENTRY;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;
	*phdr(f, 0) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
				     .p_offset = TEXT_OFF, .p_vaddr = TEXT_ADDR,
				     .p_paddr = TEXT_ADDR, .p_filesz = TEXT_LEN,
				     .p_memsz = TEXT_LEN, .p_align = 0x1000 };
	*phdr(f, 1) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0, .p_filesz = 16,
				     .p_paddr = 0, .p_memsz = 16 };
	*phdr(f, 2) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
				     .p_offset = DATA_OFF, .p_vaddr = DATA_ADDR,
				     .p_paddr = DATA_ADDR, .p_filesz = DATA_LEN,
				     .p_memsz = DATA_MEMSZ, .p_align = 0x1000 };
	for (unsigned i = 0; i < TEXT_LEN; i++)
		f->img[TEXT_OFF + i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < DATA_LEN; i++)
		f->img[DATA_OFF + i] = (uint8_t)(0xa0 ^ i);
	f->len = IMG_SIZE;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(gmem_create(64 * MIB, &f->m), 0);
	build_elf(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gmem_destroy(f->m);
	free(f);
	return 0;
}

static int load(struct fixture *f, const char *cmdline, struct boot_entry *e, struct verr *err)
{
	struct boot_image img = {
		.kernel = f->img,
		.kernel_len = f->len,
		.cmdline = cmdline,
		.nr_cpus = 2,
		.kernel_name = "g.elf",
	};

	memset(err, 0, sizeof(*err));
	return boot_load(f->m, &img, e, err);
}

static void test_good_elf(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;
	struct vessel_bootinfo bi;
	uint8_t *p;

	/* Dirty the BSS first: the loader must clear it, not rely on fresh RAM. */
	assert_int_equal(gmem_fill(f->m, DATA_ADDR, 0x5a, DATA_MEMSZ), 0);
	assert_int_equal(load(f, "console=ttyS0 quiet", &e, &err), 0);
	assert_int_equal(err.errnum, 0);

	p = gmem_ptr(f->m, TEXT_ADDR, TEXT_LEN);
	assert_non_null(p);
	assert_memory_equal(p, f->img + TEXT_OFF, TEXT_LEN);
	p = gmem_ptr(f->m, DATA_ADDR, DATA_MEMSZ);
	assert_non_null(p);
	assert_memory_equal(p, f->img + DATA_OFF, DATA_LEN);
	for (unsigned i = DATA_LEN; i < DATA_MEMSZ; i++)
		assert_int_equal(p[i], 0);

	assert_int_equal(e.regs.rip, ENTRY);
	assert_int_equal(e.regs.rdi, BOOT_BOOTINFO_ADDR);
	assert_int_equal(e.regs.rsp, BOOT_STACK_TOP);
	assert_int_equal(e.regs.rflags, 0x2);
	assert_int_equal(e.sregs.cs.selector, 0x10);
	assert_int_equal(e.sregs.cs.l, 1);

	assert_int_equal(gmem_copy_from(f->m, &bi, BOOT_BOOTINFO_ADDR, sizeof(bi)), 0);
	assert_int_equal(bi.magic, VESSEL_BOOTINFO_MAGIC);
	assert_int_equal(bi.mem_bytes, 64 * MIB);
	assert_int_equal(bi.low_mem_end, 64 * MIB);
	assert_int_equal(bi.cmdline_gpa, BOOT_CMDLINE_ADDR);
	assert_int_equal(bi.cmdline_len, strlen("console=ttyS0 quiet"));
	assert_int_equal(bi.nr_cpus, 2);
	/* Highest segment ends at 0x403000, already page aligned. */
	assert_int_equal(bi.image_end, DATA_ADDR + DATA_MEMSZ);
	p = gmem_ptr(f->m, bi.cmdline_gpa, bi.cmdline_len + 1);
	assert_non_null(p);
	assert_string_equal((char *)p, "console=ttyS0 quiet");
}

static void test_image_end_rounds_up(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;
	struct vessel_bootinfo bi;

	phdr(f, 2)->p_memsz = DATA_MEMSZ + 1;
	assert_int_equal(load(f, "", &e, &err), 0);
	assert_int_equal(gmem_copy_from(f->m, &bi, BOOT_BOOTINFO_ADDR, sizeof(bi)), 0);
	assert_int_equal(bi.image_end, DATA_ADDR + DATA_MEMSZ + 0x1000);
	assert_int_equal(bi.cmdline_len, 0);
}

/* A lie must fail with -errno and a message naming the file and containing `what`. */
static void expect_reject(struct fixture *f, const char *what)
{
	struct boot_entry e;
	struct verr err;
	int ret = load(f, "", &e, &err);

	assert_true(ret < 0);
	assert_int_equal(-ret, err.errnum);
	if (!strstr(err.msg, "kernel 'g.elf'") || !strstr(err.msg, what))
		fail_msg("message '%s' lacks \"kernel 'g.elf'\" or '%s'", err.msg, what);
	assert_null(strchr(err.msg, '\n'));
}

static void test_truncated_header(void **state)
{
	struct fixture *f = *state;

	f->len = 40;
	expect_reject(f, "ELF header truncated (40 bytes, need 64)");
}

static void test_phdr_table_out_of_file(void **state)
{
	struct fixture *f = *state;

	ehdr(f)->e_phoff = IMG_SIZE - 100; /* 3 entries need 168 bytes */
	expect_reject(f, "program header table at 0x2f9c (3 entries) lies outside the file");
	ehdr(f)->e_phoff = UINT64_MAX - 8; /* offset + size would wrap */
	expect_reject(f, "lies outside the file (12288 bytes)");
}

static void test_segment_out_of_file(void **state)
{
	struct fixture *f = *state;

	phdr(f, 2)->p_filesz = 0x1001; /* 0x2000 + 0x1001 > 0x3000 */
	phdr(f, 2)->p_memsz = 0x2000;
	expect_reject(f, "segment 2 file range 0x2000+0x1001 lies outside the file (12288 bytes)");
	phdr(f, 2)->p_offset = UINT64_MAX;
	phdr(f, 2)->p_filesz = 2;
	expect_reject(f, "segment 2 file range 0xffffffffffffffff+0x2 lies outside the file");
}

static void test_memsz_below_filesz(void **state)
{
	struct fixture *f = *state;

	phdr(f, 0)->p_memsz = TEXT_LEN - 1;
	expect_reject(f, "segment 0 has p_filesz 0x800 larger than p_memsz 0x7ff");
}

static void test_segment_outside_ram(void **state)
{
	struct fixture *f = *state;

	phdr(f, 0)->p_paddr = 0x100000;
	phdr(f, 0)->p_memsz = 64 * MIB;
	expect_reject(f, "segment 0 [0x100000, 0x4100000) lies outside guest RAM (64 MiB");
}

static void test_segment_in_boot_area(void **state)
{
	struct fixture *f = *state;

	phdr(f, 0)->p_paddr = 0x9f000;
	ehdr(f)->e_entry = 0x9f000;
	expect_reject(f, "segment 0 [0x9f000, 0x9f800) overlaps vessel's boot area below 0x100000");
}

static void test_segment_wraps(void **state)
{
	struct fixture *f = *state;

	phdr(f, 2)->p_paddr = 0xfffffffffffff000ull;
	phdr(f, 2)->p_memsz = 0x2000;
	expect_reject(f, "segment 2 address 0xfffffffffffff000 + size 0x2000 wraps around");
}

static void test_segment_above_low_ram(void **state)
{
	struct fixture *f = *state;
	struct gmem *big;

	/* 5 GiB: [4 GiB, 6 GiB) is RAM but not identity mapped, so not loadable. */
	assert_int_equal(gmem_create(5ull << 30, &big), 0);
	gmem_destroy(f->m);
	f->m = big;
	phdr(f, 2)->p_paddr = 1ull << 32;
	expect_reject(f, "segment 2 [0x100000000, 0x100003000) lies outside guest RAM (5120 MiB, "
			 "low RAM ends at 0xc0000000)");
}

static void test_absurd_phnum(void **state)
{
	struct fixture *f = *state;

	ehdr(f)->e_phnum = 0xffff;
	expect_reject(f, "65535 program headers (need 1 to 64)");
	ehdr(f)->e_phnum = 0;
	expect_reject(f, "0 program headers");
}

static void test_wrong_class(void **state)
{
	struct fixture *f = *state;

	ehdr(f)->e_ident[EI_CLASS] = ELFCLASS32;
	expect_reject(f, "ELF class 1 is not ELFCLASS64");
}

static void test_wrong_data(void **state)
{
	struct fixture *f = *state;

	ehdr(f)->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_reject(f, "not little-endian");
}

static void test_wrong_machine(void **state)
{
	struct fixture *f = *state;

	ehdr(f)->e_machine = EM_386;
	expect_reject(f, "ELF machine 3 is not x86-64");
}

static void test_wrong_type(void **state)
{
	struct fixture *f = *state;

	ehdr(f)->e_type = ET_DYN;
	expect_reject(f, "ELF type 3 is not an executable");
}

static void test_wrong_phentsize(void **state)
{
	struct fixture *f = *state;

	ehdr(f)->e_phentsize = 32;
	expect_reject(f, "program header size 32 is not 56");
}

static void test_entry_outside_segments(void **state)
{
	struct fixture *f = *state;

	ehdr(f)->e_entry = TEXT_ADDR + TEXT_LEN; /* one past the end */
	expect_reject(f, "entry point 0x200800 lies in no loaded segment");
}

static void test_no_load_segment(void **state)
{
	struct fixture *f = *state;

	phdr(f, 0)->p_type = PT_NOTE;
	phdr(f, 2)->p_type = PT_NOTE;
	expect_reject(f, "ELF has no loadable segment");
}

static void test_lie_writes_nothing(void **state)
{
	struct fixture *f = *state;
	uint8_t *p;

	/* Segment 0 is fine, segment 2 lies: segment 0 must not have been copied. */
	phdr(f, 2)->p_paddr = 63 * MIB;
	phdr(f, 2)->p_memsz = 2 * MIB;
	expect_reject(f, "segment 2 [0x3f00000, 0x4100000) lies outside guest RAM");
	p = gmem_ptr(f->m, TEXT_ADDR, TEXT_LEN);
	assert_non_null(p);
	for (unsigned i = 0; i < TEXT_LEN; i++)
		assert_int_equal(p[i], 0);
}

static void test_cmdline_too_long(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;
	char *cl = malloc(BOOT_CMDLINE_MAX + 2);

	assert_non_null(cl);
	memset(cl, 'x', BOOT_CMDLINE_MAX + 1);
	cl[BOOT_CMDLINE_MAX + 1] = '\0';
	assert_int_equal(load(f, cl, &e, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "kernel 'g.elf': command line is 4096 bytes, at most 4095 fit"));
	cl[BOOT_CMDLINE_MAX] = '\0'; /* exactly the maximum is fine */
	assert_int_equal(load(f, cl, &e, &err), 0);
	free(cl);
}

static void test_initrd_refused(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err = { 0 };
	static const uint8_t initrd[16] = { 1 };
	struct boot_image img = { .kernel = f->img, .kernel_len = f->len, .initrd = initrd,
				  .initrd_len = sizeof(initrd), .cmdline = "", .kernel_name = "g.elf" };

	assert_int_equal(boot_load(f->m, &img, &e, &err), -EINVAL);
	assert_string_equal(err.msg, "kernel 'g.elf': an initrd needs a Linux bzImage; ELF kernels get none");
}

static void test_neither_format(void **state)
{
	struct fixture *f = *state;

	memcpy(f->img, "#!/bin/sh\n", 10);
	expect_reject(f, "is neither an ELF64 x86-64 executable nor a Linux bzImage");
	f->len = 2; /* shorter than any magic */
	expect_reject(f, "is neither");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good_elf),
		T(test_image_end_rounds_up),
		T(test_truncated_header),
		T(test_phdr_table_out_of_file),
		T(test_segment_out_of_file),
		T(test_memsz_below_filesz),
		T(test_segment_outside_ram),
		T(test_segment_in_boot_area),
		T(test_segment_wraps),
		T(test_segment_above_low_ram),
		T(test_absurd_phnum),
		T(test_wrong_class),
		T(test_wrong_data),
		T(test_wrong_machine),
		T(test_wrong_type),
		T(test_wrong_phentsize),
		T(test_entry_outside_segments),
		T(test_no_load_segment),
		T(test_lie_writes_nothing),
		T(test_cmdline_too_long),
		T(test_initrd_refused),
		T(test_neither_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
