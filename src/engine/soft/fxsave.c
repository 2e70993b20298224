/*
 * FXSAVE/FXRSTOR (SDM Vol. 1, 10.5.1, table 10-2 and 10-3; Vol. 2A FXSAVE).
 * The 512-byte area, 16-byte aligned (#GP(0) otherwise):
 *   0 FCW, 2 FSW, 4 abridged FTW, 6 FOP, 8 FIP (REX.W: 64 bits; else FIP32
 *   + FCS), 16 FDP (REX.W: 64 bits; else FDP32 + FDS), 24 MXCSR,
 *   28 MXCSR_MASK, 32 + 16*i ST(i) (80 bits, stack order), 160 + 16*i XMMi,
 *   416..511 reserved (left untouched by FXSAVE here, ignored by FXRSTOR).
 */
#include <string.h>

#include "engine/soft/op.h"

#define FXSAVE_SIZE 512
#define FXSAVE_MXCSR_MASK 0xffffu /* as sse.h: DAZ and every bit below 16 */

static unsigned fx_top(const struct soft_x87 *x)
{
	return (x->fsw >> 11) & 7;
}

static int h_fxsave(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint8_t area[416];
	uint64_t ea = soft_ea(cpu, op);
	const struct soft_x87 *x = &cpu->x87;
	uint32_t mask = FXSAVE_MXCSR_MASK;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	if (ea & 15)
		return soft_raise_gp0(cpu);
	memset(area, 0, sizeof(area));
	memcpy(area + 0, &x->fcw, 2);
	memcpy(area + 2, &x->fsw, 2);
	area[4] = x->ftw;
	memcpy(area + 6, &x->fop, 2);
	if (op->osz == 8) {
		memcpy(area + 8, &x->fip, 8);
		memcpy(area + 16, &x->fdp, 8);
	} else {
		/* 32-bit format: FCS/FDS are 0 in 64-bit mode's flat segments. */
		memcpy(area + 8, &x->fip, 4);
		memcpy(area + 16, &x->fdp, 4);
	}
	memcpy(area + 24, &cpu->mxcsr, 4);
	memcpy(area + 28, &mask, 4);
	for (unsigned i = 0; i < 8; i++)
		memcpy(area + 32 + 16 * i, &x->st[(fx_top(x) + i) & 7], 10);
	/* XMM8-15 are saved in 64-bit mode. */
	memcpy(area + 160, cpu->xmm, 256);
	return soft_mem_write_buf(cpu, ea, area, sizeof(area));
}

static int h_fxrstor(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint8_t area[416];
	uint64_t ea = soft_ea(cpu, op);
	struct soft_x87 *x = &cpu->x87;
	uint32_t mxcsr;
	uint16_t fsw;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	if (ea & 15)
		return soft_raise_gp0(cpu);
	if (soft_mem_read_buf(cpu, ea, area, sizeof(area)))
		return SOFT_FAULT;
	memcpy(&mxcsr, area + 24, 4);
	/* Reserved MXCSR bits set: #GP(0), and nothing is loaded. */
	if (mxcsr & ~FXSAVE_MXCSR_MASK)
		return soft_raise_gp0(cpu);
	memcpy(&x->fcw, area + 0, 2);
	memcpy(&fsw, area + 2, 2);
	x->fsw = fsw;
	x->ftw = area[4];
	memcpy(&x->fop, area + 6, 2);
	x->fip = x->fdp = 0;
	if (op->osz == 8) {
		memcpy(&x->fip, area + 8, 8);
		memcpy(&x->fdp, area + 16, 8);
	} else {
		memcpy(&x->fip, area + 8, 4);
		memcpy(&x->fdp, area + 16, 4);
	}
	cpu->mxcsr = mxcsr;
	for (unsigned i = 0; i < 8; i++) {
		unsigned phys = (fx_top(x) + i) & 7;

		memset(&x->st[phys], 0, sizeof(x->st[phys]));
		memcpy(&x->st[phys], area + 32 + 16 * i, 10);
	}
	memcpy(cpu->xmm, area + 160, 256);
	return SOFT_NEXT;
}

static int fx_decode(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->nops != 1 || d->kind[0] != SOFT_OPND_MEM)
		return -1;
	op->fn = (op->mnemonic == ZYDIS_MNEMONIC_FXSAVE || op->mnemonic == ZYDIS_MNEMONIC_FXSAVE64)
			 ? h_fxsave
			 : h_fxrstor;
	/* REX.W selects the 64-bit FIP/FDP format. */
	op->osz = (op->mnemonic == ZYDIS_MNEMONIC_FXSAVE64 ||
		   op->mnemonic == ZYDIS_MNEMONIC_FXRSTOR64) ? 8 : 4;
	return 0;
}

static const struct soft_op_entry fx_entries[] = {
	{ ZYDIS_MNEMONIC_FXSAVE, fx_decode },
	{ ZYDIS_MNEMONIC_FXSAVE64, fx_decode },
	{ ZYDIS_MNEMONIC_FXRSTOR, fx_decode },
	{ ZYDIS_MNEMONIC_FXRSTOR64, fx_decode },
};

const struct soft_op_table soft_fxsave_ops = {
	.name = "fxsave",
	.entries = fx_entries,
	.count = ARRAY_SIZE(fx_entries),
};
