/*
 * 8250/16550A UART (8 byte registers at base..base+7).
 *
 * Register model: National Semiconductor PC16550D data sheet (June 1995),
 * sections 8.1-8.8 (RBR/THR, IER, IIR, FCR, LCR, MCR, LSR, MSR, SCR, DLL/DLM),
 * with the interrupt priorities of its Table IV. Probed by Linux's
 * drivers/tty/serial/8250/8250_port.c autoconfig() as a 16550A.
 *
 * Output is written to out_fd as soon as the guest writes THR (out_fd < 0
 * discards it). The caller must ignore SIGPIPE process-wide if out_fd can be
 * a pipe or socket whose reader may go away. Host input enters through
 * uart_receive(). The interrupt line is driven through host->irq_set: 1 when
 * an interrupt becomes pending, 0 when none is.
 */
#ifndef VESSEL_DEV_UART_H
#define VESSEL_DEV_UART_H

#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"
#include "dev/bus.h"
#include "dev/dev.h"

#define UART_NR_REGS 8
/* Receive buffer: larger than the 16-byte hardware FIFO so pasted input is not lost. */
#define UART_RX_BUF 4096

struct uart;

/* Registers ports [base, base+8) on pio. -EINVAL, -ENOMEM, -EEXIST. */
int uart_create(struct bus *pio, uint16_t base, unsigned irq, const struct dev_host *host,
		int out_fd, struct uart **out) MUST_CHECK;
/* The bus must not dispatch to u any more (bus cleaned up or VM stopped). */
void uart_destroy(struct uart *u);

/*
 * Host input (stdin) into the receive buffer. Returns how many bytes were
 * accepted (0 when full or while the guest holds the UART in loopback mode);
 * the caller retries the rest later. Raises the receive interrupt if enabled.
 * Thread-safe.
 */
int uart_receive(struct uart *u, const uint8_t *buf, size_t n);

#endif
