/*
 * qcow2 and raw block backends (src/dev/backend/): images made with
 * qemu-img (skipped when it is missing), read through the backing file,
 * copy-on-write into the overlay, the base untouched, `qemu-img check`
 * clean afterwards, corrupt headers refused with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/backend/block.h"

#define MIB (1u << 20)

struct fix {
	char dir[64];
	char base[128], ovl[128];
	uint8_t *data; /* the base's contents */
	size_t size;
};

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int setup(void **state)
{
	static struct fix f;
	int fd;

	memset(&f, 0, sizeof(f));
	strcpy(f.dir, "/tmp/vessel-qcow2-XXXXXX");
	if (!mkdtemp(f.dir))
		return -1;
	snprintf(f.base, sizeof(f.base), "%s/base.img", f.dir);
	snprintf(f.ovl, sizeof(f.ovl), "%s/ovl.qcow2", f.dir);
	f.size = 4 * MIB;
	f.data = malloc(f.size);
	if (!f.data)
		return -1;
	for (size_t i = 0; i < f.size; i++)
		f.data[i] = (uint8_t)(i * 2654435761u >> 13);
	fd = open(f.base, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, f.data, f.size) != (ssize_t)f.size)
		return -1;
	close(fd);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	sh("rm -rf %s", f->dir);
	free(f->data);
	return 0;
}

static bool have_qemu_img(void)
{
	return sh("qemu-img --version >/dev/null 2>&1") == 0;
}

static void test_raw_read_write_discard(void **state)
{
	struct fix *f = *state;
	struct blk_backend *b;
	struct verr err = {0};
	uint8_t buf[8192], zero[4096] = {0};
	char copy[160];

	snprintf(copy, sizeof(copy), "%s/raw.img", f->dir);
	assert_int_equal(sh("cp %s %s", f->base, copy), 0);
	assert_int_equal(blk_backend_open(copy, false, &b, &err), 0);
	assert_string_equal(b->ops->name, "raw");
	assert_int_equal(b->size, f->size);
	assert_int_equal(blk_read(b, 12345, buf, 100), 0);
	assert_memory_equal(buf, f->data + 12345, 100);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(blk_write(b, 8192, buf, 8192), 0);
	assert_int_equal(b->ops->flush(b), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(blk_read(b, 8192, buf, 8192), 0);
	assert_int_equal(buf[0], 0x5a);
	assert_int_equal(buf[8191], 0x5a);
	assert_int_equal(b->ops->discard(b, 0, 4096), 0);
	assert_int_equal(blk_read(b, 0, buf, 4096), 0);
	/* Punched where the filesystem supports it; otherwise the data stays. */
	assert_true(!memcmp(buf, zero, 4096) || !memcmp(buf, f->data, 4096));
	blk_backend_destroy(b);
	/* Read-only: writes refused. */
	assert_int_equal(blk_backend_open(copy, true, &b, &err), 0);
	assert_int_equal(blk_write(b, 0, buf, 512), -EROFS);
	blk_backend_destroy(b);
	/* A missing file names itself. */
	assert_int_equal(blk_backend_open("/nonexistent/x.img", false, &b, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/x.img"));
}

static void test_qcow2_overlay_cow(void **state)
{
	struct fix *f = *state;
	struct blk_backend *b;
	struct verr err = {0};
	uint8_t *buf = malloc(f->size), pat[3000];
	char sum2[160];

	if (!have_qemu_img())
		skip();
	assert_non_null(buf);
	assert_int_equal(sh("cd %s && sha256sum base.img > base.sha", f->dir), 0);
	assert_int_equal(
		sh("cd %s && qemu-img create -q -f qcow2 -b base.img -F raw ovl.qcow2", f->dir), 0);
	assert_int_equal(blk_backend_open(f->ovl, false, &b, &err), 0);
	assert_string_equal(b->ops->name, "qcow2");
	assert_int_equal(b->size, f->size);
	/* Unallocated: everything comes from the base. */
	assert_int_equal(blk_read(b, 0, buf, f->size), 0);
	assert_memory_equal(buf, f->data, f->size);
	/* A write inside a cluster, one across a cluster boundary (64 KiB clusters). */
	memset(pat, 0xc3, sizeof(pat));
	assert_int_equal(blk_write(b, 70000, pat, sizeof(pat)), 0);
	assert_int_equal(blk_write(b, 3 * 65536 - 1000, pat, sizeof(pat)), 0);
	memcpy(f->data + 70000, pat, sizeof(pat));
	memcpy(f->data + 3 * 65536 - 1000, pat, sizeof(pat));
	/* A whole cluster at the end. */
	memset(buf, 0x77, 65536);
	assert_int_equal(blk_write(b, f->size - 65536, buf, 65536), 0);
	memset(f->data + f->size - 65536, 0x77, 65536);
	assert_int_equal(b->ops->flush(b), 0);
	assert_int_equal(blk_read(b, 0, buf, f->size), 0);
	assert_memory_equal(buf, f->data, f->size);
	blk_backend_destroy(b);
	/* Reopened: same data; qemu agrees; refcounts clean; the base never written. */
	assert_int_equal(blk_backend_open(f->ovl, true, &b, &err), 0);
	assert_int_equal(blk_read(b, 0, buf, f->size), 0);
	assert_memory_equal(buf, f->data, f->size);
	blk_backend_destroy(b);
	assert_int_equal(sh("qemu-img check -q %s", f->ovl), 0);
	assert_int_equal(sh("cd %s && qemu-img convert -O raw ovl.qcow2 ovl.raw", f->dir), 0);
	snprintf(sum2, sizeof(sum2), "%s/ovl.raw", f->dir);
	{
		FILE *r = fopen(sum2, "rb");

		assert_non_null(r);
		assert_int_equal(fread(buf, 1, f->size, r), f->size);
		fclose(r);
		assert_memory_equal(buf, f->data, f->size);
	}
	assert_int_equal(sh("cd %s && sha256sum -c --quiet base.sha", f->dir), 0);
	free(buf);
}

static void test_qcow2_standalone_and_v2(void **state)
{
	struct fix *f = *state;
	struct blk_backend *b;
	struct verr err = {0};
	uint8_t buf[4096], zero[4096] = {0};

	if (!have_qemu_img())
		skip();
	assert_int_equal(sh("cd %s && qemu-img create -q -f qcow2 -o compat=0.10,cluster_size=4096 "
			    "v2.qcow2 1M",
			    f->dir),
			 0);
	assert_int_equal(sh("cd %s && cp v2.qcow2 v2b.qcow2", f->dir), 0);
	{
		char p[160];

		snprintf(p, sizeof(p), "%s/v2.qcow2", f->dir);
		assert_int_equal(blk_backend_open(p, false, &b, &err), 0);
	}
	assert_int_equal(blk_read(b, 0, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	/* Enough writes to need new L2 tables and refcount entries (4 KiB clusters: 512 per L2). */
	for (unsigned i = 0; i < 256; i++) {
		memset(buf, (int)(i + 1), sizeof(buf));
		assert_int_equal(blk_write(b, (uint64_t)i * 4096, buf, sizeof(buf)), 0);
	}
	for (unsigned i = 0; i < 256; i += 37) {
		assert_int_equal(blk_read(b, (uint64_t)i * 4096, buf, sizeof(buf)), 0);
		assert_int_equal(buf[100], (uint8_t)(i + 1));
	}
	blk_backend_destroy(b);
	assert_int_equal(sh("qemu-img check -q %s/v2.qcow2", f->dir), 0);
}

/* Write 8 big-endian bytes at off of file path. */
static void poke64(const char *path, off_t off, uint64_t v)
{
	int fd = open(path, O_WRONLY);
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(v >> (56 - 8 * i));
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, be, 8, off), 8);
	close(fd);
}

static void poke32(const char *path, off_t off, uint32_t v)
{
	int fd = open(path, O_WRONLY);
	uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, be, 4, off), 4);
	close(fd);
}

static void expect_refused(struct fix *f, const char *what)
{
	struct blk_backend *b = NULL;
	struct verr err = {0};
	char p[160];

	snprintf(p, sizeof(p), "%s/bad.qcow2", f->dir);
	assert_true(blk_backend_open(p, false, &b, &err) < 0);
	assert_null(b);
	assert_non_null(strstr(err.msg, "bad.qcow2"));
	if (!strstr(err.msg, what))
		fail_msg("message '%s' does not mention '%s'", err.msg, what);
}

static void test_qcow2_corrupt_refused(void **state)
{
	struct fix *f = *state;
	char p[160];

	if (!have_qemu_img())
		skip();
	snprintf(p, sizeof(p), "%s/bad.qcow2", f->dir);
#define FRESH()                                                                                    \
	assert_int_equal(                                                                          \
		sh("cd %s && rm -f bad.qcow2 && qemu-img create -q -f qcow2 bad.qcow2 4M",         \
		   f->dir),                                                                        \
		0)
	FRESH();
	poke64(p, 40, 1ull << 40); /* L1 table past the end */
	expect_refused(f, "L1 table");
	FRESH();
	poke32(p, 20, 30); /* cluster_bits */
	expect_refused(f, "cluster_bits");
	FRESH();
	poke32(p, 32, 1); /* AES encryption */
	expect_refused(f, "encrypted");
	FRESH();
	poke64(p, 72, 2); /* corrupt bit */
	expect_refused(f, "corrupt");
	FRESH();
	poke64(p, 72, 1ull << 40); /* unknown incompatible feature */
	expect_refused(f, "incompatible");
	FRESH();
	poke32(p, 96, 5); /* 32-bit refcounts */
	expect_refused(f, "refcount");
	FRESH();
	poke32(p, 4, 4);
	expect_refused(f, "version");
	/* A compressed cluster. */
	assert_int_equal(sh("cd %s && rm -f bad.qcow2 && head -c 1048576 base.img > small.raw && "
			    "qemu-img convert -q -c -O qcow2 small.raw bad.qcow2",
			    f->dir),
			 0);
	expect_refused(f, "compressed");
	/* A missing backing file. */
	assert_int_equal(sh("cd %s && rm -f bad.qcow2 && cp base.img gone.img && qemu-img create "
			    "-q -f qcow2 -b gone.img -F raw bad.qcow2 && rm gone.img",
			    f->dir),
			 0);
	expect_refused(f, "gone.img");
#undef FRESH
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_read_write_discard),
		cmocka_unit_test(test_qcow2_overlay_cow),
		cmocka_unit_test(test_qcow2_standalone_and_v2),
		cmocka_unit_test(test_qcow2_corrupt_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
