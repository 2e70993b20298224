/*
 * What `vessel run --name/--detach/--user/--no-sandbox` adds to a plain run:
 * the VM's name (runtime.h), a detached process whose console goes to a log,
 * the control socket (control.h) and the sandbox (sandbox.h).
 *
 * Admission control (src/mem/overcommit/admission_runtime.h) happens here
 * too, before vm_create and before --detach forks: every VM, named
 * or not, takes a name in the runtime directory (an anonymous one,
 * "~anon-PID", without --name) and publishes its --mem there.
 *
 * --detach forks before vm_create, because a KVM VM belongs to the process
 * (the mm) that created it; the parent waits on a pipe for the child's
 * verdict, "ok" or the error line, so errors still reach the terminal with a
 * non-zero exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/time.h"
#include "cli/cli.h"
#include "cli/manage.h"
#include "mem/overcommit/admission_runtime.h"

static int parse_id(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || s[0] == '-' || *out >= (unsigned long)(uid_t)-1 ? -1
											    : 0;
}

/* --user USER[:GROUP]: names or numbers; the group defaults to the user's. */
static int parse_user(const char *spec, struct sandbox_config *sb)
{
	char user[128];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;
	unsigned long id;

	if (ulen == 0 || ulen >= sizeof(user))
		goto bad;
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	pw = getpwnam(user);
	if (pw) {
		sb->uid = pw->pw_uid;
		sb->gid = pw->pw_gid;
	} else if (!parse_id(user, &id)) {
		sb->uid = (uid_t)id;
		sb->gid = (gid_t)id;
	} else {
		goto bad;
	}
	if (colon) {
		struct group *gr = getgrnam(colon + 1);

		if (gr)
			sb->gid = gr->gr_gid;
		else if (!parse_id(colon + 1, &id))
			sb->gid = (gid_t)id;
		else
			goto bad;
	}
	sb->drop_user = true;
	return 0;
bad:
	fprintf(stderr,
		"vessel: --user '%s': no such user or group (USER[:GROUP], names or "
		"numbers)\n",
		spec);
	return -1;
}

/* Detached child: stdin from /dev/null, stdout and stderr to the log, own session. */
static int child_redirect(int log_fd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
	    dup2(log_fd, STDERR_FILENO) < 0)
		return -1;
	close(null);
	return setsid() < 0 ? -1 : 0;
}

/* Parent of a detached VM: relay the verdict and return the exit status. */
static int parent_wait(struct run_manage *m, pid_t child, int rfd)
{
	char msg[1024];
	size_t len = 0;
	ssize_t n;
	int st = 0;

	while (len < sizeof(msg) - 1 &&
	       ((n = read(rfd, msg + len, sizeof(msg) - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	msg[len] = '\0';
	close(rfd);
	if (!strcmp(msg, "ok\n")) {
		/* The child holds the name's lock now; ours goes without removing anything. */
		close(m->claim.lock_fd);
		m->claim.lock_fd = -1;
		return 0;
	}
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	runtime_release(&m->claim);
	if (len)
		fprintf(stderr, "%s", msg);
	else
		fprintf(stderr, "vessel: VM '%s' died while starting (%s %d); see %s\n", m->name,
			WIFSIGNALED(st) ? "signal" : "exit status",
			WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), m->log_path);
	if (WIFEXITED(st) && WEXITSTATUS(st))
		return WEXITSTATUS(st);
	return CLI_EXIT_USAGE;
}

static void meta_fill(const struct run_manage *m, const struct vm_config *cfg, const char *engine,
		      struct runtime_meta *meta)
{
	*meta = (struct runtime_meta){
		.pid = getpid(),
		.uid = getuid(),
		.engine = engine,
		.mem_bytes = cfg->mem_bytes,
		.nr_cpus = cfg->nr_cpus,
		.start_unix = m->start_unix,
		.log_path = m->log_path,
		.dedup = cfg->dedup,
	};
}

/*
 * With the name held: refuse what does not fit, else publish NAME.json. The
 * engine is the one asked for ("auto" until vm_create resolves it); a
 * detached child rewrites the entry with its own pid.
 */
static int admit(struct run_manage *m, const struct vm_config *cfg)
{
	struct runtime_meta meta;
	struct verr err = {0};
	int ret;

	meta_fill(m, cfg, cfg->engine, &meta);
	ret = admission_enter(&m->claim, &meta, &err);
	if (ret)
		run_manage_fail(m, err.msg);
	return ret;
}

/* A VM without --name: an anonymous entry, so that admission still counts it. */
static void prepare_anon(struct run_manage *m, const struct vm_config *cfg, int *status)
{
	struct verr err = {0};

	m->log_path[0] = '\0';
	if (runtime_dir(m->dir, true, &err)) {
		/*
		 * No runtime directory at all (a user without XDG_RUNTIME_DIR): no VM
		 * of this user can register anywhere, so there is no one to compare
		 * with; say nothing rather than warn on every run (docs/overcommit.md).
		 */
		*status = 0;
		return;
	}
	if (runtime_claim_anon(m->dir, &m->claim, &err)) {
		fprintf(stderr, "vessel: %s\n", err.msg);
		return;
	}
	if (admit(m, cfg)) {
		runtime_release(&m->claim);
		return;
	}
	*status = 0;
}

bool run_manage_prepare(struct run_manage *m, struct vm_config *cfg, int *status)
{
	struct runtime_meta meta;
	struct verr err = {0};
	int log_fd = -1, pfd[2];
	pid_t pid;

	m->ready_fd = -1;
	m->claim.lock_fd = -1;
	m->start_unix = (int64_t)time(NULL);
	m->start_ns = time_mono_ns();
	m->sb.seccomp = !m->no_sandbox;
	*status = CLI_EXIT_USAGE;
	if (m->detach && !m->name) {
		fprintf(stderr, "vessel: --detach needs --name NAME (how else to find the VM?)\n");
		return false;
	}
	if (m->user && parse_user(m->user, &m->sb))
		return false;
	if (!m->name) {
		prepare_anon(m, cfg, status);
		return false;
	}
	if (runtime_dir(m->dir, true, &err) || runtime_claim(m->dir, m->name, &m->claim, &err)) {
		fprintf(stderr, "vessel: %s\n", err.msg);
		return false;
	}
	if (runtime_path(m->sock_path, m->dir, m->name, "sock") ||
	    runtime_path(m->log_path, m->dir, m->name, "log")) {
		fprintf(stderr, "vessel: VM name '%s': runtime paths too long\n", m->name);
		goto err_release;
	}
	if (!m->detach)
		m->log_path[0] = '\0';
	/* Before the log and the fork: a refused VM leaves nothing behind. */
	if (admit(m, cfg))
		goto err_release;
	if (!m->detach) {
		*status = 0;
		return false;
	}
	log_fd = open(m->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		      0600);
	if (log_fd < 0) {
		fprintf(stderr, "vessel: %s: %s\n", m->log_path, strerror(errno));
		goto err_release;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		fprintf(stderr, "vessel: pipe: %s\n", strerror(errno));
		goto err_release;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "vessel: fork: %s\n", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		goto err_release;
	}
	if (pid > 0) {
		close(pfd[1]);
		close(log_fd);
		*status = parent_wait(m, pid, pfd[0]);
		return true;
	}
	close(pfd[0]);
	m->ready_fd = pfd[1];
	if (child_redirect(log_fd)) {
		run_manage_fail(m, "cannot redirect the console to the log");
		close(log_fd);
		*status = CLI_EXIT_USAGE;
		return false;
	}
	close(log_fd);
	cfg->console_in_fd = -1;
	cfg->console_out_fd = STDOUT_FILENO;
	/* Admitted under the parent's pid: the entry names the VM process from now on. */
	meta_fill(m, cfg, cfg->engine, &meta);
	if (runtime_write_meta(&m->claim, &meta, &err)) {
		run_manage_fail(m, err.msg);
		return false;
	}
	*status = 0;
	return false;
err_release:
	if (log_fd >= 0)
		close(log_fd);
	runtime_release(&m->claim);
	return false;
}

void run_manage_fail(struct run_manage *m, const char *msg)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "vessel: %s\n", msg);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	fputs(line, stderr);
	if (m->ready_fd >= 0) {
		if (write(m->ready_fd, line, (size_t)n) < 0)
			perror("vessel: cannot report to the parent");
		close(m->ready_fd);
		m->ready_fd = -1;
	}
}

int run_manage_start(struct run_manage *m, struct vm *vm, const struct vm_config *cfg)
{
	struct verr err = {0};
	int ret;

	if (m->name) {
		const struct control_config cc = {
			.name = m->name,
			.sock_path = m->sock_path,
			.owner_uid = getuid(),
			.start_unix = m->start_unix,
			.start_ns = m->start_ns,
		};

		ret = control_create(vm, &cc, &m->ctl, &err);
		if (ret) {
			run_manage_fail(m, err.msg);
			return ret;
		}
	}
	if (m->claim.lock_fd >= 0) {
		struct runtime_meta meta;

		/* Again, now with the engine vm_create picked; the same --mem admission counted. */
		meta_fill(m, cfg, vm_engine_name(vm), &meta);
		ret = runtime_write_meta(&m->claim, &meta, &err);
		if (ret) {
			run_manage_fail(m, err.msg);
			return ret;
		}
	}
	ret = sandbox_enter(&m->sb, &err);
	if (ret) {
		run_manage_fail(m, err.msg);
		return ret;
	}
	m->sandboxed = m->sb.seccomp;
	if (m->ctl) {
		ret = control_start(m->ctl);
		if (ret) {
			run_manage_fail(m, "cannot start the control thread");
			return ret;
		}
	}
	if (m->ready_fd >= 0) {
		/* A parent killed meanwhile cannot hear it; the VM runs anyway. */
		if (write(m->ready_fd, "ok\n", 3) != 3)
			perror("vessel: cannot report to the parent");
		close(m->ready_fd);
		m->ready_fd = -1;
	}
	return 0;
}

void run_manage_finish(struct run_manage *m)
{
	control_destroy(m->ctl);
	m->ctl = NULL;
	if (m->claim.lock_fd < 0)
		return;
	if (m->sandboxed) {
		/* unlink is not allowed any more: the next `ls`/`run`/`stop` removes the files. */
		close(m->claim.lock_fd);
		m->claim.lock_fd = -1;
	} else {
		runtime_release(&m->claim);
	}
}
