/* Split virtqueue validation and notification rules (src/dev/virtio/virtqueue.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/virtio/virtqueue.h"
#include "mem/gmem.h"

#define QSIZE 8
#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define BUF 0x20000ull
#define INDIRECT 0x30000ull

struct fix {
	struct gmem *m;
	struct vq vq;
	struct vq_elem e;
	uint16_t avail_idx;
};

static int setup(void **state)
{
	static struct fix f;

	memset(&f, 0, sizeof(f));
	if (gmem_create(4ull << 20, &f.m))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	gmem_destroy(f->m);
	return 0;
}

static void put_desc(struct fix *f, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct vring_desc d = {addr, len, flags, next};

	assert_int_equal(gmem_copy_to(f->m, table + 16 * i, &d, sizeof(d)), 0);
}

static void put16(struct fix *f, uint64_t gpa, uint16_t v)
{
	assert_int_equal(gmem_copy_to(f->m, gpa, &v, 2), 0);
}

static uint16_t get16(struct fix *f, uint64_t gpa)
{
	uint16_t v;

	assert_int_equal(gmem_copy_from(f->m, &v, gpa, 2), 0);
	return v;
}

/* Publish head in the available ring. */
static void offer(struct fix *f, uint16_t head)
{
	put16(f, AVAIL + 4 + 2 * (f->avail_idx % QSIZE), head);
	f->avail_idx++;
	put16(f, AVAIL + 2, f->avail_idx);
}

static void enable(struct fix *f, bool event_idx, bool indirect)
{
	assert_int_equal(gmem_fill(f->m, DESC, 0, 0x3000), 0);
	f->avail_idx = 0;
	assert_int_equal(vq_enable(&f->vq, f->m, QSIZE, DESC, AVAIL, USED, event_idx, indirect), 0);
}

static void test_chain_pop_push(void **state)
{
	struct fix *f = *state;
	uint8_t hdr[16] = {1, 2, 3};
	uint32_t id, len;

	enable(f, false, false);
	assert_int_equal(vq_pop(&f->vq, &f->e), 0); /* empty */
	assert_int_equal(gmem_copy_to(f->m, BUF, hdr, sizeof(hdr)), 0);
	put_desc(f, DESC, 3, BUF, 16, VRING_DESC_F_NEXT, 5);
	put_desc(f, DESC, 5, BUF + 0x100, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 6);
	put_desc(f, DESC, 6, BUF + 0x400, 1, VRING_DESC_F_WRITE, 0);
	offer(f, 3);
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	assert_int_equal(f->e.head, 3);
	assert_int_equal(f->e.nr_out, 1);
	assert_int_equal(f->e.nr_in, 2);
	assert_int_equal(f->e.out_len, 16);
	assert_int_equal(f->e.in_len, 513);
	assert_ptr_equal(f->e.iov[0].iov_base, gmem_ptr(f->m, BUF, 16));
	uint8_t got[16];
	assert_int_equal(vq_elem_read(&f->e, 0, got, 16), 16);
	assert_memory_equal(got, hdr, 16);
	/* Writes span the writable buffers in order. */
	uint8_t fill[513];
	memset(fill, 0xab, sizeof(fill));
	assert_int_equal(vq_elem_write(&f->e, 0, fill, sizeof(fill)), 513);
	uint8_t last;
	assert_int_equal(gmem_copy_from(f->m, &last, BUF + 0x400, 1), 0);
	assert_int_equal(last, 0xab);
	assert_int_equal(vq_pop(&f->vq, &f->e), 0);
	vq_push(&f->vq, 3, 513);
	assert_int_equal(get16(f, USED + 2), 1);
	assert_int_equal(gmem_copy_from(f->m, &id, USED + 4, 4), 0);
	assert_int_equal(gmem_copy_from(f->m, &len, USED + 8, 4), 0);
	assert_int_equal(id, 3);
	assert_int_equal(len, 513);
	assert_false(f->vq.broken);
}

/* Each case builds a bad chain at head 0 and expects -EBADMSG and a broken queue. */
static void expect_broken(struct fix *f)
{
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->e), -EBADMSG);
	assert_true(f->vq.broken);
	assert_non_null(f->vq.why);
	/* Stays broken: nothing more is taken, pushes are ignored. */
	assert_int_equal(vq_pop(&f->vq, &f->e), -EBADMSG);
	vq_push(&f->vq, 0, 1);
	assert_int_equal(get16(f, USED + 2), 0);
}

static void test_loop_refused(void **state)
{
	struct fix *f = *state;

	enable(f, false, false);
	put_desc(f, DESC, 0, BUF, 8, VRING_DESC_F_NEXT, 1);
	put_desc(f, DESC, 1, BUF, 8, VRING_DESC_F_NEXT, 0);
	expect_broken(f);
}

static void test_next_out_of_table(void **state)
{
	struct fix *f = *state;

	enable(f, false, false);
	put_desc(f, DESC, 0, BUF, 8, VRING_DESC_F_NEXT, QSIZE);
	expect_broken(f);
}

static void test_readable_after_writable(void **state)
{
	struct fix *f = *state;

	enable(f, false, false);
	put_desc(f, DESC, 0, BUF, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	put_desc(f, DESC, 1, BUF, 8, 0, 0);
	expect_broken(f);
}

static void test_buffer_outside_ram(void **state)
{
	struct fix *f = *state;

	enable(f, false, false);
	put_desc(f, DESC, 0, (4ull << 20) - 8, 16, 0, 0); /* straddles the end of RAM */
	expect_broken(f);
	enable(f, false, false);
	put_desc(f, DESC, 0, UINT64_MAX - 4, 16, 0, 0); /* wraps */
	expect_broken(f);
}

static void test_bad_head_and_index(void **state)
{
	struct fix *f = *state;

	enable(f, false, false);
	put16(f, AVAIL + 4, QSIZE); /* head outside the table */
	put16(f, AVAIL + 2, 1);
	assert_int_equal(vq_pop(&f->vq, &f->e), -EBADMSG);
	enable(f, false, false);
	put_desc(f, DESC, 0, BUF, 8, 0, 0);
	put16(f, AVAIL + 2, QSIZE + 1); /* more entries than the ring holds */
	assert_int_equal(vq_pop(&f->vq, &f->e), -EBADMSG);
}

static void test_indirect(void **state)
{
	struct fix *f = *state;

	/* A good indirect table of three buffers. */
	enable(f, false, true);
	put_desc(f, INDIRECT, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	put_desc(f, INDIRECT, 1, BUF + 0x100, 64, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	put_desc(f, INDIRECT, 2, BUF + 0x200, 1, VRING_DESC_F_WRITE, 0);
	put_desc(f, DESC, 0, INDIRECT, 48, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	assert_int_equal(f->e.nr_out, 1);
	assert_int_equal(f->e.nr_in, 2);
	assert_int_equal(f->e.in_len, 65);
	/* Not negotiated. */
	enable(f, false, false);
	put_desc(f, DESC, 0, INDIRECT, 48, VRING_DESC_F_INDIRECT, 0);
	expect_broken(f);
	/* Nested. */
	enable(f, false, true);
	put_desc(f, INDIRECT, 0, INDIRECT, 16, VRING_DESC_F_INDIRECT, 0);
	put_desc(f, DESC, 0, INDIRECT, 16, VRING_DESC_F_INDIRECT, 0);
	expect_broken(f);
	/* INDIRECT together with NEXT. */
	enable(f, false, true);
	put_desc(f, INDIRECT, 0, BUF, 8, 0, 0);
	put_desc(f, DESC, 0, INDIRECT, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	expect_broken(f);
	/* Length not a multiple of 16. */
	enable(f, false, true);
	put_desc(f, DESC, 0, INDIRECT, 20, VRING_DESC_F_INDIRECT, 0);
	expect_broken(f);
	/* A loop inside the indirect table. */
	enable(f, false, true);
	put_desc(f, INDIRECT, 0, BUF, 8, VRING_DESC_F_NEXT, 1);
	put_desc(f, INDIRECT, 1, BUF, 8, VRING_DESC_F_NEXT, 0);
	put_desc(f, DESC, 0, INDIRECT, 32, VRING_DESC_F_INDIRECT, 0);
	expect_broken(f);
}

static void test_enable_checks(void **state)
{
	struct fix *f = *state;

	assert_int_equal(vq_enable(&f->vq, f->m, QSIZE, DESC + 8, AVAIL, USED, false, false),
			 -EINVAL);
	assert_int_equal(vq_enable(&f->vq, f->m, QSIZE, DESC, AVAIL + 1, USED, false, false),
			 -EINVAL);
	assert_int_equal(vq_enable(&f->vq, f->m, QSIZE, DESC, AVAIL, USED + 2, false, false),
			 -EINVAL);
	assert_int_equal(vq_enable(&f->vq, f->m, 6, DESC, AVAIL, USED, false, false), -EINVAL);
	assert_int_equal(vq_enable(&f->vq, f->m, 0, DESC, AVAIL, USED, false, false), -EINVAL);
	assert_int_equal(
		vq_enable(&f->vq, f->m, QSIZE, (4ull << 20) - 64, AVAIL, USED, false, false),
		-EINVAL);
	assert_int_equal(vq_enable(&f->vq, f->m, QSIZE, DESC, AVAIL, USED, false, false), 0);
}

static void test_notify_flags(void **state)
{
	struct fix *f = *state;

	enable(f, false, false);
	put_desc(f, DESC, 0, BUF, 8, VRING_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	vq_push(&f->vq, 0, 8);
	assert_true(vq_should_notify(&f->vq));
	put16(f, AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
	assert_false(vq_should_notify(&f->vq));
}

static void test_event_idx(void **state)
{
	struct fix *f = *state;
	uint64_t used_event = AVAIL + 4 + 2 * QSIZE, avail_event = USED + 4 + 8 * QSIZE;

	enable(f, true, false);
	put_desc(f, DESC, 0, BUF, 8, VRING_DESC_F_WRITE, 0);
	/* Empty: the device asks to be kicked at the next entry. */
	assert_int_equal(vq_pop(&f->vq, &f->e), 0);
	assert_int_equal(get16(f, avail_event), 0);
	for (int i = 0; i < 3; i++) {
		offer(f, 0);
		assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	}
	assert_int_equal(vq_pop(&f->vq, &f->e), 0);
	assert_int_equal(get16(f, avail_event), 3);
	vq_push(&f->vq, 0, 8);		       /* used 1 */
	assert_true(vq_should_notify(&f->vq)); /* the first always */
	put16(f, used_event, 1);
	vq_push(&f->vq, 0, 8); /* used 2: crossed used_event 1 */
	assert_true(vq_should_notify(&f->vq));
	put16(f, used_event, 5);
	vq_push(&f->vq, 0, 8); /* used 3: the driver wants to hear at 6 */
	assert_false(vq_should_notify(&f->vq));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_pop_push),
		cmocka_unit_test(test_loop_refused),
		cmocka_unit_test(test_next_out_of_table),
		cmocka_unit_test(test_readable_after_writable),
		cmocka_unit_test(test_buffer_outside_ram),
		cmocka_unit_test(test_bad_head_and_index),
		cmocka_unit_test(test_indirect),
		cmocka_unit_test(test_enable_checks),
		cmocka_unit_test(test_notify_flags),
		cmocka_unit_test(test_event_idx),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
