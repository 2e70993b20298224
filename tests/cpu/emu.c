/*
 * Engine side: the same layout served by a tlb_fill callback, each case
 * single-stepped until RIP reaches the end of the snippet or it stops.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "engine/soft/cpu.h"
#include "engine/soft/op.h"

struct diff_emu {
	struct soft_cpu *cpu;
	uint8_t code[4096];
	uint8_t data[DATA_SIZE];
	uint8_t ro[4096];
};

static int emu_fill(void *opaque, uint64_t va, enum soft_access acc, unsigned cpl, struct soft_tlb_fill *out)
{
	struct diff_emu *e = opaque;
	uint64_t page = va & SOFT_PAGE_MASK;
	uint32_t ec = SOFT_PFEC_U;

	if (page == CODE_VA) {
		out->host_page = e->code;
		out->prot = SOFT_ACC_READ | SOFT_ACC_WRITE | SOFT_ACC_FETCH;
	} else if (page >= DATA_VA && page < DATA_VA + DATA_SIZE) {
		out->host_page = e->data + (page - DATA_VA);
		out->prot = SOFT_ACC_READ | SOFT_ACC_WRITE;
	} else if (page == RO_VA) {
		out->host_page = e->ro;
		out->prot = SOFT_ACC_READ;
	} else {
		/* The host kernel maps most of its half: ring 3 sees protection faults there. */
		if (va >= 0xffff800000000000ull)
			ec |= SOFT_PFEC_P;
		if (acc == SOFT_ACC_WRITE)
			ec |= SOFT_PFEC_W;
		if (acc == SOFT_ACC_FETCH)
			ec |= SOFT_PFEC_I;
		return SOFT_FILL_FAULT | (int)ec;
	}
	out->paddr = page;
	out->mmio = false;
	return 0;
}

int diff_emu_create(struct diff_emu **out)
{
	struct diff_emu *e = calloc(1, sizeof(*e));
	static const struct soft_op_table *const extra[] = { &soft_sse_ops, &soft_x87_ops, &soft_fxsave_ops, NULL };
	struct soft_cpu_config cfg = { .tlb_fill = emu_fill, .user_mode = true, .extra_ops = extra };
	int r;

	if (!e)
		return -ENOMEM;
	cfg.opaque = e;
	r = soft_cpu_create(&cfg, &e->cpu);
	if (r) {
		free(e);
		return r;
	}
	memset(e->ro, 0x5a, sizeof(e->ro));
	*out = e;
	return 0;
}

void diff_emu_destroy(struct diff_emu *e)
{
	if (!e)
		return;
	soft_cpu_destroy(e->cpu);
	free(e);
}

static void run_case(struct diff_emu *e, const struct cpu_case *c, struct cpu_result *res, uint64_t budget)
{
	struct soft_cpu *cpu = e->cpu;
	uint8_t exit_jmp[EXIT_LEN];
	struct soft_stop st;
	unsigned steps;

	diff_exit_bytes(exit_jmp);
	memset(e->code, 0xcc, sizeof(e->code));
	memcpy(e->code, c->code, c->len);
	memcpy(e->code + c->len, exit_jmp, sizeof(exit_jmp));
	diff_fill_mem(e->data, c->mem_seed);
	soft_cpu_flush_code(cpu); /* the code page was rewritten behind the engine's back */
	memcpy(cpu->gpr, c->gpr, sizeof(c->gpr));
	cpu->rip = CODE_VA;
	soft_cpu_set_rflags(cpu, c->rflags);
	memcpy(cpu->xmm, c->xmm, sizeof(c->xmm));
	cpu->mxcsr = c->mxcsr;
	res->vector = -1;
	res->error_code = 0;
	res->cr2 = 0;
	for (steps = 0; steps < 200000 && cpu->rip != CODE_VA + c->len; steps++) {
		if (soft_cpu_run(cpu, budget, &st)) {
			res->vector = -3;
			break;
		}
		if (st.reason == SOFT_STOP_EXCEPTION) {
			res->vector = st.exc.vector;
			res->error_code = st.exc.error_code;
			res->cr2 = st.exc.cr2;
			break;
		}
		if (st.reason != SOFT_STOP_BUDGET) {
			res->vector = 100 + (int)st.reason;
			break;
		}
	}
	memcpy(res->gpr, cpu->gpr, sizeof(res->gpr));
	res->rip = cpu->rip;
	res->rflags = soft_cpu_get_rflags(cpu);
	memcpy(res->xmm, cpu->xmm, sizeof(res->xmm));
	res->mxcsr = cpu->mxcsr;
	memcpy(res->mem, e->data, DATA_SIZE);
}

void diff_run_emu(struct diff_emu *e, const struct cpu_case *c, struct cpu_result *res)
{
	run_case(e, c, res, 1); /* step by step: stop exactly at the snippet's end */
}

/* The snippet's exit jump is outside the layout: the run ends with a #PF there. */
void diff_run_emu_fast(struct diff_emu *e, const struct cpu_case *c, struct cpu_result *res)
{
	run_case(e, c, res, ~0ull >> 1);
}

uint64_t diff_emu_retired(const struct diff_emu *e)
{
	return e->cpu->insns_retired;
}
