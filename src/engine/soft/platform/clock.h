/*
 * Guest time for the platform devices of the soft engine.
 *
 * Every timer model (LAPIC, PIT) reads the time through a struct plat_clock
 * and never sleeps: it only answers "when is my next event" and "fire what
 * has expired". The engine decides how guest time relates to host time (the
 * normal clock is CLOCK_MONOTONIC); tests pass a fake clock they advance by
 * hand. Counters that run at a fixed frequency (the guest TSC, the LAPIC
 * timer base clock, the PIT's 1.193182 MHz) are all derived from this one
 * nanosecond clock, so they always agree with each other.
 */
#ifndef VESSEL_ENGINE_SOFT_PLATFORM_CLOCK_H
#define VESSEL_ENGINE_SOFT_PLATFORM_CLOCK_H

#include <stdint.h>

#define PLAT_NS_PER_SEC 1000000000ull
#define PLAT_NO_EVENT UINT64_MAX /* "no timer armed" for every *_next_event_ns */

struct plat_clock {
	void *opaque;
	uint64_t (*now_ns)(void *opaque); /* guest time in ns; must never go backwards */
};

static inline uint64_t plat_clock_now(const struct plat_clock *c)
{
	return c->now_ns(c->opaque);
}

/* Whole ticks of an hz counter in ns nanoseconds (rounded down). */
static inline uint64_t plat_ns_to_ticks(uint64_t ns, uint64_t hz)
{
	unsigned __int128 t = (unsigned __int128)ns * hz / PLAT_NS_PER_SEC;

	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

/*
 * Nanoseconds until an hz counter has counted `ticks` (rounded up, so that
 * plat_ns_to_ticks() of the result is at least ticks). Saturates.
 */
static inline uint64_t plat_ticks_to_ns(unsigned __int128 ticks, uint64_t hz)
{
	unsigned __int128 ns = (ticks * PLAT_NS_PER_SEC + hz - 1) / hz;

	return ns >= PLAT_NO_EVENT ? PLAT_NO_EVENT - 1 : (uint64_t)ns;
}

/* a + b without wrapping past the "no event" value. */
static inline uint64_t plat_add_ns(uint64_t a, uint64_t b)
{
	return b >= PLAT_NO_EVENT - 1 - a ? PLAT_NO_EVENT - 1 : a + b;
}

#endif
