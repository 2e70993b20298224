/*
 * Comparing native and engine results, with the flags each instruction
 * leaves undefined masked out (Zydis's per-instruction "undefined" sets,
 * plus the count-dependent rules of SDM Vol. 2B for shifts and rotates).
 */
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "diff.h"

#define ARITH 0x8d5ull /* CF PF AF ZF SF OF */
#define DF (1ull << 10)

static const char *const reg_names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					   "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

static bool is_shift(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_SHL || m == ZYDIS_MNEMONIC_SHR || m == ZYDIS_MNEMONIC_SAR ||
	       m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR || m == ZYDIS_MNEMONIC_RCL ||
	       m == ZYDIS_MNEMONIC_RCR || m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD;
}

bool diff_case_finish(struct cpu_case *c)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	unsigned off = 0;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_TZCNT, ZYAN_FALSE);
	c->flags_mask = 0;
	while (off < c->len) {
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, c->code + off, c->len - off, &zi, zo)))
			break;
		if (zi.cpu_flags)
			c->flags_mask |= zi.cpu_flags->undefined & ARITH;
		if (is_shift(zi.mnemonic)) {
			unsigned bits = zi.operand_width, count = 0, i;
			for (i = 1; i < zi.operand_count_visible; i++) {
				if (zo[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
					count = (unsigned)zo[i].imm.value.u;
				else if (zo[i].type == ZYDIS_OPERAND_TYPE_REGISTER && zo[i].reg.value == ZYDIS_REGISTER_CL)
					count = (unsigned)(c->gpr[1] & 0xff);
			}
			count &= bits == 64 ? 63 : 31;
			/* OF is defined only for 1-bit shifts and rotates. */
			if (count != 1)
				c->flags_mask |= 1ull << 11;
			/* SHL/SHR/SHLD/SHRD: CF undefined when the count reaches the operand size. */
			if (count >= bits && zi.mnemonic != ZYDIS_MNEMONIC_SAR && zi.mnemonic != ZYDIS_MNEMONIC_ROL &&
			    zi.mnemonic != ZYDIS_MNEMONIC_ROR && zi.mnemonic != ZYDIS_MNEMONIC_RCL &&
			    zi.mnemonic != ZYDIS_MNEMONIC_RCR)
				c->flags_mask |= 1ull << 0;
			/* SHLD/SHRD r16 with count > 16: the result itself is undefined. */
			if ((zi.mnemonic == ZYDIS_MNEMONIC_SHLD || zi.mnemonic == ZYDIS_MNEMONIC_SHRD) &&
			    bits == 16 && count > 16)
				return false;
		}
		off += zi.length;
	}
	return true;
}

bool diff_case_is_sse(const struct cpu_case *c)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	unsigned off = 0;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	while (off < c->len) {
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, c->code + off, c->len - off, &zi)))
			break;
		if (zi.meta.isa_ext == ZYDIS_ISA_EXT_SSE || zi.meta.isa_ext == ZYDIS_ISA_EXT_SSE2 ||
		    zi.meta.isa_ext == ZYDIS_ISA_EXT_X87 || zi.mnemonic == ZYDIS_MNEMONIC_FXSAVE ||
		    zi.mnemonic == ZYDIS_MNEMONIC_FXRSTOR)
			return true;
		off += zi.length;
	}
	return false;
}

#define APPEND(...)                                                                     \
	do {                                                                            \
		if (used < msglen)                                                      \
			used += (unsigned)snprintf(msg + used, msglen - used, __VA_ARGS__); \
	} while (0)

/* In the host kernel's half, whether a page is present depends on the host: ignore P there. */
static uint32_t pf_ignore(uint64_t cr2)
{
	return cr2 >= 0xffff800000000000ull ? 1u : 0u;
}

bool diff_compare(const struct cpu_case *c, const struct cpu_result *n, const struct cpu_result *e,
		  char *msg, unsigned msglen)
{
	uint64_t fm = (ARITH & ~c->flags_mask) | DF;
	unsigned used = 0, i;
	bool ok = true;

	msg[0] = 0;
	if (n->vector != e->vector) {
		APPEND(" vector native %d emu %d;", n->vector, e->vector);
		ok = false;
	} else if (n->vector == 14 && ((n->error_code ^ e->error_code) & ~pf_ignore(n->cr2) || n->cr2 != e->cr2)) {
		APPEND(" #PF native err %#x cr2 %#llx, emu err %#x cr2 %#llx;", n->error_code,
		       (unsigned long long)n->cr2, e->error_code, (unsigned long long)e->cr2);
		ok = false;
	} else if (n->vector == 13 && n->error_code != e->error_code) {
		APPEND(" #GP native err %#x emu %#x;", n->error_code, e->error_code);
		ok = false;
	}
	if (n->rip != e->rip) {
		APPEND(" rip native %#llx emu %#llx;", (unsigned long long)n->rip, (unsigned long long)e->rip);
		ok = false;
	}
	for (i = 0; i < 16; i++) {
		if (n->gpr[i] != e->gpr[i]) {
			APPEND(" %s native %#llx emu %#llx;", reg_names[i], (unsigned long long)n->gpr[i],
			       (unsigned long long)e->gpr[i]);
			ok = false;
		}
	}
	if ((n->rflags & fm) != (e->rflags & fm)) {
		APPEND(" rflags native %#llx emu %#llx (compared %#llx);", (unsigned long long)n->rflags,
		       (unsigned long long)e->rflags, (unsigned long long)fm);
		ok = false;
	}
	for (i = 0; i < 16; i++) {
		if (n->xmm[i][0] != e->xmm[i][0] || n->xmm[i][1] != e->xmm[i][1]) {
			APPEND(" xmm%u native %016llx:%016llx emu %016llx:%016llx;", i,
			       (unsigned long long)n->xmm[i][1], (unsigned long long)n->xmm[i][0],
			       (unsigned long long)e->xmm[i][1], (unsigned long long)e->xmm[i][0]);
			ok = false;
		}
	}
	if (n->mxcsr != e->mxcsr) {
		APPEND(" mxcsr native %#x emu %#x;", n->mxcsr, e->mxcsr);
		ok = false;
	}
	for (i = 0; i < DATA_SIZE; i++) {
		if (n->mem[i] != e->mem[i]) {
			APPEND(" mem[%#x] native %02x emu %02x;", i, n->mem[i], e->mem[i]);
			ok = false;
			break;
		}
	}
	return ok;
}
