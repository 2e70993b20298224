/*
 * src/vm/sandbox.c: the seccomp filter installed in a child process. What a
 * running VM does must pass (the child exits 0); what it must never do
 * (execve, open, fork, executable mappings, foreign ioctls, signals to
 * others) must kill the child with SIGSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vm/sandbox.h"

enum action {
	ACT_ALLOWED,
	ACT_EXECVE,
	ACT_OPEN,
	ACT_FORK,
	ACT_MMAP_EXEC,
	ACT_MPROTECT_EXEC,
	ACT_IOCTL_TIOCSTI,
	ACT_KILL_PARENT,
	ACT_SOCKET,
	ACT_PTRACE,
};

static void *thread_fn(void *arg)
{
	return arg;
}

/* What the VM loop, devices and control thread do once running. */
static int allowed_work(void)
{
	int sv[2], efd;
	uint64_t one = 1, got = 0;
	char buf[8];
	struct timespec ts = {.tv_nsec = 1000};
	pthread_t t;
	void *res = NULL;
	void *p;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) /* made before: socket() is refused */
		return 1;
	const struct sandbox_config cfg = {.seccomp = true};
	struct tm tm;
	time_t epoch = 0;

	/* sandbox_enter, as a VM does: limits, then the filter (and time zone loaded first). */
	if (sandbox_enter(&cfg, NULL))
		return 2;
	if (!gmtime_r(&epoch, &tm) || tm.tm_year != 70) /* the CMOS RTC's call */
		return 8;
	if (send(sv[0], "ping", 4, MSG_DONTWAIT | MSG_NOSIGNAL) != 4 || recv(sv[1], buf, 4, 0) != 4)
		return 3;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0 || write(efd, &one, 8) != 8 || read(efd, &got, 8) != 8 || got != 1)
		return 4;
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || madvise(p, 1 << 20, MADV_DONTNEED) || munmap(p, 1 << 20))
		return 5;
#ifndef __SANITIZE_ADDRESS__
	/* ASan's thread start reads /proc/self/maps, which the sandbox rightly refuses. */
	if (pthread_create(&t, NULL, thread_fn, &one) || pthread_join(t, &res) || res != &one)
		return 6;
#else
	(void)t, (void)res, (void)thread_fn;
#endif
	if (nanosleep(&ts, NULL) || clock_gettime(CLOCK_MONOTONIC, &ts))
		return 7;
	close(efd);
	return 0;
}

static void forbidden(enum action a)
{
	static char *const argv[] = {"/bin/true", NULL};
	int fd = -1;

	switch (a) {
	case ACT_EXECVE: execve(argv[0], argv, NULL); break;
	case ACT_OPEN: fd = open("/etc/hostname", O_RDONLY); break;
	case ACT_FORK: (void)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); break;
	case ACT_MMAP_EXEC:
		(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case ACT_MPROTECT_EXEC: {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
		break;
	}
	case ACT_IOCTL_TIOCSTI: {
		char c = 'x';

		(void)ioctl(0, TIOCSTI, &c);
		break;
	}
	case ACT_KILL_PARENT: (void)kill(getppid(), 0); break;
	case ACT_SOCKET: fd = socket(AF_INET, SOCK_STREAM, 0); break;
	case ACT_PTRACE: (void)syscall(SYS_ptrace, 0, 0, 0, 0); break;
	case ACT_ALLOWED: break;
	}
	(void)fd;
}

/* Run `a` in a child under the filter; its wait status. */
static int run_child(enum action a)
{
	int status = -1;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (a == ACT_ALLOWED)
			_exit(allowed_work());
		if (sandbox_filter_install(NULL))
			_exit(2);
		forbidden(a);
		_exit(0); /* reached only if the call was let through */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_allowed(void **state)
{
	int st;

	(void)state;
	st = run_child(ACT_ALLOWED);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("allowed work failed: %s %d", WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void test_forbidden(void **state)
{
	static const struct {
		enum action a;
		const char *what;
	} cases[] = {
		{ACT_EXECVE, "execve"},
		{ACT_OPEN, "open"},
		{ACT_FORK, "clone without CLONE_THREAD"},
		{ACT_MMAP_EXEC, "mmap PROT_EXEC"},
		{ACT_MPROTECT_EXEC, "mprotect PROT_EXEC"},
		{ACT_IOCTL_TIOCSTI, "ioctl TIOCSTI"},
		{ACT_KILL_PARENT, "kill another process"},
		{ACT_SOCKET, "socket"},
		{ACT_PTRACE, "ptrace"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = run_child(cases[i].a);

		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("%s was not killed by SIGSYS (%s %d)", cases[i].what,
				 WIFEXITED(st) ? "exit" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_forbidden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
