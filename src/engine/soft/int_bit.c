/*
 * BT BTS BTR BTC, BSF BSR LZCNT POPCNT, BSWAP (SDM Vol. 2A/2B).
 * BT*: CF = the bit; OF SF AF PF undefined, ZF unchanged.
 * BSF/BSR: ZF = (source == 0); a zero source leaves the destination as it
 * was (what AMD documents and Intel CPUs do); CF OF SF AF PF undefined.
 * LZCNT (advertised through CPUID 80000001h ECX.ABM): CF = (source == 0),
 * ZF = (result == 0). POPCNT: ZF = (source == 0), the others cleared.
 * TZCNT is not advertised (no BMI1): F3 0F BC decodes as BSF (decode.c).
 */
#include "engine/soft/int.h"

enum bt_kind { B_BT, B_BTS, B_BTR, B_BTC };

static void set_cf_keep_zf(struct soft_cpu *cpu, bool cf)
{
	soft_flags_materialize(cpu);
	cpu->rflags = (cpu->rflags & ~SOFT_CF) | (cf ? SOFT_CF : 0);
}

static uint64_t bt_apply(enum bt_kind k, uint64_t v, unsigned bit)
{
	uint64_t m = 1ull << bit;
	switch (k) {
	case B_BTS: return v | m;
	case B_BTR: return v & ~m;
	case B_BTC: return v ^ m;
	default: return v;
	}
}

/* aux: 1 = bit offset in a register (r1 for reg dest, r0 for mem dest). */
static inline int bt_common(struct soft_cpu *cpu, const struct soft_op *op, enum bt_kind k)
{
	unsigned s = op->osz, bits = s * 8, bit;
	uint64_t v;

	if (!(op->flags & SOFT_OPF_MEM)) {
		bit = (unsigned)((op->aux ? reg_get(cpu, op->r1, s) : op->imm) & (bits - 1));
		v = reg_get(cpu, op->r0, s);
		set_cf_keep_zf(cpu, (v >> bit) & 1);
		if (k != B_BT)
			reg_set(cpu, op->r0, s, bt_apply(k, v, bit));
		return SOFT_NEXT;
	} else {
		uint64_t ea = soft_ea(cpu, op);
		if (op->aux) {
			/* Register offsets address any bit relative to the operand (signed). */
			int64_t off = soft_sext(reg_get(cpu, op->r0, s), s);
			uint64_t segbase = op->seg < SOFT_NSREG ? cpu->seg[op->seg].base : 0;
			ea = ea - segbase + (uint64_t)((off >> (s == 2 ? 4 : s == 4 ? 5 : 6)) * (int64_t)s);
			if (op->flags & SOFT_OPF_ADDR32)
				ea = (uint32_t)ea; /* the address size wraps the whole sum */
			ea += segbase;
			bit = (unsigned)(off & (bits - 1));
		} else {
			bit = (unsigned)(op->imm & (bits - 1));
		}
		if (k == B_BT ? soft_read(cpu, ea, s, &v) : soft_rmw_read(cpu, ea, s, &v))
			return SOFT_FAULT;
		if (k != B_BT && soft_write(cpu, ea, s, bt_apply(k, v, bit)))
			return SOFT_FAULT;
		set_cf_keep_zf(cpu, (v >> bit) & 1);
		return SOFT_NEXT;
	}
}

static int h_bt(struct soft_cpu *cpu, const struct soft_op *op) { return bt_common(cpu, op, B_BT); }
static int h_bts(struct soft_cpu *cpu, const struct soft_op *op) { return bt_common(cpu, op, B_BTS); }
static int h_btr(struct soft_cpu *cpu, const struct soft_op *op) { return bt_common(cpu, op, B_BTR); }
static int h_btc(struct soft_cpu *cpu, const struct soft_op *op) { return bt_common(cpu, op, B_BTC); }

static int d_bt_form(struct soft_op *op, const struct soft_decoded *d, soft_handler_fn fn)
{
	if (d->kind[1] != SOFT_OPND_REG && d->kind[1] != SOFT_OPND_IMM)
		return -1;
	if (d->kind[0] != SOFT_OPND_REG && d->kind[0] != SOFT_OPND_MEM)
		return -1;
	op->aux = d->kind[1] == SOFT_OPND_REG;
	op->fn = fn;
	return 0;
}

static int d_bt(struct soft_op *op, const struct soft_decoded *d) { return d_bt_form(op, d, h_bt); }
static int d_bts(struct soft_op *op, const struct soft_decoded *d) { return d_bt_form(op, d, h_bts); }
static int d_btr(struct soft_op *op, const struct soft_decoded *d) { return d_bt_form(op, d, h_btr); }
static int d_btc(struct soft_op *op, const struct soft_decoded *d) { return d_bt_form(op, d, h_btc); }

enum scan_kind { SC_BSF, SC_BSR, SC_LZCNT, SC_POPCNT };

static inline int scan(struct soft_cpu *cpu, const struct soft_op *op, enum scan_kind k)
{
	unsigned s = op->osz, bits = s * 8;
	uint64_t v, r, f;

	if (soft_rm_read(cpu, op, op->r1, &v))
		return SOFT_FAULT;
	f = soft_flags_get(cpu) & ~SOFT_ARITH_FLAGS;
	switch (k) {
	case SC_BSF:
	case SC_BSR:
		if (v == 0) {
			soft_flags_set_arith(cpu, SOFT_ZF | f);
			return SOFT_NEXT;
		}
		r = k == SC_BSF ? (uint64_t)__builtin_ctzll(v) : (uint64_t)(63 - __builtin_clzll(v));
		soft_flags_set_arith(cpu, f);
		break;
	case SC_LZCNT:
		r = v == 0 ? bits : (uint64_t)(__builtin_clzll(v) - (64 - bits));
		soft_flags_set_arith(cpu, (v == 0 ? SOFT_CF : 0) | (r == 0 ? SOFT_ZF : 0));
		break;
	default:
		r = (uint64_t)__builtin_popcountll(v);
		soft_flags_set_arith(cpu, v == 0 ? SOFT_ZF : 0);
		break;
	}
	reg_set(cpu, op->r0, s, r);
	return SOFT_NEXT;
}

static int h_bsf(struct soft_cpu *cpu, const struct soft_op *op) { return scan(cpu, op, SC_BSF); }
static int h_bsr(struct soft_cpu *cpu, const struct soft_op *op) { return scan(cpu, op, SC_BSR); }
static int h_lzcnt(struct soft_cpu *cpu, const struct soft_op *op) { return scan(cpu, op, SC_LZCNT); }
static int h_popcnt(struct soft_cpu *cpu, const struct soft_op *op) { return scan(cpu, op, SC_POPCNT); }

static int d_scan(struct soft_op *op, const struct soft_decoded *d, soft_handler_fn fn)
{
	if (d->kind[0] != SOFT_OPND_REG || (d->kind[1] != SOFT_OPND_REG && d->kind[1] != SOFT_OPND_MEM))
		return -1;
	op->fn = fn;
	return 0;
}

static int d_bsf(struct soft_op *op, const struct soft_decoded *d) { return d_scan(op, d, h_bsf); }
static int d_bsr(struct soft_op *op, const struct soft_decoded *d) { return d_scan(op, d, h_bsr); }
static int d_lzcnt(struct soft_op *op, const struct soft_decoded *d) { return d_scan(op, d, h_lzcnt); }
static int d_popcnt(struct soft_op *op, const struct soft_decoded *d) { return d_scan(op, d, h_popcnt); }

static int h_bswap(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v = cpu->gpr[op->r0];
	if (op->osz == 8)
		cpu->gpr[op->r0] = __builtin_bswap64(v);
	else if (op->osz == 4)
		cpu->gpr[op->r0] = __builtin_bswap32((uint32_t)v);
	else
		reg_set(cpu, op->r0, 2, 0); /* undefined; current CPUs give 0 */
	return SOFT_NEXT;
}

static int d_bswap(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->kind[0] != SOFT_OPND_REG)
		return -1;
	op->fn = h_bswap;
	return 0;
}

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_BT, d_bt },         { ZYDIS_MNEMONIC_BTS, d_bts },
	{ ZYDIS_MNEMONIC_BTR, d_btr },       { ZYDIS_MNEMONIC_BTC, d_btc },
	{ ZYDIS_MNEMONIC_BSF, d_bsf },       { ZYDIS_MNEMONIC_BSR, d_bsr },
	{ ZYDIS_MNEMONIC_LZCNT, d_lzcnt },   { ZYDIS_MNEMONIC_POPCNT, d_popcnt },
	{ ZYDIS_MNEMONIC_BSWAP, d_bswap },
};

SOFT_TABLE(soft_int_bit_ops, "int-bit", entries);
