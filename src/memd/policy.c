/* The balloon policy: ESX's idle memory tax over guest-reported idle memory (policy.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "memd/policy.h"

#define PAGE 4096ull

void memd_params_default(struct memd_params *p, uint64_t host_total)
{
	*p = (struct memd_params){
		/* Reclaim below 10 % of host RAM available, give back above 15 %: the
		 * gap is the hysteresis band in which nothing moves. */
		.low = host_total / 10,
		.high = host_total / 20 * 3,
		.tax_pct = 75, /* ESX's default idle memory tax */
		.max_step = 256 * MEMD_MIB,
		.min_change = 4 * MEMD_MIB,
		.guest_reserve = 16 * MEMD_MIB,
		.psi_some_high = 10.0,
		.psi_some_calm = 1.0,
		.chunk = 4 * MEMD_MIB,
	};
}

uint64_t memd_floor_default(uint64_t mem)
{
	uint64_t f = MAX(64 * MEMD_MIB, mem / 4);

	return MIN(f, mem);
}

int memd_params_check(const struct memd_params *p)
{
	if (p->low > p->high || p->tax_pct >= 100 || !p->chunk || !p->max_step ||
	    p->psi_some_calm > p->psi_some_high)
		return -EINVAL;
	return 0;
}

double memd_rho(unsigned shares, uint64_t held, uint64_t idle, unsigned tax_pct)
{
	double k = 100.0 / (double)(100 - MIN(tax_pct, 99u));
	double pages = (double)(held / PAGE), f;

	if (pages < 1)
		pages = 1; /* nothing held: the highest ratio, taxed last */
	idle = MIN(idle, held);
	f = held ? 1.0 - (double)idle / (double)held : 1.0;
	return (double)(shares ? shares : MEMD_SHARES_DEFAULT) / (pages * (f + k * (1.0 - f)));
}

/* Per-VM working figures of one round. */
struct vm_work {
	uint64_t held;	/* P: bytes of host memory the VM holds */
	uint64_t idle;	/* of which the guest reports idle (available, backed) */
	uint64_t avail; /* guest-reported available, less what it still owes the balloon */
	uint64_t limit; /* most the target may move this round */
	uint64_t moved;
	const char *hold; /* why it is not moved, NULL when it may be */
	char hold_buf[MEMD_REASON_MAX];
};

/* Reasons are cut at MEMD_REASON_MAX - 1 bytes: the control socket keeps no more. */
static void PRINTF_LIKE(2, 3) say(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, MEMD_REASON_MAX, fmt, ap);
	va_end(ap);
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static uint64_t mib(uint64_t b)
{
	return b >> 20;
}

/* Statistics a guest sent, checked for sense: a guest may lie or send nothing. */
static const char *stats_problem(const struct memd_vm_in *v)
{
	if (!v->stats_valid)
		return "no balloon statistics from the guest";
	if (!v->guest_total)
		return "guest statistics without a memory total";
	if (v->guest_total > v->mem)
		return "guest statistics claim more memory than the VM has";
	if (v->guest_free > v->guest_total)
		return "guest statistics: free above total";
	if (v->has_available && v->guest_available > v->guest_total)
		return "guest statistics: available above total";
	return NULL;
}

static void work_init(const struct memd_params *p, const struct memd_vm_in *v, struct vm_work *w)
{
	uint64_t visible, pending, unbacked, avail;
	const char *bad = stats_problem(v);

	memset(w, 0, sizeof(*w));
	visible = sub0(v->mem, v->actual);
	/* P: what the host really backs (mincore), else the RSS, else all the guest sees. */
	if (v->backed)
		w->held = MIN(v->backed, visible);
	else if (v->rss)
		w->held = MIN(v->rss, visible);
	else
		w->held = visible;
	if (bad) {
		w->hold = bad;
		return;
	}
	avail = v->has_available ? v->guest_available : v->guest_free;
	/* Pages the guest still owes the balloon are in its "available" figure. */
	pending = sub0(v->target, v->actual);
	w->avail = sub0(avail, pending);
	/*
	 * Guest pages the host never backed are free in the guest but cost the
	 * host nothing; ballooning them reclaims nothing. Only the backed part of
	 * the available memory counts as idle.
	 */
	unbacked = visible - w->held;
	w->idle = MIN(sub0(w->avail, unbacked), w->held);
}

/* May VM v give more memory this round? Sets w->limit or w->hold. */
static void inflate_limit(const struct memd_params *p, const struct memd_vm_in *v,
			  struct vm_work *w)
{
	uint64_t floor = v->floor ? MIN(v->floor, v->mem) : memd_floor_default(v->mem);
	uint64_t ceiling = v->mem - floor, room, spare;

	if (w->hold)
		return;
	if (v->paused) {
		w->hold = "paused: its balloon cannot move";
		return;
	}
	if (v->target > v->actual && v->target - v->actual >= p->min_change) {
		say(w->hold_buf,
		    "waiting for the guest: balloon %" PRIu64 " of target %" PRIu64 " MiB",
		    mib(v->actual), mib(v->target));
		w->hold = w->hold_buf;
		return;
	}
	room = sub0(ceiling, v->target);
	if (!room) {
		say(w->hold_buf, "at its floor of %" PRIu64 " MiB", mib(floor));
		w->hold = w->hold_buf;
		return;
	}
	spare = sub0(w->avail, p->guest_reserve);
	if (!spare || !w->idle) {
		say(w->hold_buf,
		    "guest has no idle memory to give (available %" PRIu64 " MiB, %" PRIu64
		    " MiB of it backed, reserve %" PRIu64 " MiB)",
		    mib(w->avail), mib(w->idle), mib(p->guest_reserve));
		w->hold = w->hold_buf;
		return;
	}
	w->limit = MIN(MIN(p->max_step, room), MIN(spare, w->idle));
}

/* The VM with the lowest (inflate) or highest (deflate) rho that can still move. */
static ssize_t pick(const struct memd_params *p, const struct memd_vm_in *in,
		    const struct vm_work *w, size_t n, bool inflate)
{
	ssize_t best = -1;
	double best_rho = 0;

	for (size_t i = 0; i < n; i++) {
		double rho;

		if (w[i].hold || w[i].moved >= w[i].limit)
			continue;
		if (inflate)
			rho = memd_rho(in[i].shares, w[i].held - w[i].moved, w[i].idle - w[i].moved,
				       p->tax_pct);
		else
			rho = memd_rho(in[i].shares, w[i].held + w[i].moved, w[i].idle + w[i].moved,
				       p->tax_pct);
		if (best < 0 || (inflate ? rho < best_rho : rho > best_rho)) {
			best = (ssize_t)i;
			best_rho = rho;
		}
	}
	return best;
}

/* Hand out `goal` bytes a chunk at a time by rho; returns what was handed out. */
static uint64_t distribute(const struct memd_params *p, const struct memd_vm_in *in,
			   struct vm_work *w, size_t n, uint64_t goal, bool inflate)
{
	uint64_t left = goal;

	while (left) {
		ssize_t i = pick(p, in, w, n, inflate);
		uint64_t c;

		if (i < 0)
			break;
		c = MIN(MIN(p->chunk, left), w[i].limit - w[i].moved);
		w[i].moved += c;
		left -= c;
	}
	return goal - left;
}

static void host_words(const struct memd_params *p, const struct memd_host *h,
		       struct memd_decision *d)
{
	uint64_t avail = h->mem_available;
	bool psi_hot = h->psi_valid && h->psi_some_avg10 >= p->psi_some_high;
	bool psi_calm = !h->psi_valid || h->psi_some_avg10 <= p->psi_some_calm;
	uint64_t mid = p->low + (p->high - p->low) / 2;

	d->goal = 0;
	if (avail < p->low || psi_hot) {
		d->state = MEMD_HOST_PRESSURE;
		/*
		 * Reclaim to the middle of the band, not to its top: landing above
		 * the high mark would make the next round give it all back.
		 * PSI stalls with enough MemAvailable ask for one step.
		 */
		d->goal = MAX(sub0(mid, avail), psi_hot ? p->max_step : 0);
		d->goal = (d->goal + PAGE - 1) & ~(PAGE - 1); /* balloons move whole pages */
		if (avail < p->low)
			say(d->why, "host MemAvailable %" PRIu64 " MiB < low %" PRIu64 " MiB",
			    mib(avail), mib(p->low));
		else
			say(d->why, "host PSI some avg10 %.2f%% >= %.2f%%", h->psi_some_avg10,
			    p->psi_some_high);
	} else if (avail > p->high && psi_calm) {
		d->state = MEMD_HOST_CALM;
		/* Give back no more than keeps MemAvailable above the high mark. */
		d->goal = avail - p->high;
		say(d->why, "host MemAvailable %" PRIu64 " MiB > high %" PRIu64 " MiB%s",
		    mib(avail), mib(p->high), h->psi_valid ? ", PSI calm" : "");
	} else {
		d->state = MEMD_HOST_BAND;
		if (avail > p->high)
			say(d->why, "host PSI some avg10 %.2f%% not calm (<= %.2f%%) yet",
			    h->psi_some_avg10, p->psi_some_calm);
		else
			say(d->why,
			    "host MemAvailable %" PRIu64 " MiB between low %" PRIu64
			    " and high %" PRIu64 " MiB",
			    mib(avail), mib(p->low), mib(p->high));
	}
}

static void decide_inflate(const struct memd_params *p, const struct memd_vm_in *in,
			   struct memd_vm_out *out, struct vm_work *w, size_t n,
			   struct memd_decision *d)
{
	for (size_t i = 0; i < n; i++)
		inflate_limit(p, &in[i], &w[i]);
	distribute(p, in, w, n, d->goal, true);
	for (size_t i = 0; i < n; i++) {
		uint64_t add = w[i].moved & ~(PAGE - 1);

		if (w[i].hold) {
			say(out[i].reason, "hold: %s", w[i].hold);
			continue;
		}
		if (add < p->min_change) {
			say(out[i].reason,
			    "hold: others taxed first (rho %.3g, %" PRIu64 " of %" PRIu64
			    " MiB idle)",
			    memd_rho(in[i].shares, w[i].held, w[i].idle, p->tax_pct),
			    mib(w[i].idle), mib(w[i].held));
			continue;
		}
		out[i].target = in[i].target + add;
		out[i].action = MEMD_INFLATE;
		d->planned += add;
		say(out[i].reason,
		    "reclaim +%" PRIu64 " MiB: %s; idle %" PRIu64 " of %" PRIu64
		    " MiB held, shares %u, rho %.3g, tax %u%%",
		    mib(add), d->why, mib(w[i].idle), mib(w[i].held),
		    in[i].shares ? in[i].shares : MEMD_SHARES_DEFAULT,
		    memd_rho(in[i].shares, w[i].held, w[i].idle, p->tax_pct), p->tax_pct);
	}
}

static void decide_deflate(const struct memd_params *p, const struct memd_vm_in *in,
			   struct memd_vm_out *out, struct vm_work *w, size_t n,
			   struct memd_decision *d)
{
	for (size_t i = 0; i < n; i++) {
		/* Statistics do not matter for giving memory back, only the target. */
		w[i].hold = in[i].target ? NULL : "balloon empty";
		w[i].limit = MIN(p->max_step, in[i].target);
	}
	distribute(p, in, w, n, d->goal, false);
	for (size_t i = 0; i < n; i++) {
		uint64_t give = w[i].moved;

		/* Whole pages; the last remainder of a balloon goes even when small. */
		if (give < in[i].target)
			give &= ~(PAGE - 1);
		if (w[i].hold) {
			say(out[i].reason, "hold: %s", w[i].hold);
			continue;
		}
		if (!give || (give < p->min_change && give < in[i].target)) {
			say(out[i].reason, "hold: others given back first (%s)", d->why);
			continue;
		}
		out[i].target = in[i].target - give;
		out[i].action = MEMD_DEFLATE;
		d->planned += give;
		say(out[i].reason, "give back -%" PRIu64 " MiB: %s; shares %u, rho %.3g", mib(give),
		    d->why, in[i].shares ? in[i].shares : MEMD_SHARES_DEFAULT,
		    memd_rho(in[i].shares, w[i].held, w[i].idle, p->tax_pct));
	}
}

int memd_decide(const struct memd_params *p, const struct memd_host *host,
		const struct memd_vm_in *in, struct memd_vm_out *out, size_t n,
		struct memd_decision *d)
{
	struct vm_work *w = calloc(n ? n : 1, sizeof(*w));

	memset(d, 0, sizeof(*d));
	if (!w)
		return -ENOMEM;
	host_words(p, host, d);
	for (size_t i = 0; i < n; i++) {
		out[i] = (struct memd_vm_out){.target = in[i].target, .action = MEMD_HOLD};
		work_init(p, &in[i], &w[i]);
	}
	if (d->state == MEMD_HOST_PRESSURE) {
		decide_inflate(p, in, out, w, n, d);
	} else if (d->state == MEMD_HOST_CALM) {
		decide_deflate(p, in, out, w, n, d);
	} else {
		for (size_t i = 0; i < n; i++)
			say(out[i].reason, "hold: %s", d->why);
	}
	free(w);
	return 0;
}
