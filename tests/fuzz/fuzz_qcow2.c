/*
 * libFuzzer target for the qcow2 reader/writer (src/dev/backend/qcow2.c):
 * the input is an image file on a memfd, opened read-write. Contract
 * checked on every input: open either fails with a message naming the
 * file or gives a backend whose reads succeed or fail cleanly, and data
 * written then reads back the same. Backing-file names in inputs resolve
 * relative to the working directory (check.sh runs fuzzers in a scratch
 * directory). Seeds: tests/fuzz/corpus/qcow2/ (images from qemu-img).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dev/backend/block.h"

#define FUZZ_MAX_IMAGE (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536], pat[4096];
	struct blk_backend *b = NULL;
	struct verr err = {0};
	int fd;

	if (size > FUZZ_MAX_IMAGE)
		return 0;
	fd = memfd_create("fuzz.qcow2", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	if (qcow2_backend_open_fd(fd, "fuzz.qcow2", false, &b, &err)) {
		if (!strstr(err.msg, "fuzz.qcow2"))
			__builtin_trap();
		return 0; /* the fd was closed by the failed open */
	}
	if (b->size) {
		uint64_t off = b->size / 2 & ~511ull;
		size_t n = (size_t)(b->size - off < sizeof(pat) ? b->size - off : sizeof(pat));

		(void)blk_read(b, 0, buf, (size_t)(b->size < sizeof(buf) ? b->size : sizeof(buf)));
		memset(pat, 0xa5, sizeof(pat));
		if (blk_write(b, off, pat, n) == 0) {
			memset(buf, 0, n);
			if (blk_read(b, off, buf, n) == 0 && memcmp(buf, pat, n))
				__builtin_trap(); /* written data must read back */
		}
	}
	blk_backend_destroy(b);
	return 0;
}
