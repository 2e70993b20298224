/* Page-table walks and the recycled frame pool of test=enginebench. */
#include "bench_pt.h"
#include "console.h"
#include "paging.h"

uint64_t *bench_pte(uint64_t pml4, uint64_t va, int alloc)
{
	uint64_t *table = (uint64_t *)pml4;

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &table[(va >> (12 + 9 * level)) & 511];

		if (!(*e & PTE_P)) {
			uint64_t pa;

			if (!alloc || !(pa = frame_alloc()))
				return 0;
			*e = pa | PTE_P | PTE_W | PTE_U;
		} else if (*e & PTE_PS) {
			return 0; /* a large page covers va */
		}
		table = (uint64_t *)(*e & PTE_ADDR);
	}
	return &table[(va >> 12) & 511];
}

int bench_pool_fill(struct bench_pool *p, unsigned n)
{
	p->nr = 0;
	if (n > BENCH_POOL_MAX) {
		kprintf("testguest: enginebench: pool of %u frames, at most %u\n", n,
			BENCH_POOL_MAX);
		return -1;
	}
	while (p->nr < n) {
		uint64_t f = frame_alloc();

		if (!f) {
			kprintf("testguest: enginebench: out of guest RAM for the frame pool\n");
			return -1;
		}
		p->frame[p->nr++] = f;
	}
	return 0;
}

uint64_t bench_pool_get(struct bench_pool *p)
{
	return p->nr ? p->frame[--p->nr] : 0;
}

void bench_pool_put(struct bench_pool *p, uint64_t frame)
{
	if (p->nr < BENCH_POOL_MAX)
		p->frame[p->nr++] = frame;
}
