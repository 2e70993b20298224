/* bzImage loader: placement, zero page and every refused header, on a synthetic image. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/boot.h"
#include "boot/mptable.h"
#include "boot/bzimage.h"
#include "mem/gmem.h"

#define MIB (1ull << 20)
#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define PAYLOAD_LEN 0x10000
#define IMG_LEN (SETUP_SIZE + PAYLOAD_LEN + 16) /* + a trailing "signature" */
#define INIT_SIZE (4 * MIB)
#define PREF_ADDR (16 * MIB)
#define INITRD_LEN 0x1800 /* not a page multiple, to see the alignment */

struct fixture {
	struct gmem *m;
	uint8_t img[IMG_LEN];
	size_t len;
	uint8_t initrd[INITRD_LEN];
	size_t initrd_len;
	const char *cmdline;
};

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Offsets written out from boot.rst here, not taken from bzimage.h, so the test checks them. */
static void build_bzimage(struct fixture *f)
{
	uint8_t *k = f->img;

	memset(k, 0, sizeof(f->img));
	k[0x1f1] = SETUP_SECTS;
	put32(k + 0x1f4, PAYLOAD_LEN / 16);  /* syssize */
	put16(k + 0x1fe, 0xaa55);            /* boot_flag */
	k[0x200] = 0xeb;                     /* jmp short */
	k[0x201] = 0x66;                     /* header ends at 0x268 */
	memcpy(k + 0x202, "HdrS", 4);
	put16(k + 0x206, 0x020f);            /* protocol 2.15 */
	k[0x211] = 0x01;                     /* LOADED_HIGH */
	put32(k + 0x22c, 0x7fffffff);        /* initrd_addr_max */
	put32(k + 0x230, 0x200000);          /* kernel_alignment */
	k[0x234] = 1;                        /* relocatable_kernel */
	k[0x235] = 21;                       /* min_alignment */
	put16(k + 0x236, 0x3);               /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	put32(k + 0x238, 2047);              /* cmdline_size */
	put64(k + 0x250, 0xdeadbeef);        /* setup_data: must not reach the kernel */
	put64(k + 0x258, PREF_ADDR);         /* pref_address */
	put32(k + 0x260, INIT_SIZE);         /* init_size */
	for (unsigned i = 0; i < PAYLOAD_LEN; i++)
		k[SETUP_SIZE + i] = (uint8_t)(i * 13 + 5);
	f->len = IMG_LEN;
	for (unsigned i = 0; i < INITRD_LEN; i++)
		f->initrd[i] = (uint8_t)(i ^ 0x3c);
	f->initrd_len = INITRD_LEN;
	f->cmdline = "console=ttyS0 root=/dev/vda";
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(gmem_create(64 * MIB, &f->m), 0);
	build_bzimage(f);
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

static void use_mem(struct fixture *f, uint64_t size)
{
	gmem_destroy(f->m);
	assert_int_equal(gmem_create(size, &f->m), 0);
}

static int load(struct fixture *f, struct boot_entry *e, struct verr *err)
{
	struct boot_image img = {
		.kernel = f->img,
		.kernel_len = f->len,
		.initrd = f->initrd_len ? f->initrd : NULL,
		.initrd_len = f->initrd_len,
		.cmdline = f->cmdline,
		.nr_cpus = 1,
		.kernel_name = "bz",
	};

	memset(err, 0, sizeof(*err));
	return boot_load(f->m, &img, e, err);
}

static const uint8_t *zero_page(struct fixture *f)
{
	const uint8_t *zp = gmem_ptr(f->m, BOOT_ZEROPAGE_ADDR, 4096);

	assert_non_null(zp);
	return zp;
}

static void assert_payload_at(struct fixture *f, uint64_t addr)
{
	const uint8_t *p = gmem_ptr(f->m, addr, PAYLOAD_LEN);

	assert_non_null(p);
	assert_memory_equal(p, f->img + SETUP_SIZE, PAYLOAD_LEN);
}

static void test_good_bzimage(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;
	const uint8_t *zp, *p;
	uint64_t initrd_addr = (64 * MIB - INITRD_LEN) & ~0xfffull;

	assert_int_equal(load(f, &e, &err), 0);
	assert_payload_at(f, PREF_ADDR);
	assert_int_equal(e.regs.rip, PREF_ADDR + 0x200);
	assert_int_equal(e.regs.rsi, BOOT_ZEROPAGE_ADDR);
	assert_int_equal(e.regs.rflags, 0x2);
	assert_int_equal(e.sregs.cs.selector, 0x10);
	assert_int_equal(e.sregs.ds.selector, 0x18);
	assert_int_equal(e.sregs.cr3, BOOT_PML4_ADDR);

	zp = zero_page(f);
	/* Setup header copied through its end (0x268); fields past it stay zero. */
	assert_memory_equal(zp + 0x1f1, f->img + 0x1f1, 0x210 - 0x1f1);
	assert_int_equal(get16(zp + 0x206), 0x020f);
	assert_int_equal(get64(zp + 0x258), PREF_ADDR);
	assert_int_equal(get32(zp + 0x260), INIT_SIZE);
	assert_int_equal(get64(zp + 0x250), 0); /* setup_data cleared */
	assert_int_equal(zp[0x210], 0xff);      /* type_of_loader */
	assert_int_equal(zp[0x211], 0x81);      /* LOADED_HIGH | CAN_USE_HEAP */
	assert_int_equal(get16(zp + 0x224), 0xde00);
	assert_int_equal(get32(zp + 0x214), PREF_ADDR); /* code32_start */
	assert_int_equal(get32(zp + 0x228), BOOT_CMDLINE_ADDR);
	assert_int_equal(get32(zp + 0x0c8), 0);
	p = gmem_ptr(f->m, BOOT_CMDLINE_ADDR, strlen(f->cmdline) + 1);
	assert_non_null(p);
	assert_string_equal((const char *)p, f->cmdline);

	/* initrd: as high as it goes, page aligned. */
	assert_int_equal(get32(zp + 0x218), initrd_addr);
	assert_int_equal(get32(zp + 0x21c), INITRD_LEN);
	assert_int_equal(get32(zp + 0x0c0), 0);
	assert_int_equal(get32(zp + 0x0c4), 0);
	p = gmem_ptr(f->m, initrd_addr, INITRD_LEN);
	assert_non_null(p);
	assert_memory_equal(p, f->initrd, INITRD_LEN);

	/* e820: the 64 MiB layout, 20-byte packed entries at 0x2d0. */
	assert_int_equal(zp[0x1e8], 3);
	assert_int_equal(get64(zp + 0x2d0), 0);
	assert_int_equal(get64(zp + 0x2d8), 0x9fc00);
	assert_int_equal(get32(zp + 0x2e0), 1);
	assert_int_equal(get64(zp + 0x2e4), 0x9fc00);
	assert_int_equal(get64(zp + 0x2ec), 0x100000 - 0x9fc00);
	assert_int_equal(get32(zp + 0x2f4), 2);
	assert_int_equal(get64(zp + 0x2f8), 0x100000);
	assert_int_equal(get64(zp + 0x300), 63 * MIB);
	assert_int_equal(get32(zp + 0x308), 1);

	/* An MP floating pointer in the reserved last KiB of base memory, for Linux. */
	p = gmem_ptr(f->m, MPTABLE_DEFAULT_ADDR, 16);
	assert_non_null(p);
	assert_memory_equal(p, "_MP_", 4);
}

static void test_no_initrd(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;

	f->initrd_len = 0;
	f->cmdline = "";
	assert_int_equal(load(f, &e, &err), 0);
	assert_int_equal(get32(zero_page(f) + 0x218), 0);
	assert_int_equal(get32(zero_page(f) + 0x21c), 0);
}

static void test_pref_address_does_not_fit(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;

	/* 16 MiB + 4 MiB init_size > 16 MiB: fall back to 1 MiB rounded up to 2 MiB. */
	use_mem(f, 16 * MIB);
	assert_int_equal(load(f, &e, &err), 0);
	assert_payload_at(f, 2 * MIB);
	assert_int_equal(e.regs.rip, 2 * MIB + 0x200);
	assert_int_equal(get32(zero_page(f) + 0x214), 2 * MIB);
}

static void test_misaligned_pref_address(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;

	put64(f->img + 0x258, PREF_ADDR + 0x1000);
	assert_int_equal(load(f, &e, &err), 0);
	assert_int_equal(e.regs.rip, 2 * MIB + 0x200);
}

static void test_not_relocatable(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;

	f->img[0x234] = 0;
	assert_int_equal(load(f, &e, &err), 0);
	assert_payload_at(f, MIB);
	assert_int_equal(e.regs.rip, MIB + 0x200);
	/* It decompresses to pref_address: that much RAM must exist there. */
	use_mem(f, 18 * MIB);
	assert_int_equal(load(f, &e, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "kernel 'bz': needs 0x400000 bytes (init_size) at 0x1000000"));
}

static void test_initrd_addr_max(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;

	put32(f->img + 0x22c, 0x2ffffff);
	assert_int_equal(load(f, &e, &err), 0);
	assert_int_equal(get32(zero_page(f) + 0x218), (0x3000000 - INITRD_LEN) & ~0xfffu);
}

static void test_image_left_unchanged(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;

	/* The kernel image buffer is not modified by loading (the header copy goes to the zero page). */
	uint8_t before[IMG_LEN];

	memcpy(before, f->img, IMG_LEN);
	assert_int_equal(load(f, &e, &err), 0);
	assert_memory_equal(before, f->img, IMG_LEN);
}

static void expect_reject(struct fixture *f, int errnum, const char *what)
{
	struct boot_entry e;
	struct verr err;
	int ret = load(f, &e, &err);

	assert_int_equal(ret, -errnum);
	assert_int_equal(err.errnum, errnum);
	if (!strstr(err.msg, "kernel 'bz'") || !strstr(err.msg, what))
		fail_msg("message '%s' lacks \"kernel 'bz'\" or '%s'", err.msg, what);
}

static void test_too_short(void **state)
{
	struct fixture *f = *state;

	f->len = 0x240;
	expect_reject(f, EINVAL, "bzImage too short for a setup header (576 bytes, need 612)");
}

static void test_bad_magic(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err = { 0 };
	struct boot_image img = { .kernel = f->img, .kernel_len = f->len, .cmdline = "",
				  .kernel_name = "bz" };

	put16(f->img + 0x1fe, 0x1234);
	expect_reject(f, EINVAL, "boot flag 0x1234 is not 0xaa55");
	put16(f->img + 0x1fe, 0xaa55);
	memcpy(f->img + 0x202, "HdrT", 4);
	/* Without "HdrS" boot_load does not recognise it; the parser itself says why. */
	expect_reject(f, ENOEXEC, "is neither an ELF64 x86-64 executable nor a Linux bzImage");
	assert_int_equal(bzimage_load(f->m, &img, &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "kernel 'bz': bzImage has no 'HdrS' setup header"));
}

static void test_old_protocol(void **state)
{
	struct fixture *f = *state;

	put16(f->img + 0x206, 0x020a);
	expect_reject(f, EINVAL, "boot protocol 2.10 is older than 2.12");
}

static void test_no_64bit_entry(void **state)
{
	struct fixture *f = *state;

	put16(f->img + 0x236, 0x2);
	expect_reject(f, EINVAL, "no 64-bit entry point (XLF_KERNEL_64 clear)");
}

static void test_zimage(void **state)
{
	struct fixture *f = *state;

	f->img[0x211] = 0;
	expect_reject(f, EINVAL, "a zImage (loads low), not a bzImage");
}

static void test_setup_sects_lies(void **state)
{
	struct fixture *f = *state;

	f->img[0x1f1] = 200; /* 201 * 512 = 102912 > file */
	expect_reject(f, EINVAL, "setup_sects 200 puts the kernel at 102912 bytes, past the end of the file (68112 bytes)");
}

static void test_setup_sects_zero_means_four(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err;

	f->img[0x1f1] = 0;
	assert_int_equal(load(f, &e, &err), 0);
	assert_payload_at(f, PREF_ADDR);
}

static void test_syssize_lies(void **state)
{
	struct fixture *f = *state;

	put32(f->img + 0x1f4, PAYLOAD_LEN / 16 + 2); /* 32 bytes more than the file, 16 extra exist */
	expect_reject(f, EINVAL, "syssize says 65568 bytes of kernel, but the file has 65552 after the setup code");
	put32(f->img + 0x1f4, 0);
	expect_reject(f, EINVAL, "syssize says 0 bytes");
}

static void test_bad_alignment(void **state)
{
	struct fixture *f = *state;

	put32(f->img + 0x230, 0x300000);
	expect_reject(f, EINVAL, "kernel_alignment 0x300000 is not a power of two");
	put32(f->img + 0x230, 0);
	expect_reject(f, EINVAL, "kernel_alignment 0x0 is not a power of two");
}

static void test_kernel_larger_than_ram(void **state)
{
	struct fixture *f = *state;

	put32(f->img + 0x260, 0x8000000); /* init_size 128 MiB on 64 MiB */
	expect_reject(f, EFBIG, "needs 0x8000000 bytes (init_size) at 0x200000 but low guest RAM ends at 0x4000000 (64 MiB)");
	put32(f->img + 0x260, 0xffffffff);
	put64(f->img + 0x258, 0xffffffffffe00000ull); /* pref_address + init_size would wrap */
	expect_reject(f, EFBIG, "needs 0xffffffff bytes (init_size)");
}

static void test_initrd_does_not_fit(void **state)
{
	struct fixture *f = *state;
	struct boot_entry e;
	struct verr err = { 0 };
	uint8_t *big = calloc(1, 48 * MIB);
	struct boot_image img = { .kernel = f->img, .kernel_len = f->len, .initrd = big,
				  .initrd_len = 48 * MIB, .cmdline = "", .kernel_name = "bz",
				  .initrd_name = "rd.img" };

	assert_non_null(big);
	/* Kernel at 16 MiB + 4 MiB: 44 MiB remain below 64 MiB, 48 do not fit. */
	assert_int_equal(boot_load(f->m, &img, &e, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "initrd 'rd.img' (50331648 bytes) does not fit between the end of kernel 'bz' at 0x1400000 and 0x4000000"));
	/* 44 MiB exactly fits. */
	img.initrd_len = 44 * MIB;
	memset(&err, 0, sizeof(err));
	assert_int_equal(boot_load(f->m, &img, &e, &err), 0);
	assert_int_equal(get32(zero_page(f) + 0x218), 20 * MIB);
	free(big);
}

static void test_cmdline_too_long(void **state)
{
	struct fixture *f = *state;

	put32(f->img + 0x238, 10);
	f->cmdline = "console=ttyS0"; /* 13 bytes */
	expect_reject(f, EINVAL, "command line is 13 bytes, the kernel accepts at most 10");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good_bzimage),
		T(test_no_initrd),
		T(test_pref_address_does_not_fit),
		T(test_misaligned_pref_address),
		T(test_not_relocatable),
		T(test_initrd_addr_max),
		T(test_image_left_unchanged),
		T(test_too_short),
		T(test_bad_magic),
		T(test_old_protocol),
		T(test_no_64bit_entry),
		T(test_zimage),
		T(test_setup_sects_lies),
		T(test_setup_sects_zero_means_four),
		T(test_syssize_lies),
		T(test_bad_alignment),
		T(test_kernel_larger_than_ram),
		T(test_initrd_does_not_fit),
		T(test_cmdline_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
