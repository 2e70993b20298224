/*
 * x86-64 instruction wrappers for the test guest's ring-0 code.
 *
 * Only general-purpose-register instructions on purpose: under the nested
 * /dev/kvm of our build machines ring-0 code is emulated by the host kernel,
 * which fails on SSE, x87, popcnt, rdtscp, int3, int n and more (DESIGN.md).
 */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

#include <stdint.h>

/* Architectural MSRs (Intel SDM Vol. 4, table 2-2). */
#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u
#define EFER_SCE (1ul << 0)

/* RFLAGS bits (SDM Vol. 1, 3.4.3). */
#define RFLAGS_CF (1ul << 0)
#define RFLAGS_TF (1ul << 8)
#define RFLAGS_IF (1ul << 9)
#define RFLAGS_DF (1ul << 10)
#define RFLAGS_RF (1ul << 16)
#define RFLAGS_AC (1ul << 18)

static inline __attribute__((always_inline)) void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline __attribute__((always_inline)) uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline __attribute__((always_inline)) uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline __attribute__((always_inline)) uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline __attribute__((always_inline)) void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline __attribute__((always_inline)) uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline __attribute__((always_inline)) uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline __attribute__((always_inline)) void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline __attribute__((always_inline)) void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline __attribute__((always_inline)) void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static inline __attribute__((always_inline)) uint64_t read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline __attribute__((always_inline)) void irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline __attribute__((always_inline)) void irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

/* sti takes effect after the next instruction, so no interrupt is lost between the two. */
static inline __attribute__((always_inline)) void irq_enable_and_halt(void)
{
	__asm__ volatile("sti; hlt" : : : "memory");
}

/* Take any interrupt already pending, then close again (sti's shadow covers the nop). */
static inline __attribute__((always_inline)) void irq_drain(void)
{
	__asm__ volatile("sti; nop; cli" : : : "memory");
}

static inline __attribute__((always_inline)) void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline __attribute__((always_inline)) uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline __attribute__((always_inline)) void mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

#endif
