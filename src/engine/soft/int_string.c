/*
 * String instructions MOVS STOS LODS CMPS SCAS with REP/REPE/REPNE and the
 * direction flag (SDM Vol. 2B, "REP/REPE/REPZ/REPNE/REPNZ"; Vol. 1, 7.3.9).
 * Every iteration commits RSI/RDI/RCX before the next, so a fault in the
 * middle leaves the registers describing exactly the work done and RIP at
 * the instruction: re-executing it resumes (as the hardware does). The
 * source segment can be overridden (FS/GS); the destination is always ES.
 * A 67h prefix selects ESI/EDI/ECX.
 */
#include "engine/soft/int.h"

enum str_kind { ST_MOVS, ST_STOS, ST_LODS, ST_CMPS, ST_SCAS };

static inline uint64_t areg(const struct soft_cpu *cpu, const struct soft_op *op, unsigned r)
{
	return op->flags & SOFT_OPF_ADDR32 ? (uint32_t)cpu->gpr[r] : cpu->gpr[r];
}

static inline void aset(struct soft_cpu *cpu, const struct soft_op *op, unsigned r, uint64_t v)
{
	cpu->gpr[r] = op->flags & SOFT_OPF_ADDR32 ? (uint32_t)v : v;
}

static inline uint64_t src_addr(const struct soft_cpu *cpu, const struct soft_op *op)
{
	uint64_t a = areg(cpu, op, SOFT_RSI);
	if (op->seg < SOFT_NSREG)
		a += cpu->seg[op->seg].base;
	return a;
}

/* One iteration; returns 0 or SOFT_FAULT. */
static inline int str_once(struct soft_cpu *cpu, const struct soft_op *op, enum str_kind k, int64_t step)
{
	unsigned s = op->osz;
	uint64_t a, b;

	switch (k) {
	case ST_MOVS:
		if (soft_read(cpu, src_addr(cpu, op), s, &a) ||
		    soft_write(cpu, areg(cpu, op, SOFT_RDI), s, a))
			return SOFT_FAULT;
		aset(cpu, op, SOFT_RSI, cpu->gpr[SOFT_RSI] + step);
		aset(cpu, op, SOFT_RDI, cpu->gpr[SOFT_RDI] + step);
		return 0;
	case ST_STOS:
		if (soft_write(cpu, areg(cpu, op, SOFT_RDI), s, cpu->gpr[SOFT_RAX]))
			return SOFT_FAULT;
		aset(cpu, op, SOFT_RDI, cpu->gpr[SOFT_RDI] + step);
		return 0;
	case ST_LODS:
		if (soft_read(cpu, src_addr(cpu, op), s, &a))
			return SOFT_FAULT;
		reg_set(cpu, SOFT_RAX, s, a);
		aset(cpu, op, SOFT_RSI, cpu->gpr[SOFT_RSI] + step);
		return 0;
	case ST_CMPS:
		if (soft_read(cpu, src_addr(cpu, op), s, &a) ||
		    soft_read(cpu, areg(cpu, op, SOFT_RDI), s, &b))
			return SOFT_FAULT;
		soft_lf_set(cpu, SOFT_LF_SUB, s, a, b, (a - b) & soft_size_mask(s));
		aset(cpu, op, SOFT_RSI, cpu->gpr[SOFT_RSI] + step);
		aset(cpu, op, SOFT_RDI, cpu->gpr[SOFT_RDI] + step);
		return 0;
	default:
		if (soft_read(cpu, areg(cpu, op, SOFT_RDI), s, &b))
			return SOFT_FAULT;
		a = reg_get(cpu, SOFT_RAX, s);
		soft_lf_set(cpu, SOFT_LF_SUB, s, a, b, (a - b) & soft_size_mask(s));
		aset(cpu, op, SOFT_RDI, cpu->gpr[SOFT_RDI] + step);
		return 0;
	}
}

/*
 * REP MOVSB/STOSB forward: copy whole page chunks while both pages hit the
 * TLB (never code pages: their write entries are never filled), updating
 * the registers after each chunk; the per-element loop finishes the rest
 * and takes any fault precisely.
 */
static void rep_fast(struct soft_cpu *cpu, const struct soft_op *op, enum str_kind k)
{
	uint64_t n = areg(cpu, op, SOFT_RCX), d = areg(cpu, op, SOFT_RDI), s = 0, chunk;
	struct soft_tlb_entry *ew, *er = NULL;

	if (op->osz != 1 || (cpu->rflags & SOFT_DF) || (op->flags & SOFT_OPF_ADDR32))
		return;
	if (k == ST_MOVS)
		s = src_addr(cpu, op);
	while (n) {
		chunk = MIN(n, SOFT_PAGE_SIZE - (d & ~SOFT_PAGE_MASK));
		if (k == ST_MOVS)
			chunk = MIN(chunk, SOFT_PAGE_SIZE - (s & ~SOFT_PAGE_MASK));
		ew = soft_tlb_entry_write(cpu, d);
		if (ew->tag != (d & SOFT_PAGE_MASK))
			return;
		if (k == ST_MOVS) {
			er = soft_tlb_entry_read(cpu, s);
			if (er->tag != (s & SOFT_PAGE_MASK))
				return;
			/* Byte order semantics: overlapping forward copies repeat the pattern. */
			uint8_t *dp = (uint8_t *)(uintptr_t)(d + ew->addend);
			const uint8_t *sp = (const uint8_t *)(uintptr_t)(s + er->addend);
			if (dp >= sp + chunk || sp >= dp + chunk)
				memcpy(dp, sp, chunk);
			else
				for (uint64_t i = 0; i < chunk; i++)
					dp[i] = sp[i];
			s += chunk;
			cpu->gpr[SOFT_RSI] += chunk;
		} else {
			memset((void *)(uintptr_t)(d + ew->addend), (int)(cpu->gpr[SOFT_RAX] & 0xff), chunk);
		}
		d += chunk;
		n -= chunk;
		cpu->gpr[SOFT_RDI] += chunk;
		cpu->gpr[SOFT_RCX] = n;
	}
}

static inline int str_run(struct soft_cpu *cpu, const struct soft_op *op, enum str_kind k)
{
	int64_t step = (cpu->rflags & SOFT_DF) ? -(int64_t)op->osz : (int64_t)op->osz;
	bool cmp = k == ST_CMPS || k == ST_SCAS;

	if (!(op->flags & (SOFT_OPF_REP | SOFT_OPF_REPNE)))
		return str_once(cpu, op, k, step) ? SOFT_FAULT : SOFT_NEXT;
	if (!cmp && (k == ST_MOVS || k == ST_STOS))
		rep_fast(cpu, op, k);
	while (areg(cpu, op, SOFT_RCX) != 0) {
		if (str_once(cpu, op, k, step))
			return SOFT_FAULT;
		aset(cpu, op, SOFT_RCX, cpu->gpr[SOFT_RCX] - 1);
		if (cmp) {
			bool zf = soft_cond(cpu, 4);
			if ((op->flags & SOFT_OPF_REP) && !zf)
				break;
			if ((op->flags & SOFT_OPF_REPNE) && zf)
				break;
		}
	}
	return SOFT_NEXT;
}

static int h_movs(struct soft_cpu *cpu, const struct soft_op *op) { return str_run(cpu, op, ST_MOVS); }
static int h_stos(struct soft_cpu *cpu, const struct soft_op *op) { return str_run(cpu, op, ST_STOS); }
static int h_lods(struct soft_cpu *cpu, const struct soft_op *op) { return str_run(cpu, op, ST_LODS); }
static int h_cmps(struct soft_cpu *cpu, const struct soft_op *op) { return str_run(cpu, op, ST_CMPS); }
static int h_scas(struct soft_cpu *cpu, const struct soft_op *op) { return str_run(cpu, op, ST_SCAS); }

/* MOVSD and CMPSD are also SSE2 mnemonics (F2 0F 10, F2 0F C2): only the one-byte map is ours. */
static int d_str(struct soft_op *op, const struct soft_decoded *d, soft_handler_fn fn)
{
	if (d->zi->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
		return -1;
	op->fn = fn;
	return 0;
}

static int d_movs(struct soft_op *op, const struct soft_decoded *d)
{
	/* F2 on MOVS/STOS/LODS acts as REP. */
	if (op->flags & SOFT_OPF_REPNE)
		op->flags = (uint8_t)((op->flags & ~SOFT_OPF_REPNE) | SOFT_OPF_REP);
	return d_str(op, d, h_movs);
}

static int d_stos(struct soft_op *op, const struct soft_decoded *d)
{
	/* F2 on MOVS/STOS/LODS acts as REP. */
	if (op->flags & SOFT_OPF_REPNE)
		op->flags = (uint8_t)((op->flags & ~SOFT_OPF_REPNE) | SOFT_OPF_REP);
	return d_str(op, d, h_stos);
}

static int d_lods(struct soft_op *op, const struct soft_decoded *d)
{
	/* F2 on MOVS/STOS/LODS acts as REP. */
	if (op->flags & SOFT_OPF_REPNE)
		op->flags = (uint8_t)((op->flags & ~SOFT_OPF_REPNE) | SOFT_OPF_REP);
	return d_str(op, d, h_lods);
}

static int d_cmps(struct soft_op *op, const struct soft_decoded *d) { return d_str(op, d, h_cmps); }
static int d_scas(struct soft_op *op, const struct soft_decoded *d) { return d_str(op, d, h_scas); }

static const struct soft_op_entry entries[] = {
	{ ZYDIS_MNEMONIC_MOVSB, d_movs }, { ZYDIS_MNEMONIC_MOVSW, d_movs },
	{ ZYDIS_MNEMONIC_MOVSD, d_movs }, { ZYDIS_MNEMONIC_MOVSQ, d_movs },
	{ ZYDIS_MNEMONIC_STOSB, d_stos }, { ZYDIS_MNEMONIC_STOSW, d_stos },
	{ ZYDIS_MNEMONIC_STOSD, d_stos }, { ZYDIS_MNEMONIC_STOSQ, d_stos },
	{ ZYDIS_MNEMONIC_LODSB, d_lods }, { ZYDIS_MNEMONIC_LODSW, d_lods },
	{ ZYDIS_MNEMONIC_LODSD, d_lods }, { ZYDIS_MNEMONIC_LODSQ, d_lods },
	{ ZYDIS_MNEMONIC_CMPSB, d_cmps }, { ZYDIS_MNEMONIC_CMPSW, d_cmps },
	{ ZYDIS_MNEMONIC_CMPSD, d_cmps }, { ZYDIS_MNEMONIC_CMPSQ, d_cmps },
	{ ZYDIS_MNEMONIC_SCASB, d_scas }, { ZYDIS_MNEMONIC_SCASW, d_scas },
	{ ZYDIS_MNEMONIC_SCASD, d_scas }, { ZYDIS_MNEMONIC_SCASQ, d_scas },
};

SOFT_TABLE(soft_int_string_ops, "int-string", entries);
