/*
 * soft_cpu lifetime and the run loop (decoded-block dispatch).
 */
#include <errno.h>
#include <stdlib.h>

#include "engine/soft/block.h"
#include "engine/soft/flags.h"
#include "engine/soft/op.h"

/* RFLAGS bits software can hold (SDM Vol. 1, 3.4.3; bit 1 is always 1). */
#define RFLAGS_VALID (SOFT_ARITH_FLAGS | SOFT_TF | SOFT_IF | SOFT_DF | SOFT_IOPL | SOFT_NT | \
		      SOFT_RF | SOFT_VM | SOFT_AC | SOFT_VIF | SOFT_VIP | SOFT_ID)

int soft_cpu_create(const struct soft_cpu_config *cfg, struct soft_cpu **out)
{
	struct soft_cpu *cpu;
	int r;

	if (!cfg || !cfg->tlb_fill)
		return -EINVAL;
	cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return -ENOMEM;
	cpu->cfg = *cfg;
	cpu->rflags = 0x202;
	cpu->cpl = 3;
	cpu->cr0 = (1ull << 0) | (1ull << 1) | (1ull << 5) | (1ull << 31); /* PE MP NE PG */
	cpu->cr4 = (1ull << 5) | (1ull << 9) | (1ull << 10);             /* PAE OSFXSR OSXMMEXCPT */
	cpu->efer = (1ull << 0) | (1ull << 8) | (1ull << 10) | (1ull << 11); /* SCE LME LMA NXE */
	cpu->seg[SOFT_CS].attr = (1u << 9) | (1u << 7) | (1u << 4) | 0xb; /* L, P, S, code */
	cpu->mxcsr = 0x1f80;
	cpu->x87.fcw = 0x037f;
	memset(&cpu->tlb, 0xff, sizeof(cpu->tlb));
	r = soft_cache_create(&cpu->cache);
	if (r)
		goto err;
	r = soft_decoder_init(cpu);
	if (r)
		goto err;
	*out = cpu;
	return 0;
err:
	soft_cpu_destroy(cpu);
	return r;
}

void soft_cpu_destroy(struct soft_cpu *cpu)
{
	if (!cpu)
		return;
	soft_decoder_fini(cpu);
	soft_cache_destroy(cpu->cache);
	free(cpu);
}

uint64_t soft_cpu_get_rflags(struct soft_cpu *cpu)
{
	return (cpu->rflags & ~SOFT_ARITH_FLAGS & RFLAGS_VALID) | soft_flags_get(cpu) | 2;
}

void soft_cpu_set_rflags(struct soft_cpu *cpu, uint64_t rflags)
{
	cpu->lf.op = SOFT_LF_NONE;
	cpu->rflags = (rflags & RFLAGS_VALID) | 2;
}

void soft_cpu_io_complete(struct soft_cpu *cpu, const struct soft_stop *stop, uint32_t value)
{
	if (stop->reason != SOFT_STOP_IO || stop->io.write)
		return;
	switch (stop->io.size) {
	case 1: cpu->gpr[SOFT_RAX] = (cpu->gpr[SOFT_RAX] & ~0xffull) | (value & 0xff); break;
	case 2: cpu->gpr[SOFT_RAX] = (cpu->gpr[SOFT_RAX] & ~0xffffull) | (value & 0xffff); break;
	default: cpu->gpr[SOFT_RAX] = value; break;
	}
}

static void reap(struct soft_cpu *cpu, bool force)
{
	if (soft_cache_reap(cpu->cache, force))
		cpu->link_gen++;
}

void soft_cpu_flush_code(struct soft_cpu *cpu)
{
	soft_cache_flush(cpu);
	reap(cpu, true);
}

void soft_cpu_invalidate_code(struct soft_cpu *cpu, uint64_t paddr, uint64_t len)
{
	uint64_t p, end = paddr + len;

	if (len == 0 || end < paddr)
		end = ~0ull;
	for (p = paddr & SOFT_PAGE_MASK; p < end; p += SOFT_PAGE_SIZE) {
		if (soft_cache_is_code_page(cpu->cache, p))
			soft_cache_page_written(cpu, p);
		if (p + SOFT_PAGE_SIZE < p)
			break;
	}
	if (!cpu->stop)
		reap(cpu, false);
}

/* #UD reports carry the instruction bytes for messages. */
static void record_insn_bytes(struct soft_cpu *cpu, struct soft_stop *stop)
{
	unsigned i;
	for (i = 0; i < 15; i++) {
		const uint8_t *h;
		uint64_t pa;
		struct soft_stop *saved = cpu->stop, tmp;
		cpu->stop = &tmp;
		int r = soft_fetch_translate(cpu, cpu->rip + i, &h, &pa);
		cpu->stop = saved;
		if (r)
			break;
		stop->exc.insn[i] = *h;
	}
	stop->exc.insn_len = (uint8_t)i;
}

/*
 * After a TLB flush: the link holds if the fetch TLB maps RIP's page to the
 * block's page again; it is then good until the next flush.
 */
static __attribute__((noinline)) struct soft_block *link_after_flush(struct soft_cpu *cpu,
								      struct soft_block_link *l)
{
	const struct soft_tlb_entry *e =
		&cpu->tlb.fetch[cpu->cpl == 3][(cpu->rip >> SOFT_PAGE_SHIFT) & (SOFT_TLB_SIZE - 1)];
	struct soft_block *to = l->to;

	if (!to->dead && e->tag == (cpu->rip & SOFT_PAGE_MASK) && e->paddr == (to->paddr & SOFT_PAGE_MASK)) {
		l->tlb_gen = cpu->tlb_gen;
		return to;
	}
	return NULL;
}

/* The block linked from prev for the current RIP, or NULL. */
static inline struct soft_block *follow_link(struct soft_cpu *cpu, struct soft_block *prev)
{
	for (unsigned i = 0; i < 2; i++) {
		struct soft_block_link *l = &prev->link[i];
		if (l->rip == cpu->rip && l->gen == cpu->link_gen && l->cpl == cpu->cpl && l->to) {
			/* No flush since the link was made: the mapping holds even if the entry was evicted. */
			if (likely(l->tlb_gen == cpu->tlb_gen && !l->to->dead))
				return l->to;
			return link_after_flush(cpu, l);
		}
	}
	return NULL;
}

static void add_link(struct soft_cpu *cpu, struct soft_block *prev, struct soft_block *b)
{
	struct soft_block_link *l = &prev->link[prev->link_next];

	prev->link_next ^= 1;
	l->to = b;
	l->rip = cpu->rip;
	l->gen = cpu->link_gen;
	l->tlb_gen = cpu->tlb_gen;
	l->cpl = cpu->cpl;
}

int soft_cpu_run(struct soft_cpu *cpu, uint64_t max_insns, struct soft_stop *stop)
{
	struct soft_block *prev = NULL; /* the block that ran last, if it may link */
	uint64_t done = 0, rip;

	memset(stop, 0, sizeof(*stop));
	stop->reason = SOFT_STOP_BUDGET;
	cpu->stop = stop;
	reap(cpu, false);
	for (;;) {
		const struct soft_op *op, *end;
		struct soft_block *b;
		int r = SOFT_NEXT;

		if (unlikely(done >= max_insns))
			break;
		if (unlikely(cpu->event_pending)) {
			stop->reason = SOFT_STOP_EVENT;
			break;
		}
		b = prev ? follow_link(cpu, prev) : NULL;
		if (!b) {
			b = soft_cache_get(cpu);
			if (unlikely(!b))
				break; /* fetch fault or internal error, recorded in stop */
			if (prev && !b->nolink)
				add_link(cpu, prev, b);
		}
		op = b->ops;
		end = op + (b->n <= max_insns - done ? b->n : max_insns - done);
		cpu->code_dirty = false;
		/*
		 * RIP is carried in a register: only the last op of a block can
		 * branch (every control transfer ends a block), so inside a block
		 * the next RIP is rip + len and cpu->next_rip is read back only
		 * after the block. That keeps a store-to-load round trip through
		 * memory out of the per-instruction dependency chain. Handlers
		 * still see exact cpu->rip and cpu->next_rip.
		 */
		rip = cpu->rip;
		for (; op < end; op++) {
			uint64_t next = rip + op->len;
			cpu->rip = rip;
			cpu->next_rip = next;
			r = op->fn(cpu, op);
			if (unlikely(r))
				break;
			rip = next;
			if (unlikely(cpu->code_dirty)) {
				/* This block's page was written: the rest may be stale. */
				op++;
				break;
			}
		}
		if (r == SOFT_NEXT) {
			cpu->rip = cpu->next_rip; /* the last op's target, or simply the next instruction */
		} else if (r == SOFT_END) {
			cpu->rip = cpu->next_rip;
			op++;
		}
		done += (uint64_t)(op - b->ops);
		prev = b->nolink || cpu->code_dirty ? NULL : b;
		if (cpu->code_dirty)
			reap(cpu, false);
		if (r)
			break;
	}
	cpu->insns_retired += done;
	cpu->stop = NULL;
	if (stop->reason == SOFT_STOP_EXCEPTION && stop->exc.vector == SOFT_EXC_UD)
		record_insn_bytes(cpu, stop);
	if (stop->reason == SOFT_STOP_INTERNAL)
		return stop->internal.err ? stop->internal.err : -EIO;
	return 0;
}
