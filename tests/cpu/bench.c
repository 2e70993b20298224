/*
 * cpu-diff --bench: interpreter speed on two loops, in guest instructions
 * per second (the figures (a) and (b); busybox figures are in bench/cpu).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "diff.h"
#include "engine/soft/cpu.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Loops as bytes (assembled with GNU as, see comments). */
static const uint8_t alu_loop[] = {
	0xb9, 0x00, 0xe1, 0xf5, 0x05,   /* mov ecx, 100000000 */
	0x48, 0x01, 0xd8,               /* 1: add rax, rbx */
	0x48, 0x31, 0xc2,               /* xor rdx, rax */
	0x48, 0x83, 0xeb, 0x01,         /* sub rbx, 1 */
	0x48, 0xff, 0xc6,               /* inc rsi */
	0x48, 0x89, 0xd7,               /* mov rdi, rdx */
	0x48, 0xff, 0xc9,               /* dec rcx */
	0x75, 0xeb,                     /* jnz 1b */
};

static const uint8_t mem_loop[] = {
	0xb9, 0x00, 0xe1, 0xf5, 0x05,   /* mov ecx, 100000000 */
	0x48, 0x8b, 0x04, 0xde,         /* 1: mov rax, [rsi + rbx*8] */
	0x48, 0x01, 0xc2,               /* add rdx, rax */
	0x48, 0x89, 0x54, 0xde, 0x08,   /* mov [rsi + rbx*8 + 8], rdx */
	0x48, 0xff, 0xc3,               /* inc rbx */
	0x48, 0x81, 0xe3, 0xff, 0x01, 0x00, 0x00, /* and rbx, 0x1ff */
	0x48, 0xff, 0xc9,               /* dec rcx */
	0x75, 0xe6,                     /* jnz 1b */
};

static void run_one(struct diff_emu *e, const char *name, const uint8_t *code, unsigned len)
{
	struct cpu_case c;
	struct cpu_result r;
	double t0, t1;
	uint64_t n;

	memset(&c, 0, sizeof(c));
	memcpy(c.code, code, len);
	c.len = len;
	c.gpr[6] = DATA_VA;
	c.gpr[4] = DATA_VA + 0x1800;
	c.rflags = 0x202;
	n = diff_emu_retired(e);
	t0 = now_s();
	diff_run_emu_fast(e, &c, &r);
	t1 = now_s();
	n = diff_emu_retired(e) - n;
	printf("%-10s %llu instructions in %.3f s: %.1f MIPS (stop vector %d)\n", name,
	       (unsigned long long)n, t1 - t0, n / (t1 - t0) / 1e6, r.vector);
}

void diff_bench(struct diff_emu *e)
{
	run_one(e, "alu-loop", alu_loop, sizeof(alu_loop));
	run_one(e, "mem-loop", mem_loop, sizeof(mem_loop));
}
