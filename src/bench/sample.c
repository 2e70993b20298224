/* One line of the enginebench scenario's output (format: guest/scenarios/enginebench.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/engines.h"

#define SAMPLE_PREFIX "enginebench: op="

/* Copy the word at *p (up to a space or the end) into out; advance *p past it. */
static int sample_word(const char **p, char *out, size_t size)
{
	size_t n = strcspn(*p, " ");

	if (n == 0 || n >= size)
		return -EINVAL;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	while (**p == ' ')
		(*p)++;
	return 0;
}

/* "key=" then a word. */
static int sample_field(const char **p, const char *key, char *out, size_t size)
{
	size_t k = strlen(key);

	if (strncmp(*p, key, k) || (*p)[k] != '=')
		return -EINVAL;
	*p += k + 1;
	return sample_word(p, out, size);
}

static int sample_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int sample_ns(const char *s, double *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	*out = strtod(s, &end);
	return *end ? -EINVAL : 0;
}

int bench_sample_parse(const char *line, struct bench_sample *s)
{
	char buf[256], word[32];
	const char *p;
	size_t n;

	if (strncmp(line, SAMPLE_PREFIX, strlen(SAMPLE_PREFIX)))
		return 0;
	/* Work on a copy without the line end (the UART may add \r). */
	n = strcspn(line, "\r\n");
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, line, n);
	buf[n] = '\0';
	memset(s, 0, sizeof(*s));
	p = buf + strlen("enginebench: ");
	if (sample_field(&p, "op", s->op, sizeof(s->op)) ||
	    sample_field(&p, "mode", s->mode, sizeof(s->mode)))
		return -EINVAL;
	if (strncmp(p, "n/a: ", 5) == 0) {
		s->na = true;
		n = strlen(p + 5);
		if (n == 0 || n >= sizeof(s->why))
			return -EINVAL;
		memcpy(s->why, p + 5, n + 1);
		return 1;
	}
	if (sample_field(&p, "iters", word, sizeof(word)) || sample_u64(word, &s->iters) ||
	    s->iters == 0)
		return -EINVAL;
	if (sample_field(&p, "cycles", word, sizeof(word)) || sample_u64(word, &s->cycles))
		return -EINVAL;
	if (sample_field(&p, "ns", word, sizeof(word)) || sample_ns(word, &s->ns))
		return -EINVAL;
	if (sample_field(&p, "via", s->via, sizeof(s->via)) || *p)
		return -EINVAL;
	return 1;
}
