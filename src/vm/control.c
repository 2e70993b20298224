/*
 * The control socket server: one thread polls the listening socket and up
 * to CONTROL_MAX_CLIENTS connections, reads newline-terminated requests and
 * writes one response line each (control_cmd.c answers them).
 *
 * Clients are hostile: a request longer than CONTROL_LINE_MAX is answered
 * with an error and the connection closed (its end cannot be found without
 * unbounded buffering); malformed JSON gets an error and the connection
 * stays; a client that does not read its responses is dropped rather than
 * blocking the thread (every socket is non-blocking).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "vm/control_internal.h"

static void client_close(struct control_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
}

/* Send one line; false when the client must be dropped (gone or not reading). */
static bool client_send(struct control_client *cl, const char *resp)
{
	char line[CONTROL_LINE_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", resp);
	ssize_t w;

	if (n < 0 || (size_t)n >= sizeof(line))
		return false;
	w = send(cl->fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	return w == n;
}

static void send_error_and_close(struct control_client *cl, const char *msg)
{
	char resp[512];
	struct json_out w;

	json_out_init(&w, resp, sizeof(resp));
	json_out_bool(&w, "ok", false);
	json_out_str(&w, "error", msg);
	if (json_out_end(&w) > 0)
		(void)client_send(cl, resp);
	client_close(cl);
}

/* Only the owner and root: the socket file's mode is the first fence, this the second. */
static bool peer_allowed(const struct control *ctl, int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred))
		return false;
	*uid = cred.uid;
	return cred.uid == ctl->owner_uid || cred.uid == 0;
}

static void control_accept(struct control *ctl)
{
	struct control_client *slot = NULL;
	struct control_client tmp;
	char msg[128];
	uid_t uid = (uid_t)-1;
	int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	tmp.fd = fd;
	tmp.len = 0;
	if (!peer_allowed(ctl, fd, &uid)) {
		snprintf(msg, sizeof(msg), "permission denied: uid %d does not own VM '%s'",
			 (int)uid, ctl->name);
		send_error_and_close(&tmp, msg);
		return;
	}
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS && !slot; i++)
		if (ctl->clients[i].fd < 0)
			slot = &ctl->clients[i];
	if (!slot) {
		send_error_and_close(&tmp, "too many connections");
		return;
	}
	slot->fd = fd;
	slot->len = 0;
}

/* Answer every complete line in the buffer; false when the client was dropped. */
static bool client_lines(struct control *ctl, struct control_client *cl)
{
	char resp[CONTROL_LINE_MAX];
	char *nl;

	while ((nl = memchr(cl->buf, '\n', cl->len))) {
		size_t n = (size_t)(nl - cl->buf);

		control_handle(ctl, cl->buf, n, resp, sizeof(resp));
		if (!client_send(cl, resp)) {
			client_close(cl);
			return false;
		}
		memmove(cl->buf, nl + 1, cl->len - n - 1);
		cl->len -= n + 1;
	}
	if (cl->len > CONTROL_LINE_MAX) {
		char msg[96];

		snprintf(msg, sizeof(msg), "request longer than %d bytes", CONTROL_LINE_MAX);
		send_error_and_close(cl, msg);
		return false;
	}
	return true;
}

static void client_read(struct control *ctl, struct control_client *cl)
{
	ssize_t n = recv(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	cl->len += (size_t)n;
	(void)client_lines(ctl, cl);
}

static void *control_thread(void *arg)
{
	struct control *ctl = arg;

	for (;;) {
		struct pollfd pfd[2 + CONTROL_MAX_CLIENTS];
		struct control_client *who[2 + CONTROL_MAX_CLIENTS];
		nfds_t n = 0;

		pfd[n++] = (struct pollfd){.fd = ctl->quit_efd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = ctl->listen_fd, .events = POLLIN};
		for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
			if (ctl->clients[i].fd < 0)
				continue;
			who[n] = &ctl->clients[i];
			pfd[n++] = (struct pollfd){.fd = ctl->clients[i].fd, .events = POLLIN};
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("control: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		for (nfds_t i = 2; i < n; i++)
			if (pfd[i].revents)
				client_read(ctl, who[i]);
		if (pfd[1].revents & POLLIN)
			control_accept(ctl);
	}
	return NULL;
}

static int open_proc(const char *path)
{
	return open(path, O_RDONLY | O_CLOEXEC);
}

int control_create(struct vm *vm, const struct control_config *cfg, struct control **out,
		   struct verr *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct control *ctl;
	int ret;

	if (strlen(cfg->sock_path) >= sizeof(sa.sun_path))
		return verr_set(err, ENAMETOOLONG, "control socket path %s is too long",
				cfg->sock_path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->vm = vm;
	snprintf(ctl->name, sizeof(ctl->name), "%s", cfg->name);
	ctl->owner_uid = cfg->owner_uid;
	ctl->start_unix = cfg->start_unix;
	ctl->start_ns = cfg->start_ns;
	ctl->listen_fd = -1;
	ctl->ksm_fd = open_proc("/proc/self/ksm_merging_pages");
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	ctl->quit_efd = eventfd(0, EFD_CLOEXEC);
	ctl->statm_fd = open_proc("/proc/self/statm");
	if (ctl->quit_efd < 0 || ctl->statm_fd < 0) {
		ret = verr_set(err, errno, "control: %s", strerror(errno));
		goto err_destroy;
	}
	ctl->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctl->listen_fd < 0) {
		ret = verr_set(err, errno, "control socket: %s", strerror(errno));
		goto err_destroy;
	}
	memcpy(sa.sun_path, cfg->sock_path, strlen(cfg->sock_path) + 1);
	if (bind(ctl->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = verr_set(err, errno, "control socket %s: %s", cfg->sock_path,
			       strerror(errno));
		goto err_destroy;
	}
	/* Owner only; the 0700 directory already keeps others out while this runs. */
	if (chmod(cfg->sock_path, 0600) < 0 || listen(ctl->listen_fd, 64) < 0) {
		ret = verr_set(err, errno, "control socket %s: %s", cfg->sock_path,
			       strerror(errno));
		goto err_destroy;
	}
	*out = ctl;
	return 0;
err_destroy:
	control_destroy(ctl);
	return ret;
}

int control_start(struct control *ctl)
{
	int ret = pthread_create(&ctl->thread, NULL, control_thread, ctl);

	if (ret)
		return -ret;
	ctl->started = true;
	return 0;
}

void control_destroy(struct control *ctl)
{
	uint64_t one = 1;

	if (!ctl)
		return;
	if (ctl->started) {
		if (write(ctl->quit_efd, &one, sizeof(one)) < 0)
			log_error("control: cannot stop the thread: %s", strerror(errno));
		pthread_join(ctl->thread, NULL);
	}
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		client_close(&ctl->clients[i]);
	if (ctl->listen_fd >= 0)
		close(ctl->listen_fd);
	if (ctl->quit_efd >= 0)
		close(ctl->quit_efd);
	if (ctl->statm_fd >= 0)
		close(ctl->statm_fd);
	if (ctl->ksm_fd >= 0)
		close(ctl->ksm_fd);
	free(ctl);
}
