/* The runtime directory, VM names and their liveness locks; see runtime.h. */
#include "vm/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"

/* How long a claim waits for a lock held only briefly by a cleaner (`vessel ls`). */
#define RUNTIME_CLAIM_TRIES 20
#define RUNTIME_CLAIM_WAIT_NS 5000000L

static int dir_check(const char *dir, struct verr *err)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		return verr_set(err, errno, "runtime directory %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return verr_set(err, ENOTDIR, "runtime directory %s is not a directory", dir);
	if (st.st_uid != geteuid())
		return verr_set(err, EPERM,
				"runtime directory %s belongs to uid %u, not to you (%u)", dir,
				(unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 077)
		return verr_set(err, EPERM,
				"runtime directory %s is open to others (mode %04o); chmod 700 it",
				dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

int runtime_dir(char *dir, bool create, struct verr *err)
{
	const char *env = getenv("VESSEL_RUNTIME_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env && env[0])
		n = snprintf(dir, RUNTIME_PATH_MAX, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(dir, RUNTIME_PATH_MAX, "/run/vessel");
	else if (xdg && xdg[0])
		n = snprintf(dir, RUNTIME_PATH_MAX, "%s/vessel", xdg);
	else
		return verr_set(err, ENOENT,
				"no runtime directory: set XDG_RUNTIME_DIR or VESSEL_RUNTIME_DIR");
	/* Room for "/" + a longest name + ".sock" keeps every socket path bindable. */
	if (n < 0 || (size_t)n + 1 + RUNTIME_NAME_MAX + 6 > RUNTIME_PATH_MAX)
		return verr_set(
			err, ENAMETOOLONG,
			"runtime directory '%.200s' is too long for socket paths (at most %d "
			"bytes)",
			env && env[0] ? env : dir, RUNTIME_PATH_MAX - RUNTIME_NAME_MAX - 7);
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return verr_set(err, errno, "cannot create runtime directory %s: %s", dir,
				strerror(errno));
	return dir_check(dir, err);
}

/* Host-wide files of the runtime directory (runtime.h): NAME.lock/NAME.json of no VM. */
static bool name_reserved(const char *name)
{
	return !strcmp(name, "host");
}

bool runtime_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > RUNTIME_NAME_MAX || !strcmp(name, ".") || !strcmp(name, "..") ||
	    name_reserved(name))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

#define ANON_PREFIX "~anon-"

bool runtime_name_anon(const char *name)
{
	size_t plen = strlen(ANON_PREFIX), n = strlen(name);

	if (n <= plen || n > plen + 10 || strncmp(name, ANON_PREFIX, plen))
		return false;
	for (size_t i = plen; i < n; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	return true;
}

int runtime_path(char *out, const char *dir, const char *name, const char *ext)
{
	int n = snprintf(out, RUNTIME_PATH_MAX, "%s/%s.%s", dir, name, ext);

	return n < 0 || n >= RUNTIME_PATH_MAX ? -ENAMETOOLONG : 0;
}

static void unlink_ext(const char *dir, const char *name, const char *ext)
{
	char p[RUNTIME_PATH_MAX];

	if (!runtime_path(p, dir, name, ext))
		(void)unlink(p);
}

/* One attempt: 0 with the lock, -EWOULDBLOCK if held, -EAGAIN if the file was replaced. */
static int claim_once(const char *path, int *out)
{
	struct stat a, b;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		return e == EWOULDBLOCK ? -EWOULDBLOCK : -e;
	}
	/* A cleaner may have unlinked the file between our open and our lock. */
	if (fstat(fd, &a) < 0 || stat(path, &b) < 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		close(fd);
		return -EAGAIN;
	}
	*out = fd;
	return 0;
}

static int claim_tries(const char *dir, const char *name, struct runtime_claim *c, int max_tries,
		       struct verr *err)
{
	char path[RUNTIME_PATH_MAX];
	int ret = -EAGAIN, tries = 0;

	c->lock_fd = -1;
	if (name_reserved(name))
		return verr_set(err, EINVAL,
				"VM name '%s' is reserved for the runtime directory's own files", name);
	if (!runtime_name_valid(name) && !runtime_name_anon(name))
		return verr_set(err, EINVAL,
				"VM name '%.80s' is invalid: use 1 to %d of A-Z a-z 0-9 _ . -",
				name, RUNTIME_NAME_MAX);
	if (runtime_path(path, dir, name, "lock"))
		return verr_set(err, ENAMETOOLONG, "VM name '%s': path too long", name);
	while (tries++ < max_tries) {
		ret = claim_once(path, &c->lock_fd);
		if (ret != -EAGAIN && ret != -EWOULDBLOCK)
			break;
		if (ret == -EWOULDBLOCK && tries < max_tries) {
			struct timespec ts = {.tv_nsec = RUNTIME_CLAIM_WAIT_NS};

			nanosleep(&ts, NULL);
		}
	}
	if (ret == -EWOULDBLOCK)
		return verr_set(err, EEXIST, "a VM named '%s' is already running", name);
	if (ret)
		return verr_set(err, -ret, "%s: %s", path, strerror(-ret));
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->name, sizeof(c->name), "%s", name);
	/* We hold the name: whatever else is there belongs to a dead VM. */
	unlink_ext(dir, name, "sock");
	unlink_ext(dir, name, "json");
	return 0;
}

int runtime_claim(const char *dir, const char *name, struct runtime_claim *c, struct verr *err)
{
	c->lock_fd = -1;
	/* Anonymous names are generated by runtime_claim_anon only, never taken by --name. */
	if (runtime_name_anon(name))
		return verr_set(err, EINVAL,
				"VM name '%.80s' is invalid: use 1 to %d of A-Z a-z 0-9 _ . -",
				name, RUNTIME_NAME_MAX);
	return claim_tries(dir, name, c, RUNTIME_CLAIM_TRIES, err);
}

int runtime_claim_anon(const char *dir, struct runtime_claim *c, struct verr *err)
{
	char name[RUNTIME_NAME_MAX + 1];

	/* Our pid is ours while we live; a dead holder's leftovers are cleaned by the claim. */
	snprintf(name, sizeof(name), ANON_PREFIX "%ld", (long)getpid());
	return claim_tries(dir, name, c, RUNTIME_CLAIM_TRIES, err);
}

void runtime_release(struct runtime_claim *c)
{
	if (!c || c->lock_fd < 0)
		return;
	/* The lock file goes last, while still locked, so no one sees a half-removed VM as live. */
	unlink_ext(c->dir, c->name, "sock");
	unlink_ext(c->dir, c->name, "json");
	unlink_ext(c->dir, c->name, "lock");
	close(c->lock_fd);
	c->lock_fd = -1;
}

int runtime_write_meta(const struct runtime_claim *c, const struct runtime_meta *m,
		       struct verr *err)
{
	char path[RUNTIME_PATH_MAX], tmp[RUNTIME_PATH_MAX + 8], buf[1024];
	struct json_out w;
	int n, fd;
	ssize_t wr;

	if (runtime_path(path, c->dir, c->name, "json"))
		return verr_set(err, ENAMETOOLONG, "VM name '%s': path too long", c->name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	json_out_init(&w, buf, sizeof(buf) - 1);
	json_out_str(&w, "name", c->name);
	json_out_i64(&w, "pid", m->pid);
	json_out_u64(&w, "uid", m->uid);
	json_out_str(&w, "engine", m->engine);
	json_out_u64(&w, "mem", m->mem_bytes);
	json_out_u64(&w, "cpus", m->nr_cpus);
	json_out_i64(&w, "start", m->start_unix);
	json_out_str(&w, "log", m->log_path);
	json_out_bool(&w, "dedup", m->dedup);
	n = json_out_end(&w);
	if (n < 0)
		return verr_set(err, ENOSPC, "VM '%s': metadata too long", c->name);
	buf[n++] = '\n';
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return verr_set(err, errno, "%s: %s", tmp, strerror(errno));
	wr = write(fd, buf, (size_t)n);
	if (wr != n || close(fd) < 0) {
		(void)unlink(tmp);
		return verr_set(err, wr < 0 ? errno : EIO, "%s: write failed", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;

		(void)unlink(tmp);
		return verr_set(err, e, "%s: %s", path, strerror(e));
	}
	return 0;
}

int runtime_is_live(const char *dir, const char *name)
{
	struct runtime_claim c;
	/* One try: a probe must not wait. Taking the name is also how leftovers go away race-free.
	 */
	int ret = claim_tries(dir, name, &c, 1, NULL);

	if (ret == -EEXIST)
		return 1;
	if (ret)
		return ret;
	runtime_release(&c);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int runtime_list(const char *dir, char (**names)[RUNTIME_NAME_MAX + 1], size_t *n)
{
	char(*v)[RUNTIME_NAME_MAX + 1] = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	*names = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		static const char *const exts[] = {".lock", ".sock", ".json"};
		size_t len = strlen(de->d_name);
		char name[RUNTIME_NAME_MAX + 1];
		bool seen = false;

		for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
			size_t el = strlen(exts[i]);

			if (len > el && len - el <= RUNTIME_NAME_MAX &&
			    !strcmp(de->d_name + len - el, exts[i])) {
				memcpy(name, de->d_name, len - el);
				name[len - el] = '\0';
				seen = true;
			}
		}
		if (!seen || !runtime_name_valid(name))
			continue;
		for (size_t i = 0; i < count && seen; i++)
			if (!strcmp(v[i], name))
				seen = false;
		if (!seen)
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			void *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		memcpy(v[count++], name, sizeof(name));
	}
	closedir(d);
	if (count)
		qsort(v, count, sizeof(*v), name_cmp);
	*names = v;
	*n = count;
	return 0;
}
