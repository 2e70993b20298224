/*
 * 8250/16550A UART, PC16550D data sheet sections 8.1-8.8 (see uart.h).
 *
 * Transmission is instantaneous: a THR write goes straight to out_fd, so THR
 * and the transmitter are always empty (LSR.THRE and LSR.TEMT stay set) and
 * the THR-empty interrupt is re-armed at once, as on a real UART after the
 * byte leaves THR. The character-timeout interrupt is reported as soon as
 * the FIFO holds fewer bytes than the trigger level: there is no timer.
 * OUT2 does not gate the interrupt line (as in QEMU and kvmtool).
 */
#include "dev/uart.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

/* Register offsets (DLAB = LCR bit 7 selects DLL/DLM at offsets 0/1). */
enum {
	UART_RBR_THR = 0,
	UART_IER = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_RDI 0x01  /* received data available */
#define IER_THRI 0x02 /* THR empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI 0x08  /* modem status */
#define IER_MASK 0x0f /* bits 4-7 read as 0 on a 16550A (Linux's probe relies on it) */

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO_ON 0xc0 /* both bits set = 16550A with working FIFOs */

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RCVR 0x02
#define FCR_CLEAR_XMIT 0x04
#define FCR_DMA 0x08
#define FCR_TRIGGER 0xc0
#define FCR_KEEP (FCR_ENABLE | FCR_DMA | FCR_TRIGGER)

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* Outside loopback a modem is "connected": carrier, data set ready, clear to send. */
#define MSR_CONNECTED (MSR_DCD | MSR_DSR | MSR_CTS)

#define UART_HW_FIFO 16 /* the 16550A's FIFO depth, used for loopback overruns */

struct uart {
	pthread_mutex_t lock; /* vCPU threads and the stdin thread */
	struct dev_host host;
	unsigned irq;
	int out_fd;
	bool out_failed; /* the write error was logged */
	int irq_level;   /* last level sent through irq_set */
	bool thr_ipending;
	uint8_t ier, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	uint8_t rbr; /* last byte read, returned again when the FIFO is empty */
	unsigned rx_head, rx_count;
	uint8_t rx[UART_RX_BUF];
};

static unsigned uart_trigger_level(const struct uart *u)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };

	return levels[u->fcr >> 6];
}

/* Interrupt identification, highest priority first (data sheet Table IV). */
static uint8_t uart_iid(const struct uart *u)
{
	if ((u->ier & IER_RLSI) && (u->lsr & LSR_ERRORS))
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count) {
		if ((u->fcr & FCR_ENABLE) && u->rx_count < uart_trigger_level(u))
			return IIR_CTI;
		return IIR_RDI;
	}
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && (u->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NO_INT;
}

/* Drive the line only on changes; called with the lock held so that transitions stay ordered. */
static void uart_update_irq(struct uart *u)
{
	int level = uart_iid(u) != IIR_NO_INT;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	/* A failure here is the VM's (no irqchip yet): the UART still works by polling. */
	if (u->host.irq_set)
		(void)u->host.irq_set(u->host.opaque, u->irq, level);
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

static void uart_rx_push(struct uart *u, uint8_t c)
{
	u->rx[(u->rx_head + u->rx_count) % UART_RX_BUF] = c;
	u->rx_count++;
}

static uint8_t uart_rx_pop(struct uart *u)
{
	if (u->rx_count) {
		u->rbr = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_RX_BUF;
		u->rx_count--;
	}
	return u->rbr;
}

/* Modem status inputs follow MCR in loopback (data sheet 8.6); deltas record changes. */
static void uart_update_msr(struct uart *u)
{
	uint8_t lines = MSR_CONNECTED, changed;

	if (u->mcr & MCR_LOOP) {
		lines = 0;
		if (u->mcr & MCR_RTS)
			lines |= MSR_CTS;
		if (u->mcr & MCR_DTR)
			lines |= MSR_DSR;
		if (u->mcr & MCR_OUT1)
			lines |= MSR_RI;
		if (u->mcr & MCR_OUT2)
			lines |= MSR_DCD;
	}
	changed = (u->msr ^ lines) & 0xf0;
	if (changed & MSR_CTS)
		u->msr |= MSR_DCTS;
	if (changed & MSR_DSR)
		u->msr |= MSR_DDSR;
	if ((changed & MSR_RI) && !(lines & MSR_RI))
		u->msr |= MSR_TERI; /* trailing edge only */
	if (changed & MSR_DCD)
		u->msr |= MSR_DDCD;
	u->msr = (u->msr & MSR_DELTAS) | lines;
}

static void uart_output(struct uart *u, uint8_t c)
{
	const char *why = NULL;
	int err = 0;

	if (u->out_fd < 0)
		return;
	for (;;) {
		ssize_t r = write(u->out_fd, &c, 1);
		struct pollfd pfd = { .fd = u->out_fd, .events = POLLOUT };

		if (r == 1)
			return;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A non-blocking console: wait a little, then drop rather than stall the vCPU. */
			int p = poll(&pfd, 1, 1000);

			if (p > 0 || (p < 0 && errno == EINTR))
				continue;
			why = p == 0 ? "console not writable for 1 s" : "poll";
			err = p == 0 ? 0 : errno;
			break;
		}
		why = "write";
		err = r < 0 ? errno : 0;
		break;
	}
	if (!u->out_failed) {
		u->out_failed = true;
		log_warn("uart: %s on output fd %d failed (%s); dropping output that cannot be written",
			 why, u->out_fd, err ? strerror(err) : "no progress");
	}
}

static void uart_transmit(struct uart *u, uint8_t c)
{
	u->thr_ipending = false;
	if (u->mcr & MCR_LOOP) {
		/* The loopback receiver has the hardware's depth: beyond it, an overrun. */
		unsigned depth = (u->fcr & FCR_ENABLE) ? UART_HW_FIFO : 1;

		if (u->rx_count >= depth)
			u->lsr |= LSR_OE;
		else
			uart_rx_push(u, c);
	} else {
		uart_output(u, c);
	}
	/* The byte left THR at once: THR empty again, which raises THRI anew. */
	u->thr_ipending = true;
}

static void uart_write_fcr(struct uart *u, uint8_t v)
{
	/* Switching the FIFOs on or off clears them (data sheet 8.4). */
	if ((v ^ u->fcr) & FCR_ENABLE)
		uart_rx_clear(u);
	if (!(v & FCR_ENABLE)) {
		u->fcr = 0;
		return;
	}
	if (v & FCR_CLEAR_RCVR)
		uart_rx_clear(u);
	/* FCR_CLEAR_XMIT: the transmit FIFO is always empty already. */
	u->fcr = v & FCR_KEEP;
}

static uint8_t uart_read_reg(struct uart *u, unsigned off)
{
	uint8_t v, iid;

	switch (off) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		return uart_rx_pop(u);
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR_FCR:
		iid = uart_iid(u);
		/* Reading IIR acknowledges a THR-empty interrupt it reports (data sheet Table IV). */
		if (iid == IIR_THRI)
			u->thr_ipending = false;
		return iid | ((u->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = u->lsr | LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
		u->lsr &= ~LSR_ERRORS; /* error bits clear on read */
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= ~MSR_DELTAS;
		return v;
	default:
		return u->scr;
	}
}

static void uart_write_reg(struct uart *u, unsigned off, uint8_t v)
{
	uint8_t old;

	switch (off) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			uart_transmit(u, v);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		old = u->ier;
		u->ier = v & IER_MASK;
		/* Enabling THRI while THR is empty (always) raises it: Linux's startup tests this. */
		if ((u->ier & IER_THRI) && !(old & IER_THRI))
			u->thr_ipending = true;
		break;
	case UART_IIR_FCR:
		uart_write_fcr(u, v);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & MCR_MASK;
		uart_update_msr(u);
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* factory test / read-only: ignored */
	default:
		u->scr = v;
		break;
	}
}

/* Wider accesses are split into byte accesses to consecutive registers (ISA bus sizing). */
static void uart_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct uart *u = opaque;
	uint8_t *p = data;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size && off + i < UART_NR_REGS; i++)
		p[i] = uart_read_reg(u, off + i);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct uart *u = opaque;
	const uint8_t *p = data;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size && off + i < UART_NR_REGS; i++)
		uart_write_reg(u, off + i, p[i]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static const struct bus_dev_ops uart_ops = {
	.read = uart_read,
	.write = uart_write,
};

int uart_receive(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t k;

	if (!u || (!buf && n))
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	/* In loopback the receiver is cut off from the line: leave the input to the caller. */
	k = (u->mcr & MCR_LOOP) ? 0 : MIN(n, (size_t)(UART_RX_BUF - u->rx_count));
	for (size_t i = 0; i < k; i++)
		uart_rx_push(u, buf[i]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return (int)k;
}

int uart_create(struct bus *pio, uint16_t base, unsigned irq, const struct dev_host *host,
		int out_fd, struct uart **out)
{
	struct uart *u;
	int ret;

	if (!pio || !host || !out || base > 0x10000 - UART_NR_REGS)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = -pthread_mutex_init(&u->lock, NULL);
	if (ret) {
		free(u);
		return ret;
	}
	u->host = *host;
	u->irq = irq;
	u->out_fd = out_fd;
	u->mcr = MCR_OUT2; /* as firmware leaves it */
	u->msr = MSR_CONNECTED;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->dll = 12; /* 9600 baud from the 1.8432 MHz clock */
	ret = bus_register(pio, base, UART_NR_REGS, &uart_ops, u, "uart");
	if (ret) {
		uart_destroy(u);
		return ret;
	}
	*out = u;
	return 0;
}

void uart_destroy(struct uart *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}
