/* src/base/json.c and json_out.c: the control protocol's strict JSON reader and writer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/json.h"

static struct json_obj *obj_new(void)
{
	struct json_obj *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	return o;
}

static int parse(const char *s, struct json_obj *o, struct verr *err)
{
	memset(err, 0, sizeof(*err));
	return json_parse(s, strlen(s), o, err);
}

static void test_valid(void **state)
{
	struct json_obj *o = obj_new();
	struct verr err;
	uint64_t v = 0;

	(void)state;
	assert_int_equal(parse(" {\"cmd\" : \"stop\", \"timeout\":5,\"force\":true,"
			       "\"x\":null, \"f\":-1.5e3, \"z\":false}\r\n",
			       o, &err),
			 0);
	assert_int_equal(o->n, 6);
	assert_string_equal(json_get_str(o, "cmd"), "stop");
	assert_int_equal(json_get_u64(o, "timeout", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(json_get(o, "force")->type, JSON_BOOL);
	assert_true(json_get(o, "force")->b);
	assert_false(json_get(o, "z")->b);
	assert_int_equal(json_get(o, "x")->type, JSON_NULL);
	assert_true(json_get(o, "f")->num == -1500.0);
	assert_int_equal(json_get_u64(o, "f", &v), -EINVAL);
	assert_int_equal(json_get_u64(o, "cmd", &v), -EINVAL);
	assert_int_equal(json_get_u64(o, "missing", &v), -ENOENT);
	assert_null(json_get_str(o, "timeout"));
	assert_int_equal(parse("{}", o, &err), 0);
	assert_int_equal(o->n, 0);
	free(o);
}

static void test_u64_range(void **state)
{
	struct json_obj *o = obj_new();
	struct verr err;
	uint64_t v = 0;

	(void)state;
	assert_int_equal(parse("{\"a\":18446744073709551615,\"b\":18446744073709551616}", o, &err),
			 0);
	assert_int_equal(json_get_u64(o, "a", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(json_get_u64(o, "b", &v), -ERANGE);
	free(o);
}

static void test_escapes(void **state)
{
	struct json_obj *o = obj_new();
	struct verr err;

	(void)state;
	assert_int_equal(parse("{\"s\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\"}", o, &err),
			 0);
	assert_string_equal(json_get_str(o, "s"), "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80");
	/* Raw UTF-8 passes through. */
	assert_int_equal(parse("{\"s\":\"\xc3\xa9\"}", o, &err), 0);
	assert_string_equal(json_get_str(o, "s"), "\xc3\xa9");
	free(o);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{",
		"{\"a\"}",
		"{\"a\":}",
		"{\"a\":1,}",
		"{'a':1}",
		"{\"a\":01}",
		"{\"a\":1.}",
		"{\"a\":.5}",
		"{\"a\":1e}",
		"{\"a\":+1}",
		"{\"a\":tru}",
		"{\"a\":{\"b\":1}}",
		"{\"a\":[1]}",
		"{\"a\":1}x",
		"{\"a\":1}{}",
		"{\"a\":1,\"a\":2}",
		"{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12\"}",
		"{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00\"}",
		"{\"a\":\"\\ud800\\u0041\"}",
		"{\"a\":\"\\u0000\"}",
		"{\"a\":\"tab\there\"}",
		"{\"a\":\"\xc0\xaf\"}",		/* overlong '/' */
		"{\"a\":\"\xed\xa0\x80\"}",	/* encoded surrogate */
		"{\"a\":\"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
		"{\"a\":\"\xe2\x82\"}",		/* truncated */
		"{\"a\":\"\xff\"}",
		"{\"a\":1e999}",
		"{\"a\" 1}",
		"{\"a\":1 \"b\":2}",
	};
	struct json_obj *o = obj_new();
	struct verr err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(bad[i], o, &err);

		if (ret != -EINVAL)
			fail_msg("accepted or wrong error for case %zu: %s", i, bad[i]);
		assert_non_null(strstr(err.msg, "malformed JSON at byte"));
	}
	/* A NUL byte inside the buffer is a control character, not an end. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(json_parse("{\"a\":\"x\0y\"}", 11, o, &err), -EINVAL);
	free(o);
}

static void test_limits(void **state)
{
	struct json_obj *o = obj_new();
	struct verr err;
	char buf[8192];
	size_t n = 0;

	(void)state;
	/* One field too many. */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{");
	for (int i = 0; i <= JSON_MAX_FIELDS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"k%d\":%d", i ? "," : "", i, i);
	snprintf(buf + n, sizeof(buf) - n, "}");
	assert_int_equal(parse(buf, o, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "too many fields"));
	/* A string value one byte longer than fits. */
	n = (size_t)snprintf(buf, sizeof(buf), "{\"s\":\"");
	memset(buf + n, 'x', JSON_MAX_STR);
	n += JSON_MAX_STR;
	snprintf(buf + n, sizeof(buf) - n, "\"}");
	assert_int_equal(parse(buf, o, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "string too long"));
	/* Exactly the longest that fits. */
	n = (size_t)snprintf(buf, sizeof(buf), "{\"s\":\"");
	memset(buf + n, 'x', JSON_MAX_STR - 1);
	n += JSON_MAX_STR - 1;
	snprintf(buf + n, sizeof(buf) - n, "\"}");
	assert_int_equal(parse(buf, o, &err), 0);
	assert_int_equal(strlen(json_get_str(o, "s")), JSON_MAX_STR - 1);
	free(o);
}

static void test_writer_roundtrip(void **state)
{
	struct json_obj *o = obj_new();
	struct json_out w;
	struct verr err;
	char buf[256];
	uint64_t v;
	int n;

	(void)state;
	json_out_init(&w, buf, sizeof(buf));
	json_out_bool(&w, "ok", true);
	json_out_str(&w, "msg", "quote \" back \\ nl \n ctl \x01");
	json_out_u64(&w, "big", UINT64_MAX);
	json_out_i64(&w, "neg", -42);
	json_out_null(&w, "none");
	n = json_out_end(&w);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	memset(&err, 0, sizeof(err));
	assert_int_equal(json_parse(buf, (size_t)n, o, &err), 0);
	assert_true(json_get(o, "ok")->b);
	assert_string_equal(json_get_str(o, "msg"), "quote \" back \\ nl \n ctl \x01");
	assert_int_equal(json_get_u64(o, "big", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_true(json_get(o, "neg")->num == -42.0);
	assert_int_equal(json_get(o, "none")->type, JSON_NULL);
	free(o);
}

static void test_writer_overflow(void **state)
{
	struct json_out w;
	char buf[16];

	(void)state;
	json_out_init(&w, buf, sizeof(buf));
	json_out_str(&w, "k", "0123456789");
	assert_int_equal(json_out_end(&w), -ENOSPC);
	assert_true(strlen(buf) < sizeof(buf));
	json_out_init(&w, buf, sizeof(buf));
	json_out_u64(&w, "k", 7);
	assert_int_equal(json_out_end(&w), 7);
	assert_string_equal(buf, "{\"k\":7}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),		cmocka_unit_test(test_u64_range),
		cmocka_unit_test(test_escapes),		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),		cmocka_unit_test(test_writer_roundtrip),
		cmocka_unit_test(test_writer_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
