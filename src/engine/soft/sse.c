/* The SSE/SSE2 instruction table given to the core, and operand-form decoding. */
#include "engine/soft/sse.h"

static bool sse_reg_in(const struct soft_decoded *d, unsigned i, ZydisRegisterClass cls)
{
	return i < d->nops && d->kind[i] == SOFT_OPND_REG &&
	       ZydisRegisterGetClass(d->zo[i].reg.value) == cls;
}

bool sse_opnd_is_xmm(const struct soft_decoded *d, unsigned i)
{
	return sse_reg_in(d, i, ZYDIS_REGCLASS_XMM);
}

bool sse_opnd_is_gpr(const struct soft_decoded *d, unsigned i)
{
	return sse_reg_in(d, i, ZYDIS_REGCLASS_GPR32) || sse_reg_in(d, i, ZYDIS_REGCLASS_GPR64);
}

unsigned sse_opnd_size(const struct soft_decoded *d, unsigned i)
{
	return i < d->nops ? d->zo[i].size / 8 : 0;
}

bool sse_no_mmx(const struct soft_decoded *d)
{
	for (unsigned i = 0; i < d->nops; i++)
		if (sse_reg_in(d, i, ZYDIS_REGCLASS_MMX))
			return false;
	return true;
}

int sse_fp_commit(struct soft_cpu *cpu, uint32_t flags)
{
	uint32_t unmasked = flags & ~(cpu->mxcsr >> 7) & 0x3fu;

	/*
	 * SDM Vol. 1, 11.5.1: when an unmasked pre-computation exception (IE, DE,
	 * ZE) is detected, no result is computed and the post-computation ones
	 * (OE, UE, PE) are not checked, for every element of a packed operation.
	 */
	if (unmasked & 0x7u) {
		flags &= 0x7u;
		unmasked &= 0x7u;
	}
	/*
	 * Known gap: with an unmasked OE/UE the hardware reports PE for the
	 * result rounded with an unbounded exponent; ours comes from the masked
	 * (denormalised) run, so an exact tiny result can show PE where the
	 * hardware shows none (docs/soft-cpu.md).
	 */
	cpu->mxcsr |= flags;
	if (!unmasked)
		return 0;
	/* SDM Vol. 3A 6.15 (#XM): without CR4.OSXMMEXCPT an unmasked SIMD FP exception is #UD. */
	return soft_raise(cpu, (cpu->cr4 & SOFT_CR4_OSXMMEXCPT) ? SOFT_EXC_XM : SOFT_EXC_UD);
}

static const struct sse_insn *sse_find(uint16_t mnemonic)
{
	static const struct {
		const struct sse_insn *t;
		const size_t *n;
	} tabs[] = {
		{ sse_mov_insns, &sse_mov_count },
		{ sse_int_insns, &sse_int_count },
		{ sse_fp_insns, &sse_fp_count },
	};

	for (size_t k = 0; k < ARRAY_SIZE(tabs); k++)
		for (size_t i = 0; i < *tabs[k].n; i++)
			if (tabs[k].t[i].mnemonic == mnemonic)
				return &tabs[k].t[i];
	return NULL;
}

/* Decode the generic forms: every operand checked against what the form allows. */
static int sse_decode(struct soft_op *op, const struct soft_decoded *d)
{
	const struct sse_insn *in = sse_find(op->mnemonic);
	unsigned size;

	if (!in || !sse_no_mmx(d))
		return -1;
	if (in->form == SSE_FORM_CUSTOM)
		return in->decode(op, d);
	if (!sse_opnd_is_xmm(d, 0))
		return -1;
	op->fn = in->fn;
	switch (in->form) {
	case SSE_FORM_IMM:
		if (d->nops != 2 || d->kind[1] != SOFT_OPND_IMM)
			return -1;
		return 0;
	case SSE_FORM_SHIFT:
		if (d->nops == 2 && d->kind[1] == SOFT_OPND_IMM) {
			op->aux = SSE_AUX_IMM;
			return 0;
		}
		break;
	case SSE_FORM_RMI:
		if (d->nops != 3 || d->kind[2] != SOFT_OPND_IMM)
			return -1;
		break;
	default:
		if (d->nops != 2)
			return -1;
		break;
	}
	if (d->kind[1] == SOFT_OPND_REG)
		return sse_opnd_is_xmm(d, 1) ? 0 : -1;
	if (d->kind[1] != SOFT_OPND_MEM)
		return -1;
	size = sse_opnd_size(d, 1);
	if (size != 2 && size != 4 && size != 8 && size != 16)
		return -1;
	op->aux = (uint8_t)size;
	if (size == 16 && in->form != SSE_FORM_RMU)
		op->aux |= SSE_AUX_ALIGN;
	return 0;
}

#define SSE_ENTRY(m, form, fn, dec) { ZYDIS_MNEMONIC_##m, sse_decode },
#include "engine/soft/sse_list.h"

static const struct soft_op_entry sse_entries[] = {
	SSE_MOV_LIST(SSE_ENTRY)
	SSE_INT_LIST(SSE_ENTRY)
	SSE_FP_LIST(SSE_ENTRY)
};

const struct soft_op_table soft_sse_ops = {
	.name = "sse",
	.entries = sse_entries,
	.count = ARRAY_SIZE(sse_entries),
};
