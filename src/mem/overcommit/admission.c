/* The admission decision: pure arithmetic on four figures; see admission.h. */
#include "mem/overcommit/admission.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

uint64_t admission_allowed(const struct admission_figures *f)
{
	unsigned __int128 a;

	if (f->ratio_milli == ADMISSION_RATIO_OFF)
		return UINT64_MAX;
	/* 128-bit: host_total * ratio may exceed 2^64 on paper (a 1 TiB host times 100). */
	a = (unsigned __int128)f->host_total * f->ratio_milli / 1000;
	return a > UINT64_MAX ? UINT64_MAX : (uint64_t)a;
}

bool admission_admit(const struct admission_figures *f)
{
	uint64_t allowed = admission_allowed(f);

	if (f->ratio_milli == ADMISSION_RATIO_OFF)
		return true;
	if (f->asked > allowed || f->running > allowed - f->asked)
		return false;
	return true;
}

void admission_format_ratio(unsigned milli, char *buf, size_t cap)
{
	if (milli == ADMISSION_RATIO_OFF)
		snprintf(buf, cap, "off");
	else if (milli % 10)
		snprintf(buf, cap, "%u.%03u", milli / 1000, milli % 1000);
	else
		snprintf(buf, cap, "%u.%02u", milli / 1000, milli % 1000 / 10);
}

void admission_explain(const struct admission_figures *f, char *buf, size_t cap)
{
	char ratio[32];

	admission_format_ratio(f->ratio_milli, ratio, sizeof(ratio));
	snprintf(buf, cap,
		 "admission refused: %" PRIu64 " MiB asked + %" PRIu64 " MiB running > %" PRIu64
		 " MiB allowed (ratio %s x %" PRIu64 " MiB host RAM); see 'vessel host overcommit'",
		 f->asked >> 20, f->running >> 20, admission_allowed(f) >> 20, ratio,
		 f->host_total >> 20);
}

int admission_parse_ratio(const char *s, unsigned *milli)
{
	uint64_t whole = 0, frac = 0;
	unsigned digits = 0;
	const char *p = s;

	if (!strcmp(s, "off")) {
		*milli = ADMISSION_RATIO_OFF;
		return 0;
	}
	/* By hand rather than strtod: no locale, no exponents, no "inf", exact thousandths. */
	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		whole = whole * 10 + (uint64_t)(*p++ - '0');
		if (whole > ADMISSION_RATIO_MAX)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (++digits > 3)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p++ - '0');
		}
		while (digits++ < 3)
			frac *= 10;
	}
	if (*p)
		return -EINVAL;
	whole = whole * 1000 + frac;
	if (whole < ADMISSION_RATIO_MIN || whole > ADMISSION_RATIO_MAX)
		return -ERANGE;
	*milli = (unsigned)whole;
	return 0;
}
