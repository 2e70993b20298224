/* Strict flat-object JSON reader (RFC 8259); see json.h for what it accepts. */
#include "base/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct json_in {
	const char *s;
	size_t len;
	size_t pos;
	struct verr *err;
};

static int in_fail(struct json_in *in, const char *what)
{
	return verr_set(in->err, EINVAL, "malformed JSON at byte %zu: %s", in->pos, what);
}

static void in_skip_ws(struct json_in *in)
{
	/* RFC 8259 section 2: only these four are whitespace. */
	while (in->pos < in->len && (in->s[in->pos] == ' ' || in->s[in->pos] == '\t' ||
				     in->s[in->pos] == '\n' || in->s[in->pos] == '\r'))
		in->pos++;
}

static bool in_peek(const struct json_in *in, char c)
{
	return in->pos < in->len && in->s[in->pos] == c;
}

static int hex4(struct json_in *in, unsigned *out)
{
	unsigned v = 0;

	if (in->len - in->pos < 4)
		return in_fail(in, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = in->s[in->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return in_fail(in, "bad hex digit in \\u escape");
	}
	*out = v;
	return 0;
}

/* Append one code point as UTF-8 to out[*n], keeping room for the NUL. */
static int put_utf8(struct json_in *in, char *out, size_t cap, size_t *n, unsigned cp)
{
	unsigned char b[4];
	size_t k;

	if (cp == 0)
		return in_fail(in, "\\u0000 is not allowed in strings");
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (cap - 1 - *n < k)
		return in_fail(in, "string too long");
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

/* One raw UTF-8 sequence starting at in->pos, validated (RFC 3629 section 4). */
static int utf8_seq(struct json_in *in, unsigned *cp)
{
	const unsigned char *p = (const unsigned char *)in->s + in->pos;
	size_t left = in->len - in->pos;
	unsigned c = p[0], v, min;
	size_t k;

	if (c < 0x80) {
		k = 1, v = c, min = 0;
	} else if ((c & 0xe0) == 0xc0) {
		k = 2, v = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		k = 3, v = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		k = 4, v = c & 0x07, min = 0x10000;
	} else {
		return in_fail(in, "invalid UTF-8");
	}
	if (left < k)
		return in_fail(in, "truncated UTF-8 sequence");
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return in_fail(in, "invalid UTF-8");
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return in_fail(in, "invalid UTF-8 (overlong, surrogate or out of range)");
	in->pos += k;
	*cp = v;
	return 0;
}

static int parse_string(struct json_in *in, char *out, size_t cap)
{
	size_t n = 0;
	int ret;

	if (!in_peek(in, '"'))
		return in_fail(in, "expected a string");
	in->pos++;
	for (;;) {
		unsigned cp = 0; /* set on every path below; GCC cannot always tell */

		if (in->pos >= in->len)
			return in_fail(in, "unterminated string");
		if (in->s[in->pos] == '"') {
			in->pos++;
			out[n] = '\0';
			return 0;
		}
		if ((unsigned char)in->s[in->pos] < 0x20)
			return in_fail(in, "control character in string");
		if (in->s[in->pos] != '\\') {
			ret = utf8_seq(in, &cp);
			if (ret)
				return ret;
			ret = put_utf8(in, out, cap, &n, cp);
			if (ret)
				return ret;
			continue;
		}
		in->pos++;
		if (in->pos >= in->len)
			return in_fail(in, "unterminated escape");
		switch (in->s[in->pos++]) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			ret = hex4(in, &cp);
			if (ret)
				return ret;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return in_fail(in, "unpaired low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;

				/* RFC 8259 section 7: a pair of \u escapes for one code point. */
				if (in->len - in->pos < 2 || in->s[in->pos] != '\\' ||
				    in->s[in->pos + 1] != 'u')
					return in_fail(in, "unpaired high surrogate");
				in->pos += 2;
				ret = hex4(in, &lo);
				if (ret)
					return ret;
				if (lo < 0xdc00 || lo > 0xdfff)
					return in_fail(in, "unpaired high surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			break;
		default: return in_fail(in, "unknown escape");
		}
		ret = put_utf8(in, out, cap, &n, cp);
		if (ret)
			return ret;
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int parse_number(struct json_in *in, struct json_field *f)
{
	size_t start = in->pos, n;
	char *end;

	if (in_peek(in, '-'))
		in->pos++;
	if (in_peek(in, '0')) {
		in->pos++;
		if (in->pos < in->len && is_digit(in->s[in->pos]))
			return in_fail(in, "leading zero in number");
	} else if (in->pos < in->len && is_digit(in->s[in->pos])) {
		while (in->pos < in->len && is_digit(in->s[in->pos]))
			in->pos++;
	} else {
		return in_fail(in, "expected a value");
	}
	if (in_peek(in, '.')) {
		in->pos++;
		if (in->pos >= in->len || !is_digit(in->s[in->pos]))
			return in_fail(in, "digits expected after '.'");
		while (in->pos < in->len && is_digit(in->s[in->pos]))
			in->pos++;
	}
	if (in_peek(in, 'e') || in_peek(in, 'E')) {
		in->pos++;
		if (in_peek(in, '+') || in_peek(in, '-'))
			in->pos++;
		if (in->pos >= in->len || !is_digit(in->s[in->pos]))
			return in_fail(in, "digits expected in exponent");
		while (in->pos < in->len && is_digit(in->s[in->pos]))
			in->pos++;
	}
	n = in->pos - start;
	if (n >= sizeof(f->str))
		return in_fail(in, "number too long");
	memcpy(f->str, in->s + start, n);
	f->str[n] = '\0';
	f->num = strtod(f->str, &end);
	if (!isfinite(f->num))
		return in_fail(in, "number out of range");
	f->type = JSON_NUMBER;
	return 0;
}

static bool in_literal(struct json_in *in, const char *lit)
{
	size_t n = strlen(lit);

	if (in->len - in->pos < n || memcmp(in->s + in->pos, lit, n))
		return false;
	in->pos += n;
	return true;
}

static int parse_value(struct json_in *in, struct json_field *f)
{
	if (in_peek(in, '"')) {
		f->type = JSON_STRING;
		return parse_string(in, f->str, sizeof(f->str));
	}
	if (in_peek(in, '{') || in_peek(in, '['))
		return in_fail(in, "nested objects and arrays are not supported");
	if (in_literal(in, "true")) {
		f->type = JSON_BOOL;
		f->b = true;
		return 0;
	}
	if (in_literal(in, "false")) {
		f->type = JSON_BOOL;
		f->b = false;
		return 0;
	}
	if (in_literal(in, "null")) {
		f->type = JSON_NULL;
		return 0;
	}
	return parse_number(in, f);
}

int json_parse(const char *s, size_t len, struct json_obj *out, struct verr *err)
{
	struct json_in in = {.s = s, .len = len, .err = err};
	int ret;

	out->n = 0;
	in_skip_ws(&in);
	if (!in_peek(&in, '{'))
		return in_fail(&in, "expected '{'");
	in.pos++;
	in_skip_ws(&in);
	if (in_peek(&in, '}')) {
		in.pos++;
		goto tail;
	}
	for (;;) {
		struct json_field *f;

		if (out->n == JSON_MAX_FIELDS)
			return in_fail(&in, "too many fields");
		f = &out->f[out->n];
		memset(f, 0, sizeof(*f));
		ret = parse_string(&in, f->key, sizeof(f->key));
		if (ret)
			return ret;
		if (json_get(out, f->key))
			return in_fail(&in, "duplicate key");
		in_skip_ws(&in);
		if (!in_peek(&in, ':'))
			return in_fail(&in, "expected ':'");
		in.pos++;
		in_skip_ws(&in);
		ret = parse_value(&in, f);
		if (ret)
			return ret;
		out->n++;
		in_skip_ws(&in);
		if (in_peek(&in, '}')) {
			in.pos++;
			break;
		}
		if (!in_peek(&in, ','))
			return in_fail(&in, "expected ',' or '}'");
		in.pos++;
		in_skip_ws(&in);
	}
tail:
	in_skip_ws(&in);
	if (in.pos != in.len)
		return in_fail(&in, "text after the object");
	return 0;
}

const struct json_field *json_get(const struct json_obj *o, const char *key)
{
	for (unsigned i = 0; i < o->n; i++)
		if (!strcmp(o->f[i].key, key))
			return &o->f[i];
	return NULL;
}

const char *json_get_str(const struct json_obj *o, const char *key)
{
	const struct json_field *f = json_get(o, key);

	return f && f->type == JSON_STRING ? f->str : NULL;
}

int json_get_u64(const struct json_obj *o, const char *key, uint64_t *out)
{
	const struct json_field *f = json_get(o, key);
	uint64_t v = 0;

	if (!f)
		return -ENOENT;
	if (f->type != JSON_NUMBER || f->str[0] == '-')
		return -EINVAL;
	for (const char *p = f->str; *p; p++) {
		if (!is_digit(*p))
			return -EINVAL; /* fraction or exponent */
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}
