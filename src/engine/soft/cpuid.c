/*
 * The CPUID this engine advertises (SDM Vol. 2A, CPUID, tables 3-8 to 3-20).
 * Only what is implemented: no AVX, no XSAVE, no SSE3+, no BMI (so TZCNT is
 * BSF), no RDTSCP. Leaves outside the table read as zero.
 */
#include "engine/soft/cpu.h"

struct cpuid_leaf {
	uint32_t leaf, subleaf;
	bool indexed;       /* subleaf matters */
	uint32_t r[4];      /* EAX EBX ECX EDX */
};

#define C_STR4(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* Leaf 1 EDX: FPU TSC CX8 CMOV CLFSH FXSR SSE SSE2. ECX: CX16 POPCNT. */
#define L1_EDX ((1u << 0) | (1u << 4) | (1u << 8) | (1u << 15) | (1u << 19) | (1u << 24) | \
		(1u << 25) | (1u << 26))
#define L1_ECX ((1u << 13) | (1u << 23))
/* 80000001h ECX: LAHF/SAHF in 64-bit mode, ABM (LZCNT). EDX: SYSCALL NX LM. */
#define E1_ECX ((1u << 0) | (1u << 5))
#define E1_EDX ((1u << 11) | (1u << 20) | (1u << 29))

static const struct cpuid_leaf leaves[] = {
	{ 0x0, 0, false, { 0x7, C_STR4('G', 'e', 'n', 'u'), C_STR4('n', 't', 'e', 'l'), C_STR4('i', 'n', 'e', 'I') } },
	/* family 6 model 0x2A stepping 7; CLFLUSH line 8*8 bytes, 1 logical CPU */
	{ 0x1, 0, false, { 0x000206A7, 0x00010800, L1_ECX, L1_EDX } },
	{ 0x7, 0, true, { 0, 0, 0, 0 } },
	{ 0x80000000, 0, false, { 0x80000008, 0, 0, 0 } },
	{ 0x80000001, 0, false, { 0, 0, E1_ECX, E1_EDX } },
	{ 0x80000002, 0, false, { C_STR4('v', 'e', 's', 's'), C_STR4('e', 'l', ' ', 's'), C_STR4('o', 'f', 't', ' '), C_STR4('C', 'P', 'U', 0) } },
	{ 0x80000003, 0, false, { 0, 0, 0, 0 } },
	{ 0x80000004, 0, false, { 0, 0, 0, 0 } },
	{ 0x80000008, 0, false, { 0x3028, 0, 0, 0 } }, /* 48-bit virtual, 40-bit physical */
};

void soft_cpuid(const struct soft_cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	size_t i;

	if (cpu->cfg.cpuid) {
		cpu->cfg.cpuid(cpu->cfg.opaque, leaf, subleaf, out);
		return;
	}
	out[0] = out[1] = out[2] = out[3] = 0;
	for (i = 0; i < ARRAY_SIZE(leaves); i++) {
		const struct cpuid_leaf *l = &leaves[i];
		if (l->leaf != leaf || (l->indexed && l->subleaf != subleaf))
			continue;
		out[0] = l->r[0];
		out[1] = l->r[1];
		out[2] = l->r[2];
		out[3] = l->r[3];
		break;
	}
	/* Leaf 1 ECX bit 27 OSXSAVE stays 0 (no XSAVE); nothing depends on CR4 here. */
}
