/* Periodic LAPIC tick with halting waits (ticker.h). */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "ticker.h"
#include "trap.h"

static int ticker_irq(struct trap_frame *f, void *ctx)
{
	struct ticker *t = ctx;

	t->ticks++;
	lapic_eoi();
	return 0;
}

int ticker_start(struct ticker *t, uint64_t hz)
{
	t->hz = hz;
	t->ticks = 0;
	if (lapic_init() < 0 || time_calibrate(&t->calib) < 0)
		return -1;
	if (t->calib.lapic_hz / hz == 0 || t->calib.lapic_hz / hz > UINT32_MAX) {
		kprintf("testguest: LAPIC timer at %lu Hz cannot tick at %lu Hz\n",
			t->calib.lapic_hz, hz);
		return -1;
	}
	trap_register(VEC_LAPIC_TIMER, ticker_irq, t);
	lapic_timer_start(VEC_LAPIC_TIMER, (uint32_t)(t->calib.lapic_hz / hz), 1, 0);
	return 0;
}

void ticker_stop(struct ticker *t)
{
	lapic_timer_stop();
	trap_unregister(VEC_LAPIC_TIMER);
}

void ticker_sleep(struct ticker *t, uint64_t n)
{
	uint64_t until = t->ticks + n;

	while (t->ticks < until) {
		irq_enable_and_halt();
		irq_disable();
	}
}
