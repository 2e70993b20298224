/* memcpy/memmove/memset/memcmp/strlen/strchr/strcmp of many sizes and alignments,
 * and qsort: glibc picks its SSE2 string functions here. Prints checksums. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ull;
	return h;
}

/* memcmp/strcmp only promise the sign; the value differs between implementations. */
static uint64_t sign(int v)
{
	return (uint64_t)((v > 0) - (v < 0) + 1);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	static unsigned char src[9000], dst[9000];
	static char str[5000];
	uint64_t h = 1469598103934665603ull;
	unsigned seed = 12345;
	int *nums;
	char **words;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 131 + (i >> 7));
	for (size_t len = 0; len < 600; len += (len < 70 ? 1 : 37)) {
		for (size_t a = 0; a < 17; a++) {
			memset(dst, 0xee, sizeof(dst));
			memcpy(dst + a, src + (a * 5) % 16, len);
			h = hash(dst, len + 40, h);
			memmove(dst + a + 3, dst + a, len);
			h = hash(dst, len + 40, h);
			memset(dst + a, (int)len, len);
			h ^= sign(memcmp(dst, src, len + a)) + len;
		}
	}
	printf("mem %016llx\n", (unsigned long long)h);
	for (size_t len = 0; len < sizeof(str) - 64; len += (len < 100 ? 1 : 97)) {
		for (size_t a = 0; a < 16; a++) {
			memset(str, 'x', sizeof(str));
			str[a + len] = 0;
			str[a + len / 2] = 'Q';
			h = h * 31 + strlen(str + a);
			h = h * 31 + (uint64_t)(strchr(str + a, 'Q') ? strchr(str + a, 'Q') - str : -1);
			h = h * 31 + (uint64_t)(strrchr(str + a, 'x') ? strrchr(str + a, 'x') - str : -1);
			h = h * 31 + sign(strcmp(str + a, str + 1));
			h = h * 31 + (uint64_t)(memchr(str + a, 'Q', len + 1) != NULL);
		}
	}
	printf("str %016llx\n", (unsigned long long)h);
	nums = malloc(100000 * sizeof(*nums));
	words = malloc(5000 * sizeof(*words));
	if (!nums || !words)
		return 1;
	for (int i = 0; i < 100000; i++) {
		seed = seed * 1103515245u + 12345u;
		nums[i] = (int)(seed >> 1) - (1 << 30);
	}
	qsort(nums, 100000, sizeof(*nums), cmp_int);
	printf("qsort %d %d %d %016llx\n", nums[0], nums[50000], nums[99999],
	       (unsigned long long)hash(nums, 100000 * sizeof(*nums), 7));
	for (int i = 0; i < 5000; i++) {
		char buf[32];

		seed = seed * 1103515245u + 12345u;
		snprintf(buf, sizeof(buf), "w%u-%d", seed % 100000, i % 13);
		words[i] = strdup(buf);
	}
	qsort(words, 5000, sizeof(*words), cmp_str);
	printf("words %s %s %s\n", words[0], words[2500], words[4999]);
	for (int i = 0; i < 5000; i++)
		free(words[i]);
	free(words);
	free(nums);
	return 0;
}
