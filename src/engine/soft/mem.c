/*
 * Soft TLB slow paths: fills through the creator's callback, page-crossing
 * and MMIO accesses, writes to code pages (self-modifying code), flushes.
 * Paging semantics (what faults) belong to tlb_fill; the core adds the
 * canonical-address check of 64-bit mode (SDM Vol. 1, 3.3.7.1: #GP(0)).
 */
#include <errno.h>

#include "engine/soft/block.h"
#include "engine/soft/mem.h"
#include "engine/soft/op.h"

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static struct soft_tlb_entry *tlb_set(struct soft_cpu *cpu, enum soft_access acc)
{
	struct soft_tlb_entry(*set)[SOFT_TLB_SIZE];
	if (acc == SOFT_ACC_WRITE)
		set = cpu->tlb.write;
	else if (acc == SOFT_ACC_FETCH)
		set = cpu->tlb.fetch;
	else
		set = cpu->tlb.read;
	return set[cpu->cpl == 3];
}

struct xlate {
	uint8_t *host;   /* NULL for MMIO */
	uint64_t paddr;
	bool code;       /* write to a page with decoded code */
};

static int raise_pf(struct soft_cpu *cpu, uint64_t va, uint32_t ec)
{
	cpu->cr2 = va;
	if (cpu->stop)
		cpu->stop->exc.cr2 = va;
	return soft_raise_err(cpu, SOFT_EXC_PF, ec);
}

static int fail_internal(struct soft_cpu *cpu, int err)
{
	if (cpu->stop) {
		cpu->stop->reason = SOFT_STOP_INTERNAL;
		cpu->stop->internal.err = err;
	}
	return SOFT_FAULT;
}

/* Translate one byte address; install a TLB entry when the page allows a fast path. */
static int translate(struct soft_cpu *cpu, uint64_t va, enum soft_access acc, struct xlate *x)
{
	struct soft_tlb_entry *set = tlb_set(cpu, acc);
	struct soft_tlb_entry *e = &set[(va >> SOFT_PAGE_SHIFT) & (SOFT_TLB_SIZE - 1)];
	uint64_t page = va & SOFT_PAGE_MASK;
	struct soft_tlb_fill f = { 0 };
	int r;

	if (unlikely(!canonical(va))) {
		if (acc != SOFT_ACC_FETCH && cpu->stop && soft_insn_uses_ss(cpu))
			return soft_raise_err(cpu, SOFT_EXC_SS, 0);
		return soft_raise_gp0(cpu);
	}
	if (e->tag == page) {
		x->host = (uint8_t *)(uintptr_t)(va + e->addend);
		x->paddr = e->paddr | (va & ~SOFT_PAGE_MASK);
		x->code = false;
		return 0;
	}
	cpu->stats.tlb_fills++;
	r = cpu->cfg.tlb_fill(cpu->cfg.opaque, va, acc, cpu->cpl, &f);
	if (r & SOFT_FILL_FAULT)
		return raise_pf(cpu, va, (uint32_t)r & ~(uint32_t)SOFT_FILL_FAULT);
	if (r < 0)
		return fail_internal(cpu, r);
	if (!(f.prot & acc)) {
		uint32_t ec = SOFT_PFEC_P;
		if (acc == SOFT_ACC_WRITE)
			ec |= SOFT_PFEC_W;
		if (acc == SOFT_ACC_FETCH)
			ec |= SOFT_PFEC_I;
		if (cpu->cpl == 3)
			ec |= SOFT_PFEC_U;
		return raise_pf(cpu, va, ec);
	}
	x->paddr = (f.paddr & SOFT_PAGE_MASK) | (va & ~SOFT_PAGE_MASK);
	x->code = false;
	if (f.mmio || !f.host_page) {
		x->host = NULL;
		return 0;
	}
	x->host = (uint8_t *)f.host_page + (va & ~SOFT_PAGE_MASK);
	if (acc == SOFT_ACC_WRITE && soft_cache_is_code_page(cpu->cache, f.paddr & SOFT_PAGE_MASK)) {
		/* No fast entry: the write must reach the block cache. */
		x->code = true;
		return 0;
	}
	e->tag = page;
	e->addend = (uintptr_t)f.host_page - (uintptr_t)page;
	e->paddr = f.paddr & SOFT_PAGE_MASK;
	cpu->tlb_global[acc == SOFT_ACC_WRITE ? 1 : acc == SOFT_ACC_FETCH ? 2 : 0][cpu->cpl == 3]
		       [(va >> SOFT_PAGE_SHIFT) & (SOFT_TLB_SIZE - 1)] = f.global;
	return 0;
}

int soft_fetch_translate(struct soft_cpu *cpu, uint64_t va, const uint8_t **host, uint64_t *paddr)
{
	struct xlate x;
	int r = translate(cpu, va, SOFT_ACC_FETCH, &x);
	if (r)
		return r;
	if (!x.host)
		return soft_raise_gp0(cpu); /* executing from MMIO is not supported */
	*host = x.host;
	*paddr = x.paddr;
	return 0;
}

static int mmio_read(struct soft_cpu *cpu, uint64_t pa, unsigned size, uint64_t *val)
{
	int r;
	if (!cpu->cfg.mmio_read)
		return soft_raise_gp0(cpu);
	r = cpu->cfg.mmio_read(cpu->cfg.opaque, pa, size, val);
	return r < 0 ? fail_internal(cpu, r) : 0;
}

static int read_slow(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t *val,
		     enum soft_access acc)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;
	unsigned first = (unsigned)MIN((uint64_t)size, SOFT_PAGE_SIZE - (va & ~SOFT_PAGE_MASK));
	struct xlate x1, x2;
	int r;

	r = translate(cpu, va, acc, &x1);
	if (r)
		return r;
	if (first == size) {
		if (!x1.host)
			return mmio_read(cpu, x1.paddr, size, val);
		memcpy(b, x1.host, size);
	} else {
		r = translate(cpu, va + first, acc, &x2);
		if (r)
			return r;
		if (!x1.host || !x2.host)
			return soft_raise_gp0(cpu); /* page-crossing MMIO: not supported */
		memcpy(b, x1.host, first);
		memcpy(b + first, x2.host, size - first);
	}
	memcpy(&v, b, 8);
	*val = v & (size == 8 ? ~0ull : (1ull << (size * 8)) - 1);
	return 0;
}

int soft_mem_read_slow(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
	return read_slow(cpu, va, size, val, SOFT_ACC_READ);
}

int soft_mem_rmw_read_slow(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
	return read_slow(cpu, va, size, val, SOFT_ACC_WRITE);
}

static void store(struct soft_cpu *cpu, const struct xlate *x, const void *src, unsigned len)
{
	memcpy(x->host, src, len);
	if (x->code)
		soft_cache_page_written(cpu, x->paddr & SOFT_PAGE_MASK);
}

int soft_mem_write_slow(struct soft_cpu *cpu, uint64_t va, unsigned size, uint64_t val)
{
	unsigned first = (unsigned)MIN((uint64_t)size, SOFT_PAGE_SIZE - (va & ~SOFT_PAGE_MASK));
	struct xlate x1, x2;
	int r;

	r = translate(cpu, va, SOFT_ACC_WRITE, &x1);
	if (r)
		return r;
	if (first == size) {
		if (!x1.host) {
			if (!cpu->cfg.mmio_write)
				return soft_raise_gp0(cpu);
			r = cpu->cfg.mmio_write(cpu->cfg.opaque, x1.paddr, size, val);
			return r < 0 ? fail_internal(cpu, r) : 0;
		}
		store(cpu, &x1, &val, size);
		return 0;
	}
	/* Both pages must be writable before either is touched. */
	r = translate(cpu, va + first, SOFT_ACC_WRITE, &x2);
	if (r)
		return r;
	if (!x1.host || !x2.host)
		return soft_raise_gp0(cpu);
	store(cpu, &x1, &val, first);
	store(cpu, &x2, (const uint8_t *)&val + first, size - first);
	return 0;
}

/*
 * Translate every page of [va, va+len) for acc without touching memory;
 * ram_only: a page that is MMIO is #GP(0) (the buffer accessors copy
 * through host pointers).
 */
static int probe_pages(struct soft_cpu *cpu, uint64_t va, uint64_t len, enum soft_access acc,
		       bool ram_only)
{
	uint64_t done, chunk;
	struct xlate x;
	int r;

	for (done = 0; done < len; done += chunk) {
		uint64_t a = va + done;
		chunk = MIN(len - done, SOFT_PAGE_SIZE - (a & ~SOFT_PAGE_MASK));
		r = translate(cpu, a, acc, &x);
		if (r)
			return r;
		if (ram_only && !x.host)
			return soft_raise_gp0(cpu);
	}
	return 0;
}

/* Walk [va, va+len) page by page: check every page first, then copy. */
static int buf_access(struct soft_cpu *cpu, uint64_t va, void *buf, uint64_t len, bool write)
{
	enum soft_access acc = write ? SOFT_ACC_WRITE : SOFT_ACC_READ;
	uint64_t done, chunk;
	struct xlate x;
	int r = probe_pages(cpu, va, len, acc, true);

	if (r)
		return r;
	for (done = 0; done < len; done += chunk) {
		uint64_t a = va + done;
		chunk = MIN(len - done, SOFT_PAGE_SIZE - (a & ~SOFT_PAGE_MASK));
		r = translate(cpu, a, acc, &x);
		if (r)
			return r;
		if (write)
			store(cpu, &x, (const uint8_t *)buf + done, (unsigned)chunk);
		else
			memcpy((uint8_t *)buf + done, x.host, chunk);
	}
	return 0;
}

int soft_mem_read_buf(struct soft_cpu *cpu, uint64_t va, void *buf, unsigned len)
{
	return buf_access(cpu, va, buf, len, false);
}

int soft_mem_write_buf(struct soft_cpu *cpu, uint64_t va, const void *buf, unsigned len)
{
	return buf_access(cpu, va, (void *)(uintptr_t)buf, len, true);
}

int soft_mem_probe_write(struct soft_cpu *cpu, uint64_t va, unsigned len)
{
	return probe_pages(cpu, va, len, SOFT_ACC_WRITE, false);
}

/* From outside a run: return the #PF error code | SOFT_FILL_FAULT, or -errno. */
static int virt_access(struct soft_cpu *cpu, uint64_t vaddr, void *buf, uint64_t len, bool write)
{
	struct soft_stop tmp, *saved = cpu->stop;
	uint64_t saved_cr2 = cpu->cr2;
	int r;

	cpu->stop = &tmp;
	tmp.reason = SOFT_STOP_BUDGET;
	r = buf_access(cpu, vaddr, buf, len, write);
	cpu->stop = saved;
	cpu->cr2 = saved_cr2; /* a runner's probe is not a guest fault */
	if (!r)
		return 0;
	if (tmp.reason == SOFT_STOP_INTERNAL)
		return tmp.internal.err;
	if (tmp.exc.vector == SOFT_EXC_PF)
		return (int)(tmp.exc.error_code | SOFT_FILL_FAULT);
	return -EFAULT;
}

int soft_cpu_read_virt(struct soft_cpu *cpu, uint64_t vaddr, void *buf, uint64_t len)
{
	return virt_access(cpu, vaddr, buf, len, false);
}

int soft_cpu_write_virt(struct soft_cpu *cpu, uint64_t vaddr, const void *buf, uint64_t len)
{
	return virt_access(cpu, vaddr, (void *)(uintptr_t)buf, len, true);
}

void soft_tlb_flush_all(struct soft_cpu *cpu)
{
	memset(&cpu->tlb, 0xff, sizeof(cpu->tlb)); /* every tag = SOFT_TLB_INVALID */
	memset(cpu->tlb_global, 0, sizeof(cpu->tlb_global));
	cpu->stats.tlb_flushes++;
	cpu->tlb_gen++;
}

static void flush_set_nonglobal(struct soft_tlb_entry (*set)[SOFT_TLB_SIZE],
				const uint8_t (*global)[SOFT_TLB_SIZE])
{
	unsigned u, i;
	for (u = 0; u < 2; u++)
		for (i = 0; i < SOFT_TLB_SIZE; i++)
			if (!global[u][i])
				set[u][i].tag = SOFT_TLB_INVALID;
}

void soft_tlb_flush_nonglobal(struct soft_cpu *cpu)
{
	flush_set_nonglobal(cpu->tlb.read, cpu->tlb_global[0]);
	flush_set_nonglobal(cpu->tlb.write, cpu->tlb_global[1]);
	flush_set_nonglobal(cpu->tlb.fetch, cpu->tlb_global[2]);
	cpu->stats.tlb_flushes++;
	cpu->tlb_gen++;
}

void soft_tlb_flush_page(struct soft_cpu *cpu, uint64_t vaddr)
{
	uint64_t page = vaddr & SOFT_PAGE_MASK;
	unsigned i = (vaddr >> SOFT_PAGE_SHIFT) & (SOFT_TLB_SIZE - 1), u;

	for (u = 0; u < 2; u++) {
		if (cpu->tlb.read[u][i].tag == page)
			cpu->tlb.read[u][i].tag = SOFT_TLB_INVALID;
		if (cpu->tlb.write[u][i].tag == page)
			cpu->tlb.write[u][i].tag = SOFT_TLB_INVALID;
		if (cpu->tlb.fetch[u][i].tag == page)
			cpu->tlb.fetch[u][i].tag = SOFT_TLB_INVALID;
	}
	cpu->stats.tlb_page_flushes++;
	cpu->tlb_gen++;
}

/* A page became a code page: drop fast write entries that point at it. */
void soft_tlb_protect_code(struct soft_cpu *cpu, uint64_t ppage)
{
	unsigned u, i;
	for (u = 0; u < 2; u++)
		for (i = 0; i < SOFT_TLB_SIZE; i++)
			if (cpu->tlb.write[u][i].tag != SOFT_TLB_INVALID &&
			    cpu->tlb.write[u][i].paddr == ppage)
				cpu->tlb.write[u][i].tag = SOFT_TLB_INVALID;
}
