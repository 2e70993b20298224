/*
 * Unit tests of event delivery in the soft CPU's system level
 * (src/engine/soft/sys_event.c, SDM Vol. 3A 6.14-6.15): stack switch to
 * TSS.RSP0 on a privilege change, IST stacks, the frame layout, interrupt
 * vs trap gates, the DPL check of INT n, #DF and the triple fault, and the
 * way back with IRETQ. Memory is identity-mapped without paging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/soft/sys.h"

#define MEM_SIZE (64 * 1024)
#define GDT 0x0000
#define IDT 0x1000
#define TSS 0x2000
#define USER_CODE 0x3000
#define HANDLER 0x4000
#define KSTACK 0x8000
#define ISTACK 0x9000
#define USTACK 0xa000

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS 0x28

struct env {
	uint8_t mem[MEM_SIZE];
	struct soft_cpu *cpu;
	struct soft_stop stop;
};

static int fill(void *opaque, uint64_t va, enum soft_access acc, unsigned cpl, struct soft_tlb_fill *out)
{
	struct env *e = opaque;

	if (va >= MEM_SIZE)
		return SOFT_FILL_FAULT | (cpl == 3 ? SOFT_PFEC_U : 0);
	out->host_page = e->mem + (va & ~0xfffull);
	out->paddr = va & ~0xfffull;
	out->prot = SOFT_ACC_READ | SOFT_ACC_WRITE | SOFT_ACC_FETCH;
	return 0;
}

static void put64(struct env *e, uint64_t at, uint64_t v)
{
	memcpy(e->mem + at, &v, 8);
}

static uint64_t get64(struct env *e, uint64_t at)
{
	uint64_t v;
	memcpy(&v, e->mem + at, 8);
	return v;
}

/* IDT gate (SDM Vol. 3A, figure 6-8): type 0xe interrupt, 0xf trap. */
static void set_gate(struct env *e, unsigned vec, uint64_t target, unsigned type, unsigned dpl, unsigned ist)
{
	uint64_t lo = (target & 0xffff) | ((uint64_t)SEL_KCODE << 16) | ((uint64_t)ist << 32) |
		      ((uint64_t)type << 40) | ((uint64_t)dpl << 45) | (1ull << 47) |
		      (((target >> 16) & 0xffff) << 48);
	put64(e, IDT + vec * 16, lo);
	put64(e, IDT + vec * 16 + 8, target >> 32);
}

static int setup(void **state)
{
	static const struct soft_op_table *const sys[] = { &soft_sys_seg_ops, &soft_sys_event_ops, &soft_sys_ctl_ops, NULL };
	struct env *e = test_calloc(1, sizeof(*e));
	struct soft_cpu_config cfg = { .tlb_fill = fill, .sys_ops = sys };
	struct soft_cpu *c;

	cfg.opaque = e;
	assert_int_equal(soft_cpu_create(&cfg, &e->cpu), 0);
	c = e->cpu;
	soft_sys_reset(c);
	put64(e, GDT + SEL_KCODE, 0x00af9b000000ffffull);
	put64(e, GDT + SEL_KDATA, 0x00cf93000000ffffull);
	put64(e, GDT + SEL_UDATA, 0x00cff3000000ffffull);
	put64(e, GDT + SEL_UCODE, 0x00affb000000ffffull);
	/* 64-bit TSS, busy, limit 0x67 */
	put64(e, GDT + SEL_TSS, 0x67 | ((uint64_t)TSS << 16) | (0xbull << 40) | (1ull << 47));
	put64(e, GDT + SEL_TSS + 8, 0);
	put64(e, TSS + 4, KSTACK);        /* RSP0 */
	put64(e, TSS + 0x24, ISTACK);     /* IST1 */
	c->sys.gdt.base = GDT;
	c->sys.gdt.limit = 0x37;
	c->sys.idt.base = IDT;
	c->sys.idt.limit = 0xfff;
	soft_seg_from_desc(&c->sys.tr, SEL_TSS, get64(e, GDT + SEL_TSS));
	/* Ring 3, IF=1, at user code. */
	soft_seg_from_desc(&c->seg[SOFT_CS], SEL_UCODE | 3, get64(e, GDT + SEL_UCODE));
	soft_seg_from_desc(&c->seg[SOFT_SS], SEL_UDATA | 3, get64(e, GDT + SEL_UDATA));
	c->cpl = 3;
	c->rip = USER_CODE;
	c->gpr[SOFT_RSP] = USTACK;
	soft_cpu_set_rflags(c, 0x202);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	soft_cpu_destroy(e->cpu);
	test_free(e);
	return 0;
}

static void test_pf_from_ring3_switches_to_rsp0(void **state)
{
	struct env *e = *state;
	struct soft_cpu *c = e->cpu;
	uint64_t sp;

	set_gate(e, 14, HANDLER, 0xe, 0, 0);
	assert_int_equal(soft_sys_deliver(c, 14, SOFT_EV_EXCEPTION, true, 0x6), SOFT_DELIVER_OK);
	sp = KSTACK - 6 * 8;
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->rip, HANDLER);
	assert_int_equal(c->gpr[SOFT_RSP], sp);
	assert_int_equal(c->seg[SOFT_CS].selector, SEL_KCODE);
	assert_int_equal(c->seg[SOFT_SS].selector, 0); /* null SS with RPL 0 */
	assert_false(soft_cpu_get_rflags(c) & SOFT_IF); /* interrupt gate */
	assert_int_equal(get64(e, sp), 0x6);
	assert_int_equal(get64(e, sp + 8), USER_CODE);
	assert_int_equal(get64(e, sp + 16), SEL_UCODE | 3);
	assert_int_equal(get64(e, sp + 24), 0x202);
	assert_int_equal(get64(e, sp + 32), USTACK);
	assert_int_equal(get64(e, sp + 40), SEL_UDATA | 3);

	/* The handler: add rsp, 8; iretq -> back in ring 3 with IF=1. */
	static const uint8_t code[] = { 0x48, 0x83, 0xc4, 0x08, 0x48, 0xcf };
	memcpy(e->mem + HANDLER, code, sizeof(code));
	assert_int_equal(soft_cpu_run(c, 2, &e->stop), 0);
	assert_int_equal(e->stop.reason, SOFT_STOP_IRQ_WINDOW); /* IF went 0 -> 1 */
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->rip, USER_CODE);
	assert_int_equal(c->gpr[SOFT_RSP], USTACK);
	assert_int_equal(c->seg[SOFT_CS].selector, SEL_UCODE | 3);
	assert_int_equal(c->seg[SOFT_SS].selector, SEL_UDATA | 3);
	assert_true(soft_cpu_get_rflags(c) & SOFT_IF);
}

static void test_ist_and_trap_gate(void **state)
{
	struct env *e = *state;
	struct soft_cpu *c = e->cpu;

	/* From ring 0 on some stack: IST1 is used all the same, frame aligned to 16. */
	c->cpl = 0;
	soft_seg_from_desc(&c->seg[SOFT_CS], SEL_KCODE, get64(e, GDT + SEL_KCODE));
	soft_seg_from_desc(&c->seg[SOFT_SS], SEL_KDATA, get64(e, GDT + SEL_KDATA));
	c->gpr[SOFT_RSP] = KSTACK - 0x108;
	set_gate(e, 2, HANDLER, 0xf, 0, 1);
	assert_int_equal(soft_sys_deliver(c, 2, SOFT_EV_NMI, false, 0), SOFT_DELIVER_OK);
	assert_int_equal(c->gpr[SOFT_RSP], ISTACK - 5 * 8);
	assert_int_equal(get64(e, ISTACK - 8 * 2), KSTACK - 0x108); /* old RSP */
	assert_true(c->sys.nmi_blocked);
	assert_true(soft_cpu_get_rflags(c) & SOFT_IF); /* trap gate keeps IF */
	assert_int_equal(c->seg[SOFT_SS].selector, SEL_KDATA); /* same CPL: SS stays */
	assert_int_equal(get64(e, ISTACK - 8), SEL_KDATA);      /* and is pushed as it was */
}

static void test_int_n_dpl_check(void **state)
{
	struct env *e = *state;
	struct soft_cpu *c = e->cpu;
	static const uint8_t code[] = { 0xcd, 0x80 }; /* int 0x80 */

	memcpy(e->mem + USER_CODE, code, sizeof(code));
	set_gate(e, 13, HANDLER + 0x100, 0xe, 0, 0);
	set_gate(e, 0x80, HANDLER, 0xe, 0, 0);
	assert_int_equal(soft_cpu_run(c, 1, &e->stop), 0);
	assert_int_equal(e->stop.reason, SOFT_STOP_EXCEPTION);
	assert_true(e->stop.exc.soft_int);
	assert_int_equal(e->stop.exc.vector, 0x80);
	assert_int_equal(c->rip, USER_CODE + 2);
	/* DPL 0 gate from ring 3: #GP(0x80 * 8 + 2), pushed RIP = after the INT. */
	assert_int_equal(soft_sys_deliver(c, 0x80, SOFT_EV_SOFTWARE, false, 0), SOFT_DELIVER_OK);
	assert_int_equal(c->rip, HANDLER + 0x100);
	assert_int_equal(get64(e, KSTACK - 48), 0x80 * 8 + 2);
	assert_int_equal(get64(e, KSTACK - 40), USER_CODE + 2);

	/* With a DPL 3 gate the call goes through, without an error code. */
	teardown(state);
	setup(state);
	e = *state;
	c = e->cpu;
	set_gate(e, 0x80, HANDLER, 0xf, 3, 0);
	c->rip = USER_CODE + 2;
	assert_int_equal(soft_sys_deliver(c, 0x80, SOFT_EV_SOFTWARE, false, 0), SOFT_DELIVER_OK);
	assert_int_equal(c->rip, HANDLER);
	assert_int_equal(c->gpr[SOFT_RSP], KSTACK - 40);
	assert_int_equal(get64(e, KSTACK - 40), USER_CODE + 2);
}

static void test_double_and_triple_fault(void **state)
{
	struct env *e = *state;
	struct soft_cpu *c = e->cpu;

	/* The IDT holds vectors 0-8 only: #PF -> #GP (IDT limit) -> #DF with error code 0. */
	set_gate(e, 8, HANDLER + 0x200, 0xe, 0, 1);
	c->sys.idt.limit = 9 * 16 - 1;
	assert_int_equal(soft_sys_deliver(c, 14, SOFT_EV_EXCEPTION, true, 0x4), SOFT_DELIVER_OK);
	assert_int_equal(c->rip, HANDLER + 0x200);
	assert_int_equal(c->gpr[SOFT_RSP], ISTACK - 48);
	assert_int_equal(get64(e, ISTACK - 48), 0);
	/* An external interrupt through a missing gate is #GP with EXT, not #DF. */
	set_gate(e, 13, HANDLER + 0x300, 0xe, 0, 0);
	c->sys.idt.limit = 14 * 16 - 1;
	assert_int_equal(soft_sys_deliver(c, 0x40, SOFT_EV_EXTERNAL, false, 0), SOFT_DELIVER_OK);
	assert_int_equal(c->rip, HANDLER + 0x300);
	assert_int_equal(get64(e, c->gpr[SOFT_RSP]), 0x40 * 8 + 2 + 1);
	/* No IDT at all: #PF -> #GP -> #DF -> triple fault. */
	c->sys.idt.limit = 0;
	assert_int_equal(soft_sys_deliver(c, 14, SOFT_EV_EXCEPTION, true, 0), SOFT_DELIVER_SHUTDOWN);
}

static void test_sysret_syscall_round_trip(void **state)
{
	struct env *e = *state;
	struct soft_cpu *c = e->cpu;
	/* user: syscall; kernel at HANDLER: sysretq */
	static const uint8_t ucode[] = { 0x0f, 0x05 };
	static const uint8_t kcode[] = { 0x48, 0x0f, 0x07 };

	memcpy(e->mem + USER_CODE, ucode, sizeof(ucode));
	memcpy(e->mem + HANDLER, kcode, sizeof(kcode));
	c->efer |= SOFT_EFER_SCE;
	/* STAR: kernel CS 0x08 (SS 0x10); SYSRET base 0x10 -> CS 0x20|3, SS 0x18|3. */
	c->sys.star = ((uint64_t)0x10 << 48) | ((uint64_t)SEL_KCODE << 32);
	c->sys.lstar = HANDLER;
	c->sys.sfmask = SOFT_IF | SOFT_DF;
	soft_cpu_set_rflags(c, 0x202 | SOFT_DF);
	assert_int_equal(soft_cpu_run(c, 1, &e->stop), 0);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->rip, HANDLER);
	assert_int_equal(c->gpr[SOFT_RCX], USER_CODE + 2);
	assert_int_equal(c->gpr[SOFT_R11], 0x202 | SOFT_DF);
	assert_false(soft_cpu_get_rflags(c) & (SOFT_IF | SOFT_DF));
	assert_int_equal(c->seg[SOFT_SS].selector, SEL_KDATA);
	assert_int_equal(soft_cpu_run(c, 1, &e->stop), 0);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->rip, USER_CODE + 2);
	assert_int_equal(c->seg[SOFT_CS].selector, SEL_UCODE | 3);
	assert_int_equal(c->seg[SOFT_SS].selector, SEL_UDATA | 3);
	assert_int_equal(soft_cpu_get_rflags(c), 0x202 | SOFT_DF);
	/* SYSRET from ring 3 is #GP(0). */
	memcpy(e->mem + USER_CODE + 2, kcode, sizeof(kcode));
	assert_int_equal(soft_cpu_run(c, 1, &e->stop), 0);
	assert_int_equal(e->stop.reason, SOFT_STOP_EXCEPTION);
	assert_int_equal(e->stop.exc.vector, SOFT_EXC_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pf_from_ring3_switches_to_rsp0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ist_and_trap_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_int_n_dpl_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_and_triple_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysret_syscall_round_trip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
