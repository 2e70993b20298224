/*
 * Page tables and the frame allocator (Intel SDM Vol. 3A, 4.5 4-level paging).
 *
 * The boot tables at 0x9000 map everything supervisor-only, so the guest
 * builds its own: ring 3 needs the U/S bit at every level of the walk.
 * One CPU, one address space: the tables are static.
 */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "lib.h"
#include "paging.h"
#include "trap.h"

#define LOW_4K_LIMIT (2ul << 20) /* the first 2 MiB is mapped with 4 KiB pages */
#define UNCACHED_FROM (3ul << 30)
#define IDENTITY_LIMIT (4ul << 30)

struct frame_pool {
	uint64_t next;
	uint64_t end;
};

/* RAM above 4 GiB: not identity-mapped, so only handed out as user 2 MiB pages. */
#define HIGH_MEM_BASE (4ul << 30)

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt_low[512] __attribute__((aligned(4096)));
static uint64_t pd_low[4][512] __attribute__((aligned(4096)));
static uint64_t pt_low[512] __attribute__((aligned(4096)));
static struct frame_pool frames;
static struct frame_pool frames_high;

static void zero_page(uint64_t pa)
{
	void *d = (void *)pa;
	uint64_t n = PAGE_SIZE / 8;

	/* One string instruction rather than a loop: cheap under an emulated ring 0. */
	__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ul) : "memory");
}

uint64_t frame_alloc(void)
{
	uint64_t pa;

	if (frames.next >= frames.end)
		return 0;
	pa = frames.next;
	frames.next += PAGE_SIZE;
	zero_page(pa);
	return pa;
}

uint64_t frame_free_bytes(void)
{
	return frames.end - frames.next;
}

static uint64_t pool_take_2m(struct frame_pool *p)
{
	uint64_t pa = ALIGN_UP(p->next, HUGE_PAGE_SIZE);

	if (pa >= p->end || p->end - pa < HUGE_PAGE_SIZE)
		return 0;
	p->next = pa + HUGE_PAGE_SIZE;
	return pa;
}

uint64_t frame_alloc_2m(void)
{
	uint64_t pa = pool_take_2m(&frames_high);

	return pa ? pa : pool_take_2m(&frames);
}

uint64_t frame_free_2m_bytes(void)
{
	uint64_t lo = ALIGN_UP(frames.next, HUGE_PAGE_SIZE), hi = frames_high.next;
	uint64_t n = lo < frames.end ? (frames.end - lo) & ~(HUGE_PAGE_SIZE - 1) : 0;

	return n + ((frames_high.end - hi) & ~(HUGE_PAGE_SIZE - 1));
}

static uint64_t low_page_flags(uint64_t va)
{
	uint64_t a = va;

	if (a >= (uint64_t)__rodata_start && a < (uint64_t)__rodata_end)
		return PTE_P | PTE_U;
	if (a >= (uint64_t)__user_start && a < (uint64_t)__user_text_end)
		return PTE_P | PTE_U;
	if (a >= (uint64_t)__user_text_end && a < (uint64_t)__user_end)
		return PTE_P | PTE_U | PTE_W;
	return PTE_P | PTE_W;
}

int paging_init(const struct guest *g)
{
	uint64_t low_end = g->boot->low_mem_end;
	uint64_t first = ALIGN_UP((uint64_t)__image_end, HUGE_PAGE_SIZE);

	if ((uint64_t)__image_end > LOW_4K_LIMIT) {
		kprintf("testguest: image ends at 0x%lx, past the 2 MiB the page tables allow\n",
			(uint64_t)__image_end);
		return -1;
	}
	if (low_end > IDENTITY_LIMIT)
		low_end = IDENTITY_LIMIT;
	if (low_end < first + HUGE_PAGE_SIZE) {
		kprintf("testguest: need RAM up to at least 0x%lx, boot info says low memory ends "
			"at "
			"0x%lx\n",
			first + HUGE_PAGE_SIZE, low_end);
		return -1;
	}
	frames.next = first;
	frames.end = low_end & ~(PAGE_SIZE - 1);
	if (g->boot->mem_bytes > g->boot->low_mem_end) {
		frames_high.next = HIGH_MEM_BASE;
		frames_high.end = HIGH_MEM_BASE + (g->boot->mem_bytes - g->boot->low_mem_end);
	}

	/* Upper levels allow user access; the leaves decide. */
	pml4[0] = (uint64_t)pdpt_low | PTE_P | PTE_W | PTE_U;
	for (unsigned i = 0; i < 4; i++)
		pdpt_low[i] = (uint64_t)pd_low[i] | PTE_P | PTE_W | PTE_U;
	pd_low[0][0] = (uint64_t)pt_low | PTE_P | PTE_W | PTE_U;
	/* Page 0 stays unmapped so null dereferences fault. */
	for (uint64_t i = 1; i < 512; i++)
		pt_low[i] = i * PAGE_SIZE | low_page_flags(i * PAGE_SIZE);
	for (uint64_t i = 1; i < 4 * 512; i++) {
		uint64_t pa = i * HUGE_PAGE_SIZE;
		uint64_t fl = PTE_P | PTE_W | PTE_PS;

		if (pa >= UNCACHED_FROM)
			fl |= PTE_PCD | PTE_PWT; /* MMIO: LAPIC 0xFEE00000, IOAPIC 0xFEC00000 */
		pd_low[i / 512][i % 512] = pa | fl;
	}
	write_cr3((uint64_t)pml4);
	return 0;
}

/* The entry at `level` (3 = PML4 ... 0 = PT) for va, allocating missing tables; NULL if impossible.
 */
static uint64_t *pte_walk(uint64_t va, int stop_level, int alloc)
{
	uint64_t *table = pml4;

	for (int level = 3; level > stop_level; level--) {
		uint64_t *e = &table[(va >> (12 + 9 * level)) & 511];

		if (!(*e & PTE_P)) {
			uint64_t pa;

			if (!alloc || !(pa = frame_alloc()))
				return NULL;
			*e = pa | PTE_P | PTE_W | PTE_U;
		} else if (*e & PTE_PS) {
			return NULL; /* a large page is in the way */
		}
		table = (uint64_t *)(*e & PTE_ADDR);
	}
	return &table[(va >> (12 + 9 * stop_level)) & 511];
}

static int paging_map(uint64_t va, uint64_t pa, uint64_t flags, int level)
{
	uint64_t *e;

	if (va < USER_REGION_BASE)
		return -1; /* the identity map is fixed */
	e = pte_walk(va, level, 1);
	if (!e || (*e & PTE_P))
		return -1;
	*e = pa | flags | PTE_P | (level ? PTE_PS : 0);
	return 0;
}

int paging_map_4k(uint64_t va, uint64_t pa, uint64_t flags)
{
	return paging_map(va, pa, flags, 0);
}

int paging_map_2m(uint64_t va, uint64_t pa, uint64_t flags)
{
	return paging_map(va, pa, flags, 1);
}

int paging_user_ok(uint64_t va, uint64_t len, int write)
{
	uint64_t need = PTE_P | PTE_U | (write ? PTE_W : 0);
	uint64_t end = va + len;

	if (end < va || end > (1ul << 47))
		return 0;
	for (uint64_t p = va & ~(PAGE_SIZE - 1); p < end; p += PAGE_SIZE) {
		uint64_t *table = pml4, e = 0;

		for (int level = 3; level >= 0; level--) {
			e = table[(p >> (12 + 9 * level)) & 511];
			if ((e & need) != need)
				return 0;
			if (level > 0 && (e & PTE_PS))
				break;
			table = (uint64_t *)(e & PTE_ADDR);
		}
	}
	return 1;
}

static int demand_fault(struct trap_frame *f, void *ctx)
{
	struct demand_region *r = ctx;
	uint64_t cr2 = read_cr2(), page = cr2 & ~(PAGE_SIZE - 1), pa;
	uint64_t *e;

	if (!trap_from_user(f) || (f->error_code & PF_PRESENT) || cr2 < r->base ||
	    cr2 - r->base >= r->size)
		return -1;
	e = pte_walk(page, 0, 1);
	if (e && (*e & PTE_P)) {
		/* Already mapped (a stale not-present TLB entry): flush and retry. */
		invlpg(page);
		return 0;
	}
	pa = frame_alloc();
	if (!pa) {
		kprintf("testguest: demand fault at 0x%lx: out of guest RAM\n", cr2);
		return -1;
	}
	if (paging_map_4k(page, pa, PTE_W | PTE_U) < 0)
		return -1;
	if (!r->faults)
		r->first_cr2 = cr2;
	r->faults++;
	r->last_frame = pa;
	return 0;
}

void demand_region_install(struct demand_region *r)
{
	trap_register(VEC_PF, demand_fault, r);
}

void demand_region_remove(void)
{
	trap_unregister(VEC_PF);
}
