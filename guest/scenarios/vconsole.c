/*
 * vconsole: virtio-console over virtio-mmio. Writes a line through the
 * transmit queue (the host checks it on vessel's stdout); with rx=1 also
 * waits for one line of host input on the receive queue and prints it
 * through the UART ("vconsole: received '...'").
 */
#include "console.h"
#include "lib.h"
#include "paging.h"
#include "scenario.h"
#include "virtio/virtio.h"

#define VCONSOLE_LINE "vconsole: hello through virtio-console\n"

static int vconsole_run(const struct guest *g)
{
	struct vio_dev d;
	struct vio_queue rxq, txq;
	uint64_t rx, frame = frame_alloc(), got = 0;
	char *out = (char *)frame, *in = (char *)(frame + 1024);
	int64_t len;

	if (guest_arg_u64(g, "rx", 0, 0, 1, &rx) < 0)
		return GUEST_EXIT_USAGE;
	if (!frame)
		return GUEST_EXIT_FAIL;
	if (vio_find(VIO_ID_CONSOLE, 0, &d) < 0) {
		kprintf("testguest: vconsole: no virtio-console device found\n");
		return GUEST_EXIT_FAIL;
	}
	if (vio_init(&d, 0) < 0 || vio_queue_setup(&d, 0, &rxq) < 0 ||
	    vio_queue_setup(&d, 1, &txq) < 0)
		return GUEST_EXIT_FAIL;
	vio_driver_ok(&d);
	memcpy(out, VCONSOLE_LINE, sizeof(VCONSOLE_LINE) - 1);
	if (vio_submit(&txq, &(struct vio_buf){frame, sizeof(VCONSOLE_LINE) - 1, 0}, 1) < 0 ||
	    vio_wait(&txq, 10000000) < 0) {
		kprintf("testguest: vconsole: transmit did not complete\n");
		return GUEST_EXIT_FAIL;
	}
	kprintf("testguest: vconsole: sent %lu bytes\n", sizeof(VCONSOLE_LINE) - 1);
	if (!rx)
		return GUEST_EXIT_PASS;
	/* Collect input until a newline. */
	while (got < 200 && (got == 0 || in[got - 1] != '\n')) {
		if (vio_submit(&rxq,
			       &(struct vio_buf){(uint64_t)in + got, (uint32_t)(200 - got), 1},
			       1) < 0)
			return GUEST_EXIT_FAIL;
		len = vio_wait(&rxq, 200000000);
		if (len <= 0) {
			kprintf("testguest: vconsole: no input arrived\n");
			return GUEST_EXIT_FAIL;
		}
		got += (uint64_t)len;
	}
	in[got - 1] = '\0';
	kprintf("testguest: vconsole: received '%s'\n", in);
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_vconsole = {
	.name = "vconsole",
	.summary =
		"virtio-console: a line out through the transmit queue; rx=1 reads a line of input",
	.run = vconsole_run,
};
