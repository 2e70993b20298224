/*
 * 16550A UART register behaviour (src/dev/uart.c), observed through the bus
 * as a guest would, with a fake dev_host that records every irq_set call and
 * output captured through a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/bus.h"
#include "dev/uart.h"

#define BASE 0x3f8
#define IRQ 4

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4,
       LSR = 5, MSR = 6, SCR = 7 };

#define MAX_EVENTS 64

struct fake_host {
	pthread_mutex_t lock;
	unsigned nr;
	unsigned gsi[MAX_EVENTS];
	int level[MAX_EVENTS];
	int bad_gsi;
};

struct env {
	struct bus pio;
	struct fake_host fh;
	struct dev_host host;
	struct uart *u;
	int pipe_rd, pipe_wr;
};

static int fake_irq_set(void *opaque, unsigned gsi, int level)
{
	struct fake_host *fh = opaque;

	pthread_mutex_lock(&fh->lock);
	if (gsi != IRQ)
		fh->bad_gsi++;
	if (fh->nr < MAX_EVENTS) {
		fh->gsi[fh->nr] = gsi;
		fh->level[fh->nr] = level;
	}
	fh->nr++;
	pthread_mutex_unlock(&fh->lock);
	return 0;
}

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));
	int p[2];

	if (!e || pipe(p))
		return -1;
	e->pipe_rd = p[0];
	e->pipe_wr = p[1];
	fcntl(e->pipe_rd, F_SETFL, O_NONBLOCK);
	pthread_mutex_init(&e->fh.lock, NULL);
	bus_init(&e->pio, "pio");
	e->host = (struct dev_host){ .opaque = &e->fh, .irq_set = fake_irq_set };
	if (uart_create(&e->pio, BASE, IRQ, &e->host, e->pipe_wr, &e->u))
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	assert_int_equal(e->fh.bad_gsi, 0);
	uart_destroy(e->u);
	bus_cleanup(&e->pio);
	close(e->pipe_rd);
	close(e->pipe_wr);
	pthread_mutex_destroy(&e->fh.lock);
	test_free(e);
	return 0;
}

static uint8_t in8(struct env *e, unsigned reg)
{
	uint8_t v = 0;

	assert_true(bus_access(&e->pio, BASE + reg, &v, 1, false));
	return v;
}

static void out8(struct env *e, unsigned reg, uint8_t v)
{
	assert_true(bus_access(&e->pio, BASE + reg, &v, 1, true));
}

/* Current line level as the host saw it (-1: never driven). */
static int irq_level(struct env *e)
{
	return e->fh.nr ? e->fh.level[MIN(e->fh.nr, MAX_EVENTS) - 1] : -1;
}

static size_t drain_pipe(struct env *e, char *buf, size_t cap)
{
	ssize_t n = read(e->pipe_rd, buf, cap);

	return n > 0 ? (size_t)n : 0;
}

static void test_claims_eight_ports(void **state)
{
	struct env *e = *state;
	struct uart *u2;
	uint8_t v;

	assert_int_equal(e->pio.nr, 1);
	assert_true(bus_access(&e->pio, BASE + 7, &v, 1, false));
	assert_false(bus_access(&e->pio, BASE + 8, &v, 1, false));
	assert_false(bus_access(&e->pio, BASE - 1, &v, 1, false));
	assert_int_equal(uart_create(&e->pio, BASE + 4, IRQ, &e->host, -1, &u2), -EEXIST);
	assert_int_equal(uart_create(&e->pio, 0xfffc, IRQ, &e->host, -1, &u2), -EINVAL);
	assert_int_equal(e->pio.nr, 1);
	uart_destroy(NULL);
}

static void test_reset_state(void **state)
{
	struct env *e = *state;

	assert_int_equal(in8(e, IER), 0);
	assert_int_equal(in8(e, IIR), 0x01); /* no interrupt, FIFOs off */
	assert_int_equal(in8(e, LSR), 0x60); /* THRE | TEMT */
	assert_int_equal(in8(e, MSR) & 0xf0, 0xb0);
	assert_int_equal(e->fh.nr, 0);
}

static void test_scratch_and_ier_mask(void **state)
{
	struct env *e = *state;

	out8(e, SCR, 0xa5);
	assert_int_equal(in8(e, SCR), 0xa5);
	out8(e, SCR, 0x5a);
	assert_int_equal(in8(e, SCR), 0x5a);
	/* Linux's probe: IER bits 4-7 must read 0 on a 16550A. */
	out8(e, IER, 0xff);
	assert_int_equal(in8(e, IER), 0x0f);
	out8(e, IER, 0x00);
	assert_int_equal(in8(e, IER), 0x00);
}

static void test_dlab(void **state)
{
	struct env *e = *state;
	char buf[8];

	out8(e, IER, 0x05);
	out8(e, LCR, 0x83);
	assert_int_equal(in8(e, LCR), 0x83);
	out8(e, DLL, 0x01);
	out8(e, DLM, 0x02);
	assert_int_equal(in8(e, DLL), 0x01);
	assert_int_equal(in8(e, DLM), 0x02);
	assert_int_equal(drain_pipe(e, buf, sizeof(buf)), 0); /* DLL write sent nothing */
	out8(e, LCR, 0x03);
	assert_int_equal(in8(e, IER), 0x05);
	out8(e, THR, 'x');
	assert_int_equal(drain_pipe(e, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'x');
	out8(e, LCR, 0x83);
	assert_int_equal(in8(e, DLL), 0x01);
	assert_int_equal(in8(e, DLM), 0x02);
}

static void test_output_through_pipe(void **state)
{
	struct env *e = *state;
	const char *msg = "hello, vessel\n";
	char buf[64];
	size_t n;

	for (const char *p = msg; *p; p++)
		out8(e, THR, (uint8_t)*p);
	n = drain_pipe(e, buf, sizeof(buf));
	assert_int_equal(n, strlen(msg));
	assert_memory_equal(buf, msg, n);
	assert_int_equal(in8(e, LSR) & 0x60, 0x60);
}

static void test_linux_autoconfig_probe(void **state)
{
	struct env *e = *state;

	/* Loopback test of serial8250 autoconfig(): MCR = LOOP|OUT2|RTS gives MSR 0x90. */
	out8(e, MCR, 0x1a);
	assert_int_equal(in8(e, MSR) & 0xf0, 0x90);
	out8(e, MCR, 0x1f);
	assert_int_equal(in8(e, MSR) & 0xf0, 0xf0);
	out8(e, MCR, 0x10);
	assert_int_equal(in8(e, MSR) & 0xf0, 0x00);
	out8(e, MCR, 0x08);
	assert_int_equal(in8(e, MCR), 0x08);
	assert_int_equal(in8(e, MSR) & 0xf0, 0xb0);
	/* FIFO probe: IIR bits 7:6 = 3 with FIFOs on means 16550A, 0 without FIFOs. */
	out8(e, LCR, 0);
	out8(e, FCR, 0x01);
	assert_int_equal(in8(e, IIR) >> 6, 3);
	/* EFR probes (LCR 0xbf / 0x80) must read a non-zero "EFR" (IIR) so no 16650 is assumed. */
	out8(e, LCR, 0xbf);
	assert_int_not_equal(in8(e, IIR), 0);
	/* 16750 probe: the 64-byte FIFO bit (IIR bit 5) does not exist here. */
	out8(e, LCR, 0);
	out8(e, FCR, 0x21);
	assert_int_equal(in8(e, IIR) & 0xe0, 0xc0);
	out8(e, FCR, 0x00);
	assert_int_equal(in8(e, IIR) >> 6, 0);
}

static void test_msr_deltas(void **state)
{
	struct env *e = *state;

	out8(e, MCR, 0x10); /* loopback, all modem outputs low: CTS, DSR, DCD fall */
	assert_int_equal(in8(e, MSR), 0x0b);
	assert_int_equal(in8(e, MSR), 0x00); /* deltas clear on read */
	out8(e, MCR, 0x14);                  /* OUT1 -> RI rises: no TERI on a leading edge */
	assert_int_equal(in8(e, MSR), 0x40);
	out8(e, MCR, 0x10); /* RI falls: trailing edge */
	assert_int_equal(in8(e, MSR), 0x04);
	out8(e, MCR, 0x11); /* DTR -> DSR */
	assert_int_equal(in8(e, MSR), 0x22);
}

static void test_thri_semantics(void **state)
{
	struct env *e = *state;

	out8(e, IER, 0x02);
	assert_int_equal(e->fh.nr, 1);
	assert_int_equal(irq_level(e), 1);
	assert_int_equal(in8(e, IIR), 0x02);
	/* Reading IIR when THRI is the source acknowledges it. */
	assert_int_equal(e->fh.nr, 2);
	assert_int_equal(irq_level(e), 0);
	assert_int_equal(in8(e, IIR), 0x01);
	/* Writing THR: the byte leaves at once and THR-empty is signalled anew. */
	out8(e, THR, 'a');
	assert_int_equal(irq_level(e), 1);
	assert_int_equal(in8(e, IIR), 0x02);
	assert_int_equal(irq_level(e), 0);
	/* Re-enabling THRI re-raises it (Linux's UART_BUG_THRE test). */
	out8(e, IER, 0x00);
	out8(e, IER, 0x02);
	assert_int_equal(irq_level(e), 1);
	/* Masking it drops the line; re-writing the same IER does not re-raise an acknowledged THRI. */
	out8(e, IER, 0x00);
	assert_int_equal(irq_level(e), 0);
	out8(e, IER, 0x02);
	assert_int_equal(in8(e, IIR), 0x02);
	out8(e, IER, 0x02);
	assert_int_equal(irq_level(e), 0);
	assert_int_equal(in8(e, IIR), 0x01);
	/* With FIFOs on, IIR carries 0xc0. */
	out8(e, FCR, 0x01);
	out8(e, THR, 'b');
	assert_int_equal(in8(e, IIR), 0xc2);
	/* Transitions only: every event alternates 1, 0, 1, ... */
	for (unsigned i = 0; i < e->fh.nr; i++)
		assert_int_equal(e->fh.level[i], i % 2 == 0);
}

static void test_rx_non_fifo(void **state)
{
	struct env *e = *state;
	const uint8_t in[] = "abc";

	assert_int_equal(uart_receive(e->u, in, 3), 3);
	assert_int_equal(e->fh.nr, 0); /* RDI masked */
	assert_int_equal(in8(e, LSR) & 0x01, 0x01);
	out8(e, IER, 0x01);
	assert_int_equal(irq_level(e), 1);
	assert_int_equal(in8(e, IIR), 0x04);
	assert_int_equal(in8(e, RBR), 'a');
	assert_int_equal(in8(e, RBR), 'b');
	assert_int_equal(irq_level(e), 1);
	assert_int_equal(in8(e, RBR), 'c');
	assert_int_equal(irq_level(e), 0);
	assert_int_equal(in8(e, LSR) & 0x01, 0);
	assert_int_equal(in8(e, IIR), 0x01);
	assert_int_equal(uart_receive(e->u, (const uint8_t *)"z", 1), 1);
	assert_int_equal(irq_level(e), 1);
	assert_int_equal(in8(e, RBR), 'z');
	assert_int_equal(irq_level(e), 0);
	assert_int_equal(uart_receive(e->u, NULL, 0), 0);
	assert_int_equal(uart_receive(e->u, NULL, 1), -EINVAL);
}

static void test_rx_fifo_trigger_and_clear(void **state)
{
	struct env *e = *state;
	uint8_t in[20];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)('A' + i);
	out8(e, FCR, 0xc1); /* FIFO on, trigger level 14 */
	out8(e, IER, 0x01);
	assert_int_equal(uart_receive(e->u, in, 3), 3);
	assert_int_equal(in8(e, IIR), 0xcc); /* below the trigger level: character timeout */
	assert_int_equal(uart_receive(e->u, in + 3, 11), 11);
	assert_int_equal(in8(e, IIR), 0xc4); /* at the trigger level: received data */
	assert_int_equal(in8(e, RBR), 'A');
	assert_int_equal(in8(e, IIR), 0xcc);
	assert_int_equal(irq_level(e), 1);
	out8(e, FCR, 0xc3); /* clear the receive FIFO */
	assert_int_equal(irq_level(e), 0);
	assert_int_equal(in8(e, LSR) & 0x01, 0);
	/* Trigger level 4. */
	out8(e, FCR, 0x41);
	assert_int_equal(uart_receive(e->u, in, 4), 4);
	assert_int_equal(in8(e, IIR), 0xc4);
	/* Turning the FIFOs off empties them. */
	out8(e, FCR, 0x00);
	assert_int_equal(in8(e, LSR) & 0x01, 0);
	assert_int_equal(irq_level(e), 0);
}

static void test_rx_buffer_limit(void **state)
{
	struct env *e = *state;
	static uint8_t big[UART_RX_BUF + 100];

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	assert_int_equal(uart_receive(e->u, big, sizeof(big)), UART_RX_BUF);
	assert_int_equal(uart_receive(e->u, big, 1), 0);
	assert_int_equal(in8(e, RBR), 0);
	assert_int_equal(uart_receive(e->u, big + UART_RX_BUF, 10), 1);
	for (unsigned i = 1; i <= UART_RX_BUF; i++)
		assert_int_equal(in8(e, RBR), (uint8_t)i);
	assert_int_equal(in8(e, LSR) & 0x01, 0);
	/* Empty: RBR repeats the last byte. */
	assert_int_equal(in8(e, RBR), (uint8_t)UART_RX_BUF);
}

static void test_iir_priority_in_loopback(void **state)
{
	struct env *e = *state;

	out8(e, MCR, 0x10); /* loopback, FIFOs off: a one-byte receiver */
	out8(e, IER, 0x0f);
	assert_int_equal(uart_receive(e->u, (const uint8_t *)"q", 1), 0); /* cut off from the line */
	/* Pending now: THRI (just enabled) and MSI (entering loopback dropped CTS/DSR/DCD). */
	assert_int_equal(irq_level(e), 1);
	out8(e, THR, 'a');
	assert_int_equal(in8(e, IIR), 0x04); /* received data beats THR empty */
	out8(e, THR, 'b');                   /* overrun: receiver still holds 'a' */
	assert_int_equal(in8(e, IIR), 0x06); /* line status beats everything */
	assert_int_equal(in8(e, LSR) & 0x63, 0x63); /* OE | DR | THRE | TEMT */
	assert_int_equal(in8(e, IIR), 0x04);        /* OE cleared by the LSR read */
	assert_int_equal(in8(e, RBR), 'a');
	assert_int_equal(in8(e, IIR), 0x02); /* THRI, acknowledged by this read */
	assert_int_equal(in8(e, IIR), 0x00); /* modem status is last */
	assert_int_equal(irq_level(e), 1);
	assert_int_equal(in8(e, MSR) & 0x0f, 0x0b);
	assert_int_equal(in8(e, IIR), 0x01);
	assert_int_equal(irq_level(e), 0);
	/* With FIFOs on, loopback holds 16 bytes before overrunning. */
	out8(e, FCR, 0x07);
	out8(e, IER, 0x04);
	for (unsigned i = 0; i < 16; i++)
		out8(e, THR, (uint8_t)('0' + i));
	assert_int_equal(in8(e, IIR), 0xc1);
	out8(e, THR, '!');
	assert_int_equal(in8(e, IIR), 0xc6);
	assert_int_equal(in8(e, LSR) & 0x03, 0x03);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(in8(e, RBR), '0' + i);
	/* Nothing reached the output while in loopback. */
	char buf[4];
	assert_int_equal(drain_pipe(e, buf, sizeof(buf)), 0);
}

static void test_wide_accesses_split(void **state)
{
	struct env *e = *state;
	uint16_t v16 = 0x0983; /* LCR = 0x83, MCR = 0x09 */
	uint32_t v32 = 0;

	assert_true(bus_access(&e->pio, BASE + LCR, &v16, 2, true));
	assert_int_equal(in8(e, LCR), 0x83);
	assert_int_equal(in8(e, MCR), 0x09);
	out8(e, SCR, 0x77);
	/* A 32-bit read at SCR: one register, the rest floats. */
	assert_true(bus_access(&e->pio, BASE + SCR, &v32, 4, false));
	assert_int_equal(v32, 0xffffff77);
	v32 = 0x11223344;
	assert_true(bus_access(&e->pio, BASE + SCR, &v32, 4, true));
	assert_int_equal(in8(e, SCR), 0x44);
}

static void test_output_errors_do_not_crash(void **state)
{
	struct env *e = *state;
	struct uart *u;
	struct bus pio;
	int p[2];
	uint8_t c = 'x';

	assert_int_equal(pipe(p), 0);
	close(p[0]); /* EPIPE on every write */
	bus_init(&pio, "pio");
	assert_int_equal(uart_create(&pio, BASE, IRQ, &e->host, p[1], &u), 0);
	for (int i = 0; i < 3; i++)
		assert_true(bus_access(&pio, BASE + THR, &c, 1, true));
	/* The device still works. */
	c = 0x3c;
	assert_true(bus_access(&pio, BASE + SCR, &c, 1, true));
	c = 0;
	assert_true(bus_access(&pio, BASE + SCR, &c, 1, false));
	assert_int_equal(c, 0x3c);
	uart_destroy(u);
	bus_cleanup(&pio);
	close(p[1]);

	/* out_fd < 0 discards output; a closed descriptor fails with EBADF. */
	bus_init(&pio, "pio");
	assert_int_equal(uart_create(&pio, BASE, IRQ, &e->host, -1, &u), 0);
	assert_true(bus_access(&pio, BASE + THR, &c, 1, true));
	uart_destroy(u);
	bus_cleanup(&pio);
	bus_init(&pio, "pio");
	assert_int_equal(uart_create(&pio, BASE, IRQ, &e->host, p[1], &u), 0);
	assert_true(bus_access(&pio, BASE + THR, &c, 1, true));
	uart_destroy(u);
	bus_cleanup(&pio);
}

struct feeder {
	struct uart *u;
	unsigned total;
};

static void *feeder_main(void *arg)
{
	struct feeder *f = arg;
	unsigned sent = 0;

	while (sent < f->total) {
		uint8_t chunk[37];
		unsigned n = MIN(f->total - sent, (unsigned)sizeof(chunk));
		int took;

		for (unsigned i = 0; i < n; i++)
			chunk[i] = (uint8_t)((sent + i) * 7);
		took = uart_receive(f->u, chunk, n);
		if (took <= 0)
			sched_yield();
		else
			sent += (unsigned)took;
	}
	return NULL;
}

/* The stdin thread and a vCPU thread at once: every byte arrives once, in order. */
static void test_concurrent_receive(void **state)
{
	struct env *e = *state;
	struct feeder f = { .u = e->u, .total = 100000 };
	pthread_t t;
	unsigned got = 0;

	out8(e, IER, 0x01);
	assert_int_equal(pthread_create(&t, NULL, feeder_main, &f), 0);
	while (got < f.total) {
		if (!(in8(e, LSR) & 0x01))
			continue;
		assert_int_equal(in8(e, RBR), (uint8_t)(got * 7));
		got++;
	}
	pthread_join(t, NULL);
	assert_int_equal(in8(e, LSR) & 0x01, 0);
	assert_int_equal(irq_level(e), 0);
	for (unsigned i = 0; i < MIN(e->fh.nr, MAX_EVENTS); i++)
		assert_int_equal(e->fh.level[i], i % 2 == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_claims_eight_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch_and_ier_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_through_pipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_autoconfig_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msr_deltas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thri_semantics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_non_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_fifo_trigger_and_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_buffer_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iir_priority_in_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_accesses_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_errors_do_not_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_receive, setup, teardown),
	};

	/* The UART writes to a pipe whose reader may be gone: EPIPE, not death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
