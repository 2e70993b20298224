/*
 * 8250/16550 UART transmit path (National Semiconductor PC16550D datasheet):
 * polled, no interrupts. Each register access is a VM exit, so the status
 * poll is bounded: a UART that never reports an empty holding register still
 * gets the byte written rather than hanging the guest.
 */
#include "arch.h"
#include "console.h"

#define UART_BASE 0x3f8
#define UART_THR 0 /* transmit holding register (DLAB=0) */
#define UART_IER 1 /* interrupt enable */
#define UART_LCR 3 /* line control */
#define UART_LSR 5 /* line status */
#define UART_LSR_THRE 0x20
#define UART_LCR_8N1 0x03

void uart_init(void)
{
	outb(UART_BASE + UART_IER, 0); /* polled: no UART interrupts */
	outb(UART_BASE + UART_LCR, UART_LCR_8N1);
}

static void uart_putc(char c)
{
	for (int spins = 0; spins < 1000; spins++)
		if (inb(UART_BASE + UART_LSR) & UART_LSR_THRE)
			break;
	outb(UART_BASE + UART_THR, (uint8_t)c);
}

void uart_write(const char *s, size_t n)
{
	/* Plain '\n' line ends: the output is read by scripts, not by a terminal. */
	for (size_t i = 0; i < n; i++)
		uart_putc(s[i]);
}
