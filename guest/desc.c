/*
 * GDT, 64-bit TSS and IDT (Intel SDM Vol. 3A, 3.4.5 segment descriptors,
 * 7.7 task management in 64-bit mode, 6.14 64-bit IDT gates).
 *
 * These are per-CPU hardware tables; the guest runs on one CPU, so they are
 * static here rather than hung off a struct.
 */
#include "arch.h"
#include "desc.h"
#include "guest.h"
#include "lib.h"

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Flat segments: access byte and flags per SDM Vol. 3A, figure 3-8. */
#define GDT_KCODE64 0x00af9a000000fffful /* P, DPL0, code exec/read, L=1 */
#define GDT_KDATA 0x00cf92000000fffful	 /* P, DPL0, data read/write */
#define GDT_UCODE32 0x00cffa000000fffful /* P, DPL3, code, D=1 (SYSRET base slot) */
#define GDT_UDATA 0x00cff2000000fffful	 /* P, DPL3, data read/write */
#define GDT_UCODE64 0x00affa000000fffful /* P, DPL3, code, L=1 */

#define IDT_INTERRUPT_GATE 0x8e /* P, DPL0, 64-bit interrupt gate (IF cleared on entry) */
#define IDT_DPL3 0x60

/* Stubs in entry.S, 16 bytes apart: isr_stubs + 16 * vector. */
extern const char isr_stubs[];

static uint64_t gdt[9] __attribute__((aligned(16)));
/*
 * The TSS with an I/O permission bitmap that lets ring 3 use exactly one port,
 * GUEST_BENCH_PORT (the `exits` scenario times port-write exits from ring 3);
 * every other port stays closed to ring 3. The byte after the bitmap must be
 * 0xff (SDM Vol. 1, 19.5.2).
 */
#define IOMAP_BYTES (GUEST_BENCH_PORT / 8 + 1)
static struct {
	struct tss64 tss;
	uint8_t iomap[IOMAP_BYTES + 1];
} __attribute__((packed)) tss_io __attribute__((aligned(16)));
#define tss (tss_io.tss)
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t double_fault_stack[4096] __attribute__((aligned(16)));

static void gdt_set_tss(unsigned idx, uint64_t base, uint32_t limit)
{
	/* 16-byte system descriptor, type 9 = available 64-bit TSS (SDM 7.2.3). */
	gdt[idx] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ul << 40) |
		   ((uint64_t)(limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	gdt[idx + 1] = base >> 32;
}

static void idt_set(unsigned vec, uint8_t type_attr, uint8_t ist)
{
	uint64_t off = (uint64_t)(isr_stubs + 16 * vec);

	idt[vec] = (struct idt_gate){
		.offset_lo = (uint16_t)off,
		.selector = SEL_KERNEL_CS,
		.ist = ist,
		.type_attr = type_attr,
		.offset_mid = (uint16_t)(off >> 16),
		.offset_hi = (uint32_t)(off >> 32),
	};
}

void tss_set_rsp0(uint64_t rsp0)
{
	tss.rsp[0] = rsp0;
}

void desc_init(void)
{
	struct desc_ptr gp = {.limit = sizeof(gdt) - 1, .base = (uint64_t)gdt};
	struct desc_ptr ip = {.limit = sizeof(idt) - 1, .base = (uint64_t)idt};

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[SEL_KERNEL_CS >> 3] = GDT_KCODE64;
	gdt[SEL_KERNEL_DS >> 3] = GDT_KDATA;
	gdt[SEL_USER_CS32 >> 3] = GDT_UCODE32;
	gdt[SEL_USER_DS >> 3] = GDT_UDATA;
	gdt[SEL_USER_CS >> 3] = GDT_UCODE64;
	tss.iomap_base = sizeof(tss);
	for (unsigned i = 0; i < sizeof(tss_io.iomap); i++)
		tss_io.iomap[i] = 0xff;
	tss_io.iomap[GUEST_BENCH_PORT / 8] &= (uint8_t)~(1u << (GUEST_BENCH_PORT % 8));
	tss.ist[0] = (uint64_t)(double_fault_stack + sizeof(double_fault_stack));
	gdt_set_tss(SEL_TSS >> 3, (uint64_t)&tss_io, sizeof(tss_io) - 1);

	for (unsigned v = 0; v < 256; v++)
		idt_set(v, IDT_INTERRUPT_GATE, 0);
	/* A double fault gets its own stack (IST1) so a blown kernel stack still reports. */
	idt_set(VEC_DF, IDT_INTERRUPT_GATE, 1);
	idt_set(VEC_SYSCALL, IDT_INTERRUPT_GATE | IDT_DPL3, 0);

	__asm__ volatile("lgdt %0" : : "m"(gp));
	/* Reload every segment register from the new table; lretq reloads CS. */
	__asm__ volatile("mov %0, %%ds\n\t"
			 "mov %0, %%es\n\t"
			 "mov %0, %%ss\n\t"
			 "mov %0, %%fs\n\t"
			 "mov %0, %%gs\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:"
			 :
			 : "r"((uint64_t)SEL_KERNEL_DS), "i"(SEL_KERNEL_CS)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
	__asm__ volatile("lidt %0" : : "m"(ip));
}
