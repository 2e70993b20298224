#include "base/size.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

int size_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
		p++;
	}
	switch (toupper((unsigned char)*p)) {
	case '\0': break;
	case 'K': mul = 1ull << 10; p++; break;
	case 'M': mul = 1ull << 20; p++; break;
	case 'G': mul = 1ull << 30; p++; break;
	case 'T': mul = 1ull << 40; p++; break;
	default: return -EINVAL;
	}
	if (*p && strcasecmp(p, "iB") && strcasecmp(p, "B"))
		return -EINVAL;
	if (mul > 1 && v > UINT64_MAX / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}
