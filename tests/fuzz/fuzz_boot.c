/*
 * libFuzzer target for the kernel loaders: the input is a kernel image (ELF64
 * or bzImage, recognised by content) loaded into a small guest, once alone and
 * once with an initrd and a command line. Whatever the bytes, boot_load must
 * either succeed with an entry point in guest RAM or fail with a message;
 * never crash, read out of bounds or leak (ASan/UBSan/LSan watch that).
 * Seeds: tests/fuzz/corpus/boot/ (scripts/gen-boot-corpus.py).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boot/boot.h"
#include "mem/gmem.h"

#define FUZZ_MEM (32ull << 20) /* small enough to be fast, big enough for pref_address 16 MiB */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_one(struct gmem *m, const uint8_t *data, size_t size, const uint8_t *initrd,
		     size_t initrd_len, const char *cmdline)
{
	struct boot_image img = {
		.kernel = data,
		.kernel_len = size,
		.initrd = initrd,
		.initrd_len = initrd_len,
		.cmdline = cmdline,
		.nr_cpus = 1,
		.kernel_name = "fuzz",
	};
	struct boot_entry entry;
	struct verr err = { 0 };
	int ret = boot_load(m, &img, &entry, &err);

	/* The contract, checked on every input: an error always carries its message... */
	if (ret < 0 && (err.errnum != -ret || !strstr(err.msg, "kernel 'fuzz'")))
		__builtin_trap();
	/* ...and success always means an entry point inside guest RAM, below 4 GiB. */
	if (ret == 0 && (!gmem_is_ram(m, entry.regs.rip, 1) || entry.regs.rip >= (1ull << 32)))
		__builtin_trap();
	if (ret > 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[8192] = { 0x30, 0x37, 0x30, 0x37, 0x30, 0x31 }; /* "070701" */
	struct gmem *m;

	if (gmem_create(FUZZ_MEM, &m))
		return 0;
	fuzz_one(m, data, size, NULL, 0, "");
	fuzz_one(m, data, size, initrd, sizeof(initrd), "console=ttyS0 root=/dev/vda rw");
	gmem_destroy(m);
	return 0;
}
