/*
 * Decoded-block cache (core-internal).
 *
 * A block is a run of decoded instructions (struct soft_op) starting at one
 * guest RIP, ending at a control transfer, a stopping instruction or the end
 * of its 4 KiB page, so every block lies in one physical page. Blocks are
 * found through a direct-mapped jump cache indexed by virtual RIP in front of
 * a hash table keyed by (physical address, virtual RIP, mode): virtual RIP is
 * part of the key because decoded branch targets and RIP-relative operands
 * are virtual. Pages that hold blocks are "code pages": the TLB never gives
 * a fast write entry for them, so every write there reaches
 * soft_cache_page_written(), which drops the page's blocks (exact
 * self-modifying code, as QEMU's TLB_NOTDIRTY).
 */
#ifndef VESSEL_ENGINE_SOFT_BLOCK_H
#define VESSEL_ENGINE_SOFT_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/soft/op.h"

#define SOFT_BLOCK_MAX_OPS 64

/*
 * A remembered successor (QEMU's TB chaining, without patching): the block
 * that ran after this one when RIP was `rip` at CPL `cpl`. Used only while
 * cpu->link_gen == gen (the block's memory is still there), the block is
 * not dead, and either no TLB flush happened since (cpu->tlb_gen) or the
 * fetch TLB still maps RIP's page to the block's physical page: either way
 * the mapping and fetch permission checked when the block was found hold.
 */
struct soft_block_link {
	struct soft_block *to;
	uint64_t rip;
	uint64_t gen;
	uint64_t tlb_gen;
	unsigned cpl;
};

struct soft_block {
	uint64_t vaddr;             /* virtual RIP of the first instruction */
	uint64_t paddr;             /* its physical address */
	struct soft_block *hash_next;
	struct soft_block *page_next; /* blocks of the same code page */
	uint32_t n;                 /* number of ops */
	uint8_t mode;
	bool dead;
	bool nolink;                /* the scratch block: never linked */
	uint8_t link_next;          /* slot the next new link replaces */
	struct soft_block_link link[2];
	struct soft_op ops[];
};

int soft_cache_create(struct soft_block_cache **out) MUST_CHECK;
void soft_cache_destroy(struct soft_block_cache *c);

/* Find or decode the block at cpu->rip; NULL with the exception recorded (fetch #PF). */
struct soft_block *soft_cache_get(struct soft_cpu *cpu);

bool soft_cache_is_code_page(const struct soft_block_cache *c, uint64_t ppage);
/* A write hit code page ppage: drop its blocks (freed at the next run-loop boundary). */
void soft_cache_page_written(struct soft_cpu *cpu, uint64_t ppage);
void soft_cache_flush(struct soft_cpu *cpu);
/*
 * Free dropped blocks (they may have been executing, links may name them):
 * once enough have piled up, or always with force. True when any were
 * freed: the caller must then bump cpu->link_gen.
 */
bool soft_cache_reap(struct soft_block_cache *c, bool force);

/* decode.c: decode up to max ops starting at bytes[0] (virtual rip), return count (>= 1). */
unsigned soft_decode_block(struct soft_cpu *cpu, uint64_t rip, const uint8_t *bytes,
			   unsigned avail, struct soft_op *ops, unsigned max);
int soft_decoder_init(struct soft_cpu *cpu) MUST_CHECK;
bool soft_insn_uses_ss(struct soft_cpu *cpu);
void soft_decoder_fini(struct soft_cpu *cpu);

/* mem.c: host pointer and physical address of the page for a fetch at va. */
int soft_fetch_translate(struct soft_cpu *cpu, uint64_t va, const uint8_t **host, uint64_t *paddr);
/* mem.c: ppage now holds code: drop its fast write TLB entries. */
void soft_tlb_protect_code(struct soft_cpu *cpu, uint64_t ppage);

#endif
