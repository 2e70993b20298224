/*
 * vrng: virtio-rng over virtio-mmio. Two requests of 64 bytes: each must
 * come back full, not all zeros, and the two must differ.
 */
#include "console.h"
#include "lib.h"
#include "paging.h"
#include "scenario.h"
#include "virtio/virtio.h"

#define VRNG_BYTES 64

static int vrng_run(const struct guest *g)
{
	struct vio_dev d;
	struct vio_queue q;
	uint64_t frame = frame_alloc();
	uint8_t *a = (uint8_t *)frame, *b = (uint8_t *)(frame + 512), zero[VRNG_BYTES];
	int64_t la, lb;

	if (!frame)
		return GUEST_EXIT_FAIL;
	if (vio_find(VIO_ID_RNG, 0, &d) < 0) {
		kprintf("testguest: vrng: no virtio-rng device found\n");
		return GUEST_EXIT_FAIL;
	}
	if (vio_init(&d, 0) < 0 || vio_queue_setup(&d, 0, &q) < 0)
		return GUEST_EXIT_FAIL;
	vio_driver_ok(&d);
	if (vio_submit(&q, &(struct vio_buf){(uint64_t)a, VRNG_BYTES, 1}, 1) < 0)
		return GUEST_EXIT_FAIL;
	la = vio_wait(&q, 10000000);
	if (vio_submit(&q, &(struct vio_buf){(uint64_t)b, VRNG_BYTES, 1}, 1) < 0)
		return GUEST_EXIT_FAIL;
	lb = vio_wait(&q, 10000000);
	memset(zero, 0, sizeof(zero));
	kprintf("testguest: vrng: got %ld and %ld bytes, fnv 0x%lx 0x%lx\n", la, lb,
		vio_fnv1a(a, VRNG_BYTES), vio_fnv1a(b, VRNG_BYTES));
	if (la != VRNG_BYTES || lb != VRNG_BYTES || !memcmp(a, zero, VRNG_BYTES) ||
	    !memcmp(a, b, VRNG_BYTES)) {
		kprintf("testguest: vrng: short, zero or repeated entropy\n");
		return GUEST_EXIT_FAIL;
	}
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_vrng = {
	.name = "vrng",
	.summary = "virtio-rng: two 64-byte requests, full, nonzero and different",
	.run = vrng_run,
};
