/* Exit port (src/dev/exitport.c): the status byte reaches request_exit. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dev/bus.h"
#include "dev/exitport.h"
#include "guest/bootinfo.h"

struct exits {
	unsigned nr;
	enum dev_exit_kind kind;
	int status;
};

static void fake_request_exit(void *opaque, enum dev_exit_kind kind, int status)
{
	struct exits *x = opaque;

	x->nr++;
	x->kind = kind;
	x->status = status;
}

static void test_status_byte_ends_vm(void **state)
{
	struct exits x = { 0 };
	struct dev_host host = { .opaque = &x, .request_exit = fake_request_exit };
	struct exitport *ep;
	struct bus pio;
	uint8_t v8 = 42;
	uint16_t v16 = 0x1203;
	uint32_t v32 = 0xabcdef00;

	bus_init(&pio, "pio");
	assert_int_equal(exitport_create(&pio, VESSEL_EXIT_PORT, &host, &ep), 0);
	assert_int_equal(x.nr, 0);
	assert_true(bus_access(&pio, VESSEL_EXIT_PORT, &v8, 1, true));
	assert_int_equal(x.nr, 1);
	assert_int_equal(x.kind, DEV_EXIT_STATUS);
	assert_int_equal(x.status, 42);
	/* Wider writes use the low byte. */
	assert_true(bus_access(&pio, VESSEL_EXIT_PORT, &v16, 2, true));
	assert_int_equal(x.status, 3);
	assert_true(bus_access(&pio, VESSEL_EXIT_PORT, &v32, 4, true));
	assert_int_equal(x.status, 0);
	v8 = 0xff;
	assert_true(bus_access(&pio, VESSEL_EXIT_PORT, &v8, 1, true));
	assert_int_equal(x.status, 255);
	assert_int_equal(x.nr, 4);
	/* Reads are all-ones and end nothing. */
	v32 = 0;
	assert_true(bus_access(&pio, VESSEL_EXIT_PORT, &v32, 4, false));
	assert_int_equal(v32, 0xffffffff);
	assert_int_equal(x.nr, 4);
	/* Exactly one port. */
	assert_false(bus_access(&pio, VESSEL_EXIT_PORT + 1, &v8, 1, true));
	assert_false(bus_access(&pio, VESSEL_EXIT_PORT - 1, &v8, 1, true));
	assert_int_equal(x.nr, 4);
	exitport_destroy(ep);
	bus_cleanup(&pio);
}

static void test_create_errors(void **state)
{
	struct exits x = { 0 };
	struct dev_host host = { .opaque = &x, .request_exit = fake_request_exit };
	struct exitport *a, *b;
	struct bus pio;

	bus_init(&pio, "pio");
	assert_int_equal(exitport_create(&pio, 0x501, &host, &a), 0);
	assert_int_equal(exitport_create(&pio, 0x501, &host, &b), -EEXIST);
	assert_int_equal(exitport_create(NULL, 0x501, &host, &b), -EINVAL);
	assert_int_equal(exitport_create(&pio, 0x501, NULL, &b), -EINVAL);
	exitport_destroy(a);
	exitport_destroy(NULL);
	bus_cleanup(&pio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_byte_ends_vm),
		cmocka_unit_test(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
