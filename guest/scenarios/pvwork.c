/*
 * pvwork: one workload, run with trapping privileged instructions
 * (mode=trap) or with vessel's hypercalls (mode=pv, guest/hypercall.h),
 * printing the same checksum either way and on every engine.
 *
 * Two address spaces (two PML4s sharing the kernel's mappings) each map a
 * window of slots= pages (default 8) at PVW_WINDOW onto frames= data
 * frames (default 12). Each of rounds= rounds (default 16):
 *   1. switch to address space r&1         trap: MOV CR3   pv: MMU_BATCH(LOAD_CR3)
 *   2. read through the window, then remap it (one slot unmapped)
 *                                           trap: PTE stores + INVLPG
 *                                           pv: one MMU_BATCH
 *   3. write and read words through the window (a stale TLB entry would
 *      read the wrong frame and change the checksum)
 *   4. take one timer interrupt             trap: LAPIC one-shot (MMIO)
 *                                           pv: TIMER_ONESHOT
 *   5. print the round's sum                trap: UART   pv: CONSOLE_WRITE (+ YIELD)
 * and finally a checksum over every data frame read through the kernel's
 * identity map. mode=pv also checks that bad calls get the right -errno
 * and the VM goes on, and (hc=vmcall) that VMCALL from CPL 3 is #UD; it
 * ends with the EXIT hypercall.
 *
 * hc=vmcall|port picks the way in; default: vmcall on vessel's soft CPU
 * (brand string "vessel soft CPU"), the doorbell port elsewhere (under kvm
 * the kernel answers VMCALL itself).
 */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "guest.h"
#include "hcall.h"
#include "lib.h"
#include "paging.h"
#include "scenario.h"
#include "syscall.h"
#include "task.h"
#include "timer.h"
#include "trap.h"

#define PVW_WINDOW (3ul << 39) /* PML4 slot 3: free in the kernel's tables */
#define PVW_MAX_SLOTS 64
#define PVW_MAX_FRAMES 128
#define PVW_VECTOR 0x41
#define PVW_TIMER_NS 40000ul /* = LAPIC initial 2500 at divide-by-16 of a 1 GHz bus */
#define PVW_LAPIC_COUNT 2500u

#define EINVAL_ 22
#define EFAULT_ 14
#define E2BIG_ 7
#define ENOSYS_ 38

struct pvw_space {
	uint64_t root; /* PML4 frame */
	uint64_t *pt;  /* the page table of the window */
};

struct pvw {
	int pv;
	int port;
	uint64_t slots, nframes, rounds;
	uint64_t frames[PVW_MAX_FRAMES];
	struct pvw_space as[2];
	uint64_t kernel_root;
	volatile uint64_t ticks;
};

static struct vessel_hc_pte pvw_batch[PVW_MAX_SLOTS + 1] __attribute__((aligned(16)));
static char pvw_line[128];

static int64_t pvw_hc(const struct pvw *w, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		      uint64_t a3)
{
	return w->port ? hcall_port(nr, a0, a1, a2, a3) : hcall_vmcall(nr, a0, a1, a2, a3);
}

static uint64_t pvw_mix(uint64_t a, uint64_t b)
{
	a ^= b + 0x9e3779b97f4a7c15ul + (a << 6) + (a >> 2);
	return a * 0xff51afd7ed558ccdul;
}

/* "<prefix>0x<16 hex digits>\n" into pvw_line; returns the length. */
static size_t pvw_format(const char *prefix, uint64_t v)
{
	size_t n = strlen(prefix);

	memcpy(pvw_line, prefix, n);
	pvw_line[n++] = '0';
	pvw_line[n++] = 'x';
	for (int i = 15; i >= 0; i--)
		pvw_line[n++] = "0123456789abcdef"[(v >> (i * 4)) & 0xf];
	pvw_line[n++] = '\n';
	return n;
}

static void pvw_print(const struct pvw *w, const char *prefix, uint64_t v)
{
	size_t n = pvw_format(prefix, v);

	if (w->pv)
		pvw_hc(w, VESSEL_HC_CONSOLE_WRITE, (uint64_t)pvw_line, n, 0, 0);
	else
		uart_write(pvw_line, n);
}

static int pvw_tick(struct trap_frame *f, void *ctx)
{
	struct pvw *w = ctx;

	(void)f;
	w->ticks++;
	lapic_eoi();
	return 0;
}

static int pvw_space_init(struct pvw *w, struct pvw_space *s)
{
	uint64_t *pml4, *pdpt, *pd;
	uint64_t root = frame_alloc(), pdpt_pa = frame_alloc(), pd_pa = frame_alloc(),
		 pt_pa = frame_alloc();

	if (!root || !pdpt_pa || !pd_pa || !pt_pa)
		return -1;
	pml4 = (uint64_t *)root;
	memcpy(pml4, (const void *)w->kernel_root, PAGE_SIZE);
	pdpt = (uint64_t *)pdpt_pa;
	pd = (uint64_t *)pd_pa;
	pml4[(PVW_WINDOW >> 39) & 511] = pdpt_pa | PTE_P | PTE_W;
	pdpt[0] = pd_pa | PTE_P | PTE_W;
	pd[0] = pt_pa | PTE_P | PTE_W;
	s->root = root;
	s->pt = (uint64_t *)pt_pa;
	return 0;
}

static uint64_t pvw_pte(const struct pvw *w, uint64_t r, uint64_t i)
{
	if (i == r % w->slots)
		return 0; /* unmapped this round */
	return w->frames[(i * 5 + r * 3) % w->nframes] | PTE_P | PTE_W;
}

static void pvw_switch(struct pvw *w, uint64_t root)
{
	if (w->pv)
		pvw_hc(w, VESSEL_HC_MMU_BATCH, (uint64_t)pvw_batch, 0, VESSEL_HC_MMU_LOAD_CR3, root);
	else
		write_cr3(root);
}

static int pvw_remap(struct pvw *w, struct pvw_space *s, uint64_t r)
{
	int64_t ret;

	if (!w->pv) {
		for (uint64_t i = 0; i < w->slots; i++) {
			*(volatile uint64_t *)&s->pt[i] = pvw_pte(w, r, i);
			invlpg(PVW_WINDOW + i * PAGE_SIZE);
		}
		return 0;
	}
	for (uint64_t i = 0; i < w->slots; i++) {
		pvw_batch[i].pte_gpa = (uint64_t)&s->pt[i];
		pvw_batch[i].value = pvw_pte(w, r, i);
	}
	ret = pvw_hc(w, VESSEL_HC_MMU_BATCH, (uint64_t)pvw_batch, w->slots, 0, 0);
	if (ret != (int64_t)w->slots) {
		kprintf("testguest: pvwork: MMU_BATCH returned %ld, want %lu\n", (long)ret, w->slots);
		return -1;
	}
	return 0;
}

static int pvw_wait_tick(struct pvw *w)
{
	uint64_t want = w->ticks + 1;
	uint64_t start = rdtsc();

	if (w->pv) {
		int64_t ret = pvw_hc(w, VESSEL_HC_TIMER_ONESHOT, PVW_TIMER_NS, PVW_VECTOR, 0, 0);
		if (ret) {
			kprintf("testguest: pvwork: TIMER_ONESHOT returned %ld\n", (long)ret);
			return -1;
		}
	} else {
		lapic_timer_start(PVW_VECTOR, PVW_LAPIC_COUNT, 0, 0);
	}
	while (w->ticks < want) {
		irq_enable_and_halt();
		irq_disable();
		if (rdtsc() - start > (1ul << 36)) { /* tens of seconds at any plausible rate */
			kprintf("testguest: pvwork: the timer never fired\n");
			return -1;
		}
	}
	return 0;
}

static int pvw_rounds(struct pvw *w, uint64_t *sum)
{
	for (uint64_t r = 0; r < w->rounds; r++) {
		struct pvw_space *s = &w->as[r & 1];
		uint64_t rs = r;

		pvw_switch(w, s->root);
		/* Read through the old mapping first: the TLB holds it when the remap comes. */
		for (uint64_t i = 0; r >= 2 && i < w->slots; i++)
			if (pvw_pte(w, r - 2, i))
				rs = pvw_mix(rs, *(volatile uint64_t *)(PVW_WINDOW + i * PAGE_SIZE +
									 (r % 512) * 8));
		if (pvw_remap(w, s, r) < 0)
			return -1;
		for (uint64_t i = 0; i < w->slots; i++) {
			volatile uint64_t *p = (volatile uint64_t *)(PVW_WINDOW + i * PAGE_SIZE);

			if (i == r % w->slots)
				continue;
			p[(r * 7 + i) % 512] = pvw_mix(r, i);
			rs = pvw_mix(rs, p[(r * 13 + i * 3) % 512]);
			rs = pvw_mix(rs, p[(r * 7 + i) % 512]);
		}
		if (pvw_wait_tick(w) < 0)
			return -1;
		*sum = pvw_mix(*sum, rs);
		pvw_print(w, "testguest: pvwork: round sum ", rs);
		if (w->pv)
			pvw_hc(w, VESSEL_HC_YIELD, 0, 0, 0, 0);
	}
	pvw_switch(w, w->kernel_root);
	return 0;
}

static __user_text void pvw_user_vmcall(uint64_t arg)
{
	(void)arg;
	hcall_vmcall(VESSEL_HC_NOP, 0, 0, 0, 0);
	u_exit(0);
}

static int pvw_expect(const struct pvw *w, const char *what, int64_t got, int64_t want)
{
	(void)w;
	if (got == want)
		return 0;
	kprintf("testguest: pvwork: %s returned %ld, want %ld\n", what, (long)got, (long)want);
	return -1;
}

/* Hostile calls: each gets its -errno and changes nothing; the VM goes on. */
static int pvw_bad_calls(struct pvw *w)
{
	uint64_t *pte = &w->as[0].pt[0];
	uint64_t before = *pte;
	int bad = 0;

	bad |= pvw_expect(w, "NOP", pvw_hc(w, VESSEL_HC_NOP, 0, 0, 0, 0), 0);
	bad |= pvw_expect(w, "unknown call", pvw_hc(w, VESSEL_HC_BASE + 0x100, 0, 0, 0, 0), -ENOSYS_);
	bad |= pvw_expect(w, "CONSOLE_WRITE outside RAM",
			  pvw_hc(w, VESSEL_HC_CONSOLE_WRITE, 1ul << 50, 4, 0, 0), -EFAULT_);
	bad |= pvw_expect(w, "CONSOLE_WRITE too long",
			  pvw_hc(w, VESSEL_HC_CONSOLE_WRITE, (uint64_t)pvw_line, 1ul << 20, 0, 0),
			  -E2BIG_);
	pvw_batch[0].pte_gpa = (uint64_t)pte;
	pvw_batch[0].value = 0x1234000 | PTE_P;
	pvw_batch[1].pte_gpa = (uint64_t)pte + 4;
	pvw_batch[1].value = 0;
	bad |= pvw_expect(w, "MMU_BATCH misaligned entry",
			  pvw_hc(w, VESSEL_HC_MMU_BATCH, (uint64_t)pvw_batch, 2, 0, 0), -EINVAL_);
	pvw_batch[1].pte_gpa = 1ul << 50;
	bad |= pvw_expect(w, "MMU_BATCH entry outside RAM",
			  pvw_hc(w, VESSEL_HC_MMU_BATCH, (uint64_t)pvw_batch, 2, 0, 0), -EFAULT_);
	bad |= pvw_expect(w, "MMU_BATCH list outside RAM",
			  pvw_hc(w, VESSEL_HC_MMU_BATCH, 1ul << 50, 1, 0, 0), -EFAULT_);
	bad |= pvw_expect(w, "MMU_BATCH count > max",
			  pvw_hc(w, VESSEL_HC_MMU_BATCH, (uint64_t)pvw_batch, VESSEL_HC_MMU_MAX + 1, 0,
				 0),
			  -E2BIG_);
	bad |= pvw_expect(w, "MMU_BATCH CR3 outside RAM",
			  pvw_hc(w, VESSEL_HC_MMU_BATCH, (uint64_t)pvw_batch, 0,
				 VESSEL_HC_MMU_LOAD_CR3, 1ul << 50),
			  -EINVAL_);
	bad |= pvw_expect(w, "TIMER_ONESHOT vector 5",
			  pvw_hc(w, VESSEL_HC_TIMER_ONESHOT, 1000, 5, 0, 0), -EINVAL_);
	bad |= pvw_expect(w, "EXIT status 256", pvw_hc(w, VESSEL_HC_EXIT, 256, 0, 0, 0), -EINVAL_);
	if (*pte != before) {
		kprintf("testguest: pvwork: a refused MMU_BATCH changed a PTE\n");
		bad = -1;
	}
	if (bad)
		return -1;
	kprintf("testguest: pvwork: bad calls ok\n");
	if (!w->port) {
		struct task t = {.entry = pvw_user_vmcall};

		if (task_run(&t) == 0 || t.fault.vector != VEC_UD) {
			kprintf("testguest: pvwork: VMCALL from CPL 3 was not #UD (vector %lu)\n",
				t.killed ? t.fault.vector : 0ul);
			return -1;
		}
		kprintf("testguest: pvwork: vmcall from CPL 3: #UD\n");
	}
	return 0;
}

/* CPUID 0x40000000 signature (12 chars) and whether the brand says vessel's soft CPU. */
static int pvw_detect(char sig[13])
{
	uint32_t r[4], b[4];

	cpuid(1, 0, r);
	memset(sig, 0, 13);
	if (r[2] & (1u << 31)) {
		cpuid(0x40000000, 0, r);
		memcpy(sig, &r[1], 4);
		memcpy(sig + 4, &r[2], 4);
		memcpy(sig + 8, &r[3], 4);
	}
	cpuid(0x80000002, 0, b);
	return memcmp(b, "vessel soft", 11) == 0;
}

static int pvw_args(const struct guest *g, struct pvw *w, int soft)
{
	size_t len;
	const char *v = guest_arg(g, "mode", &len);

	w->pv = v && len == 2 && memcmp(v, "pv", 2) == 0;
	if (v && !w->pv && !(len == 4 && memcmp(v, "trap", 4) == 0)) {
		kprintf("testguest: pvwork: mode= wants trap or pv\n");
		return -1;
	}
	v = guest_arg(g, "hc", &len);
	w->port = !soft;
	if (v) {
		w->port = len == 4 && memcmp(v, "port", 4) == 0;
		if (!w->port && !(len == 6 && memcmp(v, "vmcall", 6) == 0)) {
			kprintf("testguest: pvwork: hc= wants vmcall or port\n");
			return -1;
		}
	}
	if (guest_arg_u64(g, "slots", 8, 2, PVW_MAX_SLOTS, &w->slots) < 0 ||
	    guest_arg_u64(g, "frames", 12, 2, PVW_MAX_FRAMES, &w->nframes) < 0 ||
	    guest_arg_u64(g, "rounds", 16, 1, 100000, &w->rounds) < 0)
		return -1;
	return 0;
}

static int pvwork_run(const struct guest *g)
{
	static struct pvw w;
	uint64_t sum = 0;
	char sig[13];
	int soft = pvw_detect(sig);

	if (pvw_args(g, &w, soft) < 0)
		return GUEST_EXIT_USAGE;
	kprintf("testguest: pvwork: hypervisor signature '%s', mode %s, hc %s\n", sig,
		w.pv ? "pv" : "trap", w.pv ? (w.port ? "port" : "vmcall") : "-");
	if (lapic_init() < 0)
		return GUEST_EXIT_FAIL;
	w.kernel_root = read_cr3() & PTE_ADDR;
	for (uint64_t j = 0; j < w.nframes; j++) {
		uint64_t *f = (uint64_t *)frame_alloc();

		if (!f) {
			kprintf("testguest: pvwork: out of frames\n");
			return GUEST_EXIT_FAIL;
		}
		for (uint64_t k = 0; k < 512; k++)
			f[k] = pvw_mix(j, k);
		w.frames[j] = (uint64_t)f;
	}
	if (pvw_space_init(&w, &w.as[0]) < 0 || pvw_space_init(&w, &w.as[1]) < 0) {
		kprintf("testguest: pvwork: out of frames for page tables\n");
		return GUEST_EXIT_FAIL;
	}
	if (w.pv && pvw_bad_calls(&w) < 0)
		return GUEST_EXIT_FAIL;
	trap_register(PVW_VECTOR, pvw_tick, &w);
	if (pvw_rounds(&w, &sum) < 0)
		return GUEST_EXIT_FAIL;
	trap_unregister(PVW_VECTOR);
	if (w.ticks != w.rounds) {
		kprintf("testguest: pvwork: %lu timer interrupts, want %lu\n", w.ticks, w.rounds);
		return GUEST_EXIT_FAIL;
	}
	for (uint64_t j = 0; j < w.nframes; j++)
		for (uint64_t k = 0; k < 512; k++)
			sum = pvw_mix(sum, ((uint64_t *)w.frames[j])[k]);
	pvw_print(&w, "testguest: pvwork: checksum ", sum);
	if (w.pv) {
		static const char ok[] = "testguest: pvwork ok\n";

		pvw_hc(&w, VESSEL_HC_CONSOLE_WRITE, (uint64_t)ok, sizeof(ok) - 1, 0, 0);
		pvw_hc(&w, VESSEL_HC_EXIT, GUEST_EXIT_PASS, 0, 0, 0);
		kprintf("testguest: pvwork: the EXIT hypercall returned\n");
		return GUEST_EXIT_FAIL;
	}
	return GUEST_EXIT_PASS;
}

const struct scenario scenario_pvwork = {
	.name = "pvwork",
	.summary = "one workload, privileged instructions trapped or via hypercalls (mode=trap|pv)",
	.run = pvwork_run,
};
