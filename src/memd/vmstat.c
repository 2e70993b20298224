/* A VM's "stat" answer as policy input (vmstat.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "memd/vmstat.h"
#include "vm/control.h"

enum {
	F_OK,
	F_STATE,
	F_MEM,
	F_BALLOON,
	F_TARGET,
	F_RSS,
	F_TOUCHED,
	F_UPDATES,
	F_TOTAL,
	F_FREE,
	F_AVAIL,
	F_NR,
};

static const char *const keys[F_NR] = {
	[F_OK] = "ok",
	[F_STATE] = "state",
	[F_MEM] = "mem",
	[F_BALLOON] = "balloon",
	[F_TARGET] = "balloon_target",
	[F_RSS] = "rss",
	[F_TOUCHED] = "ram_touched",
	[F_UPDATES] = "balloon_stats_updates",
	[F_TOTAL] = "guest_mem_total",
	[F_FREE] = "guest_mem_free",
	[F_AVAIL] = "guest_mem_available",
};

struct fields {
	unsigned seen; /* bit per F_* */
	bool ok;
	bool paused;
	bool balloon_null;
	bool rss_null;
	uint64_t v[F_NR];
};

/* Field f of the answer o, if memd wants it. */
static int take_field(const struct json_obj *o, const struct json_field *f, struct fields *fs,
		      struct verr *err)
{
	for (unsigned k = 0; k < F_NR; k++) {
		if (strcmp(f->key, keys[k]))
			continue;
		if (fs->seen & (1u << k))
			return verr_set(err, EPROTO, "stat answer: \"%s\" twice", f->key);
		fs->seen |= 1u << k;
		if (k == F_OK) {
			if (f->type != JSON_BOOL)
				return verr_set(err, EPROTO,
						"stat answer: \"ok\" is not a boolean");
			fs->ok = f->b;
		} else if (k == F_STATE) {
			fs->paused = f->type == JSON_STRING && !strcmp(f->str, "paused");
		} else if (f->type == JSON_NULL && (k == F_BALLOON || k == F_RSS)) {
			if (k == F_BALLOON)
				fs->balloon_null = true;
			else
				fs->rss_null = true;
		} else {
			if (json_get_u64(o, f->key, &fs->v[k]))
				return verr_set(err, EPROTO,
						"stat answer: \"%s\" is not a byte count", f->key);
		}
		return 0;
	}
	return 0; /* a field memd does not use */
}

static int parse_fields(const char *line, struct fields *fs, struct verr *err)
{
	struct json_obj *o = malloc(sizeof(*o));
	struct verr jerr = {0};
	int ret = 0;

	if (!o)
		return -ENOMEM;
	if (json_parse(line, strlen(line), o, &jerr)) {
		ret = verr_set(err, EPROTO, "stat answer: %s", jerr.msg);
	} else {
		for (unsigned i = 0; i < o->n && !ret; i++)
			ret = take_field(o, &o->f[i], fs, err);
	}
	free(o);
	return ret;
}

int memd_vmstat_parse(const char *line, struct memd_vmstat *s, struct verr *err)
{
	struct fields fs = {0};
	struct memd_vm_in *in = &s->in;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = parse_fields(line, &fs, err);
	if (ret)
		return ret;
	if (!(fs.seen & (1u << F_OK)) || !fs.ok)
		return verr_set(err, EPROTO, "stat answer is not \"ok\":true");
	if (!(fs.seen & (1u << F_MEM)) || !fs.v[F_MEM])
		return verr_set(err, EPROTO, "stat answer without \"mem\"");
	in->mem = fs.v[F_MEM];
	in->paused = fs.paused;
	/* Without a balloon device "balloon" is null and there is no target. */
	s->has_balloon =
		!fs.balloon_null && (fs.seen & (1u << F_BALLOON)) && (fs.seen & (1u << F_TARGET));
	if (!s->has_balloon)
		return 0;
	/* A VM process reporting a balloon larger than its RAM is wrong: clamp, policy copes. */
	in->actual = MIN(fs.v[F_BALLOON], in->mem);
	in->target = MIN(fs.v[F_TARGET], in->mem);
	in->rss = fs.rss_null ? 0 : fs.v[F_RSS];
	in->backed = fs.v[F_TOUCHED];
	s->stats_updates = fs.v[F_UPDATES];
	in->guest_total = fs.v[F_TOTAL];
	in->guest_free = fs.v[F_FREE];
	in->guest_available = fs.v[F_AVAIL];
	in->has_available = fs.seen & (1u << F_AVAIL);
	/* Figures the policy can use: a total and free or available, sent at least once. */
	in->stats_valid = s->stats_updates && (fs.seen & (1u << F_TOTAL)) &&
			  (fs.seen & ((1u << F_FREE) | (1u << F_AVAIL)));
	return 0;
}
