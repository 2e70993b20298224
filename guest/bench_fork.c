/*
 * enginebench forkwait: a fork/wait-like macro benchmark, the page-table
 * work of process creation. Each round:
 *   1. build a child address space: new PML4/PDPT/PD/PT sharing the
 *      kernel's half, mapping the parent's `pages` pages read-only, and
 *      write-protect the parent's own entries (copy-on-write, as fork does);
 *   2. switch to the child (CR3) and run it in ring 3: it checks it sees the
 *      parent's data and writes `writes` pages, each a write-protection
 *      fault the kernel answers by copying the page and mapping the copy;
 *   3. switch back, give the parent its write access back, tear the child
 *      down, and check the parent's pages kept their contents.
 * mode=emul does the PTE work with plain stores, INVLPG and MOV CR3, as a
 * kernel on bare hardware would; mode=pv sends steps 1+switch and 3+switch
 * as one VESSEL_HC_MMU_BATCH each and every copy-on-write fix as a batch of
 * one (the guest's page tables then only change through the hypervisor,
 * as under Xen's paravirtual MMU).
 */
#include "arch.h"
#include "bench_ops.h"
#include "bench_pt.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "paging.h"
#include "syscall.h"
#include "task.h"
#include "trap.h"

/* The parent's pages: one page table's worth at most, 2 MiB aligned, in a slot no other op uses. */
#define FW_BASE (USER_REGION_BASE + (6ul << 30))
#define FW_PDPT_IDX ((FW_BASE >> 30) & 511)
#define FW_PD_IDX ((FW_BASE >> 21) & 511)
#define FW_MAX_PAGES ((VESSEL_HC_MMU_MAX - 4) / 2) /* one batch holds a whole round's half */
#define FW_MAX_WRITES (BENCH_POOL_MAX - 4)

/* The child's exit code counts wrong reads; stale ones (see fw_child) in these units. */
#define FW_STALE 0x10000ul

struct fw_child_args {
	uint64_t pages, writes, round;
};

static struct fw_child_args fw_child_args __user_data;

static __user_text uint64_t fw_pattern(uint64_t i)
{
	return (FW_BASE + i * PAGE_SIZE) * 0x9e3779b97f4a7c15ul;
}

static __user_text uint64_t fw_child_value(uint64_t i, uint64_t round)
{
	return ~fw_pattern(i) ^ round;
}

/* Ring 3, in the child's address space: u_exit(number of wrong reads). */
static __user_text void fw_child(uint64_t arg)
{
	const struct fw_child_args *a = (const struct fw_child_args *)arg;
	uint64_t bad = 0;

	for (uint64_t i = 0; i < a->pages; i++) {
		uint64_t v = *(volatile uint64_t *)(FW_BASE + i * PAGE_SIZE);

		/* The previous child's copy instead of the parent's page: a stale mapping. */
		if (v != fw_pattern(i))
			bad += a->round && v == fw_child_value(i, a->round - 1) ? FW_STALE : 1;
	}
	for (uint64_t i = 0; i < a->writes; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(FW_BASE + i * PAGE_SIZE);

		*p = fw_child_value(i, a->round);
		bad += *p != fw_child_value(i, a->round);
	}
	u_exit(bad);
}

struct fw_state {
	const struct bench_cfg *c;
	struct bench_pool pool;
	uint64_t parent;		     /* the kernel's PML4 */
	uint64_t *ppt;			     /* the parent's page table for FW_BASE */
	uint64_t *cpml4, *cpdpt, *cpd, *cpt; /* the child's tables of this round */
	uint64_t copies[FW_MAX_WRITES];
	unsigned nr_copies;
	uint64_t faults;
	struct vessel_hc_pte batch[VESSEL_HC_MMU_MAX];
	unsigned nr_batch;
};

static struct fw_state fw_state;

/* Stage one entry update: a store now (emul), or a batch entry for later (pv). */
static void fw_set(struct fw_state *s, uint64_t *entry, uint64_t value)
{
	if (!s->c->pv) {
		*entry = value;
		return;
	}
	s->batch[s->nr_batch].pte_gpa = (uint64_t)entry; /* identity map: va == gpa */
	s->batch[s->nr_batch].value = value;
	s->nr_batch++;
}

/*
 * Apply the staged batch and load cr3 (pv), or just load cr3 (emul: the
 * entries are already stored). 0, or -1 when the hypercall answered wrong:
 * then we are back in the parent's space, whatever the host did.
 */
static int fw_commit(struct fw_state *s, uint64_t cr3)
{
	int64_t ret;

	if (!s->c->pv) {
		write_cr3(cr3);
		return 0;
	}
	ret = bench_hcall(s->c, VESSEL_HC_MMU_BATCH, (uint64_t)s->batch, s->nr_batch,
			  VESSEL_HC_MMU_LOAD_CR3, cr3);
	if (ret == (int64_t)s->nr_batch) {
		s->nr_batch = 0;
		return 0;
	}
	kprintf("testguest: enginebench: forkwait: MMU_BATCH of %u with LOAD_CR3 returned %ld\n",
		s->nr_batch, (long)ret);
	s->nr_batch = 0;
	if ((read_cr3() & PTE_ADDR) != s->parent)
		write_cr3(s->parent);
	return -1;
}

/* After a failed batch: give the parent its pages back natively, whatever was applied. */
static void fw_abort(struct fw_state *s)
{
	for (uint64_t i = 0; i < s->c->pages; i++)
		s->ppt[i] |= PTE_W;
	write_cr3(s->parent);
	s->cpt = 0;
}

/* Write fault on a child page: copy it, map the copy writable. */
static int fw_cow_fault(struct trap_frame *f, void *ctx)
{
	struct fw_state *s = ctx;
	uint64_t cr2 = read_cr2(), idx, copy, entry;
	const uint64_t want = PF_PRESENT | PF_WRITE | PF_USER;
	void *dst, *src;
	uint64_t nq = PAGE_SIZE / 8;

	if ((f->error_code & want) != want || cr2 < FW_BASE ||
	    cr2 >= FW_BASE + s->c->pages * PAGE_SIZE || !s->cpt)
		return -1;
	idx = (cr2 - FW_BASE) / PAGE_SIZE;
	if (s->cpt[idx] & PTE_W)
		return -1; /* already copied: a second fault is a bug, not copy-on-write */
	copy = bench_pool_get(&s->pool);
	if (!copy || s->nr_copies >= FW_MAX_WRITES) {
		kprintf("testguest: enginebench: forkwait: frame pool empty\n");
		return -1;
	}
	s->copies[s->nr_copies++] = copy;
	dst = (void *)copy;
	src = (void *)(s->cpt[idx] & PTE_ADDR);
	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(nq) : : "memory");
	entry = copy | PTE_P | PTE_W | PTE_U;
	if (s->c->pv) {
		int64_t ret;

		s->batch[0].pte_gpa = (uint64_t)&s->cpt[idx];
		s->batch[0].value = entry;
		ret = bench_hcall(s->c, VESSEL_HC_MMU_BATCH, (uint64_t)s->batch, 1, 0, 0);
		if (ret != 1) {
			kprintf("testguest: enginebench: forkwait: MMU_BATCH of 1 returned %ld\n",
				(long)ret);
			return -1; /* the task dies; the round reports it */
		}
	} else {
		s->cpt[idx] = entry;
		invlpg(cr2 & ~(PAGE_SIZE - 1));
	}
	s->faults++;
	return 0;
}

/* One fork/wait round: 0, or -1 after printing why. */
static int fw_round(struct fw_state *s, uint64_t round)
{
	const struct bench_cfg *c = s->c;
	const uint64_t link = PTE_P | PTE_W | PTE_U;
	struct task t = {.entry = fw_child, .arg = (uint64_t)&fw_child_args};
	uint64_t *pml4 = (uint64_t *)s->parent;

	s->cpml4 = (uint64_t *)bench_pool_get(&s->pool);
	s->cpdpt = (uint64_t *)bench_pool_get(&s->pool);
	s->cpd = (uint64_t *)bench_pool_get(&s->pool);
	s->cpt = (uint64_t *)bench_pool_get(&s->pool);
	s->nr_copies = 0;
	/* 1. The child's tables: the kernel's half shared, the parent's pages read-only. */
	fw_set(s, &s->cpml4[0], pml4[0]);
	fw_set(s, &s->cpml4[(FW_BASE >> 39) & 511], (uint64_t)s->cpdpt | link);
	fw_set(s, &s->cpdpt[FW_PDPT_IDX], (uint64_t)s->cpd | link);
	fw_set(s, &s->cpd[FW_PD_IDX], (uint64_t)s->cpt | link);
	for (uint64_t i = 0; i < c->pages; i++) {
		fw_set(s, &s->cpt[i], s->ppt[i] & ~PTE_W);
		fw_set(s, &s->ppt[i], s->ppt[i] & ~PTE_W);
	}
	/* The switch also flushes the parent's old writable entries. */
	if (fw_commit(s, (uint64_t)s->cpml4) < 0) {
		fw_abort(s);
		return -1;
	}

	/* 2. The child runs. */
	fw_child_args.pages = c->pages;
	fw_child_args.writes = c->writes;
	fw_child_args.round = round;
	if (task_run(&t) < 0 || t.exit_code) {
		write_cr3(s->parent);
		if (t.killed)
			kprintf("testguest: enginebench: forkwait: child killed by vector %lu err "
				"0x%lx at 0x%lx cr2 0x%lx\n",
				t.fault.vector, t.fault.error_code, t.fault.rip, t.fault.cr2);
		else if (t.exit_code >= FW_STALE)
			kprintf("testguest: enginebench: forkwait: child read %lu pages of the "
				"previous child's copies through fresh mappings: stale page-table "
				"view (%s)\n",
				t.exit_code / FW_STALE,
				c->pv ? "MMU_BATCH's writes unseen by the CPU" : "missed flush");
		else
			kprintf("testguest: enginebench: forkwait: child saw %lu wrong values\n",
				t.exit_code);
		return -1;
	}

	/*
	 * 3. Back to the parent, child torn down. Natively the switch must come
	 * before the child's tables are cleared (we run on them until then); a
	 * batch is applied by the host while the guest waits, so order is free.
	 */
	for (uint64_t i = 0; i < c->pages; i++)
		fw_set(s, &s->ppt[i], s->ppt[i] | PTE_W);
	if (!c->pv)
		write_cr3(s->parent);
	for (uint64_t i = 0; i < c->pages; i++)
		fw_set(s, &s->cpt[i], 0);
	fw_set(s, &s->cpd[FW_PD_IDX], 0);
	fw_set(s, &s->cpdpt[FW_PDPT_IDX], 0);
	fw_set(s, &s->cpml4[(FW_BASE >> 39) & 511], 0);
	fw_set(s, &s->cpml4[0], 0);
	if (c->pv && fw_commit(s, s->parent) < 0) {
		fw_abort(s);
		return -1;
	}
	for (unsigned k = 0; k < s->nr_copies; k++)
		bench_pool_put(&s->pool, s->copies[k]);
	bench_pool_put(&s->pool, (uint64_t)s->cpt);
	bench_pool_put(&s->pool, (uint64_t)s->cpd);
	bench_pool_put(&s->pool, (uint64_t)s->cpdpt);
	bench_pool_put(&s->pool, (uint64_t)s->cpml4);
	s->cpt = 0;
	for (uint64_t i = 0; i < c->writes; i++)
		if (*(volatile uint64_t *)(FW_BASE + i * PAGE_SIZE) != fw_pattern(i)) {
			kprintf("testguest: enginebench: forkwait: the child's write reached the "
				"parent's page %lu\n",
				i);
			return -1;
		}
	return 0;
}

static int fw_rounds(struct fw_state *s, uint64_t first, uint64_t n)
{
	for (uint64_t r = 0; r < n; r++)
		if (fw_round(s, first + r) < 0)
			return -1;
	return 0;
}

static int fw_setup(struct fw_state *s)
{
	const struct bench_cfg *c = s->c;

	if (c->pages < 1 || c->pages > FW_MAX_PAGES || c->writes < 1 || c->writes > c->pages ||
	    c->writes > FW_MAX_WRITES) {
		kprintf("testguest: enginebench: forkwait: want 1 <= writes (%lu) <= pages (%lu) "
			"<= %lu and writes <= %lu\n",
			c->writes, c->pages, (uint64_t)FW_MAX_PAGES, (uint64_t)FW_MAX_WRITES);
		return -1;
	}
	s->parent = read_cr3() & PTE_ADDR;
	for (uint64_t i = 0; i < c->pages; i++) {
		uint64_t va = FW_BASE + i * PAGE_SIZE, *pte = bench_pte(s->parent, va, 1);
		uint64_t f = pte ? (*pte & PTE_ADDR) : 0;

		if (pte && !(*pte & PTE_P)) {
			f = frame_alloc(); /* first forkwait of this boot: map the parent's pages */
			if (f)
				*pte = f | PTE_P | PTE_W | PTE_U;
		}
		if (!f) {
			kprintf("testguest: enginebench: forkwait: out of guest RAM\n");
			return -1;
		}
		*(uint64_t *)f = fw_pattern(i);
		if (i == 0)
			s->ppt = pte;
	}
	return bench_pool_fill(&s->pool, 4 + (unsigned)c->writes);
}

enum bench_status bench_forkwait(const struct bench_cfg *c, struct bench_result *r)
{
	struct fw_state *s = &fw_state;
	uint64_t t0;
	int ret;

	*s = (struct fw_state){.c = c};
	r->via = c->pv ? "hypercall" : "trap";
	if (fw_setup(s) < 0)
		return BENCH_FAIL;
	trap_register(VEC_PF, fw_cow_fault, s);
	ret = fw_rounds(s, 0, c->warm);
	if (!ret) {
		t0 = rdtsc();
		for (uint64_t i = 0; i < c->n; i++)
			__asm__ volatile("" : : : "memory");
		r->t_empty = rdtsc() - t0;
		t0 = rdtsc();
		ret = fw_rounds(s, c->warm, c->n);
		r->t_op = rdtsc() - t0;
	}
	trap_unregister(VEC_PF);
	r->n = c->n;
	if (ret < 0)
		return BENCH_FAIL;
	if (s->faults != (c->warm + c->n) * c->writes) {
		kprintf("testguest: enginebench: forkwait: %lu copy-on-write faults, want %lu\n",
			s->faults, (c->warm + c->n) * c->writes);
		return BENCH_FAIL;
	}
	return BENCH_OK;
}
