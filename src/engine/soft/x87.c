/*
 * The x87 instructions static userland touches (SDM Vol. 1, chapter 8;
 * Vol. 2 per instruction): FNINIT, FLDCW/FNSTCW/FNSTSW/FNCLEX, FLD/FST/FSTP
 * of m32/m64/m80/ST(i), FILD/FIST/FISTP, FADD/FSUB(R)/FMUL/FDIV(R) and their
 * popping forms, FXCH, FCHS/FABS/FSQRT/FRNDINT, FLD1/FLDZ, FCOMI/FUCOMI(P),
 * FCOM/FUCOM(P)(P)/FTST/FXAM, FFREE(P), FNSTENV/FLDENV, FWAIT.
 *
 * Registers are the host's 80-bit long double. Arithmetic runs on the host
 * x87 under the guest's precision and rounding control with every exception
 * masked (x87_enter/leave); the exception flags raised are merged into the
 * guest's status word. Unmasked x87 exceptions set ES/B; #MF delivery on the
 * next instruction is not implemented (static userland keeps the default
 * control word, which masks them all).
 */
#include <math.h>
#include <string.h>

#include "engine/soft/op.h"

#define X87_TOP_SHIFT 11
#define X87_TOP_MASK (7u << X87_TOP_SHIFT)
#define X87_C0 (1u << 8)
#define X87_C1 (1u << 9)
#define X87_C2 (1u << 10)
#define X87_C3 (1u << 14)
#define X87_IE 0x01u
#define X87_SF 0x40u
#define X87_ES 0x80u
#define X87_B 0x8000u

/* op->aux for arithmetic: the operation and whether it pops. */
enum x87_arith { X87_ADD, X87_SUB, X87_SUBR, X87_MUL, X87_DIV, X87_DIVR };
#define X87_POP 0x10
#define X87_POP2 0x20
#define X87_UNORDERED 0x40 /* FUCOM*: QNaN is not invalid */

static unsigned x87_top(const struct soft_x87 *x)
{
	return (x->fsw >> X87_TOP_SHIFT) & 7;
}

static void x87_set_top(struct soft_x87 *x, unsigned top)
{
	x->fsw = (uint16_t)((x->fsw & ~X87_TOP_MASK) | ((top & 7) << X87_TOP_SHIFT));
}

/* Physical register of ST(i). */
static unsigned x87_phys(const struct soft_x87 *x, unsigned i)
{
	return (x87_top(x) + i) & 7;
}

static bool x87_valid(const struct soft_x87 *x, unsigned phys)
{
	return x->ftw & (1u << phys);
}

/* Reading an empty register is a stack underflow: IE|SF, value is the QNaN indefinite. */
static long double x87_get(struct soft_x87 *x, unsigned i)
{
	unsigned p = x87_phys(x, i);

	if (!x87_valid(x, p)) {
		x->fsw |= X87_IE | X87_SF;
		x->fsw &= (uint16_t)~X87_C1;
		return -NAN;
	}
	return x->st[p];
}

static void x87_set(struct soft_x87 *x, unsigned i, long double v)
{
	unsigned p = x87_phys(x, i);

	x->st[p] = v;
	x->ftw |= (uint8_t)(1u << p);
}

static void x87_push(struct soft_x87 *x, long double v)
{
	unsigned top = (x87_top(x) - 1) & 7;

	/* Pushing onto a full register is a stack overflow (C1 set). */
	if (x87_valid(x, top)) {
		x->fsw |= X87_IE | X87_SF | X87_C1;
		v = -NAN;
	}
	x87_set_top(x, top);
	x->st[top] = v;
	x->ftw |= (uint8_t)(1u << top);
}

static void x87_pop(struct soft_x87 *x)
{
	unsigned top = x87_top(x);

	x->ftw &= (uint8_t)~(1u << top);
	x87_set_top(x, top + 1);
}

/* Run host x87 code under the guest's control word, exceptions masked. */
static uint16_t x87_enter(const struct soft_cpu *cpu)
{
	uint16_t host, cw = (uint16_t)(cpu->x87.fcw | 0x3f);

	__asm__ volatile("fnstcw %0" : "=m"(host));
	__asm__ volatile("fnclex\n\tfldcw %0" : : "m"(cw) : "memory");
	return host;
}

static void x87_leave(struct soft_cpu *cpu, uint16_t host)
{
	uint16_t sw;

	__asm__ volatile("fnstsw %0" : "=m"(sw) : : "memory");
	__asm__ volatile("fnclex\n\tfldcw %0" : : "m"(host) : "memory");
	cpu->x87.fsw |= sw & 0x3f;
	if (cpu->x87.fsw & ~cpu->x87.fcw & 0x3f)
		cpu->x87.fsw |= X87_ES | X87_B;
}

/*
 * a op b on the host. The operands go through volatile objects so the
 * arithmetic cannot move outside x87_enter/x87_leave.
 */
static long double x87_compute(struct soft_cpu *cpu, unsigned kind, long double a, long double b)
{
	volatile long double va, vb, vr;
	uint16_t host = x87_enter(cpu);

	va = a;
	vb = b;
	switch (kind) {
	case X87_ADD: vr = va + vb; break;
	case X87_SUB: vr = va - vb; break;
	case X87_SUBR: vr = vb - va; break;
	case X87_MUL: vr = va * vb; break;
	case X87_DIV: vr = va / vb; break;
	default: vr = vb / va; break;
	}
	x87_leave(cpu, host);
	return vr;
}

/* Load a memory operand of op->osz bytes as a float (4, 8, 10) or integer (2, 4, 8). */
static int x87_load_mem(struct soft_cpu *cpu, const struct soft_op *op, bool integer,
			long double *out)
{
	uint8_t buf[16] = { 0 };
	uint16_t host;

	if (soft_mem_read_buf(cpu, soft_ea(cpu, op), buf, op->osz))
		return SOFT_FAULT;
	host = x87_enter(cpu);
	if (integer) {
		int16_t v16;
		int32_t v32;
		int64_t v;

		if (op->osz == 2) {
			memcpy(&v16, buf, 2);
			v = v16;
		} else if (op->osz == 4) {
			memcpy(&v32, buf, 4);
			v = v32;
		} else {
			memcpy(&v, buf, 8);
		}
		*out = (long double)v; /* exact: 64 bits of mantissa */
	} else if (op->osz == 4) {
		volatile float f;

		memcpy((void *)&f, buf, 4);
		*out = f;
	} else if (op->osz == 8) {
		volatile double d;

		memcpy((void *)&d, buf, 8);
		*out = d;
	} else {
		memcpy(out, buf, 10);
	}
	x87_leave(cpu, host);
	return 0;
}

static int h_fld(struct soft_cpu *cpu, const struct soft_op *op)
{
	long double v;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	if (op->flags & SOFT_OPF_MEM) {
		if (x87_load_mem(cpu, op, op->aux & 1, &v))
			return SOFT_FAULT;
	} else {
		v = x87_get(&cpu->x87, op->r0);
	}
	x87_push(&cpu->x87, v);
	return SOFT_NEXT;
}

static int h_fldconst(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	x87_push(&cpu->x87, op->mnemonic == ZYDIS_MNEMONIC_FLD1 ? 1.0L : 0.0L);
	return SOFT_NEXT;
}

/* FST/FSTP to memory (float sizes) or ST(i); FIST/FISTP (integers, aux & 1). */
static int h_fst(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;
	uint8_t buf[16] = { 0 };
	long double v;
	uint16_t host;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	v = x87_get(x, 0);
	if (!(op->flags & SOFT_OPF_MEM)) {
		x87_set(x, op->r0, v);
		if (op->aux & X87_POP)
			x87_pop(x);
		return SOFT_NEXT;
	}
	host = x87_enter(cpu);
	if (op->aux & 1) {
		volatile long double in = v;
		long double t = in;

		/* FISTP: rounding per RC; out of range gives the "integer indefinite". */
		if (op->osz == 2) {
			int16_t r;
			__asm__ volatile("fistps %0" : "=m"(r) : "t"(t) : "st");
			memcpy(buf, &r, 2);
		} else if (op->osz == 4) {
			int32_t r;
			__asm__ volatile("fistpl %0" : "=m"(r) : "t"(t) : "st");
			memcpy(buf, &r, 4);
		} else {
			int64_t r;
			__asm__ volatile("fistpll %0" : "=m"(r) : "t"(t) : "st");
			memcpy(buf, &r, 8);
		}
	} else if (op->osz == 4) {
		volatile float f = (float)v;
		float g = f;

		memcpy(buf, &g, 4);
	} else if (op->osz == 8) {
		volatile double d = (double)v;
		double e = d;

		memcpy(buf, &e, 8);
	} else {
		memcpy(buf, &v, 10);
	}
	x87_leave(cpu, host);
	if (soft_mem_write_buf(cpu, soft_ea(cpu, op), buf, op->osz))
		return SOFT_FAULT;
	if (op->aux & X87_POP)
		x87_pop(x);
	return SOFT_NEXT;
}

static int h_farith(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;
	unsigned kind = op->aux & 0xf, dst = 0;
	long double a, b;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	if (op->flags & SOFT_OPF_MEM) {
		if (x87_load_mem(cpu, op, false, &b))
			return SOFT_FAULT;
	} else {
		dst = op->r0;
		b = x87_get(x, op->r1);
	}
	a = x87_get(x, dst);
	x87_set(x, dst, x87_compute(cpu, kind, a, b));
	if (op->aux & X87_POP)
		x87_pop(x);
	return SOFT_NEXT;
}

static int h_fxch(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;
	unsigned i = op->r0 == SOFT_REG_NONE ? 1 : op->r0;
	long double a, b;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	a = x87_get(x, 0);
	b = x87_get(x, i);
	x87_set(x, 0, b);
	x87_set(x, i, a);
	return SOFT_NEXT;
}

/* FCHS, FABS, FSQRT, FRNDINT on ST(0). */
static int h_funary(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;
	volatile long double v;
	long double r;
	uint16_t host;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	v = x87_get(x, 0);
	host = x87_enter(cpu);
	switch (op->mnemonic) {
	case ZYDIS_MNEMONIC_FCHS: r = -v; break;
	case ZYDIS_MNEMONIC_FABS: r = fabsl(v); break;
	case ZYDIS_MNEMONIC_FSQRT: { long double t = v; __asm__ volatile("fsqrt" : "+t"(t)); r = t; break; }
	default: { long double t = v; __asm__ volatile("frndint" : "+t"(t)); r = t; break; }
	}
	x87_leave(cpu, host);
	x87_set(x, 0, r);
	return SOFT_NEXT;
}

/* Compare ST(0) with b: the relation as ZF/PF/CF-style bits (unordered: all three). */
static void x87_relation(struct soft_cpu *cpu, long double a, long double b, bool unordered_ok,
			 bool *z, bool *p, bool *c)
{
	if (isunordered(a, b)) {
		*z = *p = *c = true;
		if (!unordered_ok || issignaling(a) || issignaling(b))
			cpu->x87.fsw |= X87_IE;
	} else {
		*z = a == b;
		*p = false;
		*c = a < b;
	}
	if (cpu->x87.fsw & ~cpu->x87.fcw & 0x3f)
		cpu->x87.fsw |= X87_ES | X87_B;
}

static int h_fcomi(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;
	bool z, p, c;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	x87_relation(cpu, x87_get(x, 0), x87_get(x, op->r1), op->aux & X87_UNORDERED, &z, &p, &c);
	soft_flags_set_arith(cpu, (z ? SOFT_ZF : 0) | (p ? SOFT_PF : 0) | (c ? SOFT_CF : 0));
	if (op->aux & X87_POP)
		x87_pop(x);
	return SOFT_NEXT;
}

/* FCOM, FCOMP, FCOMPP, FUCOM, FUCOMP, FUCOMPP and FTST: C3 C2 C0 in the status word. */
static int h_fcom(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;
	long double b;
	bool z, p, c;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	if (op->mnemonic == ZYDIS_MNEMONIC_FTST)
		b = 0.0L;
	else if (op->flags & SOFT_OPF_MEM) {
		if (x87_load_mem(cpu, op, false, &b))
			return SOFT_FAULT;
	} else {
		b = x87_get(x, op->r1 == SOFT_REG_NONE ? 1 : op->r1);
	}
	x87_relation(cpu, x87_get(x, 0), b, op->aux & X87_UNORDERED, &z, &p, &c);
	x->fsw &= (uint16_t)~(X87_C0 | X87_C1 | X87_C2 | X87_C3);
	x->fsw |= (uint16_t)((z ? X87_C3 : 0) | (p ? X87_C2 : 0) | (c ? X87_C0 : 0));
	if (op->aux & (X87_POP | X87_POP2))
		x87_pop(x);
	if (op->aux & X87_POP2)
		x87_pop(x);
	return SOFT_NEXT;
}

/* FXAM: class of ST(0) in C3 C2 C0, sign in C1 (SDM Vol. 2A, FXAM table). */
static int h_fxam(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;
	unsigned p = x87_phys(x, 0), cls;
	long double v = x->st[p];

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	if (!x87_valid(x, p))
		cls = X87_C3 | X87_C0;
	else if (isnan(v))
		cls = X87_C0;
	else if (isinf(v))
		cls = X87_C2 | X87_C0;
	else if (v == 0)
		cls = X87_C3;
	else if (fpclassify(v) == FP_SUBNORMAL)
		cls = X87_C3 | X87_C2;
	else
		cls = X87_C2;
	x->fsw &= (uint16_t)~(X87_C0 | X87_C1 | X87_C2 | X87_C3);
	x->fsw |= (uint16_t)(cls | (signbit(v) ? X87_C1 : 0));
	return SOFT_NEXT;
}

static int h_ffree(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	x->ftw &= (uint8_t)~(1u << x87_phys(x, op->r0));
	if (op->aux & X87_POP)
		x87_pop(x);
	return SOFT_NEXT;
}

static int h_fninit(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	cpu->x87.fcw = 0x37f;
	cpu->x87.fsw = 0;
	cpu->x87.ftw = 0;
	cpu->x87.fop = 0;
	cpu->x87.fip = cpu->x87.fdp = 0;
	return SOFT_NEXT;
}

static int h_fnclex(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	cpu->x87.fsw &= (uint16_t)~(0xffu | X87_B);
	return SOFT_NEXT;
}

static int h_fldcw(struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t v;

	if (soft_fp_check(cpu, false) || soft_read16(cpu, soft_ea(cpu, op), &v))
		return SOFT_FAULT;
	/* Bit 6 reads as 1; bits 13-15 are reserved (read 0). */
	cpu->x87.fcw = (uint16_t)((v & 0x1f7f) | 0x40);
	if (cpu->x87.fsw & ~cpu->x87.fcw & 0x3f)
		cpu->x87.fsw |= X87_ES | X87_B;
	else
		cpu->x87.fsw &= (uint16_t)~(X87_ES | X87_B);
	return SOFT_NEXT;
}

static int h_fnstcw(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	return soft_write16(cpu, soft_ea(cpu, op), cpu->x87.fcw);
}

static int h_fnstsw(struct soft_cpu *cpu, const struct soft_op *op)
{
	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	if (op->flags & SOFT_OPF_MEM)
		return soft_write16(cpu, soft_ea(cpu, op), cpu->x87.fsw);
	cpu->gpr[SOFT_RAX] = (cpu->gpr[SOFT_RAX] & ~0xffffull) | cpu->x87.fsw;
	return SOFT_NEXT;
}

/* Full tag word (2 bits per physical register) from the abridged one (SDM Vol. 1, 8.1.7). */
static uint16_t x87_full_tags(const struct soft_x87 *x)
{
	uint16_t tw = 0;

	for (unsigned r = 0; r < 8; r++) {
		unsigned tag;

		if (!x87_valid(x, r))
			tag = 3;
		else if (x->st[r] == 0)
			tag = 1;
		else if (!isnormal(x->st[r]))
			tag = 2;
		else
			tag = 0;
		tw |= (uint16_t)(tag << (2 * r));
	}
	return tw;
}

/*
 * FNSTENV/FLDENV m28: the 32-bit protected-mode environment (SDM Vol. 1,
 * 8.1.10, figure 8-9), which 64-bit code uses: FCW, FSW, FTW, FIP, FOP|FCS,
 * FDP, FDS, each in a 32-bit slot. FNSTENV then masks every exception.
 */
static int h_fnstenv(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;
	uint32_t env[7] = { x->fcw, x->fsw, x87_full_tags(x), (uint32_t)x->fip,
			    (uint32_t)x->fop << 16, (uint32_t)x->fdp, 0 };

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	if (soft_mem_write_buf(cpu, soft_ea(cpu, op), env, sizeof(env)))
		return SOFT_FAULT;
	x->fcw |= 0x3f;
	return SOFT_NEXT;
}

static int h_fldenv(struct soft_cpu *cpu, const struct soft_op *op)
{
	struct soft_x87 *x = &cpu->x87;
	uint32_t env[7];
	uint8_t ftw = 0;

	if (soft_fp_check(cpu, false))
		return SOFT_FAULT;
	if (soft_mem_read_buf(cpu, soft_ea(cpu, op), env, sizeof(env)))
		return SOFT_FAULT;
	for (unsigned r = 0; r < 8; r++)
		if (((env[2] >> (2 * r)) & 3) != 3)
			ftw |= (uint8_t)(1u << r);
	x->fcw = (uint16_t)((env[0] & 0x1f7f) | 0x40);
	x->fsw = (uint16_t)env[1];
	x->ftw = ftw;
	x->fip = env[3];
	x->fop = (uint16_t)((env[4] >> 16) & 0x7ff);
	x->fdp = env[5];
	/* Pending unmasked exceptions keep ES/B set, as after FLDCW. */
	if (x->fsw & ~x->fcw & 0x3f)
		x->fsw |= X87_ES | X87_B;
	else
		x->fsw &= (uint16_t)~(X87_ES | X87_B);
	return SOFT_NEXT;
}

static int x87_dec_env(struct soft_op *op, const struct soft_decoded *d)
{
	if (d->nops != 1 || d->kind[0] != SOFT_OPND_MEM)
		return -1;
	op->fn = op->mnemonic == ZYDIS_MNEMONIC_FNSTENV ? h_fnstenv : h_fldenv;
	return 0;
}

static int h_fwait(struct soft_cpu *cpu, const struct soft_op *op)
{
	/* WAIT is #NM only with CR0.MP and CR0.TS both set (SDM Vol. 3A, 2.5). */
	if ((cpu->cr0 & 0xa) == 0xa)
		return soft_raise(cpu, SOFT_EXC_NM);
	return SOFT_NEXT;
}

/* ---- decoding ---- */

static bool x87_is_st(const struct soft_decoded *d, unsigned i)
{
	return i < d->nops && d->kind[i] == SOFT_OPND_REG &&
	       ZydisRegisterGetClass(d->zo[i].reg.value) == ZYDIS_REGCLASS_X87;
}

/* A lone memory operand of one of the allowed sizes: op->osz = its size. */
static int x87_mem(struct soft_op *op, const struct soft_decoded *d, unsigned sizes)
{
	unsigned size;

	if (d->nops != 1 || d->kind[0] != SOFT_OPND_MEM)
		return -1;
	size = d->zo[0].size / 8;
	if (size > 10 || !(sizes & (1u << size)))
		return -1;
	op->osz = (uint8_t)size;
	return 0;
}

#define X87_SZ(n) (1u << (n))

static int x87_dec_fld(struct soft_op *op, const struct soft_decoded *d)
{
	op->fn = h_fld;
	if (op->mnemonic == ZYDIS_MNEMONIC_FILD) {
		op->aux = 1;
		return x87_mem(op, d, X87_SZ(2) | X87_SZ(4) | X87_SZ(8));
	}
	if (d->nops == 1 && x87_is_st(d, 0))
		return 0;
	return x87_mem(op, d, X87_SZ(4) | X87_SZ(8) | X87_SZ(10));
}

static int x87_dec_fst(struct soft_op *op, const struct soft_decoded *d)
{
	bool pop = op->mnemonic == ZYDIS_MNEMONIC_FSTP || op->mnemonic == ZYDIS_MNEMONIC_FISTP;
	bool integer = op->mnemonic == ZYDIS_MNEMONIC_FIST || op->mnemonic == ZYDIS_MNEMONIC_FISTP;

	op->fn = h_fst;
	op->aux = (uint8_t)((pop ? X87_POP : 0) | (integer ? 1 : 0));
	if (!integer && d->nops == 1 && x87_is_st(d, 0))
		return 0;
	if (integer)
		return x87_mem(op, d, X87_SZ(2) | X87_SZ(4) | (pop ? X87_SZ(8) : 0));
	return x87_mem(op, d, X87_SZ(4) | X87_SZ(8) | (pop ? X87_SZ(10) : 0));
}

static int x87_dec_arith(struct soft_op *op, const struct soft_decoded *d)
{
	static const struct {
		uint16_t m;
		uint8_t aux;
	} map[] = {
		{ ZYDIS_MNEMONIC_FADD, X87_ADD }, { ZYDIS_MNEMONIC_FADDP, X87_ADD | X87_POP },
		{ ZYDIS_MNEMONIC_FSUB, X87_SUB }, { ZYDIS_MNEMONIC_FSUBP, X87_SUB | X87_POP },
		{ ZYDIS_MNEMONIC_FSUBR, X87_SUBR }, { ZYDIS_MNEMONIC_FSUBRP, X87_SUBR | X87_POP },
		{ ZYDIS_MNEMONIC_FMUL, X87_MUL }, { ZYDIS_MNEMONIC_FMULP, X87_MUL | X87_POP },
		{ ZYDIS_MNEMONIC_FDIV, X87_DIV }, { ZYDIS_MNEMONIC_FDIVP, X87_DIV | X87_POP },
		{ ZYDIS_MNEMONIC_FDIVR, X87_DIVR }, { ZYDIS_MNEMONIC_FDIVRP, X87_DIVR | X87_POP },
	};

	op->fn = h_farith;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].m == op->mnemonic)
			op->aux = map[i].aux;
	if (d->nops == 2 && x87_is_st(d, 0) && x87_is_st(d, 1))
		return 0;
	if (op->aux & X87_POP)
		return -1;
	return x87_mem(op, d, X87_SZ(4) | X87_SZ(8));
}

static int x87_dec_fcomi(struct soft_op *op, const struct soft_decoded *d)
{
	uint16_t m = op->mnemonic;

	if (d->nops != 2 || !x87_is_st(d, 0) || !x87_is_st(d, 1))
		return -1;
	op->fn = h_fcomi;
	op->aux = (uint8_t)(((m == ZYDIS_MNEMONIC_FCOMIP || m == ZYDIS_MNEMONIC_FUCOMIP) ? X87_POP : 0) |
			    ((m == ZYDIS_MNEMONIC_FUCOMI || m == ZYDIS_MNEMONIC_FUCOMIP) ? X87_UNORDERED : 0));
	return 0;
}

static int x87_dec_fcom(struct soft_op *op, const struct soft_decoded *d)
{
	uint16_t m = op->mnemonic;

	op->fn = h_fcom;
	op->aux = (uint8_t)(((m == ZYDIS_MNEMONIC_FCOMP || m == ZYDIS_MNEMONIC_FUCOMP) ? X87_POP : 0) |
			    ((m == ZYDIS_MNEMONIC_FCOMPP || m == ZYDIS_MNEMONIC_FUCOMPP) ? X87_POP2 : 0) |
			    ((m == ZYDIS_MNEMONIC_FUCOM || m == ZYDIS_MNEMONIC_FUCOMP ||
			      m == ZYDIS_MNEMONIC_FUCOMPP) ? X87_UNORDERED : 0));
	if (m == ZYDIS_MNEMONIC_FTST || d->nops == 0)
		return 0;
	/* Register forms name ST(i) (maybe with ST(0) first): r1 must be ST(i). */
	if (d->nops == 1 && x87_is_st(d, 0)) {
		op->r1 = op->r0;
		return 0;
	}
	if (d->nops == 2 && x87_is_st(d, 0) && x87_is_st(d, 1))
		return 0;
	if (m == ZYDIS_MNEMONIC_FUCOM || m == ZYDIS_MNEMONIC_FUCOMP)
		return -1;
	return x87_mem(op, d, X87_SZ(4) | X87_SZ(8));
}

static int x87_dec_simple(struct soft_op *op, const struct soft_decoded *d)
{
	switch (op->mnemonic) {
	case ZYDIS_MNEMONIC_FLD1:
	case ZYDIS_MNEMONIC_FLDZ: op->fn = h_fldconst; break;
	case ZYDIS_MNEMONIC_FCHS:
	case ZYDIS_MNEMONIC_FABS:
	case ZYDIS_MNEMONIC_FSQRT:
	case ZYDIS_MNEMONIC_FRNDINT: op->fn = h_funary; break;
	case ZYDIS_MNEMONIC_FXAM: op->fn = h_fxam; break;
	case ZYDIS_MNEMONIC_FNINIT: op->fn = h_fninit; break;
	case ZYDIS_MNEMONIC_FNCLEX: op->fn = h_fnclex; break;
	case ZYDIS_MNEMONIC_FWAIT: op->fn = h_fwait; break;
	default: return -1;
	}
	return d->nops == 0 ? 0 : -1;
}

static int x87_dec_fxch(struct soft_op *op, const struct soft_decoded *d)
{
	op->fn = h_fxch;
	return d->nops == 0 || (d->nops == 1 && x87_is_st(d, 0)) ? 0 : -1;
}

static int x87_dec_ffree(struct soft_op *op, const struct soft_decoded *d)
{
	op->fn = h_ffree;
	op->aux = op->mnemonic == ZYDIS_MNEMONIC_FFREEP ? X87_POP : 0;
	return d->nops == 1 && x87_is_st(d, 0) ? 0 : -1;
}

static int x87_dec_cw(struct soft_op *op, const struct soft_decoded *d)
{
	switch (op->mnemonic) {
	case ZYDIS_MNEMONIC_FLDCW: op->fn = h_fldcw; break;
	case ZYDIS_MNEMONIC_FNSTCW: op->fn = h_fnstcw; break;
	default:
		op->fn = h_fnstsw;
		/* FNSTSW AX */
		if (d->nops == 1 && d->kind[0] == SOFT_OPND_REG)
			return d->zo[0].reg.value == ZYDIS_REGISTER_AX ? 0 : -1;
		break;
	}
	return x87_mem(op, d, X87_SZ(2));
}

static const struct soft_op_entry x87_entries[] = {
	{ ZYDIS_MNEMONIC_FLD, x87_dec_fld }, { ZYDIS_MNEMONIC_FILD, x87_dec_fld },
	{ ZYDIS_MNEMONIC_FST, x87_dec_fst }, { ZYDIS_MNEMONIC_FSTP, x87_dec_fst },
	{ ZYDIS_MNEMONIC_FIST, x87_dec_fst }, { ZYDIS_MNEMONIC_FISTP, x87_dec_fst },
	{ ZYDIS_MNEMONIC_FADD, x87_dec_arith }, { ZYDIS_MNEMONIC_FADDP, x87_dec_arith },
	{ ZYDIS_MNEMONIC_FSUB, x87_dec_arith }, { ZYDIS_MNEMONIC_FSUBP, x87_dec_arith },
	{ ZYDIS_MNEMONIC_FSUBR, x87_dec_arith }, { ZYDIS_MNEMONIC_FSUBRP, x87_dec_arith },
	{ ZYDIS_MNEMONIC_FMUL, x87_dec_arith }, { ZYDIS_MNEMONIC_FMULP, x87_dec_arith },
	{ ZYDIS_MNEMONIC_FDIV, x87_dec_arith }, { ZYDIS_MNEMONIC_FDIVP, x87_dec_arith },
	{ ZYDIS_MNEMONIC_FDIVR, x87_dec_arith }, { ZYDIS_MNEMONIC_FDIVRP, x87_dec_arith },
	{ ZYDIS_MNEMONIC_FCOMI, x87_dec_fcomi }, { ZYDIS_MNEMONIC_FCOMIP, x87_dec_fcomi },
	{ ZYDIS_MNEMONIC_FUCOMI, x87_dec_fcomi }, { ZYDIS_MNEMONIC_FUCOMIP, x87_dec_fcomi },
	{ ZYDIS_MNEMONIC_FCOM, x87_dec_fcom }, { ZYDIS_MNEMONIC_FCOMP, x87_dec_fcom },
	{ ZYDIS_MNEMONIC_FCOMPP, x87_dec_fcom }, { ZYDIS_MNEMONIC_FUCOM, x87_dec_fcom },
	{ ZYDIS_MNEMONIC_FUCOMP, x87_dec_fcom }, { ZYDIS_MNEMONIC_FUCOMPP, x87_dec_fcom },
	{ ZYDIS_MNEMONIC_FTST, x87_dec_fcom },
	{ ZYDIS_MNEMONIC_FLD1, x87_dec_simple }, { ZYDIS_MNEMONIC_FLDZ, x87_dec_simple },
	{ ZYDIS_MNEMONIC_FCHS, x87_dec_simple }, { ZYDIS_MNEMONIC_FABS, x87_dec_simple },
	{ ZYDIS_MNEMONIC_FSQRT, x87_dec_simple }, { ZYDIS_MNEMONIC_FRNDINT, x87_dec_simple },
	{ ZYDIS_MNEMONIC_FXAM, x87_dec_simple }, { ZYDIS_MNEMONIC_FNINIT, x87_dec_simple },
	{ ZYDIS_MNEMONIC_FNCLEX, x87_dec_simple }, { ZYDIS_MNEMONIC_FWAIT, x87_dec_simple },
	{ ZYDIS_MNEMONIC_FXCH, x87_dec_fxch },
	{ ZYDIS_MNEMONIC_FFREE, x87_dec_ffree }, { ZYDIS_MNEMONIC_FFREEP, x87_dec_ffree },
	{ ZYDIS_MNEMONIC_FLDCW, x87_dec_cw }, { ZYDIS_MNEMONIC_FNSTCW, x87_dec_cw },
	{ ZYDIS_MNEMONIC_FNSTSW, x87_dec_cw },
	{ ZYDIS_MNEMONIC_FNSTENV, x87_dec_env }, { ZYDIS_MNEMONIC_FLDENV, x87_dec_env },
};

const struct soft_op_table soft_x87_ops = {
	.name = "x87",
	.entries = x87_entries,
	.count = ARRAY_SIZE(x87_entries),
};
