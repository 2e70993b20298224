/* Admission over the runtime directory: lock, scan, ratio setting; see admission_runtime.h. */
#include "mem/overcommit/admission_runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/fdio.h"
#include "base/meminfo.h"
#include "base/json.h"

#define HOST_JSON_MAX 4096

int admission_lock(const char *dir, int *fd, struct verr *err)
{
	/*
	 * The lock is the runtime directory itself: flock works on a directory
	 * descriptor, and no lock file is left behind or can be unlinked under us.
	 */
	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return verr_set(err, errno, "runtime directory %s: %s", dir, strerror(errno));
	while (flock(*fd, LOCK_EX) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(*fd);
		*fd = -1;
		return verr_set(err, e, "%s: flock: %s", dir, strerror(e));
	}
	return 0;
}

void admission_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

/* --mem of a live VM from its NAME.json; 0 when it has none yet (still before admission). */
static uint64_t entry_mem(const char *dir, const char *name)
{
	char path[RUNTIME_PATH_MAX], buf[2048];
	struct json_obj *o;
	struct verr err = {0};
	uint64_t mem = 0;
	size_t len;

	if (runtime_path(path, dir, name, "json") || file_read_small(path, O_NOFOLLOW, buf, sizeof(buf), &len))
		return 0;
	o = calloc(1, sizeof(*o));
	if (!o)
		return 0;
	/* Written atomically (rename) by the VM itself: a live VM's file is whole. */
	if (json_parse(buf, len, o, &err) || json_get_u64(o, "mem", &mem))
		mem = 0;
	free(o);
	return mem;
}

int admission_scan(const char *dir, const char *self, struct admission_usage *u, struct verr *err)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	*u = (struct admission_usage){0};
	if (!d)
		return verr_set(err, errno, "runtime directory %s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		char name[RUNTIME_NAME_MAX + 1];
		size_t len = strlen(de->d_name);
		int live;

		/* Every VM that passed admission has a NAME.lock; a lock alone is one starting. */
		if (len <= 5 || len - 5 > RUNTIME_NAME_MAX || strcmp(de->d_name + len - 5, ".lock"))
			continue;
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		if (!runtime_name_valid(name) && !runtime_name_anon(name))
			continue;
		if (self && !strcmp(name, self))
			continue;
		live = runtime_is_live(dir, name);
		if (live < 0)
			continue; /* vanished meanwhile, or not ours to probe */
		if (!live) {
			u->nr_dead++;
			continue;
		}
		u->nr_live++;
		/* Saturating: the limit check must never wrap around. */
		u->running += MIN(entry_mem(dir, name), UINT64_MAX - u->running);
	}
	closedir(d);
	return 0;
}

const char *admission_source_name(enum admission_source src)
{
	switch (src) {
	case ADMISSION_FROM_ENV: return "$" ADMISSION_RATIO_ENV;
	case ADMISSION_FROM_HOST: return "host.json";
	case ADMISSION_FROM_DEFAULT: break;
	}
	return "default";
}

int admission_ratio(const char *dir, unsigned *milli, enum admission_source *src, struct verr *err)
{
	const char *env = getenv(ADMISSION_RATIO_ENV);
	char path[RUNTIME_PATH_MAX], buf[HOST_JSON_MAX];
	const char *s;
	struct json_obj *o;
	size_t len;
	int ret;

	if (env && env[0]) {
		*src = ADMISSION_FROM_ENV;
		if (admission_parse_ratio(env, milli))
			return verr_set(err, EINVAL,
					"$%s='%.40s' is not a ratio (0.1 to 100, or off)",
					ADMISSION_RATIO_ENV, env);
		return 0;
	}
	*src = ADMISSION_FROM_DEFAULT;
	*milli = ADMISSION_RATIO_DEFAULT;
	if (runtime_path(path, dir, "host", "json"))
		return verr_set(err, ENAMETOOLONG, "%s/host.json: path too long", dir);
	ret = file_read_small(path, O_NOFOLLOW, buf, sizeof(buf), &len);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return verr_set(err, -ret, "%s: %s", path, strerror(-ret));
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	ret = json_parse(buf, len, o, err);
	if (!ret) {
		/* A string ("1.50", "off") keeps the exact value: no float round trip. */
		s = json_get_str(o, "overcommit_ratio");
		if (s && !admission_parse_ratio(s, milli))
			*src = ADMISSION_FROM_HOST;
		else if (s || json_get(o, "overcommit_ratio"))
			ret = verr_set(err, EINVAL,
				       "%s: \"overcommit_ratio\" is not a ratio string", path);
	} else {
		ret = verr_set(err, EINVAL, "%s: not a JSON object", path);
	}
	free(o);
	return ret;
}

int admission_set_ratio(const char *dir, unsigned milli, struct verr *err)
{
	char path[RUNTIME_PATH_MAX], tmp[RUNTIME_PATH_MAX + 8], buf[256], ratio[32];
	struct json_out w;
	int n, fd;

	if (runtime_path(path, dir, "host", "json"))
		return verr_set(err, ENAMETOOLONG, "%s/host.json: path too long", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	admission_format_ratio(milli, ratio, sizeof(ratio));
	json_out_init(&w, buf, sizeof(buf) - 1);
	json_out_str(&w, "overcommit_ratio", ratio);
	n = json_out_end(&w);
	if (n < 0)
		return verr_set(err, ENOSPC, "host.json: too long");
	buf[n++] = '\n';
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return verr_set(err, errno, "%s: %s", tmp, strerror(errno));
	if (write(fd, buf, (size_t)n) != n || close(fd) < 0) {
		(void)unlink(tmp);
		return verr_set(err, EIO, "%s: write failed", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;

		(void)unlink(tmp);
		return verr_set(err, e, "%s: %s", path, strerror(e));
	}
	return 0;
}

int admission_mem_total(const char *meminfo, uint64_t *bytes)
{
	char buf[8192];
	int ret = file_read_small(meminfo, 0, buf, sizeof(buf), NULL);

	if (ret)
		return ret;
	ret = meminfo_field(buf, "MemTotal", bytes);
	if (ret)
		return -EINVAL;
	return *bytes ? 0 : -EINVAL;
}

int admission_enter(const struct runtime_claim *c, const struct runtime_meta *m, struct verr *err)
{
	struct admission_figures f = {.asked = m->mem_bytes};
	struct admission_usage u;
	enum admission_source src;
	char line[400];
	int fd, ret;

	ret = admission_ratio(c->dir, &f.ratio_milli, &src, err);
	if (ret)
		return ret;
	if (f.ratio_milli != ADMISSION_RATIO_OFF) {
		ret = admission_mem_total("/proc/meminfo", &f.host_total);
		if (ret)
			return verr_set(err, -ret, "cannot read MemTotal from /proc/meminfo: %s",
					strerror(-ret));
	}
	ret = admission_lock(c->dir, &fd, err);
	if (ret)
		return ret;
	ret = admission_scan(c->dir, c->name, &u, err);
	if (ret)
		goto out;
	f.running = u.running;
	if (!admission_admit(&f)) {
		admission_explain(&f, line, sizeof(line));
		ret = verr_set(err, EDQUOT, "%s", line);
		goto out;
	}
	/* Still under the lock: from here on the next starter counts us. */
	ret = runtime_write_meta(c, m, err);
out:
	admission_unlock(fd);
	return ret;
}
