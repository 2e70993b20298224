/*
 * Case generation: directed templates (directed.S) times edge values, and
 * random single instructions (random bytes kept when Zydis decodes them to
 * an instruction of the integer set; memory operands are then aimed at the
 * data area by choosing the base register's value).
 */
#include <string.h>
#include <stdio.h>

#include <Zydis/Zydis.h>

#include "diff.h"

struct tmpl {
	const uint8_t *start, *end;
	const char *name;
};

extern const struct tmpl diff_tmpl_table[], diff_tmpl_table_end[];

uint64_t diff_rand(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

void diff_fill_mem(uint8_t *mem, uint64_t seed)
{
	uint64_t s = seed | 1, i;
	for (i = 0; i < DATA_SIZE; i += 8) {
		uint64_t v = diff_rand(&s);
		memcpy(mem + i, &v, 8);
	}
}

static const uint64_t edges[] = {
	0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
	0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
	0x8000000000000000ull, 0xffffffffffffffffull, 0x8000000000000001ull, 0xfffffffffffffffeull,
	0x123456789abcdef0ull, 0x00000000fffffffeull, 0xffffffff80000000ull, 0x0f0f0f0f0f0f0f0full,
};
#define NEDGES (sizeof(edges) / sizeof(edges[0]))

static uint64_t edges_pick(uint64_t *rng)
{
	return edges[diff_rand(rng) % NEDGES];
}

/* Float edge values (as bit patterns): zeros, ones, max/min, denormals, infinities, NaNs. */
static const uint32_t f32_edges[] = {
	0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f7fffff, 0x00800000, 0x00000001, 0x807fffff,
	0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00000, 0x4f000000, 0xcf000000, 0x3f000000, 0x40490fdb,
};
static const uint64_t f64_edges[] = {
	0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
	0x7fefffffffffffffull, 0x0010000000000000ull, 0x0000000000000001ull, 0x7ff0000000000000ull,
	0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff4000000000000ull, 0x43e0000000000000ull,
	0xc3e0000000000000ull, 0x41dfffffffc00000ull, 0x3fe0000000000000ull, 0x400921fb54442d18ull,
};

static void xmm_regs(struct cpu_case *c, uint64_t *rng)
{
	unsigned i, k;
	for (i = 0; i < 16; i++) {
		switch (diff_rand(rng) % 4) {
		case 0: /* random bits */
			c->xmm[i][0] = diff_rand(rng);
			c->xmm[i][1] = diff_rand(rng);
			break;
		case 1: /* doubles */
			c->xmm[i][0] = f64_edges[diff_rand(rng) % 16];
			c->xmm[i][1] = f64_edges[diff_rand(rng) % 16];
			break;
		case 2: /* floats */
			for (k = 0; k < 2; k++)
				c->xmm[i][k] = f32_edges[diff_rand(rng) % 16] |
					       (uint64_t)f32_edges[diff_rand(rng) % 16] << 32;
			break;
		default: /* integer edges */
			c->xmm[i][0] = edges_pick(rng);
			c->xmm[i][1] = edges_pick(rng);
			break;
		}
	}
	/* Default MXCSR mostly; sometimes another rounding mode, FTZ/DAZ, or unmasked exceptions. */
	c->mxcsr = 0x1f80;
	switch (diff_rand(rng) % 8) {
	case 0: c->mxcsr |= (uint32_t)(diff_rand(rng) % 4) << 13; break;
	case 1: c->mxcsr |= 0x8040; break;
	case 2: c->mxcsr &= ~(uint32_t)(diff_rand(rng) & 0x1f80); break;
	default: break;
	}
}

static void base_regs(struct cpu_case *c, uint64_t *rng)
{
	unsigned i;
	xmm_regs(c, rng);
	for (i = 0; i < 16; i++)
		c->gpr[i] = edges[diff_rand(rng) % NEDGES];
	c->gpr[6] = DATA_VA + 0x100;  /* rsi */
	c->gpr[7] = DATA_VA + 0x800;  /* rdi */
	c->gpr[5] = DATA_VA + 0x1000; /* rbp */
	c->gpr[4] = DATA_VA + 0x1800; /* rsp */
	/* IF is always set in ring 3; random arithmetic flags. */
	c->rflags = 0x202 | (diff_rand(rng) & 0x8d5);
}

unsigned diff_directed(struct cpu_case *out, unsigned max)
{
	const struct tmpl *t;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned n = 0, k;

	for (t = diff_tmpl_table; t < diff_tmpl_table_end; t++) {
		for (k = 0; k < 10 && n < max; k++) {
			struct cpu_case *c = &out[n];
			memset(c, 0, sizeof(*c));
			snprintf(c->name, sizeof(c->name), "%s #%u", t->name, k);
			c->len = (unsigned)(t->end - t->start);
			memcpy(c->code, t->start, c->len);
			base_regs(c, &rng);
			/* Make sure the classic corner pairs appear for every template. */
			if (k == 0) { c->gpr[0] = 0; c->gpr[3] = 0; c->gpr[1] = 0; }
			if (k == 1) { c->gpr[0] = ~0ull; c->gpr[3] = 1; c->gpr[1] = 1; }
			if (k == 2) { c->gpr[0] = 0x8000000000000000ull; c->gpr[3] = ~0ull; c->gpr[1] = 63; c->gpr[2] = ~0ull; }
			if (k == 3) { c->gpr[0] = 0x7fffffff; c->gpr[3] = 0x80000000; c->gpr[1] = 64; c->gpr[2] = 0; }
			if (k == 4) { c->gpr[0] = 0x80; c->gpr[3] = 0x80; c->gpr[1] = 8; c->rflags |= 1; }
			c->mem_seed = diff_rand(&rng);
			if (diff_case_finish(c))
				n++;
		}
	}
	return n;
}

/* Instructions the random generator keeps: the integer set, minus what
 * cannot be compared (CPUID/RDTSC differ by design, branches leave the
 * snippet, POPF could set TF/AC, INT n is a Linux system call gate). */
/* SSE/SSE2 (the sse*.c handlers): XMM forms only. */
static bool sse_ok(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo)
{
	unsigned i;

	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_RCPPS:   /* approximations: AMD and Intel give different bits */
	case ZYDIS_MNEMONIC_RCPSS:
	case ZYDIS_MNEMONIC_RSQRTPS:
	case ZYDIS_MNEMONIC_RSQRTSS:
	case ZYDIS_MNEMONIC_FXSAVE:  /* x87 pointer fields differ by vendor; covered by unit tests */
	case ZYDIS_MNEMONIC_FXSAVE64:
	case ZYDIS_MNEMONIC_FXRSTOR:
	case ZYDIS_MNEMONIC_FXRSTOR64:
	case ZYDIS_MNEMONIC_CVTPI2PS: /* MMX-operand conversions: not implemented by sse*.c (#UD) */
	case ZYDIS_MNEMONIC_CVTPI2PD:
	case ZYDIS_MNEMONIC_CVTPS2PI:
	case ZYDIS_MNEMONIC_CVTTPS2PI:
	case ZYDIS_MNEMONIC_CVTPD2PI:
	case ZYDIS_MNEMONIC_CVTTPD2PI:
	case ZYDIS_MNEMONIC_MASKMOVDQU: /* not implemented by sse*.c yet (#UD) */
		return false;
	default:
		break;
	}
	for (i = 0; i < zi->operand_count; i++)
		if (zo[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    ZydisRegisterGetClass(zo[i].reg.value) == ZYDIS_REGCLASS_MMX)
			return false; /* MMX-register forms */
	return true;
}

static bool random_ok(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo)
{
	unsigned i;

	if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS)
		return false; /* the host's FS base points at its TLS, which the engine does not map */
	if (zi->encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY &&
	    (zi->meta.isa_ext == ZYDIS_ISA_EXT_SSE || zi->meta.isa_ext == ZYDIS_ISA_EXT_SSE2))
		return sse_ok(zi, zo);
	switch (zi->meta.category) {
	case ZYDIS_CATEGORY_BINARY:
	case ZYDIS_CATEGORY_LOGICAL:
	case ZYDIS_CATEGORY_SHIFT:
	case ZYDIS_CATEGORY_ROTATE:
	case ZYDIS_CATEGORY_BITBYTE:
	case ZYDIS_CATEGORY_DATAXFER:
	case ZYDIS_CATEGORY_CMOV:
	case ZYDIS_CATEGORY_SETCC:
	case ZYDIS_CATEGORY_CONVERT:
	case ZYDIS_CATEGORY_SEMAPHORE:
	case ZYDIS_CATEGORY_NOP:
	case ZYDIS_CATEGORY_FLAGOP:
	case ZYDIS_CATEGORY_PUSH:
	case ZYDIS_CATEGORY_POP:
	case ZYDIS_CATEGORY_STRINGOP:
	case ZYDIS_CATEGORY_WIDENOP:
		break;
	default:
		return false;
	}
	if (zi->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
		return false;
	/* Base integer set and LZCNT/POPCNT only (SSE conversions also sit in CONVERT). */
	if (zi->meta.isa_ext != ZYDIS_ISA_EXT_BASE && zi->meta.isa_ext != ZYDIS_ISA_EXT_LONGMODE &&
	    zi->meta.isa_ext != ZYDIS_ISA_EXT_LZCNT && zi->mnemonic != ZYDIS_MNEMONIC_POPCNT)
		return false;
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_POPF:
	case ZYDIS_MNEMONIC_POPFQ:
	case ZYDIS_MNEMONIC_POPFD:
	case ZYDIS_MNEMONIC_STD: /* DF left set would be a harness problem natively; directed cases cover it */
	case ZYDIS_MNEMONIC_CLI:
	case ZYDIS_MNEMONIC_STI:
	case ZYDIS_MNEMONIC_MOVBE: /* not advertised; the host has it */
	case ZYDIS_MNEMONIC_MOVNTI:
	case ZYDIS_MNEMONIC_CRC32:
	case ZYDIS_MNEMONIC_ADCX:
	case ZYDIS_MNEMONIC_ADOX:
	case ZYDIS_MNEMONIC_ENTER:
		return false;
	case ZYDIS_MNEMONIC_BSF:
		/* F3 0F BC is TZCNT on this host (BMI1), BSF on the CPU we advertise. */
		for (i = 0; i < zi->raw.prefix_count; i++)
			if (zi->raw.prefixes[i].value == 0xf3)
				return false;
		break;
	case ZYDIS_MNEMONIC_BSWAP:
		if (zi->operand_width == 16)
			return false; /* undefined result */
		break;
	default:
		break;
	}
	for (i = 0; i < zi->operand_count; i++) {
		if (zo[i].type == ZYDIS_OPERAND_TYPE_REGISTER) {
			ZydisRegisterClass cls = ZydisRegisterGetClass(zo[i].reg.value);
			if (cls != ZYDIS_REGCLASS_GPR8 && cls != ZYDIS_REGCLASS_GPR16 &&
			    cls != ZYDIS_REGCLASS_GPR32 && cls != ZYDIS_REGCLASS_GPR64 &&
			    cls != ZYDIS_REGCLASS_FLAGS && cls != ZYDIS_REGCLASS_IP)
				return false; /* segment, control, x87, MMX, XMM registers */
		}
	}
	return true;
}

static unsigned reg_index(ZydisRegister r)
{
	ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	return (unsigned)(big - ZYDIS_REGISTER_RAX) < 16 ? (unsigned)(big - ZYDIS_REGISTER_RAX) : 16u;
}

/*
 * Half of the random cases end with an instruction that reads the flags the
 * first one produced (SETcc, ADC or SBB into r15), so the lazy-flag paths
 * that evaluate conditions are compared, not only the final RFLAGS image.
 * Only conditions whose flags are all defined after the first instruction.
 */
static void add_consumer(struct cpu_case *c, uint64_t *rng)
{
	static const uint64_t cc_flags[8] = {
		1ull << 11, 1ull << 0, 1ull << 6, (1ull << 0) | (1ull << 6), 1ull << 7, 1ull << 2,
		(1ull << 7) | (1ull << 11), (1ull << 6) | (1ull << 7) | (1ull << 11),
	};
	unsigned tries, cc, kind = (unsigned)(diff_rand(rng) % 3);
	struct cpu_case save = *c;

	if (c->len + 4 > CODE_MAX)
		return;
	if (kind > 0) {
		if (c->flags_mask & 1)
			return;
		/* adc r15, rax / sbb r15, rax */
		c->code[c->len++] = 0x49;
		c->code[c->len++] = kind == 1 ? 0x11 : 0x19;
		c->code[c->len++] = 0xc7;
	} else {
		for (tries = 0; tries < 16; tries++) {
			cc = (unsigned)(diff_rand(rng) % 16);
			if (!(cc_flags[cc >> 1] & c->flags_mask))
				break;
		}
		if (tries == 16)
			return;
		c->code[c->len++] = 0x41;   /* setcc r15b */
		c->code[c->len++] = 0x0f;
		c->code[c->len++] = (uint8_t)(0x90 + cc);
		c->code[c->len++] = 0xc7;
	}
	if (!diff_case_finish(c))
		*c = save;
}

/* One random instruction the generator keeps; returns its length (0 if none found). */
static unsigned random_insn(const ZydisDecoder *dec, uint64_t *rng, uint8_t *out, ZydisDecodedInstruction *zi,
			    ZydisDecodedOperand *zo)
{
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x65, 0x40, 0x41, 0x44, 0x48, 0x49, 0x4c, 0x4f };
	unsigned i, tries;

	for (tries = 0; tries < 100000; tries++) {
		uint8_t b[16];
		unsigned np = (unsigned)(diff_rand(rng) % 3);
		for (i = 0; i < 16; i += 8) {
			uint64_t v = diff_rand(rng);
			memcpy(b + i, &v, 8);
		}
		for (i = 0; i < np; i++)
			b[i] = prefixes[diff_rand(rng) % sizeof(prefixes)];
		/* Bias towards the two-byte map, where most of the set lives. */
		if (diff_rand(rng) % 3 == 0)
			b[np] = 0x0f;
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(dec, b, 15, zi, zo)) || !random_ok(zi, zo))
			continue;
		memcpy(out, b, zi->length);
		return zi->length;
	}
	return 0;
}

/* Aim the instruction's memory operands at the data area through their base register. */
static void aim_memory(struct cpu_case *c, const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo,
		       uint64_t *rng)
{
	unsigned i;
	for (i = 0; i < zi->operand_count; i++) {
		const ZydisDecodedOperand *o = &zo[i];
		unsigned base, index;
		uint64_t target, idx;
		if (o->type != ZYDIS_OPERAND_TYPE_MEMORY || o->mem.type != ZYDIS_MEMOP_TYPE_MEM)
			continue;
		base = reg_index(o->mem.base);
		index = reg_index(o->mem.index);
		if (base >= 16 || base == 4)
			continue;
		target = DATA_VA + 0x100 + diff_rand(rng) % (DATA_SIZE - 0x200);
		idx = index < 16 && index != base ? c->gpr[index] * (o->mem.scale ? o->mem.scale : 1) : 0;
		c->gpr[base] = target - (uint64_t)o->mem.disp.value - idx;
		if (index == base)
			c->gpr[base] = (target - (uint64_t)o->mem.disp.value) / (1 + o->mem.scale);
	}
}

static bool shift_by_cl(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo)
{
	unsigned i;
	if (zi->meta.category != ZYDIS_CATEGORY_SHIFT && zi->meta.category != ZYDIS_CATEGORY_ROTATE)
		return false;
	for (i = 0; i < zi->operand_count_visible; i++)
		if (zo[i].type == ZYDIS_OPERAND_TYPE_REGISTER && zo[i].reg.value == ZYDIS_REGISTER_CL)
			return true;
	return false;
}

/*
 * A random case: one to three random instructions (a later one never reads
 * a flag an earlier one left undefined, and only the first may shift by CL,
 * whose count the flag masking takes from the initial RCX), then half of the
 * time a flag consumer.
 */
bool diff_random_case(struct cpu_case *c, uint64_t *rng)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	unsigned k, count, tries;
	uint64_t undef = 0;
	bool rep = false;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_TZCNT, ZYAN_FALSE);
	memset(c, 0, sizeof(*c));
	base_regs(c, rng);
	count = 1 + (unsigned)(diff_rand(rng) % 3);
	for (k = 0; k < count; k++) {
		for (tries = 0; tries < 1000; tries++) {
			unsigned len = random_insn(&dec, rng, c->code + c->len, &zi, zo);
			if (!len)
				return false;
			if (k > 0 && zi.cpu_flags && (zi.cpu_flags->tested & undef))
				continue;
			if (k > 0 && shift_by_cl(&zi, zo))
				continue;
			break;
		}
		if (tries == 1000)
			break;
		/* A shift or rotate by 0 changes no flag: it never makes a flag defined again. */
		if (zi.cpu_flags && zi.meta.category != ZYDIS_CATEGORY_SHIFT && zi.meta.category != ZYDIS_CATEGORY_ROTATE)
			undef &= ~(uint64_t)(zi.cpu_flags->modified | zi.cpu_flags->set_0 | zi.cpu_flags->set_1);
		if (zi.cpu_flags)
			undef |= zi.cpu_flags->undefined;
		if (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE))
			rep = true;
		aim_memory(c, &zi, zo, rng);
		if (k == 0)
			snprintf(c->name, sizeof(c->name), "random %s", ZydisMnemonicGetString(zi.mnemonic));
		c->len += zi.length;
	}
	/* Small counts for REP so strings stay in the data area (mostly). */
	if (rep)
		c->gpr[1] = diff_rand(rng) % 64;
	c->mem_seed = diff_rand(rng);
	if (!diff_case_finish(c))
		return diff_random_case(c, rng);
	if (diff_rand(rng) & 1)
		add_consumer(c, rng);
	return true;
}
