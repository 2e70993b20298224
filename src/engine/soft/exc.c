/*
 * Exceptions of the soft CPU (SDM Vol. 3A, 6.3 and 6.15). This part has no
 * IDT delivery: an exception stops the run with the vector, error code and
 * CR2 in struct soft_stop, RIP at the faulting instruction (after it for the
 * INT3 trap) and no architectural state of the instruction changed.
 */
#include "engine/soft/op.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)

static bool vector_has_error_code(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

int soft_raise_err(struct soft_cpu *cpu, unsigned vector, uint32_t error_code)
{
	struct soft_stop *st = cpu->stop;

	cpu->stats.exceptions++;
	if (!st)
		return SOFT_FAULT;
	st->reason = SOFT_STOP_EXCEPTION;
	st->exc.vector = (uint8_t)vector;
	st->exc.has_error_code = vector_has_error_code(vector);
	st->exc.error_code = st->exc.has_error_code ? error_code : 0;
	if (vector != SOFT_EXC_PF)
		st->exc.cr2 = 0;
	return SOFT_FAULT;
}

int soft_raise(struct soft_cpu *cpu, unsigned vector)
{
	return soft_raise_err(cpu, vector, 0);
}

/* SDM Vol. 3A, 2.5 (CR0.EM/TS) and 13.1.3 (CR4.OSFXSR): which FP instructions may run. */
int soft_fp_check(struct soft_cpu *cpu, bool sse)
{
	if (sse) {
		if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
			return soft_raise(cpu, SOFT_EXC_UD);
		if (cpu->cr0 & CR0_TS)
			return soft_raise(cpu, SOFT_EXC_NM);
		return 0;
	}
	if (cpu->cr0 & (CR0_EM | CR0_TS))
		return soft_raise(cpu, SOFT_EXC_NM);
	return 0;
}
