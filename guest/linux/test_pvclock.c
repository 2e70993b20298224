/*
 * vessel.test=pvclock: the kernel runs on the paravirtual clock the soft
 * engine offers (kvmclock, docs/soft-system.md) and that clock is sane:
 * the current clocksource is kvm-clock, CLOCK_MONOTONIC never goes back
 * over many reads, a 1 s sleep measures 1 s (within 0.98-1.5 s; long
 * against host scheduling), and CLOCK_REALTIME (from the kvm wall clock)
 * is printed so the harness can compare it with the host's.
 */
#include "console.h"
#include "tests.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CLOCKSOURCE "/sys/devices/system/clocksource/clocksource0/current_clocksource"

static uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int test_pvclock(const char *self)
{
	char cs[64] = "";
	FILE *f = fopen(CLOCKSOURCE, "r");
	struct timespec one = { .tv_sec = 1 };
	uint64_t prev, t0, t1;
	int bad = 0;

	(void)self;
	if (!f || !fgets(cs, sizeof(cs), f)) {
		console_say("pvclock FAILED: cannot read %s: %s", CLOCKSOURCE, strerror(errno));
		if (f)
			fclose(f);
		return 1;
	}
	fclose(f);
	cs[strcspn(cs, "\n")] = '\0';
	console_say("clocksource %s", cs);
	if (strcmp(cs, "kvm-clock") != 0) {
		console_say("pvclock FAILED: clocksource is %s, want kvm-clock", cs);
		bad = 1;
	}
	prev = ns_of(CLOCK_MONOTONIC);
	for (int i = 0; i < 100000; i++) {
		uint64_t now = ns_of(CLOCK_MONOTONIC);

		if (now < prev) {
			console_say("pvclock FAILED: CLOCK_MONOTONIC went back by %llu ns",
				    (unsigned long long)(prev - now));
			bad = 1;
			break;
		}
		prev = now;
	}
	t0 = ns_of(CLOCK_MONOTONIC);
	while (nanosleep(&one, &one) && errno == EINTR)
		;
	t1 = ns_of(CLOCK_MONOTONIC);
	console_say("sleep 1 s measured %llu us", (unsigned long long)((t1 - t0) / 1000));
	if (t1 - t0 < 980000000ull || t1 - t0 > 1500000000ull) {
		console_say("pvclock FAILED: a 1 s sleep took %llu us", (unsigned long long)((t1 - t0) / 1000));
		bad = 1;
	}
	console_say("realtime %llu", (unsigned long long)(ns_of(CLOCK_REALTIME) / 1000000000ull));
	if (!bad)
		console_say("pvclock ok");
	return bad;
}
