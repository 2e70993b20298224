/* The page-sharing scanner's token bucket: see rate.h. */
#include "mem/share/rate.h"

#include "base/compiler.h"

#define NS 1000000000ull

void share_rate_init(struct share_rate *r, uint64_t rate, uint64_t period_ns, uint64_t now_ns)
{
	r->rate = rate;
	r->period_ns = period_ns;
	/*
	 * An eighth of a second's worth: a vCPU that ticks rarely (halted) still
	 * reaches the rate, and one batch stays a short pause (about 1 ms at the
	 * default rate: 512 pages hashed, a fraction merged).
	 */
	r->burst = rate / 8;
	if (r->burst < 1)
		r->burst = 1;
	r->last_ns = now_ns;
	r->credit_nano = 0;
}

uint64_t share_rate_avail(struct share_rate *r, uint64_t now_ns)
{
	uint64_t dt;

	if (now_ns < r->last_ns + r->period_ns)
		return 0;
	dt = now_ns - r->last_ns;
	if (dt > NS)
		dt = NS; /* keeps the product below 2^64 for any sane rate */
	r->last_ns = now_ns;
	r->credit_nano += r->rate * dt;
	if (r->credit_nano > r->burst * NS)
		r->credit_nano = r->burst * NS;
	return r->credit_nano / NS;
}

void share_rate_spend(struct share_rate *r, uint64_t pages)
{
	uint64_t c = pages * NS;

	r->credit_nano = c > r->credit_nano ? 0 : r->credit_nano - c;
}

void share_rate_spend_batch(struct share_rate *r, uint64_t tested, uint64_t visited)
{
	uint64_t passed = visited > tested ? visited - tested : 0;

	share_rate_spend(r, MAX(tested + passed / 16, (uint64_t)1));
}
