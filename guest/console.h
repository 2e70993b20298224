/* Console output on the 8250 UART at 0x3F8 and the VM exit port. */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

void uart_init(void);
void uart_write(const char *s, size_t n);

/* printf subset: %s %c %d %u %x %p %%, with l/ll, '0' flag and width. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* End the VM with this exit status (out to VESSEL_EXIT_PORT); never returns. */
void guest_exit(uint8_t status) __attribute__((noreturn));

/* Print "testguest: host limitation: <why>" and exit VESSEL_EXIT_HOST_LIMIT. */
void guest_host_limit(const char *why) __attribute__((noreturn));

#endif
