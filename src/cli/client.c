/* The control-socket client of the management commands (docs/control-protocol.md). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/time.h"
#include "cli/cli.h"
#include "cli/manage.h"

int client_open(const char *name, bool quiet, struct client *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct verr err = {0};
	char path[RUNTIME_PATH_MAX];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int ret;

	c->fd = -1;
	c->pid = 0;
	if (runtime_dir(c->dir, false, &err)) {
		if (!quiet)
			fprintf(stderr, "vessel: %s\n", err.msg);
		return -(err.errnum ? err.errnum : EINVAL);
	}
	if (!runtime_name_valid(name) || runtime_path(path, c->dir, name, "sock")) {
		if (!quiet)
			fprintf(stderr, "vessel: '%.80s' is not a valid VM name\n", name);
		return -EINVAL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(c->fd);
		c->fd = -1;
		/* Nobody listening: a dead VM's leftovers (cleaned now), or one still starting. */
		ret = runtime_is_live(c->dir, name);
		if (!quiet) {
			if (ret == 1)
				fprintf(stderr, "vessel: VM '%s' is not answering on %s: %s\n",
					name, path, strerror(e));
			else
				fprintf(stderr, "vessel: no VM named '%s'\n", name);
		}
		return ret == 1 ? -e : -ENOENT;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		c->pid = cred.pid;
	return 0;
}

void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int remaining_ms(uint64_t deadline)
{
	uint64_t now = time_mono_ns();

	return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

/* One line from the socket into buf (NUL-terminated, newline dropped). */
static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	uint64_t deadline = time_mono_ns() + (uint64_t)timeout_ms * 1000000;
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		char *nl;
		ssize_t n;
		int r = poll(&pfd, 1, remaining_ms(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			return 0;
		}
		if (len == cap - 1)
			return -EMSGSIZE;
	}
}

int client_call(struct client *c, const char *req, struct json_obj *resp, char *raw, size_t cap,
		bool quiet)
{
	char buf[CONTROL_LINE_MAX * 2], line[CONTROL_LINE_MAX + 2];
	struct verr err = {0};
	const struct json_field *ok;
	int n = snprintf(line, sizeof(line), "%s\n", req);
	int ret;

	if (n < 0 || (size_t)n >= sizeof(line))
		return -EMSGSIZE;
	if (send(c->fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		ret = -errno;
		if (!quiet)
			fprintf(stderr, "vessel: VM '%s': send: %s\n", c->name, strerror(errno));
		return ret;
	}
	ret = read_line(c->fd, buf, sizeof(buf), CLIENT_TIMEOUT_MS);
	if (ret) {
		if (!quiet)
			fprintf(stderr, "vessel: VM '%s': no answer: %s\n", c->name,
				strerror(-ret));
		return ret;
	}
	if (raw)
		snprintf(raw, cap, "%s", buf);
	if (json_parse(buf, strlen(buf), resp, &err)) {
		if (!quiet)
			fprintf(stderr, "vessel: VM '%s': bad answer: %s\n", c->name, err.msg);
		return -EPROTO;
	}
	ok = json_get(resp, "ok");
	if (!ok || ok->type != JSON_BOOL) {
		if (!quiet)
			fprintf(stderr, "vessel: VM '%s': answer without \"ok\"\n", c->name);
		return -EPROTO;
	}
	if (!ok->b) {
		const char *e = json_get_str(resp, "error");

		if (!quiet)
			fprintf(stderr, "vessel: %s\n", e ? e : "request failed");
		return -EIO;
	}
	return 0;
}

int client_wait_gone(struct client *c, int timeout_ms)
{
	uint64_t deadline = time_mono_ns() + (uint64_t)timeout_ms * 1000000;
	char buf[256];

	/* The VM closes the connection when it ends (or the kernel does when it dies). */
	while (c->fd >= 0) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int r = poll(&pfd, 1, remaining_ms(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		if (recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			client_close(c);
	}
	/* The lock goes with the process, a moment after its sockets. */
	for (;;) {
		struct timespec ts = {.tv_nsec = 2000000};
		int live = runtime_is_live(c->dir, c->name);

		if (live <= 0)
			return live;
		if (!remaining_ms(deadline))
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}

int client_kill(struct client *c)
{
	int pidfd, ret = 0;
	struct pollfd pfd = {.fd = -1};
	char b;

	if (c->fd < 0 || c->pid <= 0)
		return -ESRCH;
	pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (pidfd < 0)
		return -errno;
	/*
	 * The pidfd now pins this process; the connection, still open, proves it
	 * is the VM that answered on the socket and not a process that reused the pid.
	 */
	pfd = (struct pollfd){.fd = c->fd, .events = POLLIN};
	if (poll(&pfd, 1, 0) > 0 &&
	    ((pfd.revents & POLLHUP) || recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0)) {
		close(pidfd);
		return -ESRCH; /* it ended after we connected: the pid may belong to someone else */
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
		ret = -errno;
	close(pidfd);
	return ret;
}

int cli_name_arg(int argc, char **argv, const char *usage, const char **name)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return -1;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "vessel: %s needs exactly one VM name (see 'vessel %s --help')\n",
			argv[0], argv[0]);
		return CLI_EXIT_USAGE;
	}
	*name = argv[1];
	return 0;
}
