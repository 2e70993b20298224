/* vessel.test=bench: in-guest microbenchmarks, one line each:
 *   vessel-guest: bench NAME VALUE UNIT
 * Each runs in batches until BENCH_SECONDS of guest time passed, so a slow
 * engine still finishes in about that time per benchmark. */
#include "console.h"
#include "run.h"
#include "tests.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_SECONDS 0.5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int one_getppid(const char *self)
{
	/* syscall() so that no libc cache can answer without entering the kernel. */
	return syscall(SYS_getppid) < 0 ? -errno : 0;
}

static int one_fork(const char *self)
{
	int ws;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &ws, 0) < 0)
		return -errno;
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -ECHILD;
}

static int one_exec(const char *self)
{
	char *const argv[] = { (char *)self, TESTS_EXEC_CHILD_ARG, NULL };
	int rc = run_wait(argv);

	return rc == 0 ? 0 : (rc < 0 ? rc : -ECHILD);
}

struct bench {
	const char *name;
	const char *unit;
	unsigned batch;
	int (*one)(const char *self);
};

static const struct bench benches[] = {
	{ .name = "getppid", .unit = "calls/s", .batch = 10000, .one = one_getppid },
	{ .name = "fork", .unit = "forks/s", .batch = 10, .one = one_fork },
	{ .name = "exec", .unit = "execs/s", .batch = 10, .one = one_exec },
};

static int bench_run(const struct bench *b, const char *self)
{
	unsigned long long count = 0;
	double start = now(), elapsed;

	do {
		for (unsigned i = 0; i < b->batch; i++) {
			int rc = b->one(self);
			if (rc < 0) {
				console_say("bench %s FAILED after %llu runs: %s", b->name, count,
					    strerror(-rc));
				return 1;
			}
		}
		count += b->batch;
		elapsed = now() - start;
	} while (elapsed < BENCH_SECONDS);
	console_say("bench %s %.0f %s", b->name, (double)count / elapsed, b->unit);
	return 0;
}

int test_bench(const char *self)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		failed |= bench_run(&benches[i], self);
	console_say(failed ? "bench FAILED" : "bench ok");
	return failed;
}
