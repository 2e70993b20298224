/*
 * Decoded-block cache: jump cache + hash table + code-page tracking (see block.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "engine/soft/block.h"

#define JC_BITS 14
#define HASH_BITS 17
#define PAGE_HASH_BITS 12
/* Bound on live blocks (memory a guest can make us hold); beyond it the cache starts over. */
#define MAX_BLOCKS (1u << 17)
/*
 * Dropped blocks are freed in batches: until then a block link may still
 * point at one (it checks `dead`), and freeing bumps cpu->link_gen.
 */
#define DEAD_BATCH 4096u

struct soft_code_page {
	uint64_t ppage;
	struct soft_block *blocks;
	struct soft_code_page *next;
};

struct soft_block_cache {
	struct soft_block *jc[1u << JC_BITS];       /* by virtual RIP */
	struct soft_block *hash[1u << HASH_BITS];   /* by (paddr, vaddr) */
	struct soft_code_page *pages[1u << PAGE_HASH_BITS];
	struct soft_block *dead;                    /* dropped, freed by soft_cache_reap */
	unsigned ndead;
	unsigned npages;
	unsigned nblocks;
	/* A block for an instruction that crosses a page: decoded each time, never cached. */
	struct soft_block *scratch;
};

static unsigned jc_index(uint64_t vaddr)
{
	return (unsigned)((vaddr ^ (vaddr >> JC_BITS)) & ((1u << JC_BITS) - 1));
}

static unsigned hash_index(uint64_t paddr, uint64_t vaddr)
{
	uint64_t h = (paddr ^ (vaddr << 7)) * 0x9E3779B97F4A7C15ull;
	return (unsigned)(h >> (64 - HASH_BITS));
}

static unsigned page_index(uint64_t ppage)
{
	return (unsigned)(((ppage >> SOFT_PAGE_SHIFT) * 0x9E3779B97F4A7C15ull) >> (64 - PAGE_HASH_BITS));
}

int soft_cache_create(struct soft_block_cache **out)
{
	struct soft_block_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->scratch = calloc(1, sizeof(struct soft_block) + sizeof(struct soft_op));
	if (!c->scratch) {
		free(c);
		return -ENOMEM;
	}
	c->scratch->nolink = true; /* reused for every page-crossing instruction */
	*out = c;
	return 0;
}

static void free_all(struct soft_block_cache *c)
{
	unsigned i;
	for (i = 0; i < (1u << PAGE_HASH_BITS); i++) {
		struct soft_code_page *p = c->pages[i], *pn;
		for (; p; p = pn) {
			struct soft_block *b = p->blocks, *bn;
			pn = p->next;
			for (; b; b = bn) {
				bn = b->page_next;
				free(b);
			}
			free(p);
		}
		c->pages[i] = NULL;
	}
	memset(c->jc, 0, sizeof(c->jc));
	memset(c->hash, 0, sizeof(c->hash));
	c->npages = 0;
	c->nblocks = 0;
}

bool soft_cache_reap(struct soft_block_cache *c, bool force)
{
	struct soft_block *b = c->dead, *bn;

	if (!b || (!force && c->ndead < DEAD_BATCH))
		return false;
	for (; b; b = bn) {
		bn = b->page_next;
		free(b);
	}
	c->dead = NULL;
	c->ndead = 0;
	return true;
}

void soft_cache_destroy(struct soft_block_cache *c)
{
	if (!c)
		return;
	free_all(c);
	soft_cache_reap(c, true);
	free(c->scratch);
	free(c);
}

static struct soft_code_page *page_find(const struct soft_block_cache *c, uint64_t ppage)
{
	struct soft_code_page *p = c->pages[page_index(ppage)];
	while (p && p->ppage != ppage)
		p = p->next;
	return p;
}

bool soft_cache_is_code_page(const struct soft_block_cache *c, uint64_t ppage)
{
	return c->npages && page_find(c, ppage);
}

static void unlink_hash(struct soft_block_cache *c, struct soft_block *b)
{
	struct soft_block **pp = &c->hash[hash_index(b->paddr, b->vaddr)];
	while (*pp && *pp != b)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = b->hash_next;
	if (c->jc[jc_index(b->vaddr)] == b)
		c->jc[jc_index(b->vaddr)] = NULL;
}

void soft_cache_page_written(struct soft_cpu *cpu, uint64_t ppage)
{
	struct soft_block_cache *c = cpu->cache;
	struct soft_code_page **pp = &c->pages[page_index(ppage)], *p;
	struct soft_block *b, *bn;

	while (*pp && (*pp)->ppage != ppage)
		pp = &(*pp)->next;
	p = *pp;
	if (!p)
		return;
	*pp = p->next;
	c->npages--;
	for (b = p->blocks; b; b = bn) {
		bn = b->page_next;
		unlink_hash(c, b);
		c->nblocks--;
		b->dead = true;
		/* The running block (and links) may point at these: free later. */
		b->page_next = c->dead;
		c->dead = b;
		c->ndead++;
	}
	free(p);
	cpu->code_dirty = true;
	cpu->stats.smc_invalidations++;
}

void soft_cache_flush(struct soft_cpu *cpu)
{
	struct soft_block_cache *c = cpu->cache;
	unsigned i;
	/* Move everything to the dead list: a handler may be running inside a block. */
	for (i = 0; i < (1u << PAGE_HASH_BITS); i++) {
		while (c->pages[i])
			soft_cache_page_written(cpu, c->pages[i]->ppage);
	}
	memset(c->jc, 0, sizeof(c->jc));
	memset(c->hash, 0, sizeof(c->hash));
}

static struct soft_block *nomem(struct soft_cpu *cpu)
{
	if (cpu->stop) {
		cpu->stop->reason = SOFT_STOP_INTERNAL;
		cpu->stop->internal.err = -ENOMEM;
	}
	return NULL;
}

static struct soft_block *decode_new(struct soft_cpu *cpu, uint64_t rip, const uint8_t *host,
				     uint64_t paddr)
{
	struct soft_block_cache *c = cpu->cache;
	unsigned avail = (unsigned)(SOFT_PAGE_SIZE - (rip & ~SOFT_PAGE_MASK));
	struct soft_op ops[SOFT_BLOCK_MAX_OPS];
	struct soft_code_page *p;
	struct soft_block *b;
	unsigned n;

	if (avail < 15) {
		/* The last instruction may cross into the next page: fetch it whole. */
		uint8_t buf[15];
		const uint8_t *h2;
		uint64_t p2;
		memcpy(buf, host, avail);
		n = soft_decode_block(cpu, rip, buf, avail, ops, 1);
		if (n == 1 && ops[0].len <= avail)
			goto cache_it; /* fits in this page */
		if (soft_fetch_translate(cpu, (rip & SOFT_PAGE_MASK) + SOFT_PAGE_SIZE, &h2, &p2))
			return NULL;
		memcpy(buf + avail, h2, 15 - avail);
		n = soft_decode_block(cpu, rip, buf, 15, ops, 1);
		b = c->scratch;
		b->vaddr = rip;
		b->paddr = paddr;
		b->n = 1;
		b->mode = cpu->mode;
		b->ops[0] = ops[0];
		cpu->stats.insns_decoded++;
		return b;
	}
	n = soft_decode_block(cpu, rip, host, avail, ops, SOFT_BLOCK_MAX_OPS);
cache_it:
	if (c->nblocks >= MAX_BLOCKS)
		soft_cache_flush(cpu); /* blocks go to the dead list; reaped after this block runs */
	b = malloc(sizeof(*b) + n * sizeof(struct soft_op));
	if (!b)
		return nomem(cpu);
	b->vaddr = rip;
	b->paddr = paddr;
	b->n = n;
	b->mode = cpu->mode;
	b->dead = false;
	b->nolink = false;
	memset(b->link, 0, sizeof(b->link));
	b->link_next = 0;
	memcpy(b->ops, ops, n * sizeof(struct soft_op));

	p = page_find(c, paddr & SOFT_PAGE_MASK);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			free(b);
			return nomem(cpu);
		}
		p->ppage = paddr & SOFT_PAGE_MASK;
		p->next = c->pages[page_index(p->ppage)];
		c->pages[page_index(p->ppage)] = p;
		c->npages++;
		soft_tlb_protect_code(cpu, p->ppage);
	}
	b->page_next = p->blocks;
	p->blocks = b;
	b->hash_next = c->hash[hash_index(paddr, rip)];
	c->hash[hash_index(paddr, rip)] = b;
	c->nblocks++;
	cpu->stats.blocks_decoded++;
	cpu->stats.insns_decoded += n;
	return b;
}

struct soft_block *soft_cache_get(struct soft_cpu *cpu)
{
	struct soft_block_cache *c = cpu->cache;
	uint64_t rip = cpu->rip, paddr;
	struct soft_tlb_entry *e = &cpu->tlb.fetch[cpu->cpl == 3][(rip >> SOFT_PAGE_SHIFT) & (SOFT_TLB_SIZE - 1)];
	const uint8_t *host;
	struct soft_block *b;

	cpu->stats.block_lookups++;
	if (likely(e->tag == (rip & SOFT_PAGE_MASK))) {
		host = (const uint8_t *)(uintptr_t)(rip + e->addend);
		paddr = e->paddr | (rip & ~SOFT_PAGE_MASK);
	} else if (soft_fetch_translate(cpu, rip, &host, &paddr)) {
		return NULL;
	}
	b = c->jc[jc_index(rip)];
	if (likely(b && b->vaddr == rip && b->paddr == paddr && b->mode == cpu->mode)) {
		cpu->stats.jump_cache_hits++;
		return b;
	}
	for (b = c->hash[hash_index(paddr, rip)]; b; b = b->hash_next)
		if (b->vaddr == rip && b->paddr == paddr && b->mode == cpu->mode)
			break;
	if (!b) {
		b = decode_new(cpu, rip, host, paddr);
		if (!b || b == c->scratch)
			return b;
	}
	c->jc[jc_index(rip)] = b;
	return b;
}
