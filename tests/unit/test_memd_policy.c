/*
 * The balloon policy of vessel memd (src/memd/policy.c): host states and
 * hysteresis, the idle memory tax choosing whom to reclaim from, shares,
 * floors, per-round steps, giving back when pressure ends, and guests whose
 * statistics are missing or lie.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "memd/policy.h"

#define MIB MEMD_MIB
#define GIB (1024 * MIB)

/* Parameters with round numbers: low 2 GiB, high 4 GiB (mid 3 GiB), the rest default. */
static struct memd_params params(void)
{
	struct memd_params p;

	memd_params_default(&p, 24 * GIB);
	p.low = 2 * GIB;
	p.high = 4 * GIB;
	return p;
}

static struct memd_host host(uint64_t avail)
{
	return (struct memd_host){.mem_total = 24 * GIB, .mem_available = avail};
}

/* A VM of `mem` bytes, all backed, whose guest reports `avail` available. */
static struct memd_vm_in vm(const char *name, uint64_t mem, uint64_t avail)
{
	return (struct memd_vm_in){
		.name = name,
		.mem = mem,
		.stats_valid = true,
		.guest_total = mem - 8 * MIB,
		.guest_free = avail / 2,
		.guest_available = avail,
		.has_available = true,
		.backed = mem,
		.rss = mem + 10 * MIB,
	};
}

static void decide(const struct memd_params *p, const struct memd_host *h,
		   const struct memd_vm_in *in, struct memd_vm_out *out, size_t n,
		   struct memd_decision *d)
{
	assert_int_equal(memd_decide(p, h, in, out, n, d), 0);
}

static void test_defaults(void **state)
{
	struct memd_params p;

	(void)state;
	memd_params_default(&p, 1000 * MIB);
	assert_int_equal(p.low, 100 * MIB);
	assert_int_equal(p.high, 150 * MIB);
	assert_int_equal(p.tax_pct, 75);
	assert_int_equal(p.max_step, 256 * MIB);
	assert_int_equal(memd_params_check(&p), 0);
	/* The floor: 64 MiB for small VMs, a quarter for large ones, never above the RAM. */
	assert_int_equal(memd_floor_default(128 * MIB), 64 * MIB);
	assert_int_equal(memd_floor_default(4 * GIB), GIB);
	assert_int_equal(memd_floor_default(32 * MIB), 32 * MIB);
}

static void test_params_check(void **state)
{
	struct memd_params p = params();

	(void)state;
	p.low = p.high + 1;
	assert_int_equal(memd_params_check(&p), -EINVAL);
	p = params();
	p.tax_pct = 100;
	assert_int_equal(memd_params_check(&p), -EINVAL);
	p = params();
	p.chunk = 0;
	assert_int_equal(memd_params_check(&p), -EINVAL);
	p = params();
	p.max_step = 0;
	assert_int_equal(memd_params_check(&p), -EINVAL);
	p = params();
	p.psi_some_calm = p.psi_some_high + 1;
	assert_int_equal(memd_params_check(&p), -EINVAL);
}

static void test_rho(void **state)
{
	(void)state;
	/* 1000 shares over 1000 pages, all active: 1 share per page. */
	assert_float_equal(memd_rho(1000, 1000 * 4096, 0, 75), 1.0, 1e-9);
	/* All idle at a 75 % tax: each idle page costs 4. */
	assert_float_equal(memd_rho(1000, 1000 * 4096, 1000 * 4096, 75), 0.25, 1e-9);
	/* Half idle: f = 0.5, 0.5 + 4 * 0.5 = 2.5. */
	assert_float_equal(memd_rho(1000, 1000 * 4096, 500 * 4096, 75), 0.4, 1e-9);
	/* No tax: idleness does not matter. */
	assert_float_equal(memd_rho(1000, 1000 * 4096, 1000 * 4096, 0), 1.0, 1e-9);
	/* Shares scale it; 0 shares means the default. */
	assert_float_equal(memd_rho(2000, 1000 * 4096, 0, 75), 2.0, 1e-9);
	assert_float_equal(memd_rho(0, 1000 * 4096, 0, 75), 1.0, 1e-9);
	/* Nothing held is the highest ratio there is (never divides by zero). */
	assert_true(memd_rho(1000, 0, 0, 75) >= 1000.0);
}

/* MemAvailable between the watermarks: nothing moves, in either direction. */
static void test_band_holds(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(3 * GIB);
	struct memd_vm_in in[2] = {vm("a", GIB, 800 * MIB), vm("b", GIB, 100 * MIB)};
	struct memd_vm_out out[2];
	struct memd_decision d;

	(void)state;
	in[1].target = in[1].actual = 200 * MIB;
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(d.state, MEMD_HOST_BAND);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(out[i].action, MEMD_HOLD);
		assert_int_equal(out[i].target, in[i].target);
		assert_non_null(strstr(out[i].reason, "between low"));
	}
}

/* Plenty available and empty balloons: no change. */
static void test_no_pressure_no_change(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(20 * GIB);
	struct memd_vm_in in[2] = {vm("a", GIB, 800 * MIB), vm("b", GIB, 100 * MIB)};
	struct memd_vm_out out[2];
	struct memd_decision d;

	(void)state;
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(d.state, MEMD_HOST_CALM);
	assert_int_equal(d.planned, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(out[i].action, MEMD_HOLD);
		assert_int_equal(out[i].target, 0);
		assert_non_null(strstr(out[i].reason, "balloon empty"));
	}
}

/* Watermarks both at `mid`: the reclaim goal is then exactly mid - MemAvailable. */
static void at(struct memd_params *p, uint64_t mid)
{
	p->low = p->high = mid;
}

/* Under pressure the mostly idle VM gives first; the busy one keeps its memory. */
static void test_idle_taxed_first(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(3 * GIB - 200 * MIB);
	struct memd_vm_in in[2] = {vm("busy", GIB, 100 * MIB), vm("idle", GIB, 700 * MIB)};
	struct memd_vm_out out[2];
	struct memd_decision d;

	(void)state;
	at(&p, 3 * GIB);
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(d.state, MEMD_HOST_PRESSURE);
	assert_int_equal(d.goal, 200 * MIB);
	assert_int_equal(out[1].action, MEMD_INFLATE);
	assert_int_equal(out[1].target, 200 * MIB);
	assert_non_null(strstr(out[1].reason, "reclaim +200 MiB"));
	assert_non_null(strstr(out[1].reason, "< low"));
	assert_int_equal(out[0].action, MEMD_HOLD);
	assert_int_equal(out[0].target, 0);
	assert_non_null(strstr(out[0].reason, "others taxed first"));
	assert_int_equal(d.planned, 200 * MIB);
	/* A goal beyond what the idle VM may give this round reaches the busy one too. */
	h.mem_available = 2 * GIB;
	p.max_step = 400 * MIB;
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(out[1].target, 400 * MIB);
	assert_int_equal(out[0].target, 100 * MIB - p.guest_reserve);
}

/* With a small goal only the lowest-rho VM is asked, and the rest are told why. */
static void test_small_goal_one_vm(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(3 * GIB - 64 * MIB);
	struct memd_vm_in in[3] = {vm("a", GIB, 300 * MIB), vm("b", GIB, 600 * MIB),
				   vm("c", GIB, 300 * MIB)};
	struct memd_vm_out out[3];
	struct memd_decision d;

	(void)state;
	h.mem_available = 2 * GIB - 1; /* just under low: goal 1 GiB + 1 byte */
	p.max_step = 64 * MIB;
	decide(&p, &h, in, out, 3, &d);
	assert_int_equal(d.state, MEMD_HOST_PRESSURE);
	for (int i = 0; i < 3; i++)
		assert_int_equal(out[i].target, 64 * MIB); /* goal larger than all steps */
	/* Now a goal of 32 MiB: only b, the most idle of equal-sized VMs. */
	h.mem_available = 3 * GIB - 32 * MIB;
	at(&p, 3 * GIB);
	decide(&p, &h, in, out, 3, &d);
	assert_int_equal(d.state, MEMD_HOST_PRESSURE);
	assert_int_equal(out[1].target, 32 * MIB);
	assert_int_equal(out[0].action, MEMD_HOLD);
	assert_int_equal(out[2].action, MEMD_HOLD);
	assert_non_null(strstr(out[0].reason, "others taxed first"));
}

/* Without a tax the ratio is shares per page: equal VMs give equal amounts. */
static void test_no_tax_is_shares_per_page(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(3 * GIB - 200 * MIB);
	struct memd_vm_in in[2] = {vm("a", GIB, 300 * MIB), vm("b", GIB, 800 * MIB)};
	struct memd_vm_out out[2];
	struct memd_decision d;

	(void)state;
	at(&p, 3 * GIB);
	p.tax_pct = 0;
	decide(&p, &h, in, out, 2, &d);
	/* 200 MiB split within a chunk, although b is far more idle. */
	assert_int_equal(out[0].target + out[1].target, 200 * MIB);
	assert_true(out[0].target >= 96 * MIB && out[0].target <= 104 * MIB);
	/* With the default tax, b (idle) gives it all. */
	p.tax_pct = 75;
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(out[1].target, 200 * MIB);
	assert_int_equal(out[0].target, 0);
}

/* More shares protect a VM: equal VMs, one with 4x the shares, no tax. */
static void test_shares(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(3 * GIB - 200 * MIB);
	struct memd_vm_in in[2] = {vm("gold", GIB, 500 * MIB), vm("bronze", GIB, 500 * MIB)};
	struct memd_vm_out out[2];
	struct memd_decision d;

	(void)state;
	at(&p, 3 * GIB);
	p.tax_pct = 0;
	in[0].shares = 4000;
	in[1].shares = 1000;
	decide(&p, &h, in, out, 2, &d);
	/* bronze's ratio stays lower until it holds a quarter of gold's pages. */
	assert_int_equal(out[1].target, 200 * MIB);
	assert_int_equal(out[0].target, 0);
}

/* The floor: however large the goal, a VM keeps its floor, the default or its own. */
static void test_floor(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(100 * MIB);
	struct memd_vm_in in[2] = {vm("small", 256 * MIB, 240 * MIB), vm("own", GIB, 1000 * MIB)};
	struct memd_vm_out out[2];
	struct memd_decision d;

	(void)state;
	p.guest_reserve = 0;
	p.max_step = 4 * GIB;
	in[1].floor = 100 * MIB;
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(out[0].target, 256 * MIB - 64 * MIB); /* default floor: 64 MiB */
	assert_int_equal(out[1].target, GIB - 100 * MIB);
	/* Next round: the guests did it; nothing more to take. */
	for (int i = 0; i < 2; i++)
		in[i].target = in[i].actual = out[i].target;
	in[0].guest_available = 40 * MIB;
	decide(&p, &h, in, out, 2, &d);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(out[i].action, MEMD_HOLD);
		assert_non_null(strstr(out[i].reason, "floor"));
	}
	/* A floor of 25 % on a big VM: 4 GiB keeps 1 GiB. */
	h.mem_available = 0;
	in[0] = vm("big", 4 * GIB, 4 * GIB - 8 * MIB - 1);
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].target, 3 * GIB);
}

/* At most one step per VM and round. */
static void test_step_bound(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(0);
	struct memd_vm_in in[1] = {vm("a", 8 * GIB, 6 * GIB)};
	struct memd_vm_out out[1];
	struct memd_decision d;

	(void)state;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].target, 256 * MIB);
	in[0].target = in[0].actual = 256 * MIB;
	in[0].guest_available -= 256 * MIB;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].target, 512 * MIB);
}

/* Never more than the guest reports available, less its reserve. */
static void test_guest_available_cap(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(0);
	struct memd_vm_in in[1] = {vm("a", GIB, 100 * MIB)};
	struct memd_vm_out out[1];
	struct memd_decision d;

	(void)state;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].target, 100 * MIB - p.guest_reserve);
	/* Without "available" the guest's free figure stands in. */
	in[0].has_available = false;
	in[0].guest_available = 0;
	in[0].guest_free = 50 * MIB;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].target, 50 * MIB - p.guest_reserve);
	/* Nothing beyond the reserve: held, and told why. */
	in[0].guest_free = p.guest_reserve;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].action, MEMD_HOLD);
	assert_non_null(strstr(out[0].reason, "no idle memory"));
}

/* Free guest memory the host never backed is not worth ballooning. */
static void test_unbacked_idle_not_taken(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(0);
	struct memd_vm_in in[1] = {vm("fresh", GIB, 900 * MIB)};
	struct memd_vm_out out[1];
	struct memd_decision d;

	(void)state;
	in[0].backed = 100 * MIB; /* the guest touched 100 MiB, mostly in use */
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].action, MEMD_HOLD);
	/* It touched 300 MiB and freed 176 of them: those are worth taking. */
	in[0].backed = 300 * MIB;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].target, 176 * MIB);
	/* Unknown backing (no ram_touched, no rss): all of its RAM counts as held. */
	in[0].backed = 0;
	in[0].rss = 0;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].target, 256 * MIB);
}

/* Pressure gone: balloons deflate a step per round, highest ratio first when short. */
static void test_deflate_when_calm(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(20 * GIB);
	struct memd_vm_in in[2] = {vm("a", GIB, 100 * MIB), vm("b", GIB, 100 * MIB)};
	struct memd_vm_out out[2];
	struct memd_decision d;

	(void)state;
	in[0].target = in[0].actual = 300 * MIB;
	in[1].target = in[1].actual = 10 * MIB;
	in[0].stats_valid = false; /* statistics do not matter for giving back */
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(d.state, MEMD_HOST_CALM);
	assert_int_equal(out[0].action, MEMD_DEFLATE);
	assert_int_equal(out[0].target, 300 * MIB - 256 * MIB);
	assert_non_null(strstr(out[0].reason, "give back -256 MiB"));
	assert_int_equal(out[1].target, 0);
	/* Just above high: 8 MiB may be given back, to b (fewer pages held, higher rho). */
	h.mem_available = 4 * GIB + 8 * MIB;
	in[0].stats_valid = true;
	in[0].target = in[0].actual = 300 * MIB;
	in[1].target = in[1].actual = 600 * MIB;
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(d.goal, 8 * MIB);
	assert_int_equal(out[1].target, 592 * MIB);
	assert_int_equal(out[0].action, MEMD_HOLD);
}

/* PSI: stalls are pressure even with memory available; not calm blocks deflating. */
static void test_psi(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(10 * GIB);
	struct memd_vm_in in[1] = {vm("a", 2 * GIB, GIB)};
	struct memd_vm_out out[1];
	struct memd_decision d;

	(void)state;
	h.psi_valid = true;
	h.psi_some_avg10 = 25.0;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(d.state, MEMD_HOST_PRESSURE);
	assert_int_equal(out[0].target, p.max_step);
	assert_non_null(strstr(out[0].reason, "PSI"));
	/* Between calm and hot: above high but no deflating yet. */
	in[0].target = in[0].actual = 256 * MIB;
	h.psi_some_avg10 = 5.0;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(d.state, MEMD_HOST_BAND);
	assert_int_equal(out[0].action, MEMD_HOLD);
	assert_non_null(strstr(out[0].reason, "not calm"));
	h.psi_some_avg10 = 0.5;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].action, MEMD_DEFLATE);
}

/*
 * Hysteresis: reclaiming aims at the middle of the band, so the round after
 * the guests gave it finds the host in the band and moves nothing.
 */
static void test_hysteresis(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(2 * GIB - 100 * MIB);
	struct memd_vm_in in[1] = {vm("a", 8 * GIB, 6 * GIB)};
	struct memd_vm_out out[1];
	struct memd_decision d;

	(void)state;
	p.max_step = 4 * GIB;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].target, GIB + 100 * MIB);
	/* The host now has what was taken. */
	h.mem_available += out[0].target;
	in[0].target = in[0].actual = out[0].target;
	in[0].guest_available -= out[0].target;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(d.state, MEMD_HOST_BAND);
	assert_int_equal(out[0].action, MEMD_HOLD);
	/* Moves smaller than min_change are not made. */
	h.mem_available = 3 * GIB - 2 * MIB;
	at(&p, 3 * GIB - MIB);
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(d.state, MEMD_HOST_PRESSURE);
	assert_int_equal(out[0].action, MEMD_HOLD);
}

/* A guest still working on its last target is not asked for more. */
static void test_waits_for_guest(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(0);
	struct memd_vm_in in[2] = {vm("slow", GIB, 800 * MIB), vm("ok", GIB, 200 * MIB)};
	struct memd_vm_out out[2];
	struct memd_decision d;

	(void)state;
	in[0].target = 256 * MIB;
	in[0].actual = 100 * MIB;
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(out[0].action, MEMD_HOLD);
	assert_non_null(strstr(out[0].reason, "waiting for the guest"));
	assert_int_equal(out[1].action, MEMD_INFLATE);
	/* Paused VMs cannot move their balloon either. */
	in[0].actual = in[0].target;
	in[0].paused = true;
	decide(&p, &h, in, out, 2, &d);
	assert_int_equal(out[0].action, MEMD_HOLD);
	assert_non_null(strstr(out[0].reason, "paused"));
}

/* Missing or lying statistics: that VM is not inflated, the others still are. */
static void test_bad_stats(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(0);
	struct memd_vm_in good = vm("good", GIB, 500 * MIB);
	struct memd_vm_in in[6];
	struct memd_vm_out out[6];
	struct memd_decision d;
	const char *why[5] = {"no balloon statistics", "free above total", "available above total",
			      "more memory than the VM has", "without a memory total"};

	(void)state;
	for (int i = 0; i < 5; i++)
		in[i] = vm("liar", GIB, 900 * MIB);
	in[0].stats_valid = false;
	in[1].guest_free = in[1].guest_total + 1;
	in[2].guest_available = in[2].guest_total + 1;
	in[3].guest_total = 2 * GIB;
	in[4].guest_total = 0;
	in[5] = good;
	decide(&p, &h, in, out, 6, &d);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(out[i].action, MEMD_HOLD);
		assert_non_null(strstr(out[i].reason, why[i]));
	}
	assert_int_equal(out[5].action, MEMD_INFLATE);
	/* Absurd figures within the checks: huge available on a tiny VM is bounded by the VM. */
	in[0] = vm("tiny", 64 * MIB, 60 * MIB);
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].action, MEMD_HOLD); /* 64 MiB is all floor */
	/* A balloon reported larger than the VM (or than its target) breaks nothing. */
	in[0] = vm("odd", GIB, 500 * MIB);
	in[0].actual = 2 * GIB;
	in[0].backed = 3 * GIB;
	decide(&p, &h, in, out, 1, &d);
	assert_true(out[0].target <= GIB - 256 * MIB);
}

/* No VMs at all, and the reason texts fit the control socket's limit. */
static void test_empty_and_reason_length(void **state)
{
	struct memd_params p = params();
	struct memd_host h = host(0);
	struct memd_vm_in in[1] = {
		vm("a-very-long-name-for-a-virtual-machine-of-a-tenant", 64 * GIB, 60 * GIB)};
	struct memd_vm_out out[1];
	struct memd_decision d;

	(void)state;
	assert_int_equal(memd_decide(&p, &h, NULL, NULL, 0, &d), 0);
	assert_int_equal(d.state, MEMD_HOST_PRESSURE);
	assert_int_equal(d.planned, 0);
	in[0].shares = 1000000;
	decide(&p, &h, in, out, 1, &d);
	assert_int_equal(out[0].action, MEMD_INFLATE);
	assert_true(strlen(out[0].reason) < MEMD_REASON_MAX);
	assert_null(strchr(out[0].reason, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_params_check),
		cmocka_unit_test(test_rho),
		cmocka_unit_test(test_band_holds),
		cmocka_unit_test(test_no_pressure_no_change),
		cmocka_unit_test(test_idle_taxed_first),
		cmocka_unit_test(test_small_goal_one_vm),
		cmocka_unit_test(test_no_tax_is_shares_per_page),
		cmocka_unit_test(test_shares),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_step_bound),
		cmocka_unit_test(test_guest_available_cap),
		cmocka_unit_test(test_unbacked_idle_not_taken),
		cmocka_unit_test(test_deflate_when_calm),
		cmocka_unit_test(test_psi),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_waits_for_guest),
		cmocka_unit_test(test_bad_stats),
		cmocka_unit_test(test_empty_and_reason_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
