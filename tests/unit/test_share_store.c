/* The host-wide page-sharing store (src/mem/share/store.c). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <cmocka.h>

#include "mem/share/store.h"

struct fixture {
	char path[128];
	char lock[160];
};

static int setup(void **state)
{
	static struct fixture f;

	snprintf(f.path, sizeof(f.path), "/dev/shm/vessel-test-store-%d", (int)getpid());
	snprintf(f.lock, sizeof(f.lock), "%s.lock", f.path);
	unlink(f.path);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	unlink(f->lock);
	return 0;
}

static void page_fill(uint8_t *p, uint8_t seed)
{
	for (size_t i = 0; i < SHARE_PAGE_SIZE; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/*
 * Get a frame for page as a second VM would: the first look (owner 1)
 * leaves a hint, the second (owner 2, same hash) gets the frame.
 */
static int get(struct share_store *s, const void *page, uint64_t hash, uint32_t *slot)
{
	int r = share_store_get(s, page, hash, 1, 1, slot);

	if (r == -ENOENT)
		r = share_store_get(s, page, hash, 2, 1, slot);
	return r;
}

/* A page seen once costs no frame; a second page with its bytes (any VM) makes one. */
static void test_hints(void **state)
{
	struct fixture *f = *state;
	struct share_store *s = NULL;
	struct verr err = {0};
	uint8_t a[SHARE_PAGE_SIZE];
	uint64_t h;
	uint32_t slot, o1, o2;

	assert_int_equal(share_store_open(f->path, 8, &s, &err), 0);
	o1 = share_store_owner_new(s);
	o2 = share_store_owner_new(s);
	assert_int_not_equal(o1, 0);
	assert_int_not_equal(o1, o2);
	page_fill(a, 21);
	h = share_store_hash(s, a);
	assert_int_equal(share_store_get(s, a, h, o1, 7, &slot), -ENOENT);
	/* The same page again (next scan): still unique. */
	assert_int_equal(share_store_get(s, a, h, o1, 7, &slot), -ENOENT);
	assert_int_equal(share_store_used(s), 0);
	/* Another page of the same VM with these bytes: a frame. */
	assert_int_equal(share_store_get(s, a, h, o1, 8, &slot), 0);
	assert_int_equal(share_store_refcount(s, slot), 1);
	/* From then on everyone finds the frame. */
	assert_int_equal(share_store_get(s, a, h, o1, 7, &slot), 0);
	assert_int_equal(share_store_get(s, a, h, o2, 7, &slot), 0);
	assert_int_equal(share_store_refcount(s, slot), 3);
	assert_int_equal(share_store_used(s), 1);
	share_store_close(s);
}

static void test_get_put(void **state)
{
	struct fixture *f = *state;
	struct share_store *s = NULL;
	struct verr err = {0};
	uint8_t a[SHARE_PAGE_SIZE], b[SHARE_PAGE_SIZE];
	uint32_t sa, sa2, sb;

	assert_int_equal(share_store_open(f->path, 8, &s, &err), 0);
	page_fill(a, 1);
	page_fill(b, 2);
	assert_int_equal(get(s, a, share_store_hash(s, a), &sa), 0);
	assert_int_equal(share_store_refcount(s, sa), 1);
	assert_memory_equal(share_store_page(s, sa), a, SHARE_PAGE_SIZE);
	/* The same bytes find the same frame. */
	assert_int_equal(get(s, a, share_store_hash(s, a), &sa2), 0);
	assert_int_equal(sa2, sa);
	assert_int_equal(share_store_refcount(s, sa), 2);
	/* Other bytes get another frame. */
	assert_int_equal(get(s, b, share_store_hash(s, b), &sb), 0);
	assert_int_not_equal(sb, sa);
	assert_int_equal(share_store_used(s), 2);
	share_store_put(s, sa);
	assert_int_equal(share_store_refcount(s, sa), 1);
	share_store_put(s, sa);
	assert_int_equal(share_store_refcount(s, sa), 0);
	assert_int_equal(share_store_used(s), 1);
	/* A freed frame is gone from the index: the bytes get a fresh copy. */
	assert_int_equal(get(s, a, share_store_hash(s, a), &sa2), 0);
	assert_int_equal(share_store_refcount(s, sa2), 1);
	assert_memory_equal(share_store_page(s, sa2), a, SHARE_PAGE_SIZE);
	/* b still intact. */
	assert_memory_equal(share_store_page(s, sb), b, SHARE_PAGE_SIZE);
	share_store_close(s);
}

/* Same hash, other bytes: compared byte by byte, never merged. */
static void test_hash_collision(void **state)
{
	struct fixture *f = *state;
	struct share_store *s = NULL;
	struct verr err = {0};
	uint8_t a[SHARE_PAGE_SIZE], b[SHARE_PAGE_SIZE];
	uint32_t sa, sb;

	assert_int_equal(share_store_open(f->path, 4, &s, &err), 0);
	page_fill(a, 3);
	memcpy(b, a, sizeof(b));
	b[4095] ^= 1;
	assert_int_equal(get(s, a, 42, &sa), 0);
	assert_int_equal(get(s, b, 42, &sb), 0);
	assert_int_not_equal(sa, sb);
	assert_memory_equal(share_store_page(s, sb), b, SHARE_PAGE_SIZE);
	share_store_close(s);
}

static void test_full(void **state)
{
	struct fixture *f = *state;
	struct share_store *s = NULL;
	struct verr err = {0};
	uint8_t p[SHARE_PAGE_SIZE];
	uint32_t slot;

	assert_int_equal(share_store_open(f->path, 2, &s, &err), 0);
	for (int i = 0; i < 2; i++) {
		page_fill(p, (uint8_t)(10 + i));
		assert_int_equal(get(s, p, share_store_hash(s, p), &slot), 0);
	}
	page_fill(p, 99);
	assert_int_equal(get(s, p, share_store_hash(s, p), &slot), -ENOSPC);
	/* Freeing one makes room again. */
	share_store_put(s, 0);
	assert_int_equal(get(s, p, share_store_hash(s, p), &slot), 0);
	assert_int_equal(slot, 0);
	share_store_close(s);
}

/* A second opener attaches to the live store (same frames); the last closer lets the next reset. */
static void test_attach_and_reset(void **state)
{
	struct fixture *f = *state;
	struct share_store *s1 = NULL, *s2 = NULL, *s3 = NULL;
	struct verr err = {0};
	uint8_t p[SHARE_PAGE_SIZE];
	uint32_t a, b;

	assert_int_equal(share_store_open(f->path, 16, &s1, &err), 0);
	/* A different size asked: the live store's geometry wins. */
	assert_int_equal(share_store_open(f->path, 4, &s2, &err), 0);
	assert_int_equal(share_store_nr_slots(s2), 16);
	page_fill(p, 5);
	assert_int_equal(share_store_hash(s1, p), share_store_hash(s2, p));
	assert_int_equal(get(s1, p, share_store_hash(s1, p), &a), 0);
	assert_int_equal(get(s2, p, share_store_hash(s2, p), &b), 0);
	assert_int_equal(a, b);
	assert_int_equal(share_store_refcount(s2, a), 2);
	share_store_close(s1);
	share_store_close(s2);
	/* Nobody holds it now: the next opener starts a fresh store (leaked refs gone). */
	assert_int_equal(share_store_open(f->path, 4, &s3, &err), 0);
	assert_int_equal(share_store_nr_slots(s3), 4);
	assert_int_equal(share_store_used(s3), 0);
	share_store_close(s3);
}

static void corrupt_field(const char *path, size_t off, const void *val, size_t n)
{
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, val, n, (off_t)off), (ssize_t)n);
	close(fd);
}

/* A live store whose header another process broke is refused with a message. */
static void test_corrupt_header(void **state)
{
	struct fixture *f = *state;
	struct share_store *s1 = NULL, *s2 = NULL;
	struct verr err = {0};
	uint64_t bad = 0x1234, huge = (uint64_t)SHARE_STORE_MAX_SLOTS + 1;

	assert_int_equal(share_store_open(f->path, 8, &s1, &err), 0);
	corrupt_field(f->path, offsetof(struct share_store_hdr, magic), &bad, sizeof(bad));
	assert_int_equal(share_store_open(f->path, 8, &s2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "corrupt header"));
	assert_non_null(strstr(err.msg, "magic"));
	assert_null(s2);

	uint64_t magic = SHARE_STORE_MAGIC;
	corrupt_field(f->path, offsetof(struct share_store_hdr, magic), &magic, sizeof(magic));
	corrupt_field(f->path, offsetof(struct share_store_hdr, nr_slots), &huge, sizeof(huge));
	memset(&err, 0, sizeof(err));
	assert_int_equal(share_store_open(f->path, 8, &s2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "slots"));

	uint64_t nine = 9; /* plausible count, layout of 8 */
	corrupt_field(f->path, offsetof(struct share_store_hdr, nr_slots), &nine, sizeof(nine));
	memset(&err, 0, sizeof(err));
	assert_int_equal(share_store_open(f->path, 8, &s2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "layout"));
	share_store_close(s1);
}

/* A broken hash chain (a cycle, an index out of range) stops sharing, never loops or crashes. */
static void test_corrupt_index(void **state)
{
	struct fixture *f = *state;
	struct share_store *s1 = NULL;
	struct verr err = {0};
	struct share_store_hdr h;
	uint8_t p[SHARE_PAGE_SIZE], q[SHARE_PAGE_SIZE];
	uint32_t slot;
	int fd;

	assert_int_equal(share_store_open(f->path, 8, &s1, &err), 0);
	page_fill(p, 7);
	assert_int_equal(get(s1, p, 0, &slot), 0);
	assert_int_equal(slot, 0);
	/* Slot 0 heads bucket 0; point its chain at slot 100 (out of range). */
	fd = open(f->path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	uint32_t next = 100;
	assert_int_equal(
		pwrite(fd, &next, 4, (off_t)(h.meta_off + offsetof(struct share_slot_meta, next))),
		4);
	close(fd);
	page_fill(q, 8);
	assert_int_equal(get(s1, q, 0, &slot), -EIO);
	/* Poisoned: no more inserts even for other buckets. */
	assert_int_equal(get(s1, q, 1, &slot), -EIO);
	share_store_close(s1);
}

static void test_bad_args(void **state)
{
	struct fixture *f = *state;
	struct share_store *s = NULL;
	struct verr err = {0};

	assert_int_equal(share_store_open(f->path, 0, &s, &err), -EINVAL);
	assert_int_equal(share_store_open("/nonexistent-dir/x", 4, &s, &err), -ENOENT);
	assert_null(s);
}

/*
 * A tmpfs too small for the frames (a container's /dev/shm): frames beyond
 * its space are refused with -ENOSPC, no SIGBUS, and the frames that fit
 * keep their bytes. Needs root to mount a tmpfs; skipped otherwise.
 */
static void test_tmpfs_full(void **state)
{
	char dir[] = "/tmp/vessel-test-tmpfs-XXXXXX", path[64];
	struct share_store *s = NULL;
	struct verr err = {0};
	uint8_t page[SHARE_PAGE_SIZE], back[SHARE_PAGE_SIZE];
	uint32_t slot, got = 0, first = UINT32_MAX;
	int full = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* 64 KiB: the metadata of a 64-slot store (4 pages) and 12 frames. */
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") < 0) {
		rmdir(dir);
		skip();
	}
	snprintf(path, sizeof(path), "%s/store", dir);
	assert_int_equal(share_store_open(path, 64, &s, &err), 0);
	for (uint8_t i = 0; i < 40; i++) {
		int r;

		page_fill(page, i);
		r = get(s, page, 0x1000u + i, &slot);
		if (r == -ENOSPC) {
			full++;
			continue;
		}
		assert_int_equal(r, 0);
		if (first == UINT32_MAX)
			first = slot;
		got++;
	}
	assert_true(got > 0 && got < 40);
	assert_int_equal(full, 40 - (int)got);
	/* The first frame still holds its page. */
	page_fill(page, 0);
	memcpy(back, share_store_page(s, first), SHARE_PAGE_SIZE);
	assert_memory_equal(back, page, SHARE_PAGE_SIZE);
	share_store_close(s);
	umount(dir);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test(test_tmpfs_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
