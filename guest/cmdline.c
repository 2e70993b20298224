/* Command-line parsing: space-separated key=value words, first match wins. */
#include "console.h"
#include "guest.h"
#include "lib.h"

const char *guest_arg(const struct guest *g, const char *key, size_t *len)
{
	size_t klen = strlen(key), i = 0, n = g->cmdline_len;
	const char *s = g->cmdline;

	while (i < n) {
		size_t start, end;

		while (i < n && s[i] == ' ')
			i++;
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		end = i;
		if (end - start > klen && s[start + klen] == '=' &&
		    memcmp(s + start, key, klen) == 0) {
			*len = end - start - klen - 1;
			return s + start + klen + 1;
		}
	}
	return NULL;
}

int guest_arg_u64(const struct guest *g, const char *key, uint64_t def, uint64_t min, uint64_t max,
		  uint64_t *out)
{
	size_t len;
	const char *v = guest_arg(g, key, &len);

	if (!v) {
		*out = def;
		return 0;
	}
	if (parse_u64(v, len, out) < 0 || *out < min || *out > max) {
		kprintf("testguest: bad argument %s: want a number in [%lu, %lu]\n", key, min, max);
		return -1;
	}
	return 0;
}
