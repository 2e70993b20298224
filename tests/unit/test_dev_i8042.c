/* i8042 (src/dev/i8042.c): probe commands Linux uses, and the reset paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dev/bus.h"
#include "dev/i8042.h"

#define STR_OBF 0x01
#define STR_IBF 0x02
#define STR_SYS 0x04
#define STR_CMD 0x08
#define STR_AUX 0x20

struct env {
	struct bus pio;
	struct dev_host host;
	struct i8042 *k;
	unsigned resets, others;
};

static void fake_request_exit(void *opaque, enum dev_exit_kind kind, int status)
{
	struct env *e = opaque;

	if (kind == DEV_EXIT_RESET && status == 0)
		e->resets++;
	else
		e->others++;
}

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	if (!e)
		return -1;
	bus_init(&e->pio, "pio");
	e->host = (struct dev_host){ .opaque = e, .request_exit = fake_request_exit };
	if (i8042_create(&e->pio, &e->host, &e->k))
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	assert_int_equal(e->others, 0);
	i8042_destroy(e->k);
	bus_cleanup(&e->pio);
	test_free(e);
	return 0;
}

static uint8_t in8(struct env *e, uint16_t port)
{
	uint8_t v = 0;

	assert_true(bus_access(&e->pio, port, &v, 1, false));
	return v;
}

static void out8(struct env *e, uint16_t port, uint8_t v)
{
	assert_true(bus_access(&e->pio, port, &v, 1, true));
}

/* What Linux's i8042_command() does: wait for IBF clear, command, params, then OBF + data. */
static uint8_t command_reply(struct env *e, uint8_t cmd)
{
	assert_int_equal(in8(e, 0x64) & STR_IBF, 0);
	out8(e, 0x64, cmd);
	assert_int_equal(in8(e, 0x64) & STR_OBF, STR_OBF);
	return in8(e, 0x60);
}

static void test_ports_and_status(void **state)
{
	struct env *e = *state;
	struct i8042 *k2;
	uint8_t v;

	assert_int_equal(in8(e, 0x64) & (STR_OBF | STR_IBF | STR_SYS), STR_SYS);
	/* Port 0x61 belongs to the PIT, 0x62/0x63 to nobody. */
	assert_false(bus_access(&e->pio, 0x61, &v, 1, false));
	assert_false(bus_access(&e->pio, 0x63, &v, 1, false));
	assert_int_equal(i8042_create(&e->pio, &e->host, &k2), -EEXIST);
	assert_int_equal(e->pio.nr, 2);
	/* The buffer is empty again once read. */
	assert_int_equal(command_reply(e, 0xaa), 0x55);
	assert_int_equal(in8(e, 0x64) & STR_OBF, 0);
	assert_int_equal(in8(e, 0x64) & STR_CMD, STR_CMD);
	out8(e, 0x60, 0x00); /* a byte for the (absent) keyboard */
	assert_int_equal(in8(e, 0x64) & (STR_CMD | STR_OBF), 0);
}

static void test_command_byte(void **state)
{
	struct env *e = *state;
	uint8_t ctr = command_reply(e, 0x20);

	/* Linux reads the command byte until two reads agree. */
	assert_int_equal(command_reply(e, 0x20), ctr);
	out8(e, 0x64, 0x60);
	out8(e, 0x60, 0x30);
	assert_int_equal(command_reply(e, 0x20), 0x30);
	assert_int_equal(in8(e, 0x64) & STR_SYS, 0); /* status mirrors command byte bit 2 */
	out8(e, 0x64, 0xae);
	assert_int_equal(command_reply(e, 0x20), 0x20);
	out8(e, 0x64, 0xa8);
	assert_int_equal(command_reply(e, 0x20), 0x00);
	out8(e, 0x64, 0xad);
	out8(e, 0x64, 0xa7);
	assert_int_equal(command_reply(e, 0x20), 0x30);
	/* Self-test passes and sets the system flag. */
	assert_int_equal(command_reply(e, 0xaa), 0x55);
	assert_int_equal(in8(e, 0x64) & STR_SYS, STR_SYS);
	assert_int_equal(command_reply(e, 0x20), 0x34);
	/* Other controller RAM bytes. */
	out8(e, 0x64, 0x65);
	out8(e, 0x60, 0x99);
	assert_int_equal(command_reply(e, 0x25), 0x99);
	assert_int_equal(command_reply(e, 0x20), 0x34);
	assert_int_equal(e->resets, 0);
}

static void test_linux_aux_probe_finds_no_mouse(void **state)
{
	struct env *e = *state;

	/* AUX_LOOP 0x5a answers without the AUX data bit, so Linux gives up quickly ... */
	out8(e, 0x64, 0xd3);
	out8(e, 0x60, 0x5a);
	assert_int_equal(in8(e, 0x64) & (STR_OBF | STR_AUX), STR_OBF);
	/* ... and the AUX interface test reports a failure. */
	assert_int_equal(command_reply(e, 0xa9), 0x02);
	assert_int_equal(command_reply(e, 0xab), 0x00);
	out8(e, 0x64, 0xd2);
	out8(e, 0x60, 0x1c);
	assert_int_equal(in8(e, 0x60), 0x1c);
}

static void test_reset_command(void **state)
{
	struct env *e = *state;

	out8(e, 0x64, 0xff); /* pulse nothing */
	assert_int_equal(e->resets, 0);
	out8(e, 0x64, 0xfe);
	assert_int_equal(e->resets, 1);
	out8(e, 0x64, 0xf0); /* pulses all four lines, reset among them */
	assert_int_equal(e->resets, 2);
}

static void test_output_port_reset(void **state)
{
	struct env *e = *state;

	assert_int_equal(command_reply(e, 0xd0) & 0x03, 0x03);
	out8(e, 0x64, 0xd1);
	out8(e, 0x60, 0x03); /* A20 on, reset line high: nothing happens */
	assert_int_equal(e->resets, 0);
	out8(e, 0x64, 0xdd);
	assert_int_equal(command_reply(e, 0xd0), 0x01);
	out8(e, 0x64, 0xd1);
	out8(e, 0x60, 0x02); /* bit 0 clear: reset */
	assert_int_equal(e->resets, 1);
	/* Without the 0xd1 prefix, 0x02 at the data port is keyboard data. */
	out8(e, 0x60, 0x02);
	assert_int_equal(e->resets, 1);
}

static void test_create_needs_request_exit(void **state)
{
	struct dev_host host = { 0 };
	struct i8042 *k;
	struct bus pio;

	bus_init(&pio, "pio");
	assert_int_equal(i8042_create(&pio, &host, &k), -EINVAL);
	assert_int_equal(pio.nr, 0);
	i8042_destroy(NULL);
	bus_cleanup(&pio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ports_and_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_aux_probe_finds_no_mouse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_port_reset, setup, teardown),
		cmocka_unit_test(test_create_needs_request_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
