/*
 * Local APIC in xAPIC mode (Intel SDM Vol. 3A, chapter 11): enable, EOI and
 * the timer (11.5.4). The register page is mapped uncached by paging.c.
 */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "timer.h"

#define MSR_APIC_BASE 0x1bu
#define APIC_BASE_ENABLE (1ul << 11)
#define LAPIC_DEFAULT_BASE 0xfee00000ul

#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_LVT_PERIODIC (1u << 17)
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LAPIC_DIVIDE_16 0x3

#define CPUID1_EDX_APIC (1u << 9)

static void lapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(LAPIC_DEFAULT_BASE + reg, v);
}

static uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(LAPIC_DEFAULT_BASE + reg);
}

int lapic_init(void)
{
	uint32_t r[4];
	uint64_t base;

	cpuid(1, 0, r);
	if (!(r[3] & CPUID1_EDX_APIC)) {
		kprintf("testguest: CPUID reports no local APIC\n");
		return -1;
	}
	/* Keep the architectural base; make sure the APIC is globally enabled. */
	base = rdmsr(MSR_APIC_BASE);
	if ((base & ~0xffful) != LAPIC_DEFAULT_BASE || !(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, LAPIC_DEFAULT_BASE | (base & 0xffful) | APIC_BASE_ENABLE);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
	lapic_timer_stop();
	return 0;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_start(uint8_t vector, uint32_t initial, int periodic, int masked)
{
	lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_16);
	lapic_write(LAPIC_LVT_TIMER,
		    vector | (periodic ? LAPIC_LVT_PERIODIC : 0) | (masked ? LAPIC_LVT_MASKED : 0));
	/* Writing the initial count (re)starts the timer (SDM 11.5.4). */
	lapic_write(LAPIC_TIMER_INITIAL, initial);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	/*
	 * A tick that fired before the mask may still wait in the IRR: deliver it
	 * now, while its handler is registered, not later into someone else.
	 * The kernel runs with interrupts off, so this never opens a window
	 * the caller did not expect.
	 */
	irq_drain();
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CURRENT);
}
