/*
 * VM start latency: spawn `vessel run ...`, measure the time from just
 * before exec to the guest's first UART byte on vessel's stdout, and to the
 * process's exit. Prints one line per run and the median of each.
 *
 * usage: start_latency RUNS VESSEL ARGS...
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int run_once(char **argv, double *first_ms, double *total_ms, int *status)
{
	int pfd[2];
	double t0;
	pid_t pid;
	char buf[4096];
	ssize_t n;

	if (pipe(pfd))
		return -errno;
	t0 = now_ms();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	*first_ms = -1;
	while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (*first_ms < 0)
			*first_ms = now_ms() - t0;
	}
	close(pfd[0]);
	waitpid(pid, status, 0);
	*total_ms = now_ms() - t0;
	return 0;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	double *first, *total;

	if (runs < 1) {
		fprintf(stderr, "usage: start_latency RUNS VESSEL ARGS...\n");
		return 2;
	}
	first = calloc((size_t)runs, sizeof(double));
	total = calloc((size_t)runs, sizeof(double));
	if (!first || !total)
		return 1;
	for (int i = 0; i < runs; i++) {
		int status = 0;

		if (run_once(argv + 2, &first[i], &total[i], &status)) {
			perror("start_latency");
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "start_latency: run %d: vessel failed (status 0x%x)\n", i, status);
			return 1;
		}
	}
	qsort(first, (size_t)runs, sizeof(double), cmp_double);
	qsort(total, (size_t)runs, sizeof(double), cmp_double);
	printf("runs %d  first UART byte: median %.2f ms (min %.2f, max %.2f)  "
	       "whole run: median %.2f ms (min %.2f, max %.2f)\n",
	       runs, first[runs / 2], first[0], first[runs - 1], total[runs / 2], total[0],
	       total[runs - 1]);
	free(first);
	free(total);
	return 0;
}
