/*
 * engine_ops of the soft engine: VM and vCPU objects, registers, interrupt
 * lines. The run loop is soft_run.c, the CPU callbacks soft_mmu.c.
 */
#include "engine/soft/engine_soft.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "engine/soft/soft_share.h"
#include "engine/soft/soft_vm.h"
#include "engine/soft/sys.h"
#include "mem/gmem.h"

static void plat_kick(void *opaque, unsigned vcpu)
{
	struct engine_vm *vm = opaque;

	if (vcpu < vm->nr_cpus && vm->vcpus[vcpu])
		soft_vcpu_wake(vm->vcpus[vcpu]);
}

static void plat_startup(void *opaque, unsigned vcpu, enum plat_startup_kind kind, uint8_t vector)
{
	struct engine_vm *vm = opaque;
	struct engine_vcpu *v;

	if (vcpu >= vm->nr_cpus || !vm->vcpus[vcpu] || kind != PLAT_STARTUP_SIPI)
		return;
	v = vm->vcpus[vcpu];
	pthread_mutex_lock(&v->lock);
	if (!v->running && v->startup_vector < 0)
		v->startup_vector = vector;
	pthread_cond_signal(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

static void soft_vm_destroy(struct engine_vm *vm)
{
	if (!vm)
		return;
	soft_share_destroy(vm->share);
	plat_destroy(vm->plat);
	bus_cleanup(&vm->pio);
	free(vm);
}

static int soft_vm_create(const struct engine_vm_config *cfg, struct engine_vm **out, struct verr *err)
{
	struct engine_vm *vm;
	struct plat_cfg pc;
	int r;

	if (cfg->nr_cpus < 1 || cfg->nr_cpus > PLAT_MAX_CPUS)
		return verr_set(err, EINVAL, "soft engine: %u vCPUs (1..%d)", cfg->nr_cpus, PLAT_MAX_CPUS);
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->mem = cfg->mem;
	vm->nr_cpus = cfg->nr_cpus;
	vm->start_ns = time_mono_ns();
	vm->trace = getenv("VESSEL_SOFT_TRACE") && *getenv("VESSEL_SOFT_TRACE") &&
		    strcmp(getenv("VESSEL_SOFT_TRACE"), "0") != 0;
	bus_init(&vm->pio, "soft platform ports");
	pc = (struct plat_cfg){
		.nr_cpus = cfg->nr_cpus,
		.clock = { .opaque = vm, .now_ns = soft_vm_now_ns },
		.pio = &vm->pio,
		.opaque = vm,
		.kick = plat_kick,
		.startup = plat_startup,
	};
	r = plat_create(&pc, &vm->plat);
	if (r) {
		soft_vm_destroy(vm);
		return verr_set(err, -r, "soft engine: cannot create the interrupt/timer platform: %s",
				strerror(-r));
	}
	if (cfg->dedup) {
		r = soft_share_create(vm, &vm->share, err);
		if (r) {
			soft_vm_destroy(vm);
			return r;
		}
	}
	*out = vm;
	return 0;
}

static void soft_vcpu_destroy(struct engine_vcpu *v)
{
	if (!v)
		return;
	if (v->vm->trace && v->cpu) {
		const struct soft_stats *s = &v->cpu->stats;
		log_info("soft: vCPU %u: %" PRIu64 " instructions, %" PRIu64 " blocks decoded (%" PRIu64
			 " instructions), %" PRIu64 " block lookups (%" PRIu64 " jump-cache hits), TLB %" PRIu64
			 " fills %" PRIu64 " flushes %" PRIu64 " page flushes, %" PRIu64 " exceptions, %" PRIu64
			 " SMC page invalidations",
			 v->id, v->cpu->insns_retired, s->blocks_decoded, s->insns_decoded, s->block_lookups,
			 s->jump_cache_hits, s->tlb_fills, s->tlb_flushes, s->tlb_page_flushes, s->exceptions,
			 s->smc_invalidations);
	}
	if (v->vm->vcpus[v->id] == v)
		v->vm->vcpus[v->id] = NULL;
	soft_cpu_destroy(v->cpu);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static int soft_vcpu_create(struct engine_vm *vm, unsigned id, struct engine_vcpu **out, struct verr *err)
{
	struct engine_vcpu *v;
	struct soft_cpu_config cfg;
	pthread_condattr_t ca;
	uint32_t regs[4];
	int r;

	if (id >= vm->nr_cpus || vm->vcpus[id])
		return verr_set(err, EINVAL, "soft engine: bad vCPU index %u", id);
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->id = id;
	v->running = id == 0; /* APs wait for INIT/SIPI */
	v->startup_vector = -1;
	v->rl_msr = (struct ratelimit)RATELIMIT_INIT;
	pthread_mutex_init(&v->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* halt deadlines are host monotonic times */
	pthread_cond_init(&v->cond, &ca);
	pthread_condattr_destroy(&ca);
	v->cpuid.apic_id = id;
	v->cpuid.nr_cpus = vm->nr_cpus;
	v->cpuid.tsc_deadline = true;
	plat_cpuid_tsc(vm->plat, 0x15, regs);
	memcpy(v->cpuid.leaf15[0], regs, sizeof(regs));
	plat_cpuid_tsc(vm->plat, 0x16, regs);
	memcpy(v->cpuid.leaf15[1], regs, sizeof(regs));
	soft_vcpu_config(v, &cfg);
	r = soft_cpu_create(&cfg, &v->cpu);
	if (r) {
		free(v);
		return verr_set(err, -r, "soft engine: cannot create vCPU %u: %s", id, strerror(-r));
	}
	soft_sys_reset(v->cpu);
	vm->vcpus[id] = v;
	*out = v;
	return 0;
}

static void soft_vcpu_kick(struct engine_vcpu *v)
{
	atomic_store(&v->kicked, true);
	soft_vcpu_wake(v);
}

static int soft_get_regs(struct engine_vcpu *v, struct engine_regs *r)
{
	const uint64_t *g = v->cpu->gpr;

	r->rax = g[SOFT_RAX]; r->rbx = g[SOFT_RBX]; r->rcx = g[SOFT_RCX]; r->rdx = g[SOFT_RDX];
	r->rsi = g[SOFT_RSI]; r->rdi = g[SOFT_RDI]; r->rsp = g[SOFT_RSP]; r->rbp = g[SOFT_RBP];
	r->r8 = g[SOFT_R8]; r->r9 = g[SOFT_R9]; r->r10 = g[SOFT_R10]; r->r11 = g[SOFT_R11];
	r->r12 = g[SOFT_R12]; r->r13 = g[SOFT_R13]; r->r14 = g[SOFT_R14]; r->r15 = g[SOFT_R15];
	r->rip = v->cpu->rip;
	r->rflags = soft_cpu_get_rflags(v->cpu);
	return 0;
}

static int soft_set_regs(struct engine_vcpu *v, const struct engine_regs *r)
{
	uint64_t *g = v->cpu->gpr;

	g[SOFT_RAX] = r->rax; g[SOFT_RBX] = r->rbx; g[SOFT_RCX] = r->rcx; g[SOFT_RDX] = r->rdx;
	g[SOFT_RSI] = r->rsi; g[SOFT_RDI] = r->rdi; g[SOFT_RSP] = r->rsp; g[SOFT_RBP] = r->rbp;
	g[SOFT_R8] = r->r8; g[SOFT_R9] = r->r9; g[SOFT_R10] = r->r10; g[SOFT_R11] = r->r11;
	g[SOFT_R12] = r->r12; g[SOFT_R13] = r->r13; g[SOFT_R14] = r->r14; g[SOFT_R15] = r->r15;
	v->cpu->rip = r->rip;
	soft_cpu_set_rflags(v->cpu, r->rflags);
	return 0;
}

static void seg_to_engine(const struct soft_segment *s, struct engine_segment *e)
{
	e->base = s->base;
	e->limit = s->limit;
	e->selector = s->selector;
	e->type = s->attr & SEG_ATTR_TYPE;
	e->s = !!(s->attr & SEG_ATTR_S);
	e->dpl = (uint8_t)SEG_ATTR_DPL(s->attr);
	e->present = !!(s->attr & SEG_ATTR_P);
	e->avl = !!(s->attr & (1u << 8));
	e->l = !!(s->attr & SEG_ATTR_L);
	e->db = !!(s->attr & SEG_ATTR_DB);
	e->g = !!(s->attr & SEG_ATTR_G);
	e->unusable = !!(s->attr & SEG_ATTR_UNUSABLE);
}

static void seg_from_engine(const struct engine_segment *e, struct soft_segment *s)
{
	s->base = e->base;
	s->limit = e->limit;
	s->selector = e->selector;
	s->attr = (uint16_t)((e->type & 0xf) | (e->s ? SEG_ATTR_S : 0) | ((e->dpl & 3u) << 5) |
			     (e->present ? SEG_ATTR_P : 0) | (e->avl ? 1u << 8 : 0) |
			     (e->l ? SEG_ATTR_L : 0) | (e->db ? SEG_ATTR_DB : 0) |
			     (e->g ? SEG_ATTR_G : 0) | (e->unusable ? SEG_ATTR_UNUSABLE : 0));
}

static int soft_get_sregs(struct engine_vcpu *v, struct engine_sregs *s)
{
	struct soft_cpu *c = v->cpu;

	memset(s, 0, sizeof(*s));
	seg_to_engine(&c->seg[SOFT_CS], &s->cs);
	seg_to_engine(&c->seg[SOFT_DS], &s->ds);
	seg_to_engine(&c->seg[SOFT_ES], &s->es);
	seg_to_engine(&c->seg[SOFT_FS], &s->fs);
	seg_to_engine(&c->seg[SOFT_GS], &s->gs);
	seg_to_engine(&c->seg[SOFT_SS], &s->ss);
	seg_to_engine(&c->sys.tr, &s->tr);
	seg_to_engine(&c->sys.ldt, &s->ldt);
	s->gdt.base = c->sys.gdt.base;
	s->gdt.limit = c->sys.gdt.limit;
	s->idt.base = c->sys.idt.base;
	s->idt.limit = c->sys.idt.limit;
	s->cr0 = c->cr0;
	s->cr2 = c->cr2;
	s->cr3 = c->cr3;
	s->cr4 = c->cr4;
	s->cr8 = c->cr8;
	s->efer = c->efer;
	s->apic_base = lapic_get_base(plat_lapic(v->vm->plat, v->id));
	return 0;
}

static int soft_set_sregs(struct engine_vcpu *v, const struct engine_sregs *s)
{
	struct soft_cpu *c = v->cpu;
	int r;

	/* The decoder runs 64-bit code only: refuse any other entry state. */
	if (!(s->efer & SOFT_EFER_LMA) || !(s->cr0 & SOFT_CR0_PG) || !s->cs.l)
		return -ENOTSUP;
	r = lapic_set_base(plat_lapic(v->vm->plat, v->id), s->apic_base);
	if (r)
		return r;
	seg_from_engine(&s->cs, &c->seg[SOFT_CS]);
	seg_from_engine(&s->ds, &c->seg[SOFT_DS]);
	seg_from_engine(&s->es, &c->seg[SOFT_ES]);
	seg_from_engine(&s->fs, &c->seg[SOFT_FS]);
	seg_from_engine(&s->gs, &c->seg[SOFT_GS]);
	seg_from_engine(&s->ss, &c->seg[SOFT_SS]);
	seg_from_engine(&s->tr, &c->sys.tr);
	seg_from_engine(&s->ldt, &c->sys.ldt);
	c->sys.gdt.base = s->gdt.base;
	c->sys.gdt.limit = s->gdt.limit;
	c->sys.idt.base = s->idt.base;
	c->sys.idt.limit = s->idt.limit;
	c->cr0 = s->cr0;
	c->cr2 = s->cr2;
	c->cr3 = s->cr3;
	c->cr4 = s->cr4;
	c->cr8 = s->cr8;
	c->efer = s->efer;
	c->cpl = s->cs.dpl & 3u;
	soft_tlb_flush_all(c);
	soft_cpu_flush_code(c);
	return 0;
}

static int soft_irq_line(struct engine_vm *vm, unsigned gsi, int level)
{
	return plat_irq_line(vm->plat, gsi, level);
}

static int soft_msi(struct engine_vm *vm, uint64_t addr, uint32_t data)
{
	return plat_msi(vm->plat, addr, data);
}

static void soft_get_stats(struct engine_vm *vm, struct engine_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->exits = atomic_load(&vm->exits);
	/* Read racily from another thread: monotonic counters, good enough for statistics. */
	for (unsigned i = 0; i < vm->nr_cpus; i++) {
		const struct engine_vcpu *v = vm->vcpus[i];
		if (!v)
			continue;
		st->tlb_fills += v->cpu->stats.tlb_fills;
		st->tlb_flushes += v->cpu->stats.tlb_flushes + v->cpu->stats.tlb_page_flushes;
		st->insns += v->cpu->insns_retired;
	}
	if (vm->share)
		soft_share_get_stats(vm->share, st);
}

static const struct engine_ops soft_ops = {
	.name = "soft",
	.vm_create = soft_vm_create,
	.vm_destroy = soft_vm_destroy,
	.vcpu_create = soft_vcpu_create,
	.vcpu_destroy = soft_vcpu_destroy,
	.vcpu_run = soft_vcpu_run,
	.vcpu_kick = soft_vcpu_kick,
	.get_regs = soft_get_regs,
	.set_regs = soft_set_regs,
	.get_sregs = soft_get_sregs,
	.set_sregs = soft_set_sregs,
	.irq_line = soft_irq_line,
	.msi = soft_msi,
	.get_stats = soft_get_stats,
};

const struct engine_ops *soft_engine_ops(struct verr *err)
{
	(void)err;
	return &soft_ops;
}
