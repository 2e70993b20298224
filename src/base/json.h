/*
 * A small strict JSON reader and writer for the control protocol
 * (docs/control-protocol.md), RFC 8259.
 *
 * The reader accepts exactly one flat object whose values are strings,
 * numbers, true, false or null; nested objects and arrays are refused with a
 * message (the protocol does not use them). Anything RFC 8259 forbids is
 * refused too: trailing commas, single quotes, control characters or invalid
 * UTF-8 inside strings, unpaired surrogates, leading zeros, duplicate keys,
 * text after the object. Input is hostile (any client of the socket), so
 * every bound is explicit.
 */
#ifndef VESSEL_BASE_JSON_H
#define VESSEL_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"
#include "base/err.h"

#define JSON_MAX_FIELDS 96 /* vessel stat answers with ~60 fields once a guest reports balloon stats */
#define JSON_MAX_KEY 64	  /* bytes of a key, NUL included */
#define JSON_MAX_STR 1024 /* bytes of a string value (decoded, NUL included) */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING };

struct json_field {
	char key[JSON_MAX_KEY];
	enum json_type type;
	bool b;
	double num;
	char str[JSON_MAX_STR]; /* JSON_STRING: decoded UTF-8; JSON_NUMBER: its text */
};

struct json_obj {
	unsigned n;
	struct json_field f[JSON_MAX_FIELDS];
};

/* Parse `len` bytes (no NUL needed) holding one object; err says what and where. */
int json_parse(const char *s, size_t len, struct json_obj *out, struct verr *err) MUST_CHECK;

/* Field `key`, or NULL when absent. */
const struct json_field *json_get(const struct json_obj *o, const char *key);
/* String value of `key`, NULL when absent or not a string. */
const char *json_get_str(const struct json_obj *o, const char *key);
/*
 * Non-negative integer value of `key` written without fraction or exponent:
 * 0, -ENOENT when absent, -EINVAL when not such a number, -ERANGE above 2^64-1.
 */
int json_get_u64(const struct json_obj *o, const char *key, uint64_t *out) MUST_CHECK;

/*
 * Writer: appends to a fixed buffer and remembers overflow instead of
 * failing at each call; check json_out_ok() once at the end.
 */
struct json_out {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
	bool need_comma;
};

void json_out_init(struct json_out *o, char *buf, size_t cap); /* writes "{" */
void json_out_str(struct json_out *o, const char *key, const char *val);
void json_out_u64(struct json_out *o, const char *key, uint64_t val);
void json_out_i64(struct json_out *o, const char *key, int64_t val);
void json_out_bool(struct json_out *o, const char *key, bool val);
void json_out_null(struct json_out *o, const char *key);
/* Writes "}" and returns the length, or -ENOSPC if anything did not fit. */
int json_out_end(struct json_out *o) MUST_CHECK;

#endif
