/*
 * The loop of `vessel memd` (docs/memd.md): every interval, read the host
 * (host.c), ask every named VM for its "stat" (vmstat.c), run the policy
 * (policy.c), send the VMs whose target changes a "balloon" request with
 * by "memd" and the reason, and log each decision as one line.
 *
 * The control-socket client lives in src/cli/ (client.c); the loop reaches
 * the VMs through struct memd_vm_ops, which the command fills with it and
 * the unit tests with fakes.
 */
#ifndef VESSEL_MEMD_MEMD_H
#define VESSEL_MEMD_MEMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/compiler.h"
#include "base/err.h"
#include "memd/policy.h"
#include "vm/runtime.h"

struct memd_vm_ops {
	/* Names of the VMs now; *names is malloc'ed (the caller frees), sorted. */
	int (*list)(void *opaque, char (**names)[RUNTIME_NAME_MAX + 1], size_t *n);
	/* VM `name`'s answer to {"cmd":"stat"}, one line in raw[cap]. */
	int (*stat)(void *opaque, const char *name, char *raw, size_t cap);
	/* Send {"cmd":"balloon","size":bytes,"by":"memd","reason":reason}. */
	int (*set_target)(void *opaque, const char *name, uint64_t bytes, const char *reason);
};

/* Per-VM settings given on the command line (--shares NAME=N, --floor NAME=SIZE|N%). */
struct memd_vm_rule {
	char name[RUNTIME_NAME_MAX + 1];
	unsigned shares;    /* 0: not set */
	uint64_t floor;	    /* bytes; 0: not set */
	unsigned floor_pct; /* 1..100 of the VM's RAM; 0: not set */
};

#define MEMD_MAX_RULES 64
#define MEMD_STALE_ROUNDS 3 /* rounds without fresh guest statistics before they count as none */

struct memd_config {
	struct memd_params params;
	const char *meminfo_path; /* HOST_MEMINFO_PATH, or a test's file */
	const char *psi_path;	  /* HOST_PSI_PATH, a test's file, or NULL: PSI not used */
	unsigned interval_ms;
	unsigned settle_ms; /* --once: wait between asking for fresh statistics and reading them */
	bool dry_run;	    /* decide and log, send nothing */
	bool verbose;	    /* log held VMs and every round's host line too */
	uint64_t floor;	    /* default floor in bytes; 0: see floor_pct */
	unsigned floor_pct; /* default floor in % of a VM's RAM; both 0: memd_floor_default() */
	struct memd_vm_rule rules[MEMD_MAX_RULES];
	unsigned nr_rules;
	FILE *log; /* decision lines go here (stdout or --log FILE) */
};

struct memd;

int memd_create(const struct memd_config *cfg, const struct memd_vm_ops *ops, void *opaque,
		struct memd **out) MUST_CHECK;
void memd_destroy(struct memd *m);

/*
 * One round. With decide false only the statistics are refreshed (each stat
 * asks the guest for new ones). Per-VM failures are logged and that VM is
 * skipped; -errno only when the host cannot be read (message in err).
 * *changed counts the targets moved (or that would move, dry run).
 */
int memd_round(struct memd *m, bool decide, unsigned *changed, struct verr *err) MUST_CHECK;

/* --once: a refreshing round, settle_ms, a deciding round. */
int memd_once(struct memd *m, unsigned *changed, struct verr *err) MUST_CHECK;

/*
 * Rounds every interval_ms until stop_fd is readable (a signalfd or a pipe
 * the caller owns). A round that cannot read the host is logged and retried.
 */
int memd_run(struct memd *m, int stop_fd) MUST_CHECK;

#endif
