/* JSON writer for control-protocol responses (RFC 8259); see json.h. */
#include "base/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void out_raw(struct json_out *o, const char *s, size_t n)
{
	if (o->overflow || o->cap - o->len <= n) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_fmt(struct json_out *o, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void out_fmt(struct json_out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->overflow = true;
		return;
	}
	out_raw(o, tmp, (size_t)n);
}

/* A quoted string: '"' and '\' escaped, control bytes as \u00XX (RFC 8259 section 7). */
static void out_quoted(struct json_out *o, const char *s)
{
	out_raw(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};

			out_raw(o, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			out_fmt(o, "\\u%04x", c);
		} else {
			out_raw(o, (const char *)&c, 1);
		}
	}
	out_raw(o, "\"", 1);
}

static void out_key(struct json_out *o, const char *key)
{
	if (o->need_comma)
		out_raw(o, ",", 1);
	o->need_comma = true;
	out_quoted(o, key);
	out_raw(o, ":", 1);
}

void json_out_init(struct json_out *o, char *buf, size_t cap)
{
	*o = (struct json_out){.buf = buf, .cap = cap};
	if (cap)
		buf[0] = '\0';
	out_raw(o, "{", 1);
}

void json_out_str(struct json_out *o, const char *key, const char *val)
{
	out_key(o, key);
	out_quoted(o, val);
}

void json_out_u64(struct json_out *o, const char *key, uint64_t val)
{
	out_key(o, key);
	out_fmt(o, "%" PRIu64, val);
}

void json_out_i64(struct json_out *o, const char *key, int64_t val)
{
	out_key(o, key);
	out_fmt(o, "%" PRId64, val);
}

void json_out_bool(struct json_out *o, const char *key, bool val)
{
	out_key(o, key);
	out_raw(o, val ? "true" : "false", val ? 4 : 5);
}

void json_out_null(struct json_out *o, const char *key)
{
	out_key(o, key);
	out_raw(o, "null", 4);
}

int json_out_end(struct json_out *o)
{
	out_raw(o, "}", 1);
	return o->overflow ? -ENOSPC : (int)o->len;
}
