/*
 * Zydis -> struct soft_op translation (done once per instruction; see op.h).
 * Zydis 4.0 decodes in 64-bit mode; the operand descriptors are copied into
 * the compact op and the handler is chosen by the mnemonic's decode
 * function. Anything no table claims becomes a #UD op (SDM Vol. 2A, 2.1:
 * undefined encodings and extensions the CPUID does not advertise).
 */
#include <errno.h>
#include <stdlib.h>

#include "engine/soft/block.h"
#include "engine/soft/int.h"

typedef int (*soft_decode_fn)(struct soft_op *op, const struct soft_decoded *d);

struct soft_decoder {
	ZydisDecoder zy;
	/* Up to 4 decode functions per mnemonic (e.g. string MOVSD, then SSE2 MOVSD). */
	soft_decode_fn fn[ZYDIS_MNEMONIC_MAX_VALUE + 1][4];
};

static const struct soft_op_table *const core_tables[] = {
	&soft_int_alu_ops, &soft_int_shift_ops, &soft_int_muldiv_ops, &soft_int_bit_ops,
	&soft_int_mov_ops, &soft_int_branch_ops, &soft_int_string_ops, &soft_int_misc_ops,
};

static void add_table(struct soft_decoder *d, const struct soft_op_table *t)
{
	size_t i;
	size_t j;
	for (i = 0; i < t->count; i++) {
		unsigned m = t->entries[i].mnemonic;
		if (m > ZYDIS_MNEMONIC_MAX_VALUE)
			continue;
		for (j = 0; j < 4; j++) {
			if (!d->fn[m][j]) {
				d->fn[m][j] = t->entries[i].decode;
				break;
			}
		}
	}
}

int soft_decoder_init(struct soft_cpu *cpu)
{
	struct soft_decoder *d = calloc(1, sizeof(*d));
	size_t i;

	if (!d)
		return -ENOMEM;
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&d->zy, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))) {
		free(d);
		return -EINVAL;
	}
	/*
	 * CPUID does not advertise BMI1, so F3 0F BC is REP BSF = BSF, as on
	 * CPUs without it; LZCNT (ABM) is advertised and decoded.
	 */
	ZydisDecoderEnableMode(&d->zy, ZYDIS_DECODER_MODE_TZCNT, ZYAN_FALSE);
	ZydisDecoderEnableMode(&d->zy, ZYDIS_DECODER_MODE_LZCNT, ZYAN_TRUE);
	ZydisDecoderEnableMode(&d->zy, ZYDIS_DECODER_MODE_MPX, ZYAN_FALSE);
	/* System tables first: they override core handlers (SYSCALL, IN/OUT, INT n). */
	if (cpu->cfg.sys_ops)
		for (i = 0; cpu->cfg.sys_ops[i]; i++)
			add_table(d, cpu->cfg.sys_ops[i]);
	for (i = 0; i < ARRAY_SIZE(core_tables); i++)
		add_table(d, core_tables[i]);
	if (cpu->cfg.extra_ops)
		for (i = 0; cpu->cfg.extra_ops[i]; i++)
			add_table(d, cpu->cfg.extra_ops[i]);
	cpu->decoder = d;
	return 0;
}

void soft_decoder_fini(struct soft_cpu *cpu)
{
	free(cpu->decoder);
	cpu->decoder = NULL;
}

/* Zydis register -> our index (GPR/XMM/ST/segment number), SOFT_REG_NONE if none. */
static uint8_t map_reg(ZydisRegister r)
{
	ZydisRegisterClass cls;
	int id;

	if (r == ZYDIS_REGISTER_NONE)
		return SOFT_REG_NONE;
	if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP)
		return SOFT_REG_RIP;
	cls = ZydisRegisterGetClass(r);
	id = ZydisRegisterGetId(r);
	if (id < 0)
		return SOFT_REG_NONE;
	if (cls == ZYDIS_REGCLASS_GPR8) {
		if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH)
			return (uint8_t)(SOFT_REG_AH + (r - ZYDIS_REGISTER_AH));
		if (r >= ZYDIS_REGISTER_SPL && r <= ZYDIS_REGISTER_DIL)
			return (uint8_t)(4 + (r - ZYDIS_REGISTER_SPL));
		if (r >= ZYDIS_REGISTER_R8B && r <= ZYDIS_REGISTER_R15B)
			return (uint8_t)(8 + (r - ZYDIS_REGISTER_R8B));
		return (uint8_t)(r - ZYDIS_REGISTER_AL);
	}
	if (cls == ZYDIS_REGCLASS_SEGMENT) {
		static const ZydisRegister order[] = { ZYDIS_REGISTER_ES, ZYDIS_REGISTER_CS,
			ZYDIS_REGISTER_SS, ZYDIS_REGISTER_DS, ZYDIS_REGISTER_FS, ZYDIS_REGISTER_GS };
		for (id = 0; id < 6; id++)
			if (order[id] == r)
				return (uint8_t)id;
		return SOFT_REG_NONE;
	}
	return (uint8_t)id;
}

static int h_undefined(struct soft_cpu *cpu, const struct soft_op *op)
{
	return soft_raise(cpu, SOFT_EXC_UD);
}

/* Zydis knows the instruction but no table does: #UD, flagged so a system engine can say so. */
static int h_unimplemented(struct soft_cpu *cpu, const struct soft_op *op)
{
	int r = soft_raise(cpu, SOFT_EXC_UD);
	if (cpu->stop)
		cpu->stop->exc.unimplemented = true;
	return r;
}

/* Fill the generic fields of op from Zydis's result. */
static void fill_generic(struct soft_op *op, uint64_t rip, const ZydisDecodedInstruction *zi,
			 const ZydisDecodedOperand *zo, struct soft_decoded *d)
{
	unsigned i, nreg = 0;
	bool have_imm = false;

	memset(op, 0, sizeof(*op));
	op->len = zi->length;
	op->mnemonic = (uint16_t)zi->mnemonic;
	op->osz = (uint8_t)(zi->operand_width / 8);
	op->r0 = op->r1 = op->base = op->index = SOFT_REG_NONE;
	op->seg = SOFT_NSREG;
	if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS)
		op->seg = SOFT_FS;
	else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS)
		op->seg = SOFT_GS;
	if (zi->attributes & ZYDIS_ATTRIB_HAS_LOCK)
		op->flags |= SOFT_OPF_LOCK;
	if (zi->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
		op->flags |= SOFT_OPF_REP;
	if (zi->attributes & ZYDIS_ATTRIB_HAS_REPNE)
		op->flags |= SOFT_OPF_REPNE;
	if (zi->address_width == 32)
		op->flags |= SOFT_OPF_ADDR32;

	d->zi = zi;
	d->zo = zo;
	d->nops = MIN((unsigned)zi->operand_count_visible, 4u);
	for (i = 0; i < 4; i++)
		d->kind[i] = SOFT_OPND_NONE;
	for (i = 0; i < d->nops; i++) {
		const ZydisDecodedOperand *o = &zo[i];
		switch (o->type) {
		case ZYDIS_OPERAND_TYPE_REGISTER:
			d->kind[i] = SOFT_OPND_REG;
			if (nreg == 0)
				op->r0 = map_reg(o->reg.value);
			else if (nreg == 1)
				op->r1 = map_reg(o->reg.value);
			nreg++;
			break;
		case ZYDIS_OPERAND_TYPE_MEMORY:
			d->kind[i] = SOFT_OPND_MEM;
			if (o->mem.type == ZYDIS_MEMOP_TYPE_AGEN || o->mem.type == ZYDIS_MEMOP_TYPE_MEM ||
			    o->mem.type == ZYDIS_MEMOP_TYPE_MIB) {
				op->flags |= SOFT_OPF_MEM;
				op->base = map_reg(o->mem.base);
				op->index = map_reg(o->mem.index);
				op->scale = o->mem.scale == 8 ? 3 : o->mem.scale == 4 ? 2 :
					    o->mem.scale == 2 ? 1 : 0;
				op->disp = o->mem.disp.has_displacement ? (int32_t)o->mem.disp.value : 0;
				/*
				 * Zydis 4.0 bug: with 67h and REX.B, "mod=00 SIB.base=101"
				 * comes back as base r13d without the disp32 it does
				 * consume; the encoding means no base + disp32 (SDM Vol. 2A,
				 * table 2-3 note 1).
				 */
				if (zi->raw.modrm.offset && zi->raw.modrm.mod == 0 && zi->raw.modrm.rm == 4 &&
				    zi->raw.sib.offset && zi->raw.sib.base == 5 && zi->raw.disp.size == 32) {
					op->base = SOFT_REG_NONE;
					op->disp = (int32_t)zi->raw.disp.value;
				}
			}
			break;
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			d->kind[i] = SOFT_OPND_IMM;
			if (!have_imm) {
				if (o->imm.is_relative)
					op->imm = rip + zi->length + (uint64_t)o->imm.value.s;
				else
					op->imm = o->imm.value.u;
				have_imm = true;
			} else {
				op->aux2 = (uint16_t)o->imm.value.u;
			}
			break;
		default:
			break;
		}
	}
	/* Relative displacement of moffs forms (A0-A3) and others without base: absolute. */
}

static bool ends_block(const ZydisDecodedInstruction *zi)
{
	switch (zi->meta.category) {
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET:
	case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSTEM:
		return true;
	default:
		break;
	}
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_LOOP:
	case ZYDIS_MNEMONIC_LOOPE:
	case ZYDIS_MNEMONIC_LOOPNE:
	case ZYDIS_MNEMONIC_JRCXZ:
	case ZYDIS_MNEMONIC_JECXZ:
	case ZYDIS_MNEMONIC_HLT:
	case ZYDIS_MNEMONIC_UD0:
	case ZYDIS_MNEMONIC_UD1:
	case ZYDIS_MNEMONIC_UD2:
	case ZYDIS_MNEMONIC_CPUID:
	case ZYDIS_MNEMONIC_POPFQ:
	case ZYDIS_MNEMONIC_POPFD:
	case ZYDIS_MNEMONIC_POPF:
	case ZYDIS_MNEMONIC_IN:
	case ZYDIS_MNEMONIC_OUT:
	/* Control transfers of the system level: a handler may go on with SOFT_NEXT. */
	case ZYDIS_MNEMONIC_IRET:
	case ZYDIS_MNEMONIC_IRETD:
	case ZYDIS_MNEMONIC_IRETQ:
	case ZYDIS_MNEMONIC_SYSRET:
	case ZYDIS_MNEMONIC_SYSEXIT:
	case ZYDIS_MNEMONIC_SYSENTER:
		return true;
	default:
		return false;
	}
}

/*
 * A non-canonical address is #SS(0) instead of #GP(0) when the reference
 * goes through SS: RSP or RBP as base, or an implicit stack access (SDM
 * Vol. 3A, 6.15 "Interrupt 12"). Only asked on that rare fault path, so
 * the instruction at RIP is simply decoded again.
 */
bool soft_insn_uses_ss(struct soft_cpu *cpu)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	uint8_t buf[15];
	unsigned i, n;

	for (n = 0; n < 15; n++) {
		const uint8_t *h;
		uint64_t pa;
		struct soft_stop *saved = cpu->stop, tmp;
		int r;
		cpu->stop = &tmp;
		r = soft_fetch_translate(cpu, cpu->rip + n, &h, &pa);
		cpu->stop = saved;
		if (r)
			break;
		buf[n] = *h;
	}
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&cpu->decoder->zy, buf, n, &zi, zo)))
		return false;
	bool explicit_ss = false, explicit_other = false, stack = false;
	uint64_t ea = 0, sp = cpu->gpr[SOFT_RSP];

	for (i = 0; i < zi.operand_count; i++) {
		const ZydisDecodedOperand *o = &zo[i];
		uint8_t b, x;
		if (o->type != ZYDIS_OPERAND_TYPE_MEMORY || o->mem.type != ZYDIS_MEMOP_TYPE_MEM)
			continue;
		if (o->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT) {
			stack = stack || o->mem.segment == ZYDIS_REGISTER_SS;
			continue;
		}
		if (o->mem.segment != ZYDIS_REGISTER_SS) {
			explicit_other = true;
			continue;
		}
		explicit_ss = true;
		b = map_reg(ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, o->mem.base));
		x = map_reg(ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, o->mem.index));
		ea = (b < 16 ? cpu->gpr[b] : 0) + (x < 16 ? cpu->gpr[x] * (o->mem.scale ? o->mem.scale : 1) : 0) +
		     (uint64_t)o->mem.disp.value;
	}
	/* PUSH m / POP m: the stack access or the explicit operand, whichever is non-canonical. */
	if (stack && (explicit_ss || explicit_other)) {
		if ((uint64_t)((int64_t)((sp - 8) << 16) >> 16) != sp - 8 ||
		    (uint64_t)((int64_t)(sp << 16) >> 16) != sp)
			return true;
		return explicit_ss && (uint64_t)((int64_t)(ea << 16) >> 16) != ea;
	}
	return stack || explicit_ss;
}

unsigned soft_decode_block(struct soft_cpu *cpu, uint64_t rip, const uint8_t *bytes, unsigned avail,
			   struct soft_op *ops, unsigned max)
{
	struct soft_decoder *dec = cpu->decoder;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	struct soft_decoded d;
	unsigned n = 0, off = 0;

	while (n < max && off < avail) {
		struct soft_op *op = &ops[n];
		ZyanStatus st = ZydisDecoderDecodeFull(&dec->zy, bytes + off, avail - off, &zi, zo);
		bool ok = false;
		unsigned j;

		if (st == ZYDIS_STATUS_NO_MORE_DATA && n == 0 && avail < 15)
			return 0; /* crosses the page: the caller fetches the rest */
		if (st == ZYDIS_STATUS_NO_MORE_DATA && n > 0)
			break;
		if (!ZYAN_SUCCESS(st)) {
			memset(op, 0, sizeof(*op));
			op->fn = h_undefined;
			op->len = 1;
			op->r0 = op->r1 = op->base = op->index = SOFT_REG_NONE;
			n++;
			break;
		}
		for (j = 0; j < 4 && !ok; j++) {
			fill_generic(op, rip + off, &zi, zo, &d);
			ok = dec->fn[zi.mnemonic][j] && dec->fn[zi.mnemonic][j](op, &d) == 0;
		}
		/* LOCK is only legal on a memory-destination RMW instruction (SDM Vol. 2B, LOCK). */
		if (!ok || !op->fn ||
		    ((op->flags & SOFT_OPF_LOCK) && !(zi.attributes & ZYDIS_ATTRIB_ACCEPTS_LOCK)))
			op->fn = dec->fn[zi.mnemonic][0] ? h_undefined : h_unimplemented;
		off += zi.length;
		n++;
		if (op->fn == h_undefined || op->fn == h_unimplemented || ends_block(&zi))
			break;
	}
	return n;
}
