/* virtio-mmio register behaviour (src/dev/virtio/transport/mmio.c) with the rng device. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/bus.h"
#include "dev/virtio/device.h"
#include "dev/virtio/rng.h"
#include "dev/virtio/transport/mmio.h"
#include "mem/gmem.h"

#define BASE VIRTIO_MMIO_BASE
#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define BUF 0x20000ull

struct fix {
	struct gmem *m;
	struct bus mmio;
	struct virtio_rng *rng;
	struct virtio_mmio *t;
	unsigned irq_calls;
	unsigned gsi;
	int level;
};

static int fake_irq(void *opaque, unsigned gsi, int level)
{
	struct fix *f = opaque;

	f->irq_calls++;
	f->gsi = gsi;
	f->level = level;
	return 0;
}

static int setup(void **state)
{
	static struct fix f;
	struct dev_host host;

	memset(&f, 0, sizeof(f));
	host = (struct dev_host){.opaque = &f, .irq_set = fake_irq};
	if (gmem_create(4ull << 20, &f.m))
		return -1;
	host.mem = f.m;
	bus_init(&f.mmio, "mmio");
	if (virtio_rng_create(f.m, &f.rng) ||
	    virtio_mmio_create(&f.mmio, BASE, 5, &host, virtio_rng_dev(f.rng), &f.t))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	virtio_mmio_destroy(f->t);
	virtio_rng_destroy(f->rng);
	bus_cleanup(&f->mmio);
	gmem_destroy(f->m);
	return 0;
}

static uint32_t rd(struct fix *f, unsigned off)
{
	uint32_t v = 0;

	assert_true(bus_access(&f->mmio, BASE + off, &v, 4, false));
	return v;
}

static void wr(struct fix *f, unsigned off, uint32_t v)
{
	assert_true(bus_access(&f->mmio, BASE + off, &v, 4, true));
}

static void negotiate(struct fix *f)
{
	wr(f, VIRTIO_MMIO_STATUS, 0);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	wr(f, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL);
	wr(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	wr(f, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		   VIRTIO_STATUS_DRIVER_OK);
}

static void offer_chain(struct fix *f, uint16_t flags, uint16_t next, uint16_t idx)
{
	struct vring_desc d = {BUF, 32, flags, next};
	uint16_t head = 0;

	assert_int_equal(gmem_copy_to(f->m, DESC, &d, sizeof(d)), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 4 + 2 * ((idx - 1) % 8), &head, 2), 0);
	assert_int_equal(gmem_copy_to(f->m, AVAIL + 2, &idx, 2), 0);
}

static void test_identity_registers(void **state)
{
	struct fix *f = *state;
	uint8_t b = 0;

	assert_int_equal(rd(f, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(rd(f, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	assert_int_equal(rd(f, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_true(rd(f, VIRTIO_MMIO_DEVICE_FEATURES) & 1); /* VERSION_1 is bit 32 */
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_true(rd(f, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_F_EVENT_IDX));
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 1); /* no such queue */
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	/* Registers are 32-bit only: a byte read of the magic gives 0. */
	assert_true(bus_access(&f->mmio, BASE, &b, 1, false));
	assert_int_equal(b, 0);
}

static void test_features_ok_needs_version_1(void **state)
{
	struct fix *f = *state;

	wr(f, VIRTIO_MMIO_STATUS, 0);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	wr(f, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	/* Features the device does not offer are refused too. */
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1 | (1u << 30));
	wr(f, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
}

static void test_request_and_interrupt(void **state)
{
	struct fix *f = *state;
	uint16_t used_idx;
	uint32_t len;

	negotiate(f);
	f->irq_calls = 0;
	offer_chain(f, VRING_DESC_F_WRITE, 0, 1);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(gmem_copy_from(f->m, &used_idx, USED + 2, 2), 0);
	assert_int_equal(gmem_copy_from(f->m, &len, USED + 8, 4), 0);
	assert_int_equal(used_idx, 1);
	assert_int_equal(len, 32);
	assert_int_equal(f->level, 1);
	assert_int_equal(f->gsi, 5);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_QUEUE);
	wr(f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_QUEUE);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(f->level, 0);
	/* A ready queue's registers cannot change under the device. */
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 4);
	assert_int_equal(f->rng != NULL, 1);
	assert_int_equal(virtio_rng_dev(f->rng)->queues[0].size, 8);
}

static void test_malformed_queue_needs_reset(void **state)
{
	struct fix *f = *state;
	struct virtio_dev *d = virtio_rng_dev(f->rng);
	uint64_t before = d->nr_malformed;

	negotiate(f);
	offer_chain(f, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0,
		    1); /* descriptor 0 -> 0: a loop */
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_CONFIG);
	assert_int_equal(f->level, 1);
	assert_int_equal(d->nr_malformed, before + 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG_GENERATION), d->config_generation);
	/* The driver cannot clear it except by a reset, which also drops the line. */
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(f->level, 0);
	/* And the device works again after renegotiation. */
	negotiate(f);
	offer_chain(f, VRING_DESC_F_WRITE, 0, 1);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_QUEUE);
}

static void test_bad_ring_address_needs_reset(void **state)
{
	struct fix *f = *state;

	wr(f, VIRTIO_MMIO_STATUS, 0);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x100); /* far outside RAM */
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_irq_numbers(void **state)
{
	assert_int_equal(virtio_mmio_irq(0), 5);
	assert_int_equal(virtio_mmio_irq(3), 9);
	assert_int_equal(virtio_mmio_irq(5), 11);
	assert_int_equal(virtio_mmio_irq(9), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_registers),
		cmocka_unit_test(test_features_ok_needs_version_1),
		cmocka_unit_test(test_request_and_interrupt),
		cmocka_unit_test(test_malformed_queue_needs_reset),
		cmocka_unit_test(test_bad_ring_address_needs_reset),
		cmocka_unit_test(test_irq_numbers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
