/*
 * kprintf: a small printf for ring-0 diagnostics. Formats into a line buffer
 * and writes it with one uart_write per call, integers only (no floating
 * point anywhere in the guest: -mgeneral-regs-only).
 */
#include <stdarg.h>

#include "bootinfo.h"
#include "arch.h"
#include "console.h"
#include "lib.h"

struct outbuf {
	char buf[256];
	size_t len;
};

static void out_flush(struct outbuf *o)
{
	uart_write(o->buf, o->len);
	o->len = 0;
}

static void out_char(struct outbuf *o, char c)
{
	if (o->len == sizeof(o->buf))
		out_flush(o);
	o->buf[o->len++] = c;
}

static void out_u64(struct outbuf *o, uint64_t v, unsigned base, int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		out_char(o, pad);
	while (n)
		out_char(o, tmp[--n]);
}

static void vformat(struct outbuf *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, longs = 0;
		char pad = ' ';
		uint64_t u;

		if (*fmt != '%') {
			out_char(o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			int64_t s = longs ? va_arg(ap, int64_t) : va_arg(ap, int);

			if (s < 0) {
				out_char(o, '-');
				u = (uint64_t)0 - (uint64_t)s;
			} else {
				u = (uint64_t)s;
			}
			out_u64(o, u, 10, width, pad);
			break;
		}
		case 'u':
		case 'x':
			u = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			out_u64(o, u, *fmt == 'u' ? 10 : 16, width, pad);
			break;
		case 'p':
			out_char(o, '0');
			out_char(o, 'x');
			out_u64(o, (uint64_t)va_arg(ap, void *), 16, width, pad);
			break;
		case 'c': out_char(o, (char)va_arg(ap, int)); break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			for (s = s ? s : "(null)"; *s; s++)
				out_char(o, *s);
			break;
		}
		case '%': out_char(o, '%'); break;
		default: /* unknown conversion: show it rather than guess */
			out_char(o, '%');
			if (!*fmt)
				return;
			out_char(o, *fmt);
			break;
		}
	}
}

void kprintf(const char *fmt, ...)
{
	struct outbuf o = {.len = 0};
	va_list ap;

	va_start(ap, fmt);
	vformat(&o, fmt, ap);
	va_end(ap);
	out_flush(&o);
}

void guest_exit(uint8_t status)
{
	outb(VESSEL_EXIT_PORT, status);
	/* Only reached if the exit port is missing: stop here for good. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void guest_host_limit(const char *why)
{
	kprintf("testguest: host limitation: %s\n", why);
	guest_exit(VESSEL_EXIT_HOST_LIMIT);
}
