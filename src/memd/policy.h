/*
 * The balloon policy of `vessel memd` (docs/memd.md): one pure function from
 * host readings and per-VM figures to new balloon targets, each with a
 * one-line reason. No I/O, no clock: the loop (memd.c) gathers the inputs.
 *
 * Model: VMware ESX's idle memory tax (C. A. Waldspurger, "Memory Resource
 * Management in VMware ESX Server", OSDI 2002, section 5.2). Each VM has
 * shares S and holds P pages of host memory, a fraction f of them active;
 * with tax rate tau an idle page costs k = 1 / (1 - tau) times an active one,
 * and the adjusted shares-per-page ratio is
 *
 *     rho = S / (P * (f + k * (1 - f)))
 *
 * Under pressure memory is taken, a chunk at a time, from the VM with the
 * lowest rho (most pages per share, most of them idle); when pressure ends
 * it is given back first to the VM with the highest rho. tau = 0 is pure
 * shares; the ESX default, and ours, is 75 %. Unlike ESX, which samples
 * activity itself, "idle" here is what the guest reports as available
 * through its balloon statistics (virtio 1.2, 5.5.6.3), and a guest is never
 * asked for more than it reports available (less a reserve): the balloon
 * must not push a guest into its own OOM killer.
 */
#ifndef VESSEL_MEMD_POLICY_H
#define VESSEL_MEMD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

#define MEMD_MIB ((uint64_t)1 << 20)

/* Host readings (host.c). */
struct memd_host {
	uint64_t mem_total;	/* bytes, /proc/meminfo MemTotal */
	uint64_t mem_available; /* bytes, MemAvailable */
	bool psi_valid;		/* /proc/pressure/memory was read */
	double psi_some_avg10;	/* percent of time some task stalled on memory, last 10 s */
	double psi_full_avg10;	/* percent of time all non-idle tasks stalled */
};

/* Tunables; memd_params_default() fills the documented defaults. */
struct memd_params {
	uint64_t low;		/* bytes: MemAvailable below this is pressure */
	uint64_t high;		/* bytes: above this (and PSI calm) balloons deflate */
	unsigned tax_pct;	/* idle memory tax, 0..99 */
	uint64_t max_step;	/* bytes a VM's target may move per round */
	uint64_t min_change;	/* bytes: smaller moves are not made (no churn) */
	uint64_t guest_reserve; /* bytes a guest keeps of what it reports available */
	double psi_some_high;	/* PSI some avg10 at or above this is pressure */
	double psi_some_calm;	/* deflating needs PSI some avg10 at or below this */
	uint64_t chunk;		/* bytes handed out per step of the greedy choice */
};

/* Per VM, as its control socket's "stat" reports it (memd.c fills it). */
struct memd_vm_in {
	const char *name;
	uint64_t mem;	      /* guest RAM, bytes */
	uint64_t target;      /* current balloon target, bytes */
	uint64_t actual;      /* what the guest driver holds in the balloon, bytes */
	bool stats_valid;     /* the guest reported statistics (and they are fresh) */
	uint64_t guest_total; /* guest's own figures, bytes (only if stats_valid) */
	uint64_t guest_free;
	uint64_t guest_available; /* 0 when the guest did not send it: guest_free is used */
	bool has_available;
	uint64_t backed; /* guest RAM the host backs now (ram_touched; 0: unknown) */
	uint64_t rss;	 /* VM process RSS, bytes (0: unknown) */
	unsigned shares; /* 0 means the default (MEMD_SHARES_DEFAULT) */
	uint64_t floor;	 /* bytes the guest always keeps; 0: memd_floor_default(mem) */
	bool paused;	 /* a paused guest cannot move its balloon */
};

#define MEMD_SHARES_DEFAULT 1000
#define MEMD_REASON_MAX 160 /* what the control socket keeps of a reason (balloon_reason) */

enum memd_action { MEMD_HOLD, MEMD_INFLATE, MEMD_DEFLATE };

struct memd_vm_out {
	uint64_t target; /* new balloon target, bytes (== in.target when held) */
	enum memd_action action;
	char reason[MEMD_REASON_MAX];
};

enum memd_host_state { MEMD_HOST_CALM, MEMD_HOST_BAND, MEMD_HOST_PRESSURE };

struct memd_decision {
	enum memd_host_state state;
	uint64_t goal;		   /* bytes to reclaim (pressure) or allowed to give back (calm) */
	uint64_t planned;	   /* bytes of target moves actually decided */
	char why[MEMD_REASON_MAX]; /* the host's condition in words */
};

void memd_params_default(struct memd_params *p, uint64_t host_total);

/* Default floor of a VM: the larger of 64 MiB and 25 % of its RAM (never more than its RAM). */
uint64_t memd_floor_default(uint64_t mem);

/*
 * Check a parameter set; -EINVAL when it cannot work (low above high, tax
 * of 100 % or more, zero chunk or step).
 */
int memd_params_check(const struct memd_params *p) MUST_CHECK;

/*
 * One decision round. in[n] and out[n] correspond; the inputs may be
 * anything a guest or a host reports (inconsistent statistics are treated as
 * none). Fills *d with the host's condition. 0, or -ENOMEM.
 */
int memd_decide(const struct memd_params *p, const struct memd_host *host,
		const struct memd_vm_in *in, struct memd_vm_out *out, size_t n,
		struct memd_decision *d) MUST_CHECK;

/* The adjusted shares-per-page ratio for shares S, P bytes held, `idle` of them idle. */
double memd_rho(unsigned shares, uint64_t held, uint64_t idle, unsigned tax_pct);

#endif
