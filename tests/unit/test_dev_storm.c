/*
 * Hostile-guest storm: random port accesses of every size and direction over
 * all legacy devices on one bus (plus host input), under ASan+UBSan. Checks
 * that nothing crashes and that the UART's line only ever toggles.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/bus.h"
#include "dev/cmos.h"
#include "dev/exitport.h"
#include "dev/i8042.h"
#include "dev/uart.h"
#include "guest/bootinfo.h"
#include "mem/gmem.h"

struct rec {
	unsigned irq_events, bad;
	int level;
	unsigned exits[3];
};

static int rec_irq_set(void *opaque, unsigned gsi, int level)
{
	struct rec *r = opaque;

	/* A change each time: never two 1s or two 0s in a row, and only IRQ 4. */
	if (gsi != 4 || level == r->level || (level != 0 && level != 1))
		r->bad++;
	r->level = level;
	r->irq_events++;
	return 0;
}

static void rec_request_exit(void *opaque, enum dev_exit_kind kind, int status)
{
	struct rec *r = opaque;

	if ((unsigned)kind >= 3 || status < 0 || status > 255)
		r->bad++;
	else
		r->exits[kind]++;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_accesses(void **state)
{
	struct rec r = { .level = 0 };
	struct gmem *mem;
	struct dev_host host = { .opaque = &r, .irq_set = rec_irq_set, .request_exit = rec_request_exit };
	struct bus pio;
	struct uart *u;
	struct exitport *ep;
	struct i8042 *k;
	struct cmos *c;
	uint64_t seed = 0x9e3779b97f4a7c15ull, claimed = 0;
	int null_fd;
	int p[2];

	assert_int_equal(pipe(p), 0);
	close(p[0]); /* output fails with EPIPE: the error path gets exercised too */
	null_fd = p[1];
	assert_int_equal(gmem_create(16ull << 20, &mem), 0);
	host.mem = mem;
	bus_init(&pio, "pio");
	assert_int_equal(uart_create(&pio, 0x3f8, 4, &host, null_fd, &u), 0);
	assert_int_equal(exitport_create(&pio, VESSEL_EXIT_PORT, &host, &ep), 0);
	assert_int_equal(i8042_create(&pio, &host, &k), 0);
	assert_int_equal(cmos_create(&pio, &host, &c), 0);

	for (unsigned i = 0; i < 400000; i++) {
		static const uint16_t hot[] = { 0x3f8, 0x60, 0x64, 0x70, 0xf4 };
		uint64_t x = xorshift(&seed);
		unsigned size = 1u << (x & 3);
		bool write = (x >> 2) & 1;
		uint16_t port = (x >> 3) & 1 ? (uint16_t)(hot[(x >> 4) % 5] + ((x >> 8) & 7))
					    : (uint16_t)(x >> 16);
		uint64_t data = xorshift(&seed);

		if (port == 0x64 && write && (uint8_t)data >= 0xf0)
			data |= 1; /* keep most pulses harmless so resets stay countable */
		claimed += bus_access(&pio, port, &data, size, write);
		if ((x >> 40) % 64 == 0) {
			uint8_t in[64];
			unsigned n = (unsigned)(x >> 48) % sizeof(in);

			for (unsigned j = 0; j < n; j++)
				in[j] = (uint8_t)xorshift(&seed);
			assert_in_range(uart_receive(u, in, n), 0, n);
		}
	}
	assert_int_equal(r.bad, 0);
	assert_true(claimed > 50000); /* about 13/40 of the hot half */
	assert_true(pio.unclaimed > 100000);
	assert_true(r.irq_events > 0);
	assert_true(r.exits[DEV_EXIT_STATUS] > 0);

	cmos_destroy(c);
	i8042_destroy(k);
	exitport_destroy(ep);
	uart_destroy(u);
	bus_cleanup(&pio);
	gmem_destroy(mem);
	close(null_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_accesses),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
