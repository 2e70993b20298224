#ifndef VESSEL_BASE_TIME_H
#define VESSEL_BASE_TIME_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t time_mono_ns(void);

#endif
