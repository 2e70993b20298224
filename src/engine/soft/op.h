/*
 * The decoded-instruction form of the soft CPU and how instruction handlers
 * are written and registered.
 *
 * Zydis decodes an instruction once (ZydisDecoderDecodeFull); the core then
 * fills a struct soft_op with everything an instruction needs at run time
 * (operands, immediate, displacement, length) and picks its handler through
 * the mnemonic tables below. Zydis's structures are never kept: a block in
 * the cache is an array of struct soft_op (40 bytes each).
 *
 * Writing a handler:
 *   static int h_foo(struct soft_cpu *cpu, const struct soft_op *op)
 *   {
 *           uint64_t v;
 *           if (soft_read64(cpu, soft_ea(cpu, op), &v))
 *                   return SOFT_FAULT;     // exception already recorded
 *           ... compute, write results only after every check passed ...
 *           return SOFT_NEXT;
 *   }
 * cpu->rip is the instruction's own address, cpu->next_rip the address after
 * it (a branch handler stores its target in cpu->next_rip). The core commits
 * next_rip to rip when the handler returns SOFT_NEXT or SOFT_END; after
 * SOFT_FAULT rip stays at the instruction, so exceptions are precise as long
 * as a handler does all its checks (reads, probes) before its first write of
 * architectural state.
 *
 * Registering handlers: a file exports one `const struct soft_op_table`
 * listing { ZydisMnemonic, decode function }. The decode function runs once
 * per decoded instruction, looks at the operand forms (struct soft_decoded)
 * and sets op->fn (and op->aux if it wants) or returns -1 for #UD. The
 * generic fields of the op (regs, memory operand, imm, size) are filled by
 * the core before it is called. The integer tables are built into the core;
 * SSE/x87/FXSAVE tables are passed in soft_cpu_config.extra_ops.
 */
#ifndef VESSEL_ENGINE_SOFT_OP_H
#define VESSEL_ENGINE_SOFT_OP_H

#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "engine/soft/cpu.h"
#include "engine/soft/mem.h"

struct soft_op;

/* Handler results. */
enum {
	SOFT_NEXT = 0,  /* done: rip = next_rip, go on */
	SOFT_END = 1,   /* done, and stop the run (cpu->stop filled): rip = next_rip */
	SOFT_FAULT = 2, /* exception recorded with soft_raise*(): rip unchanged, stop the run */
};

typedef int (*soft_handler_fn)(struct soft_cpu *cpu, const struct soft_op *op);

/* Register index values beyond 0-15. */
#define SOFT_REG_AH 16     /* 8-bit operands only: 16..19 = AH, CH, DH, BH */
#define SOFT_REG_RIP 0xfe  /* mem base only: RIP-relative (relative to next_rip) */
#define SOFT_REG_NONE 0xff

/* op->flags */
#define SOFT_OPF_LOCK 0x01
#define SOFT_OPF_REP 0x02    /* F3 on string instructions (REP/REPE) */
#define SOFT_OPF_REPNE 0x04  /* F2 on string instructions */
#define SOFT_OPF_MEM 0x08    /* has a memory operand (base/index/scale/disp/seg valid) */
#define SOFT_OPF_ADDR32 0x10 /* 67h: 32-bit address size */

/*
 * One decoded instruction (at most 40 bytes).
 *  r0, r1: the first and second explicit *register* operands in Intel
 *          operand order, skipping memory and immediate operands; a
 *          GPR (0-15, or SOFT_REG_AH.. for AH-BH), XMM (0-15), ST(i) (i) or
 *          segment register number depending on the instruction.
 *          E.g. "add [rbx], ecx": r0=RCX; "add ecx, [rbx]": r0=RCX;
 *          "add ecx, edx": r0=RCX r1=RDX; "pshufd xmm1, xmm2, 5": r0=1 r1=2.
 *  mem:    base/index (SOFT_REG_NONE if absent), scale (shift 0-3), disp,
 *          seg (SOFT_FS/SOFT_GS, or SOFT_NSREG for "no base to add").
 *  imm:    the (first) immediate, sign-extended to 64 bits as the
 *          instruction defines; relative branches: the absolute target is in imm.
 *  osz:    operand size in bytes (1, 2, 4, 8; 16 for xmm forms).
 *  aux:    handler-private (condition code, second immediate of ENTER, ...).
 */
struct soft_op {
	soft_handler_fn fn;
	uint64_t imm;
	int32_t disp;
	uint16_t mnemonic;  /* ZydisMnemonic, for messages and statistics */
	uint8_t len;        /* instruction length in bytes */
	uint8_t osz;
	uint8_t r0, r1;
	uint8_t base, index;
	uint8_t scale, seg;
	uint8_t flags;      /* SOFT_OPF_* */
	uint8_t aux;
	uint16_t aux2;
};

/* What a decode function sees: the Zydis result, only during decoding. */
enum soft_opnd_kind { SOFT_OPND_NONE, SOFT_OPND_REG, SOFT_OPND_MEM, SOFT_OPND_IMM };

struct soft_decoded {
	const ZydisDecodedInstruction *zi;
	const ZydisDecodedOperand *zo;   /* zi->operand_count_visible explicit operands first */
	unsigned nops;                    /* visible operand count */
	enum soft_opnd_kind kind[4];      /* kind of each visible operand */
};

struct soft_op_entry {
	uint16_t mnemonic; /* ZydisMnemonic */
	int (*decode)(struct soft_op *op, const struct soft_decoded *d);
};

struct soft_op_table {
	const char *name;
	const struct soft_op_entry *entries;
	size_t count;
};

/* The integer tables of the core (int_*.c), and the ones helper files provide. */
extern const struct soft_op_table soft_sse_ops;    /* sse*.c */
extern const struct soft_op_table soft_x87_ops;    /* x87*.c */
extern const struct soft_op_table soft_fxsave_ops; /* fxsave*.c */

/* ---- helpers for handlers (exc.c, flags.c, mem.c) ---- */

/* Record an exception for the current instruction; return SOFT_FAULT. */
int soft_raise(struct soft_cpu *cpu, unsigned vector);
int soft_raise_err(struct soft_cpu *cpu, unsigned vector, uint32_t error_code);
#define soft_raise_gp0(cpu) soft_raise_err((cpu), SOFT_EXC_GP, 0)

/*
 * For SSE (sse=true) and x87 handlers, before touching any state: #NM when
 * CR0.TS (or CR0.EM for x87), #UD when SSE and CR0.EM or !CR4.OSFXSR.
 * Returns 0 or SOFT_FAULT.
 */
int soft_fp_check(struct soft_cpu *cpu, bool sse);

/* Effective (linear) address of the memory operand: base + index<<scale + disp + segment base,
 * truncated to 32 bits under a 67h prefix. */
static inline uint64_t soft_ea(const struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = (uint64_t)(int64_t)op->disp;
	if (op->base < 16)
		a += cpu->gpr[op->base];
	else if (op->base == SOFT_REG_RIP)
		a += cpu->next_rip;
	if (op->index != SOFT_REG_NONE)
		a += cpu->gpr[op->index] << op->scale;
	if (unlikely(op->flags & SOFT_OPF_ADDR32))
		a = (uint32_t)a;
	if (op->seg < SOFT_NSREG)
		a += cpu->seg[op->seg].base;
	return a;
}

/* Arithmetic flags (CF PF AF ZF SF OF) now, and replacing them (e.g. COMISS). */
uint64_t soft_flags_get(struct soft_cpu *cpu);
void soft_flags_set_arith(struct soft_cpu *cpu, uint64_t arith_flags);

#endif
