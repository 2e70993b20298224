/*
 * The soft engine's VM and vCPU objects (engine-internal; see
 * docs/soft-system.md). One struct soft_cpu per vCPU thread, one platform
 * (LAPICs, IOAPIC, PIC, PIT) per VM, guest time = host CLOCK_MONOTONIC
 * since the VM was created.
 */
#ifndef VESSEL_ENGINE_SOFT_SOFT_VM_H
#define VESSEL_ENGINE_SOFT_SOFT_VM_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/log.h"
#include "dev/bus.h"
#include "engine/engine.h"
#include "engine/soft/cpu.h"
#include "engine/soft/platform/platform.h"
#include "engine/soft/soft_pv.h"
#include "engine/soft/sys_cpuid.h"

/* Instructions between two looks at the clock and the interrupt lines (~50 us). */
#define SOFT_RUN_SLICE 16384
/* MMIO accesses one instruction may make (replayed, see soft_run.c). */
#define SOFT_MMIO_LOG 8

struct soft_share;

struct soft_mmio_access {
	uint64_t gpa;
	uint64_t val;
	uint8_t size;
	bool write;
};

struct engine_vm {
	struct gmem *mem;
	unsigned nr_cpus;
	struct plat *plat;
	struct bus pio;             /* the platform's own ports: served without an exit */
	uint64_t start_ns;          /* host CLOCK_MONOTONIC at creation: guest time 0 */
	struct engine_vcpu *vcpus[PLAT_MAX_CPUS];
	_Atomic uint64_t exits;
	bool trace;                 /* VESSEL_SOFT_TRACE: log events and exits */
	struct soft_share *share;   /* --dedup: page sharing (soft_share.c), else NULL */
};

struct engine_vcpu {
	struct engine_vm *vm;
	unsigned id;
	struct soft_cpu *cpu;
	struct soft_cpuid_system_cfg cpuid;

	pthread_mutex_t lock;       /* guards seq/startup; leaf lock */
	pthread_cond_t cond;
	uint64_t seq;               /* bumped by every kick: a halted vCPU sleeps until it moves */
	atomic_bool kicked;         /* vcpu_kick: return ENGINE_EXIT_INTR */
	bool running;               /* has a CPU state to run (vCPU 0, or an AP after SIPI) */
	int startup_vector;         /* -1, or the SIPI vector an AP got */
	bool halted;
	uint64_t next_event_ns;

	/* An exit in progress: completed on the next vcpu_run. */
	bool io_in_pending;
	struct soft_stop io_stop;
	uint8_t io_buf[8];
	/* MMIO replay: accesses of the current instruction done by the VM loop. */
	struct soft_mmio_access mmio_log[SOFT_MMIO_LOG];
	unsigned mmio_n, mmio_pos;
	bool mmio_exit;             /* the run stopped for mmio_log[mmio_n] */
	bool mmio_replay;           /* an MMIO exit was returned: replay on the next run */

	struct soft_pv_vcpu pv;     /* paravirtual interface state (soft_pv.h) */
	struct ratelimit rl_msr;
};

/* soft_mmu.c: the callbacks of the soft CPU. */
void soft_vcpu_config(struct engine_vcpu *v, struct soft_cpu_config *cfg);
/* The TLB fill callback (soft_fill.c). */
int soft_vm_tlb_fill(void *opaque, uint64_t va, enum soft_access acc, unsigned cpl,
		     struct soft_tlb_fill *out);
uint64_t soft_vm_now_ns(void *opaque);

/* soft_run.c */
int soft_vcpu_run(struct engine_vcpu *v, struct engine_exit *ex);
void soft_vcpu_wake(struct engine_vcpu *v);

#endif
