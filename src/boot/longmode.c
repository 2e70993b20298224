#include "boot/longmode.h"

#include <string.h>

#include "boot/le.h"
#include "mem/gmem.h"

/* Flat code/data descriptors, the same values Linux uses for __BOOT_CS/__BOOT_DS. */
#define GDT_CODE64 0x00af9b000000ffffull /* P, DPL 0, S, type 0xb, L=1, D=0, G */
#define GDT_DATA 0x00cf93000000ffffull   /* P, DPL 0, S, type 0x3, D/B=1, G */

#define SEG_TYPE_CODE 0xb     /* execute/read, accessed */
#define SEG_TYPE_DATA 0x3     /* read/write, accessed */
#define SEG_TYPE_TSS_BUSY 0xb /* 64-bit TSS, busy: what LTR leaves behind */
#define SEG_TYPE_LDT 0x2

#define TSS_IOMAP_BASE_OFF 0x66

/* 16-byte system descriptor for the TSS (SDM Vol. 3A, 7.2.3, figure 7-4). */
static void gdt_tss_desc(uint8_t out[16], uint64_t base, uint32_t limit)
{
	uint64_t lo = (limit & 0xffffull) | ((base & 0xffffffull) << 16) |
		      ((uint64_t)SEG_TYPE_TSS_BUSY << 40) | (1ull << 47) /* P */ |
		      ((uint64_t)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xffull) << 56);

	le64_put(out, lo);
	le64_put(out + 8, base >> 32);
}

static int longmode_gdt(struct gmem *m)
{
	uint8_t gdt[LONGMODE_GDT_LIMIT + 1] = { 0 };
	uint8_t tss[LONGMODE_TSS_LIMIT + 1] = { 0 };
	int ret;

	le64_put(gdt + LONGMODE_SEL_CODE, GDT_CODE64);
	le64_put(gdt + LONGMODE_SEL_DATA, GDT_DATA);
	gdt_tss_desc(gdt + LONGMODE_SEL_TSS, LONGMODE_TSS_ADDR, LONGMODE_TSS_LIMIT);
	/* I/O map base past the limit: no I/O bitmap, so ring 3 gets no ports by accident. */
	le16_put(tss + TSS_IOMAP_BASE_OFF, sizeof(tss));
	ret = gmem_copy_to(m, BOOT_GDT_ADDR, gdt, sizeof(gdt));
	if (!ret)
		ret = gmem_copy_to(m, LONGMODE_TSS_ADDR, tss, sizeof(tss));
	return ret;
}

/* PML4[0] -> PDPT, PDPT[0..3] -> four PDs, each PD maps 1 GiB with 512 2-MiB pages. */
static int longmode_page_tables(struct gmem *m)
{
	uint8_t page[GMEM_PAGE_SIZE];
	int ret;

	memset(page, 0, sizeof(page));
	le64_put(page, LONGMODE_PDPT_ADDR | PTE_PRESENT | PTE_WRITE);
	ret = gmem_copy_to(m, BOOT_PML4_ADDR, page, sizeof(page));
	if (ret)
		return ret;

	memset(page, 0, sizeof(page));
	for (uint64_t i = 0; i < 4; i++)
		le64_put(page + i * 8,
			 (LONGMODE_PD_ADDR + i * GMEM_PAGE_SIZE) | PTE_PRESENT | PTE_WRITE);
	ret = gmem_copy_to(m, LONGMODE_PDPT_ADDR, page, sizeof(page));
	if (ret)
		return ret;

	for (uint64_t i = 0; i < 4; i++) {
		for (uint64_t j = 0; j < 512; j++)
			le64_put(page + j * 8, ((i << 30) + (j << 21)) | PTE_PRESENT | PTE_WRITE |
						       PTE_PS);
		ret = gmem_copy_to(m, LONGMODE_PD_ADDR + i * GMEM_PAGE_SIZE, page, sizeof(page));
		if (ret)
			return ret;
	}
	return 0;
}

static struct engine_segment seg_flat(uint16_t selector, uint8_t type, bool code)
{
	return (struct engine_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code ? 0 : 1, /* D must be 0 when L is 1 (SDM Vol. 3A, 5.2.1) */
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

int longmode_setup(struct gmem *m, struct boot_entry *entry)
{
	struct engine_sregs *s = &entry->sregs;
	int ret;

	ret = longmode_gdt(m);
	if (ret)
		return ret;
	ret = longmode_page_tables(m);
	if (ret)
		return ret;

	memset(s, 0, sizeof(*s));
	s->cs = seg_flat(LONGMODE_SEL_CODE, SEG_TYPE_CODE, true);
	s->ds = seg_flat(LONGMODE_SEL_DATA, SEG_TYPE_DATA, false);
	s->es = s->ds;
	s->fs = s->ds;
	s->gs = s->ds;
	s->ss = s->ds;
	/* KVM refuses to enter a guest whose TR is unusable, so point it at a real TSS. */
	s->tr = (struct engine_segment){
		.base = LONGMODE_TSS_ADDR,
		.limit = LONGMODE_TSS_LIMIT,
		.selector = LONGMODE_SEL_TSS,
		.type = SEG_TYPE_TSS_BUSY,
		.present = 1,
	};
	s->ldt = (struct engine_segment){ .type = SEG_TYPE_LDT, .unusable = 1 };
	s->gdt = (struct engine_dtable){ .base = BOOT_GDT_ADDR, .limit = LONGMODE_GDT_LIMIT };
	/* No IDT: any exception before the kernel installs its own is a clean triple fault. */
	s->idt = (struct engine_dtable){ .base = 0, .limit = 0 };
	s->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s->cr3 = BOOT_PML4_ADDR;
	s->cr4 = X86_CR4_PAE;
	s->efer = X86_EFER_LME | X86_EFER_LMA;
	s->apic_base = LONGMODE_APIC_BASE;
	entry->regs.rflags = X86_RFLAGS_FIXED;
	return 0;
}
