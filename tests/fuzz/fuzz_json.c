/*
 * libFuzzer target for the control protocol's JSON reader (src/base/json.c):
 * whatever the bytes, json_parse either fills the object or fails with a
 * message; never reads out of bounds. Accepted objects must survive a round
 * trip through the writer (json_out.c) unchanged: same keys, types and values.
 * Seeds: tests/fuzz/corpus/json/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct json_obj *a)
{
	static char buf[JSON_MAX_FIELDS * (JSON_MAX_KEY + 6 * JSON_MAX_STR + 8) + 8];
	static struct json_obj b;
	struct json_out w;
	struct verr err = {0};
	int n;

	json_out_init(&w, buf, sizeof(buf));
	for (unsigned i = 0; i < a->n; i++) {
		const struct json_field *f = &a->f[i];

		switch (f->type) {
		case JSON_NULL: json_out_null(&w, f->key); break;
		case JSON_BOOL: json_out_bool(&w, f->key, f->b); break;
		case JSON_STRING: json_out_str(&w, f->key, f->str); break;
		case JSON_NUMBER: json_out_str(&w, f->key, f->str); break; /* its text */
		}
	}
	n = json_out_end(&w);
	if (n < 0)
		abort(); /* the buffer fits the worst case: escaping never grows a byte past 6 */
	if (json_parse(buf, (size_t)n, &b, &err))
		abort();
	if (b.n != a->n)
		abort();
	for (unsigned i = 0; i < a->n; i++) {
		if (strcmp(a->f[i].key, b.f[i].key) || strcmp(a->f[i].str, b.f[i].str))
			abort();
		if (a->f[i].type == JSON_BOOL &&
		    (b.f[i].type != JSON_BOOL || a->f[i].b != b.f[i].b))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_obj o;
	struct verr err = {0};

	if (json_parse((const char *)data, size, &o, &err) == 0)
		roundtrip(&o);
	else if (!err.msg[0])
		abort(); /* every refusal says why */
	return 0;
}
