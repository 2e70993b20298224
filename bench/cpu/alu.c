/* Benchmark (a): a tight integer ALU loop (add/xor/shift/rotate/compare/branch). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000000ull;
	uint64_t a = 1, b = 0x9e3779b97f4a7c15ull, c = 0;

	for (uint64_t i = 0; i < n; i++) {
		a += b ^ i;
		b = (b << 13) | (b >> 51);
		c += a >> 7;
		if (a & 1)
			c ^= i;
	}
	printf("alu %llu %016llx\n", (unsigned long long)n, (unsigned long long)(a ^ b ^ c));
	return 0;
}
