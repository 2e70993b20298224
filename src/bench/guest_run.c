/*
 * One test-guest VM per measurement, in this process (src/vm API): the
 * console goes to a memfd we read afterwards, and the engine's counters are
 * read before the VM is destroyed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench/guest_run.h"
#include "engine/engine.h"
#include "vm/vm.h"

#define BENCH_GUEST_MEM (64ull << 20)
#define BENCH_OUTPUT_MAX (1u << 20) /* far above what enginebench prints */

static int output_read(int fd, struct bench_guest_run *r, struct verr *err)
{
	off_t len = lseek(fd, 0, SEEK_END);
	ssize_t got;

	if (len < 0)
		return verr_set(err, errno, "bench: guest output: %s", strerror(errno));
	if (len > BENCH_OUTPUT_MAX)
		len = BENCH_OUTPUT_MAX;
	r->output = malloc((size_t)len + 1);
	if (!r->output)
		return verr_set(err, ENOMEM, "bench: out of memory for the guest output");
	got = pread(fd, r->output, (size_t)len, 0);
	if (got < 0)
		return verr_set(err, errno, "bench: guest output: %s", strerror(errno));
	r->output[got] = '\0';
	r->output_len = (size_t)got;
	return 0;
}

int bench_guest_run(const char *engine, const char *kernel, const char *cmdline,
		    struct bench_guest_run *r, struct verr *err)
{
	struct vm_config cfg = {
		.engine = engine,
		.mem_bytes = BENCH_GUEST_MEM,
		.nr_cpus = 1,
		.kernel_path = kernel,
		.cmdline = cmdline,
		.console_in_fd = -1,
		.signal_fd = -1,
	};
	struct vm *vm = NULL;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	fd = memfd_create("vessel-bench-console", MFD_CLOEXEC);
	if (fd < 0)
		return verr_set(err, errno, "bench: memfd_create: %s", strerror(errno));
	cfg.console_out_fd = fd;
	ret = vm_create(&cfg, &vm, err);
	if (ret)
		goto out;
	ret = vm_run(vm, &r->result);
	if (ret) {
		verr_set(err, -ret, "bench: running the guest on %s: %s", engine, strerror(-ret));
		goto out;
	}
	vm_get_stats(vm, &r->stats);
	ret = output_read(fd, r, err);
out:
	vm_destroy(vm);
	close(fd);
	if (ret)
		bench_guest_run_free(r);
	return ret;
}

void bench_guest_run_free(struct bench_guest_run *r)
{
	free(r->output);
	r->output = NULL;
	r->output_len = 0;
}
