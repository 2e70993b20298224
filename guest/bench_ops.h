/*
 * test=enginebench: the microbenchmarks of the classic software-vs-hardware
 * virtualization comparison (Adams & Agesen, "A Comparison of Software and
 * Hardware Techniques for x86 Virtualization", ASPLOS 2006), one function
 * per operation. Each op runs `warm` untimed rounds, then times an empty
 * loop and the op's loop of `n` rounds with RDTSC; the caller subtracts.
 *
 * Every op checks that it really did what it timed (fault counts, the data
 * seen through a changed mapping, hypercall results) and fails loudly
 * otherwise: a broken path must never be timed as a fast one.
 */
#ifndef GUEST_BENCH_OPS_H
#define GUEST_BENCH_OPS_H

#include <stdint.h>

#include "hypercall.h"

enum bench_hc_way {
	BENCH_HC_PORT,	 /* OUT to VESSEL_HC_PORT: every engine */
	BENCH_HC_VMCALL, /* VMCALL: soft only (under kvm the kernel answers it) */
};

struct bench_cfg {
	int pv; /* mode=pv: ops with a PV form use hypercalls */
	enum bench_hc_way hc;
	uint64_t n;	 /* timed rounds */
	uint64_t warm;	 /* untimed rounds first */
	uint64_t pages;	 /* forkwait: parent pages the child maps read-only */
	uint64_t writes; /* forkwait: pages the child writes (copy-on-write faults) */
};

enum bench_status {
	BENCH_OK = 0,
	BENCH_FAIL = -1, /* a check failed; the op printed why */
	BENCH_NA = 1,	 /* this host cannot run the op; `why` says why */
};

struct bench_result {
	uint64_t n;	  /* rounds timed */
	uint64_t t_op;	  /* TSC cycles for n rounds of the op */
	uint64_t t_empty; /* TSC cycles for n rounds of an empty loop */
	const char *via;  /* "trap" (privileged instruction or fault), "hypercall", "native" */
	const char *why;  /* BENCH_NA: the host limitation */
};

/* One hypercall by the configured way; returns RAX. */
int64_t bench_hcall(const struct bench_cfg *c, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3);

/* Ring-3 ops (guest/bench_user.c). */
enum bench_status bench_syscall(const struct bench_cfg *c, struct bench_result *r);
enum bench_status bench_callret(const struct bench_cfg *c, struct bench_result *r);
enum bench_status bench_pagefault(const struct bench_cfg *c, struct bench_result *r);
enum bench_status bench_divzero(const struct bench_cfg *c, struct bench_result *r);

/* Ring-0 ops (guest/bench_kern.c). */
enum bench_status bench_in(const struct bench_cfg *c, struct bench_result *r);
enum bench_status bench_cr8(const struct bench_cfg *c, struct bench_result *r);
enum bench_status bench_ptemod(const struct bench_cfg *c, struct bench_result *r);
enum bench_status bench_cr3(const struct bench_cfg *c, struct bench_result *r);
enum bench_status bench_hcnop(const struct bench_cfg *c, struct bench_result *r);

/* The fork/wait-like macro benchmark (guest/bench_fork.c). */
enum bench_status bench_forkwait(const struct bench_cfg *c, struct bench_result *r);

#endif
