/* Benchmark (b): a memory-heavy loop: streaming reads and writes over 16 MiB. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	uint64_t passes = argc > 1 ? strtoull(argv[1], NULL, 0) : 8;
	size_t n = (16u << 20) / sizeof(uint32_t);
	uint32_t *v = malloc(n * sizeof(*v));
	uint64_t sum = 0;

	if (!v)
		return 1;
	for (size_t i = 0; i < n; i++)
		v[i] = (uint32_t)(i * 2654435761u);
	for (uint64_t p = 0; p < passes; p++) {
		for (size_t i = 1; i < n; i++) {
			v[i] = v[i] + (v[i - 1] >> 3);
			sum += v[i];
		}
	}
	printf("mem %llu %016llx\n", (unsigned long long)passes, (unsigned long long)sum);
	free(v);
	return 0;
}
