/*
 * Unit tests of the soft CPU core: block cache and self-modifying code, TLB
 * fill/flush accounting, precise exceptions (#PF with CR2 and error code,
 * #DE, #UD with bytes, #GP), stops (SYSCALL, budget, I/O) and CPUID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/soft/cpu.h"
#include "engine/soft/op.h"

#define BASE 0x400000ull
#define NPAGES 8

struct env {
	uint8_t mem[NPAGES][4096];
	unsigned prot[NPAGES];
	struct soft_cpu *cpu;
	unsigned fills;
};

static int fill(void *opaque, uint64_t va, enum soft_access acc, unsigned cpl, struct soft_tlb_fill *out)
{
	struct env *e = opaque;
	uint64_t page = (va & SOFT_PAGE_MASK) - BASE;
	uint32_t ec = SOFT_PFEC_U | (acc == SOFT_ACC_WRITE ? SOFT_PFEC_W : 0) | (acc == SOFT_ACC_FETCH ? SOFT_PFEC_I : 0);

	e->fills++;
	if (va < BASE || page / 4096 >= NPAGES || !e->prot[page / 4096])
		return SOFT_FILL_FAULT | (int)ec;
	out->host_page = e->mem[page / 4096];
	out->paddr = 0x100000 + page;
	out->prot = e->prot[page / 4096];
	out->mmio = false;
	return 0;
}

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));
	static const struct soft_op_table *const extra[] = { &soft_sse_ops, &soft_x87_ops, &soft_fxsave_ops, NULL };
	struct soft_cpu_config cfg = { .tlb_fill = fill, .user_mode = true, .extra_ops = extra };
	unsigned i;

	cfg.opaque = e;
	for (i = 0; i < NPAGES; i++)
		e->prot[i] = SOFT_ACC_READ | SOFT_ACC_WRITE | SOFT_ACC_FETCH;
	assert_int_equal(soft_cpu_create(&cfg, &e->cpu), 0);
	e->cpu->rip = BASE;
	e->cpu->gpr[SOFT_RSP] = BASE + NPAGES * 4096 - 64;
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

static void put(struct env *e, uint64_t va, const void *bytes, size_t n)
{
	memcpy(&e->mem[0][0] + (va - BASE), bytes, n);
}

static struct soft_stop run(struct env *e, uint64_t max)
{
	struct soft_stop st;
	assert_int_equal(soft_cpu_run(e->cpu, max, &st), 0);
	return st;
}

/* A store rewrites an instruction later in the same block: the new one must run. */
static void test_smc_same_block(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02, /* mov byte [rip+1], 2  (patches the imm below) */
		0xb0, 0x01,                               /* mov al, 1   -> becomes mov al, 2 */
		0x0f, 0x05,                               /* syscall */
	};
	struct soft_stop st;

	put(e, BASE, code, sizeof(code));
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_SYSCALL);
	assert_int_equal(e->cpu->gpr[SOFT_RAX] & 0xff, 2);
	assert_true(e->cpu->stats.smc_invalidations >= 1);
}

/* Code cached, then rewritten from outside through the TLB: the next run sees it. */
static void test_smc_external_write(void **state)
{
	struct env *e = *state;
	static const uint8_t v1[] = { 0xb8, 0x11, 0x00, 0x00, 0x00, 0x0f, 0x05 }; /* mov eax, 0x11; syscall */
	static const uint8_t v2[] = { 0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	uint64_t decoded;
	struct soft_stop st;

	put(e, BASE, v1, sizeof(v1));
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_SYSCALL);
	assert_int_equal(e->cpu->gpr[SOFT_RAX], 0x11);
	/* Same code again: served from the cache. */
	e->cpu->rip = BASE;
	decoded = e->cpu->stats.blocks_decoded;
	st = run(e, 100);
	assert_int_equal(e->cpu->stats.blocks_decoded, decoded);
	/* Rewrite through the core (as a loader or the runner's read() would). */
	assert_int_equal(soft_cpu_write_virt(e->cpu, BASE, v2, sizeof(v2)), 0);
	e->cpu->rip = BASE;
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_SYSCALL);
	assert_int_equal(e->cpu->gpr[SOFT_RAX], 0x22);
	assert_true(e->cpu->stats.blocks_decoded > decoded);
}

static void test_tlb_fill_flush_counts(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0x48, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x40, 0x00, /* mov rax, [0x401000] */
		0x48, 0x8b, 0x1c, 0x25, 0x00, 0x20, 0x40, 0x00, /* mov rbx, [0x402000] */
		0x0f, 0x05,
	};
	uint64_t fills, flushes;

	put(e, BASE, code, sizeof(code));
	run(e, 100);
	fills = e->cpu->stats.tlb_fills;
	assert_int_equal(fills, 3); /* fetch page 0, read pages 1 and 2 */
	assert_int_equal(e->fills, 3);
	e->cpu->rip = BASE;
	run(e, 100);
	assert_int_equal(e->cpu->stats.tlb_fills, fills); /* all hits */
	flushes = e->cpu->stats.tlb_flushes;
	soft_tlb_flush_all(e->cpu);
	assert_int_equal(e->cpu->stats.tlb_flushes, flushes + 1);
	e->cpu->rip = BASE;
	run(e, 100);
	assert_int_equal(e->cpu->stats.tlb_fills, fills + 3);
	soft_tlb_flush_page(e->cpu, 0x402000);
	e->cpu->rip = BASE;
	run(e, 100);
	assert_int_equal(e->cpu->stats.tlb_fills, fills + 4);
}

/* #PF: RIP at the faulting instruction, CR2, error code; the previous instruction committed. */
static void test_pf_precise(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0xb8, 0x34, 0x12, 0x00, 0x00,                   /* mov eax, 0x1234 */
		0x48, 0x89, 0x04, 0x25, 0x08, 0x00, 0x50, 0x00, /* mov [0x500008], rax */
		0x0f, 0x05,
	};
	struct soft_stop st;

	put(e, BASE, code, sizeof(code));
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_EXCEPTION);
	assert_int_equal(st.exc.vector, SOFT_EXC_PF);
	assert_true(st.exc.has_error_code);
	assert_int_equal(st.exc.error_code, SOFT_PFEC_U | SOFT_PFEC_W);
	assert_int_equal(st.exc.cr2, 0x500008);
	assert_int_equal(e->cpu->cr2, 0x500008);
	assert_int_equal(e->cpu->rip, BASE + 5);
	assert_int_equal(e->cpu->gpr[SOFT_RAX], 0x1234);
}

/* A store across into a read-only page writes nothing at all. */
static void test_pf_split_store_atomic(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff,       /* mov rax, -1 */
		0x48, 0x89, 0x04, 0x25, 0xfc, 0x2f, 0x40, 0x00, /* mov [0x402ffc], rax */
		0x0f, 0x05,
	};
	struct soft_stop st;

	e->prot[3] = SOFT_ACC_READ;
	put(e, BASE, code, sizeof(code));
	st = run(e, 100);
	assert_int_equal(st.exc.vector, SOFT_EXC_PF);
	assert_int_equal(st.exc.error_code, SOFT_PFEC_P | SOFT_PFEC_W | SOFT_PFEC_U);
	assert_int_equal(st.exc.cr2, 0x403000);
	assert_int_equal(e->mem[2][4092] | e->mem[2][4093] | e->mem[2][4094] | e->mem[2][4095], 0);
	assert_int_equal(e->cpu->rip, BASE + 7);
}

static void test_de_precise(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0x48, 0xf7, 0xf1, 0x0f, 0x05 }; /* div rcx; syscall */
	struct soft_stop st;

	put(e, BASE, code, sizeof(code));
	e->cpu->gpr[SOFT_RAX] = 5;
	e->cpu->gpr[SOFT_RDX] = 7;
	e->cpu->gpr[SOFT_RCX] = 0;
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_EXCEPTION);
	assert_int_equal(st.exc.vector, SOFT_EXC_DE);
	assert_false(st.exc.has_error_code);
	assert_int_equal(e->cpu->rip, BASE);
	assert_int_equal(e->cpu->gpr[SOFT_RAX], 5);
	assert_int_equal(e->cpu->gpr[SOFT_RDX], 7);
	/* Quotient overflow is #DE too. */
	e->cpu->gpr[SOFT_RCX] = 2;
	st = run(e, 100);
	assert_int_equal(st.exc.vector, SOFT_EXC_DE);
	/* A valid division then runs to the syscall. */
	e->cpu->gpr[SOFT_RDX] = 1;
	e->cpu->gpr[SOFT_RCX] = 4;
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_SYSCALL);
	assert_int_equal(e->cpu->gpr[SOFT_RAX], 0x4000000000000001ull); /* (2^64 + 5) / 4 */
	assert_int_equal(e->cpu->gpr[SOFT_RDX], 1);
}

static void test_ud_bytes_and_avx(void **state)
{
	struct env *e = *state;
	static const uint8_t vex[] = { 0xc5, 0xfc, 0x77 }; /* vzeroall: AVX is not advertised */
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	struct soft_stop st;

	put(e, BASE, vex, sizeof(vex));
	st = run(e, 100);
	assert_int_equal(st.exc.vector, SOFT_EXC_UD);
	assert_int_equal(e->cpu->rip, BASE);
	assert_true(st.exc.insn_len >= 3);
	assert_memory_equal(st.exc.insn, vex, 3);
	put(e, BASE, ud2, sizeof(ud2));
	soft_cpu_flush_code(e->cpu);
	st = run(e, 100);
	assert_int_equal(st.exc.vector, SOFT_EXC_UD);
	assert_memory_equal(st.exc.insn, ud2, 2);
}

static void test_budget_and_retired(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0x48, 0xff, 0xc0, 0xeb, 0xfb }; /* 1: inc rax; jmp 1b */
	struct soft_stop st;

	put(e, BASE, code, sizeof(code));
	st = run(e, 1001);
	assert_int_equal(st.reason, SOFT_STOP_BUDGET);
	assert_int_equal(e->cpu->insns_retired, 1001);
	assert_int_equal(e->cpu->gpr[SOFT_RAX], 501);
	assert_int_equal(e->cpu->rip, BASE + 3);
}

static void test_io_and_privileged(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0xe4, 0x60, 0x0f, 0x05 }; /* in al, 0x60; syscall */
	struct soft_stop st;

	put(e, BASE, code, sizeof(code));
	st = run(e, 100);
	assert_int_equal(st.exc.vector, SOFT_EXC_GP); /* CPL 3, IOPL 0 */
	assert_int_equal(e->cpu->rip, BASE);
	e->cpu->cpl = 0;
	soft_tlb_flush_all(e->cpu);
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_IO);
	assert_int_equal(st.io.port, 0x60);
	assert_int_equal(st.io.size, 1);
	assert_false(st.io.write);
	assert_int_equal(e->cpu->rip, BASE + 2);
	soft_cpu_io_complete(e->cpu, &st, 0xab);
	assert_int_equal(e->cpu->gpr[SOFT_RAX] & 0xff, 0xab);
}

/* An instruction that straddles two pages runs, and faults precisely when the second is absent. */
static void test_insn_across_pages(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = {
		0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, /* movabs rax, 0x0807060504030201 at BASE+0xffc */
		0x0f, 0x05,
	};
	struct soft_stop st;

	put(e, BASE + 0xffc, code, sizeof(code));
	e->cpu->rip = BASE + 0xffc;
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_SYSCALL);
	assert_int_equal(e->cpu->gpr[SOFT_RAX], 0x0807060504030201ull);
	/* Second page gone: #PF on the fetch, CR2 at the page start, RIP at the instruction. */
	e->prot[1] = 0;
	soft_tlb_flush_all(e->cpu);
	e->cpu->rip = BASE + 0xffc;
	e->cpu->gpr[SOFT_RAX] = 0;
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_EXCEPTION);
	assert_int_equal(st.exc.vector, SOFT_EXC_PF);
	assert_int_equal(st.exc.error_code, SOFT_PFEC_U | SOFT_PFEC_I);
	assert_int_equal(st.exc.cr2, BASE + 0x1000);
	assert_int_equal(e->cpu->rip, BASE + 0xffc);
	assert_int_equal(e->cpu->gpr[SOFT_RAX], 0);
}

/* A non-canonical data address is #GP(0); through RSP it is #SS(0). */
static void test_noncanonical(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0x48, 0x8b, 0x03, 0x50, 0x0f, 0x05 }; /* mov rax, [rbx]; push rax */
	struct soft_stop st;

	put(e, BASE, code, sizeof(code));
	e->cpu->gpr[SOFT_RBX] = 0x0000800000000000ull;
	st = run(e, 100);
	assert_int_equal(st.exc.vector, SOFT_EXC_GP);
	assert_int_equal(st.exc.error_code, 0);
	e->cpu->gpr[SOFT_RBX] = BASE;
	e->cpu->gpr[SOFT_RSP] = 0x8000000000000008ull;
	st = run(e, 100);
	assert_int_equal(st.exc.vector, SOFT_EXC_SS);
	assert_int_equal(e->cpu->rip, BASE + 3);
	assert_int_equal(e->cpu->gpr[SOFT_RSP], 0x8000000000000008ull);
}

/* #NM with CR0.TS, #UD without CR4.OSFXSR, before any state changes (SDM Vol. 3A, 13.1.3). */
static void test_nm_and_sse_disabled(void **state)
{
	struct env *e = *state;
	static const uint8_t code[] = { 0x66, 0x0f, 0xef, 0xc0, 0x0f, 0x05 }; /* pxor xmm0, xmm0; syscall */
	struct soft_stop st;

	put(e, BASE, code, sizeof(code));
	e->cpu->xmm[0].u64[0] = 0x1234;
	e->cpu->cr0 |= 1u << 3; /* TS */
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_EXCEPTION);
	assert_int_equal(st.exc.vector, SOFT_EXC_NM);
	assert_int_equal(e->cpu->rip, BASE);
	assert_int_equal(e->cpu->xmm[0].u64[0], 0x1234);
	e->cpu->cr0 &= ~(1u << 3);
	e->cpu->cr4 &= ~(1u << 9); /* OSFXSR */
	st = run(e, 100);
	assert_int_equal(st.exc.vector, SOFT_EXC_UD);
	e->cpu->cr4 |= 1u << 9;
	st = run(e, 100);
	assert_int_equal(st.reason, SOFT_STOP_SYSCALL);
	assert_int_equal(e->cpu->xmm[0].u64[0], 0);
}

static void test_cpuid(void **state)
{
	struct env *e = *state;
	uint32_t r[4];
	char vendor[13];

	soft_cpuid(e->cpu, 0, 0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	assert_string_equal(vendor, "GenuineIntel");
	soft_cpuid(e->cpu, 1, 0, r);
	assert_true(r[3] & (1u << 26));     /* SSE2 */
	assert_true(r[2] & (1u << 13));     /* CX16 */
	assert_false(r[2] & (1u << 28));    /* no AVX */
	assert_false(r[2] & (1u << 26));    /* no XSAVE */
	soft_cpuid(e->cpu, 7, 0, r);
	assert_false(r[1] & (1u << 3));     /* no BMI1 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_smc_same_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smc_external_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tlb_fill_flush_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pf_precise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pf_split_store_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_de_precise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ud_bytes_and_avx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_and_retired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_and_privileged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insn_across_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noncanonical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nm_and_sse_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpuid, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
