/*
 * Differential testing of the soft CPU against the host CPU.
 *
 * A case is a few instruction bytes, an initial register file and flags and
 * a seed for the data area. It runs natively in a forked child (ring 3 on
 * this host, faults caught as signals with the trap number, error code and
 * CR2 from the signal context) and in the engine with the same address
 * layout; registers, defined flags, the data area and faults are compared.
 *
 * Layout (both sides):
 *   CODE_VA       one page, RWX: the snippet, then a native-only exit jump
 *   DATA_VA       DATA_SIZE bytes RW (stack inside)
 *   DATA_VA+DATA_SIZE      one unmapped guard page
 *   RO_VA         one read-only page
 */
#ifndef VESSEL_TESTS_CPU_DIFF_H
#define VESSEL_TESTS_CPU_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#define CODE_VA 0x10000000ull
/* Bytes after every snippet (both sides): jmp [rip+0]; .quad diff_native_exit. */
#define EXIT_LEN 14
void diff_exit_bytes(uint8_t out[EXIT_LEN]);
#define DATA_VA 0x20000000ull
#define DATA_SIZE 0x2000ull
#define RO_VA (DATA_VA + DATA_SIZE + 0x1000)
#define CODE_MAX 256

struct cpu_case {
	char name[64];
	uint8_t code[CODE_MAX];
	unsigned len;
	uint64_t gpr[16];
	uint64_t rflags;
	uint64_t xmm[16][2];
	uint32_t mxcsr;
	uint64_t mem_seed;
	uint64_t flags_mask;    /* flags to ignore (undefined), of CF PF AF ZF SF OF */
};

struct cpu_result {
	uint64_t gpr[16];
	uint64_t rip;
	uint64_t rflags;
	uint64_t xmm[16][2];
	uint32_t mxcsr;
	int vector;             /* -1: ran to the end */
	uint32_t error_code;
	uint64_t cr2;
	uint8_t mem[DATA_SIZE];
};

/* Data area contents for a seed. */
void diff_fill_mem(uint8_t *mem, uint64_t seed);

/* native.c: run n cases natively (forks), results into res[]. 0 or -errno. */
int diff_run_native(const struct cpu_case *cases, unsigned n, struct cpu_result *res);
/* emu.c */
struct diff_emu;
int diff_emu_create(struct diff_emu **out);
void diff_emu_destroy(struct diff_emu *e);
void diff_run_emu(struct diff_emu *e, const struct cpu_case *c, struct cpu_result *res);
/* Run to the end with large budgets (benchmarks); instructions retired so far. */
void diff_run_emu_fast(struct diff_emu *e, const struct cpu_case *c, struct cpu_result *res);
uint64_t diff_emu_retired(const struct diff_emu *e);
void diff_bench(struct diff_emu *e);

/* compare.c: true when equal; writes a description of differences into msg. */
bool diff_compare(const struct cpu_case *c, const struct cpu_result *n, const struct cpu_result *e,
		  char *msg, unsigned msglen);
/* Undefined-flag mask and skip decision for the instructions of a case. */
bool diff_case_finish(struct cpu_case *c);
/* True when the case has an SSE/SSE2/x87/FXSAVE instruction (the "fp" group of sse*.c, x87.c, fxsave.c). */
bool diff_case_is_sse(const struct cpu_case *c);

/* gen.c */
unsigned diff_directed(struct cpu_case *out, unsigned max);
bool diff_random_case(struct cpu_case *c, uint64_t *rng);
uint64_t diff_rand(uint64_t *s);

#endif
