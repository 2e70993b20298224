/* The loop of vessel memd: host, VMs, policy, balloon requests, log (memd.h). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/time.h"
#include "memd/host.h"
#include "memd/memd.h"
#include "memd/vmstat.h"
#include "vm/control.h"

/* What memd remembers of a VM between rounds: are its statistics still coming? */
struct memd_seen {
	char name[RUNTIME_NAME_MAX + 1];
	uint64_t updates;
	unsigned same_rounds;
};

struct memd {
	struct memd_config cfg;
	const struct memd_vm_ops *ops;
	void *opaque;
	struct memd_seen *seen;
	size_t nr_seen;
	enum memd_host_state last_state;
	bool have_state;
};

int memd_create(const struct memd_config *cfg, const struct memd_vm_ops *ops, void *opaque,
		struct memd **out)
{
	struct memd *m;

	*out = NULL;
	if (memd_params_check(&cfg->params) || !cfg->log || !cfg->meminfo_path)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	m->ops = ops;
	m->opaque = opaque;
	*out = m;
	return 0;
}

void memd_destroy(struct memd *m)
{
	if (!m)
		return;
	free(m->seen);
	free(m);
}

static const struct memd_vm_rule *rule_for(const struct memd *m, const char *name)
{
	for (unsigned i = 0; i < m->cfg.nr_rules; i++)
		if (!strcmp(m->cfg.rules[i].name, name))
			return &m->cfg.rules[i];
	return NULL;
}

static uint64_t floor_for(const struct memd *m, const struct memd_vm_rule *r, uint64_t mem)
{
	uint64_t f;

	if (r && r->floor)
		f = r->floor;
	else if (r && r->floor_pct)
		f = mem / 100 * r->floor_pct;
	else if (m->cfg.floor)
		f = m->cfg.floor;
	else if (m->cfg.floor_pct)
		f = mem / 100 * m->cfg.floor_pct;
	else
		f = memd_floor_default(mem);
	/* The policy reads 0 as "the default": a floor of nothing is one page. */
	return MAX(MIN(f, mem), 4096);
}

/* ISO 8601 UTC, to the second: the log's first column. */
static void now_text(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, cap, "%lld", (long long)t);
}

static void host_text(const struct memd_host *h, char *buf, size_t cap)
{
	if (h->psi_valid)
		snprintf(buf, cap, "avail=%" PRIu64 "MiB psi_some10=%.2f psi_full10=%.2f",
			 h->mem_available >> 20, h->psi_some_avg10, h->psi_full_avg10);
	else
		snprintf(buf, cap, "avail=%" PRIu64 "MiB psi=none", h->mem_available >> 20);
}

static void log_line(struct memd *m, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void log_line(struct memd *m, const char *fmt, ...)
{
	char ts[32];
	va_list ap;

	now_text(ts, sizeof(ts));
	fprintf(m->cfg.log, "%s ", ts);
	va_start(ap, fmt);
	vfprintf(m->cfg.log, fmt, ap);
	va_end(ap);
	fputc('\n', m->cfg.log);
	fflush(m->cfg.log);
}

/* Fresh statistics? A guest that stops answering leaves old figures behind. */
static void note_freshness(struct memd *m, struct memd_seen *now, size_t i, struct memd_vmstat *s,
			   bool decide)
{
	const struct memd_seen *old = NULL;

	for (size_t j = 0; j < m->nr_seen; j++)
		if (!strcmp(m->seen[j].name, now[i].name))
			old = &m->seen[j];
	now[i].updates = s->stats_updates;
	now[i].same_rounds = 0;
	if (old && old->updates == s->stats_updates)
		now[i].same_rounds = old->same_rounds + (decide ? 1 : 0);
	if (now[i].same_rounds >= MEMD_STALE_ROUNDS)
		s->in.stats_valid = false;
}

struct round_vm {
	struct memd_vmstat s;
	char name[RUNTIME_NAME_MAX + 1];
};

static const char *state_name(enum memd_host_state s)
{
	return s == MEMD_HOST_PRESSURE ? "pressure" : s == MEMD_HOST_CALM ? "calm" : "band";
}

/* Send and log the decisions of one round. */
static unsigned apply(struct memd *m, const struct memd_host *h, const struct round_vm *vms,
		      const struct memd_vm_in *in, const struct memd_vm_out *out, size_t n)
{
	char host[96];
	unsigned changed = 0;

	host_text(h, host, sizeof(host));
	for (size_t i = 0; i < n; i++) {
		const char *note = "";

		if (out[i].action == MEMD_HOLD) {
			if (m->cfg.verbose)
				log_line(m,
					 "vm=%s target %" PRIu64 " MiB held, balloon %" PRIu64
					 " MiB, %s: %s",
					 vms[i].name, in[i].target >> 20, in[i].actual >> 20, host,
					 out[i].reason);
			continue;
		}
		changed++;
		if (m->cfg.dry_run)
			note = " (dry run: not sent)";
		else if (m->ops->set_target(m->opaque, vms[i].name, out[i].target, out[i].reason))
			note = " (not sent: the VM did not take it)";
		log_line(m,
			 "vm=%s target %" PRIu64 " -> %" PRIu64 " MiB, balloon %" PRIu64
			 " MiB, floor %" PRIu64 " MiB, %s: %s%s",
			 vms[i].name, in[i].target >> 20, out[i].target >> 20, in[i].actual >> 20,
			 in[i].floor >> 20, host, out[i].reason, note);
	}
	return changed;
}

int memd_round(struct memd *m, bool decide, unsigned *changed, struct verr *err)
{
	char(*names)[RUNTIME_NAME_MAX + 1] = NULL;
	char *raw = NULL;
	struct round_vm *vms = NULL;
	struct memd_seen *seen = NULL;
	struct memd_vm_in *in = NULL;
	struct memd_vm_out *out = NULL;
	struct memd_decision d;
	struct memd_host h;
	size_t n = 0, nv = 0;
	int ret;

	*changed = 0;
	ret = host_read(m->cfg.meminfo_path, m->cfg.psi_path, &h, err);
	if (ret)
		return ret;
	ret = m->ops->list(m->opaque, &names, &n);
	if (ret)
		return verr_set(err, -ret, "cannot list the VMs: %s", strerror(-ret));
	raw = malloc(CONTROL_LINE_MAX * 2);
	vms = calloc(n ? n : 1, sizeof(*vms));
	seen = calloc(n ? n : 1, sizeof(*seen));
	in = calloc(n ? n : 1, sizeof(*in));
	out = calloc(n ? n : 1, sizeof(*out));
	if (!raw || !vms || !seen || !in || !out) {
		ret = verr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct round_vm *v = &vms[nv];
		const struct memd_vm_rule *r;
		struct verr perr = {0};

		/* A VM that ended or does not answer this round is simply not counted. */
		if (m->ops->stat(m->opaque, names[i], raw, CONTROL_LINE_MAX * 2))
			continue;
		if (memd_vmstat_parse(raw, &v->s, &perr)) {
			log_line(m, "vm=%s skipped: %s", names[i], perr.msg);
			continue;
		}
		if (!v->s.has_balloon)
			continue;
		snprintf(v->name, sizeof(v->name), "%s", names[i]);
		snprintf(seen[nv].name, sizeof(seen[nv].name), "%s", names[i]);
		note_freshness(m, seen, nv, &v->s, decide);
		r = rule_for(m, names[i]);
		v->s.in.name = v->name;
		v->s.in.shares = r && r->shares ? r->shares : MEMD_SHARES_DEFAULT;
		v->s.in.floor = floor_for(m, r, v->s.in.mem);
		in[nv] = v->s.in;
		nv++;
	}
	free(m->seen);
	m->seen = seen;
	m->nr_seen = nv;
	seen = NULL;
	if (!decide)
		goto out;
	ret = memd_decide(&m->cfg.params, &h, in, out, nv, &d);
	if (ret) {
		verr_set(err, -ret, "out of memory");
		goto out;
	}
	if (m->cfg.verbose || !m->have_state || d.state != m->last_state) {
		char host[96];

		host_text(&h, host, sizeof(host));
		log_line(m, "host %s, %zu VMs with a balloon, %s: %s", state_name(d.state), nv,
			 host, d.why);
	}
	m->have_state = true;
	m->last_state = d.state;
	*changed = apply(m, &h, vms, in, out, nv);
out:
	free(out);
	free(in);
	free(seen);
	free(vms);
	free(raw);
	free(names);
	return ret;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int memd_once(struct memd *m, unsigned *changed, struct verr *err)
{
	int ret = memd_round(m, false, changed, err);

	if (ret)
		return ret;
	/* Each stat asked the guests for fresh statistics; they answer within moments. */
	sleep_ms(m->cfg.settle_ms);
	return memd_round(m, true, changed, err);
}

int memd_run(struct memd *m, int stop_fd)
{
	for (;;) {
		uint64_t t0 = time_mono_ns(), spent_ms;
		struct verr err = {0};
		struct pollfd pfd = {.fd = stop_fd, .events = POLLIN};
		unsigned changed;
		int r;

		if (memd_round(m, true, &changed, &err))
			log_line(m, "round failed: %s", err.msg);
		spent_ms = (time_mono_ns() - t0) / 1000000;
		r = poll(&pfd, 1,
			 spent_ms >= m->cfg.interval_ms ? 0 : (int)(m->cfg.interval_ms - spent_ms));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			return 0;
	}
}
