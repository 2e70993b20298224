/*
 * Everything else of the integer set: NOPs and hints, flag instructions,
 * PUSHF/POPF, LAHF/SAHF, CPUID, RDTSC, SYSCALL (user-mode runner), HLT,
 * IN/OUT, CLI/STI, UD0/1/2, INT3, INT n (SDM Vol. 2A/2B).
 */
#include <x86intrin.h>

#include "engine/soft/int.h"

static int h_nop(struct soft_cpu *cpu, const struct soft_op *op)
{
	return SOFT_NEXT;
}

static int d_nop(struct soft_op *op, const struct soft_decoded *d)
{
	/* 0F 0D is the PREFETCH/PREFETCHW group: only memory forms exist (register forms #UD). */
	if (d->zi->opcode_map == ZYDIS_OPCODE_MAP_0F && d->zi->opcode == 0x0d && d->kind[0] == SOFT_OPND_REG)
		return -1;
	op->fn = h_nop;
	return 0;
}

/* CLFLUSH and PREFETCH* with a memory operand: PREFETCH never faults; CLFLUSH does (#PF). */
static int h_clflush(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;
	return soft_read8(cpu, soft_ea(cpu, op), &v) ? SOFT_FAULT : SOFT_NEXT;
}

static int d_clflush(struct soft_op *op, const struct soft_decoded *d)
{
	op->fn = h_clflush;
	return 0;
}

/* ---- flag instructions; aux selects ---- */
enum { F_CLC, F_STC, F_CMC, F_CLD, F_STD };

static int h_flag(struct soft_cpu *cpu, const struct soft_op *op)
{
	switch (op->aux) {
	case F_CLC:
	case F_STC:
	case F_CMC: {
		bool cf = op->aux == F_STC ? true : op->aux == F_CLC ? false : !soft_flags_cf(cpu);
		soft_flags_materialize(cpu);
		cpu->rflags = (cpu->rflags & ~SOFT_CF) | (cf ? SOFT_CF : 0);
		break;
	}
	case F_CLD: cpu->rflags &= ~SOFT_DF; break;
	default: cpu->rflags |= SOFT_DF; break;
	}
	return SOFT_NEXT;
}

#define FLAG_DEC(name, v) \
	static int d_##name(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_flag; op->aux = v; return 0; }
FLAG_DEC(clc, F_CLC)
FLAG_DEC(stc, F_STC)
FLAG_DEC(cmc, F_CMC)
FLAG_DEC(cld, F_CLD)
FLAG_DEC(std, F_STD)

static int h_lahf(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t f = soft_cpu_get_rflags(cpu) & 0xff;
	reg_set(cpu, SOFT_REG_AH, 1, f);
	return SOFT_NEXT;
}

static int h_sahf(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t ah = (cpu->gpr[SOFT_RAX] >> 8) & 0xff;
	uint64_t f = soft_flags_get(cpu);
	f = (f & SOFT_OF) | (ah & (SOFT_SF | SOFT_ZF | SOFT_AF | SOFT_PF | SOFT_CF));
	soft_flags_set_arith(cpu, f);
	return SOFT_NEXT;
}

static int d_lahf(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_lahf; return 0; }
static int d_sahf(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_sahf; return 0; }

/* PUSHF: RF and VM read as 0 in the image (SDM Vol. 2B, PUSHF). */
static int h_pushf(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t f = soft_cpu_get_rflags(cpu) & ~(SOFT_RF | SOFT_VM);
	return soft_push(cpu, op->osz, f) ? SOFT_FAULT : SOFT_NEXT;
}

/* POPF: which bits change depends on CPL and IOPL (SDM Vol. 2B, POPF, 64-bit mode). */
static int h_popf(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v, mask = SOFT_ARITH_FLAGS | SOFT_TF | SOFT_DF | SOFT_NT | SOFT_AC | SOFT_ID;
	uint64_t cur = soft_cpu_get_rflags(cpu);
	unsigned iopl = (unsigned)((cur & SOFT_IOPL) >> 12);

	if (soft_pop(cpu, op->osz, &v))
		return SOFT_FAULT;
	if (cpu->cpl == 0)
		mask |= SOFT_IOPL | SOFT_IF;
	else if (cpu->cpl <= iopl)
		mask |= SOFT_IF;
	if (op->osz == 2)
		mask &= 0xffff;
	soft_cpu_set_rflags(cpu, (cur & ~mask) | (v & mask));
	return SOFT_NEXT;
}

static int d_pushf(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_pushf; return 0; }
static int d_popf(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_popf; return 0; }

static int h_cpuid(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint32_t r[4];
	soft_cpuid(cpu, (uint32_t)cpu->gpr[SOFT_RAX], (uint32_t)cpu->gpr[SOFT_RCX], r);
	cpu->gpr[SOFT_RAX] = r[0];
	cpu->gpr[SOFT_RBX] = r[1];
	cpu->gpr[SOFT_RCX] = r[2];
	cpu->gpr[SOFT_RDX] = r[3];
	return SOFT_NEXT;
}

static int d_cpuid(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_cpuid; return 0; }

/* RDTSC: #GP(0) when CR4.TSD and CPL > 0 (SDM Vol. 2B, RDTSC). */
static int h_rdtsc(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t t;
	if ((cpu->cr4 & (1u << 2)) && cpu->cpl > 0)
		return soft_raise_gp0(cpu);
	t = (cpu->cfg.rdtsc ? cpu->cfg.rdtsc(cpu->cfg.opaque) : __rdtsc()) + cpu->tsc_offset;
	cpu->gpr[SOFT_RAX] = (uint32_t)t;
	cpu->gpr[SOFT_RDX] = t >> 32;
	return SOFT_NEXT;
}

static int d_rdtsc(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_rdtsc; return 0; }

/* SYSCALL: in user-mode runner mode the run stops so the runner emulates Linux. */
static int h_syscall(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (!cpu->cfg.user_mode)
		return soft_raise(cpu, SOFT_EXC_UD); /* the system part (MSR_LSTAR...) comes later */
	cpu->stop->reason = SOFT_STOP_SYSCALL;
	return SOFT_END;
}

static int d_syscall(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_syscall; return 0; }

static int h_hlt(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (cpu->cpl != 0)
		return soft_raise_gp0(cpu);
	cpu->stop->reason = SOFT_STOP_HLT;
	return SOFT_END;
}

static int d_hlt(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_hlt; return 0; }

static bool io_allowed(struct soft_cpu *cpu)
{
	/* No TSS I/O bitmap in this part: CPL <= IOPL or #GP(0) (SDM Vol. 1, 19.5). */
	return cpu->cpl <= ((cpu->rflags & SOFT_IOPL) >> 12);
}

/* IN/OUT: aux = 1 when the port is in DX, aux2 bit 0 = OUT. */
static int h_io(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_stop *st = cpu->stop;
	if (!io_allowed(cpu))
		return soft_raise_gp0(cpu);
	st->reason = SOFT_STOP_IO;
	st->io.port = op->aux ? (uint16_t)cpu->gpr[SOFT_RDX] : (uint16_t)op->imm;
	st->io.size = op->osz;
	st->io.write = op->aux2 & 1;
	st->io.data = st->io.write ? (uint32_t)reg_get(cpu, SOFT_RAX, op->osz) : 0;
	return SOFT_END;
}

static int d_io(struct soft_op *op, const struct soft_decoded *d, bool out)
{
	unsigned i;
	op->aux = 0;
	for (i = 0; i < d->nops; i++)
		if (d->kind[i] == SOFT_OPND_REG && d->zo[i].reg.value == ZYDIS_REGISTER_DX)
			op->aux = 1;
	/* Operand size is the accumulator's. */
	for (i = 0; i < d->nops; i++)
		if (d->kind[i] == SOFT_OPND_REG && d->zo[i].reg.value != ZYDIS_REGISTER_DX)
			op->osz = (uint8_t)(d->zo[i].size / 8);
	op->aux2 = out;
	op->fn = h_io;
	return 0;
}

static int d_in(struct soft_op *op, const struct soft_decoded *d) { return d_io(op, d, false); }
static int d_out(struct soft_op *op, const struct soft_decoded *d) { return d_io(op, d, true); }

static int h_cli_sti(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (!io_allowed(cpu))
		return soft_raise_gp0(cpu);
	if (op->aux)
		cpu->rflags |= SOFT_IF;
	else
		cpu->rflags &= ~SOFT_IF;
	return SOFT_NEXT;
}

static int d_cli(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_cli_sti; op->aux = 0; return 0; }
static int d_sti(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_cli_sti; op->aux = 1; return 0; }

static int h_ud(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_raise(cpu, SOFT_EXC_UD);
}

static int d_ud(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_ud; return 0; }

/* INT3 is a trap: reported with RIP after the instruction, as the hardware pushes it. */
static int h_int3(struct soft_cpu *cpu, const struct soft_op *op)
{
	soft_raise(cpu, SOFT_EXC_BP);
	cpu->rip = cpu->next_rip;
	return SOFT_FAULT;
}

static int d_int3(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_int3; return 0; }

/* INT n without IDT delivery (this part): the gate check fails as for a DPL-0 gate: #GP(n*8+2). */
static int h_intn(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_raise_err(cpu, SOFT_EXC_GP, (uint32_t)((op->imm & 0xff) * 8 + 2));
}

static int d_intn(struct soft_op *op, const struct soft_decoded *d) { op->fn = h_intn; return 0; }

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_NOP, d_nop },       { ZYDIS_MNEMONIC_ENDBR64, d_nop },
	{ ZYDIS_MNEMONIC_PAUSE, d_nop },     { ZYDIS_MNEMONIC_LFENCE, d_nop },
	{ ZYDIS_MNEMONIC_SFENCE, d_nop },    { ZYDIS_MNEMONIC_MFENCE, d_nop },
	{ ZYDIS_MNEMONIC_PREFETCHNTA, d_nop }, { ZYDIS_MNEMONIC_PREFETCHT0, d_nop },
	{ ZYDIS_MNEMONIC_PREFETCHT1, d_nop }, { ZYDIS_MNEMONIC_PREFETCHT2, d_nop },
	{ ZYDIS_MNEMONIC_PREFETCHW, d_nop },  { ZYDIS_MNEMONIC_CLFLUSH, d_clflush },
	{ ZYDIS_MNEMONIC_CLC, d_clc }, { ZYDIS_MNEMONIC_STC, d_stc }, { ZYDIS_MNEMONIC_CMC, d_cmc },
	{ ZYDIS_MNEMONIC_CLD, d_cld }, { ZYDIS_MNEMONIC_STD, d_std },
	{ ZYDIS_MNEMONIC_LAHF, d_lahf }, { ZYDIS_MNEMONIC_SAHF, d_sahf },
	{ ZYDIS_MNEMONIC_PUSHFQ, d_pushf }, { ZYDIS_MNEMONIC_PUSHF, d_pushf },
	{ ZYDIS_MNEMONIC_POPFQ, d_popf }, { ZYDIS_MNEMONIC_POPF, d_popf },
	{ ZYDIS_MNEMONIC_CPUID, d_cpuid }, { ZYDIS_MNEMONIC_RDTSC, d_rdtsc },
	{ ZYDIS_MNEMONIC_SYSCALL, d_syscall }, { ZYDIS_MNEMONIC_HLT, d_hlt },
	{ ZYDIS_MNEMONIC_IN, d_in }, { ZYDIS_MNEMONIC_OUT, d_out },
	{ ZYDIS_MNEMONIC_CLI, d_cli }, { ZYDIS_MNEMONIC_STI, d_sti },
	{ ZYDIS_MNEMONIC_UD0, d_ud }, { ZYDIS_MNEMONIC_UD1, d_ud }, { ZYDIS_MNEMONIC_UD2, d_ud },
	{ ZYDIS_MNEMONIC_INT3, d_int3 }, { ZYDIS_MNEMONIC_INT, d_intn },
};

SOFT_TABLE(soft_int_misc_ops, "int-misc", entries);
