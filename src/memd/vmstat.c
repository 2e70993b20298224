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

/* The one field of `one` (a single-field object), if memd wants it. */
static int take_field(const struct json_obj *one, struct fields *fs, struct verr *err)
{
	const struct json_field *f = &one->f[0];

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
			if (json_get_u64(one, f->key, &fs->v[k]))
				return verr_set(err, EPROTO,
						"stat answer: \"%s\" is not a byte count", f->key);
		}
		return 0;
	}
	return 0; /* a field memd does not use */
}

/*
 * The stat answer has more fields than one struct json_obj holds
 * (JSON_MAX_FIELDS), so the flat object is cut at its top-level commas,
 * outside strings, and each "key":value is read by the strict parser as an
 * object of its own. The protocol has no nested values; any that appear
 * make the field's parse fail.
 */
static int parse_fields(const char *line, struct fields *fs, struct verr *err)
{
	char buf[CONTROL_LINE_MAX + 3];
	const char *p = line, *start;
	struct json_obj *one;
	struct verr jerr = {0};
	int ret = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '{')
		return verr_set(err, EPROTO, "stat answer is not a JSON object");
	one = malloc(sizeof(*one));
	if (!one)
		return -ENOMEM;
	start = ++p;
	for (;;) {
		bool in_str = false, esc = false;
		size_t len;

		for (; *p; p++) {
			if (in_str) {
				if (esc)
					esc = false;
				else if (*p == '\\')
					esc = true;
				else if (*p == '"')
					in_str = false;
			} else if (*p == '"') {
				in_str = true;
			} else if (*p == ',' || *p == '}') {
				break;
			}
		}
		if (!*p) {
			ret = verr_set(err, EPROTO, "stat answer: unterminated object");
			break;
		}
		len = (size_t)(p - start);
		if (len + 3 > sizeof(buf)) {
			ret = verr_set(err, EPROTO, "stat answer: field too long");
			break;
		}
		buf[0] = '{';
		memcpy(buf + 1, start, len);
		buf[len + 1] = '}';
		buf[len + 2] = '\0';
		if (json_parse(buf, len + 2, one, &jerr) || one->n != 1) {
			ret = verr_set(err, EPROTO, "stat answer: bad field '%.40s': %s", start,
				       jerr.errnum ? jerr.msg : "empty");
			break;
		}
		ret = take_field(one, fs, err);
		if (ret)
			break;
		if (*p == '}') {
			for (p++; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
				;
			if (*p)
				ret = verr_set(err, EPROTO, "stat answer: text after the object");
			break;
		}
		start = ++p;
	}
	free(one);
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
