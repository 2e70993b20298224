/*
 * The Linux system call layer of vessel-cpu-run: guest pointers and lengths
 * are validated (-EFAULT/-EINVAL/-ENOMEM like Linux), buffers are translated
 * through the page map, and whole programs run through uproc.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/soft/user/umem.h"
#include "engine/soft/user/uproc.h"
#include "engine/soft/user/usys.h"

#define BUF 0x10000000ull /* a mapped, writable guest page pair */
#define RO 0x10010000ull  /* a read-only guest page */
#define HOLE 0x10020000ull /* unmapped */

static struct uproc *proc_new(void)
{
	struct uproc *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(umem_create(&p->mem), 0);
	assert_int_equal(umem_map(p->mem, BUF, 0x2000, UMEM_R | UMEM_W), 0);
	assert_int_equal(umem_map(p->mem, RO, 0x1000, UMEM_R), 0);
	p->brk_start = p->brk = 0x20000000;
	return p;
}

static void proc_free(struct uproc *p)
{
	umem_destroy(p->mem);
	free(p);
}

static int64_t call(struct uproc *p, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3)
{
	const uint64_t a[6] = { a0, a1, a2, a3, 0, 0 };

	return usys_call(p, nr, a);
}

static void test_read_write(void **state)
{
	struct uproc *p = proc_new();
	int fds[2];
	char out[8] = { 0 };

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(umem_copy_to(p->mem, BUF + 0xffe, "hello", 5), 0); /* spans two pages */
	assert_int_equal(call(p, SYS_write, (uint64_t)fds[1], BUF + 0xffe, 5, 0), 5);
	assert_int_equal(read(fds[0], out, sizeof(out)), 5);
	assert_string_equal(out, "hello");
	/* Unmapped or non-canonical buffers: -EFAULT, nothing written. */
	assert_int_equal(call(p, SYS_write, (uint64_t)fds[1], HOLE, 5, 0), -EFAULT);
	assert_int_equal(call(p, SYS_write, (uint64_t)fds[1], 0xffff800000000000ull, 5, 0), -EFAULT);
	/* read into a read-only page is -EFAULT; into a buffer running into a hole, short. */
	assert_int_equal(write(fds[1], "abcdef", 6), 6);
	assert_int_equal(call(p, SYS_read, (uint64_t)fds[0], RO, 6, 0), -EFAULT);
	assert_int_equal(call(p, SYS_read, (uint64_t)fds[0], BUF + 0x1ffd, 6, 0), 3);
	assert_int_equal(umem_copy_from(p->mem, out, BUF + 0x1ffd, 3), 0);
	assert_memory_equal(out, "abc", 3);
	/* pread with a negative offset */
	assert_int_equal(call(p, SYS_pread64, (uint64_t)fds[0], BUF, 1, (uint64_t)-1), -EINVAL);
	close(fds[0]);
	close(fds[1]);
	proc_free(p);
}

static void test_iovec(void **state)
{
	struct uproc *p = proc_new();
	uint64_t iov[4] = { BUF + 0x100, 3, BUF + 0x200, 2 };
	int fds[2];
	char out[8] = { 0 };

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(umem_copy_to(p->mem, BUF, iov, sizeof(iov)), 0);
	assert_int_equal(umem_copy_to(p->mem, BUF + 0x100, "abc", 3), 0);
	assert_int_equal(umem_copy_to(p->mem, BUF + 0x200, "de", 2), 0);
	assert_int_equal(call(p, SYS_writev, (uint64_t)fds[1], BUF, 2, 0), 5);
	assert_int_equal(read(fds[0], out, sizeof(out)), 5);
	assert_string_equal(out, "abcde");
	assert_int_equal(call(p, SYS_writev, (uint64_t)fds[1], BUF, 1025, 0), -EINVAL);
	assert_int_equal(call(p, SYS_writev, (uint64_t)fds[1], HOLE, 2, 0), -EFAULT);
	/* A negative length is -EINVAL. */
	iov[1] = (uint64_t)-1;
	assert_int_equal(umem_copy_to(p->mem, BUF, iov, sizeof(iov)), 0);
	assert_int_equal(call(p, SYS_writev, (uint64_t)fds[1], BUF, 2, 0), -EINVAL);
	close(fds[0]);
	close(fds[1]);
	proc_free(p);
}

static void test_paths_and_stat(void **state)
{
	struct uproc *p = proc_new();
	int64_t fd;

	(void)state;
	assert_int_equal(call(p, SYS_openat, (uint64_t)AT_FDCWD, HOLE, O_RDONLY, 0), -EFAULT);
	/* A path running off the end of the mapping without a NUL. */
	assert_int_equal(umem_copy_to(p->mem, BUF + 0x1ffc, "/dev", 4), 0);
	assert_int_equal(call(p, SYS_openat, (uint64_t)AT_FDCWD, BUF + 0x1ffc, O_RDONLY, 0), -EFAULT);
	assert_int_equal(umem_copy_to(p->mem, BUF, "/dev/null", 10), 0);
	fd = call(p, SYS_openat, (uint64_t)AT_FDCWD, BUF, O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_int_equal(call(p, SYS_fstat, (uint64_t)fd, RO, 0, 0), -EFAULT);
	assert_int_equal(call(p, SYS_fstat, (uint64_t)fd, HOLE, 0, 0), -EFAULT);
	assert_int_equal(call(p, SYS_fstat, (uint64_t)fd, BUF + 0x100, 0, 0), 0);
	assert_int_equal(call(p, SYS_close, (uint64_t)fd, 0, 0, 0), 0);
	assert_int_equal(call(p, SYS_getcwd, BUF, 1, 0, 0), -ERANGE);
	assert_int_equal(call(p, SYS_uname, RO, 0, 0, 0), -EFAULT);
	proc_free(p);
}

static void test_memory_calls(void **state)
{
	struct uproc *p = proc_new();
	int64_t a, b;
	uint8_t *host;
	unsigned prot;

	(void)state;
	assert_int_equal(call(p, SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS), -EINVAL);
	assert_int_equal(call(p, SYS_mmap, 0, 4096, PROT_READ, MAP_ANONYMOUS), -EINVAL);
	a = call(p, SYS_mmap, 0, 10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	assert_true(a > 0 && (a & 0xfff) == 0 && (uint64_t)a < UPROC_MMAP_TOP);
	assert_true(umem_lookup(p->mem, (uint64_t)a + 0x2000, &host, &prot));
	assert_int_equal(prot, UMEM_R | UMEM_W);
	/* A second mapping does not overlap the first. */
	b = call(p, SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
	assert_true(b + 4096 <= a || b >= a + 12288);
	assert_int_equal(call(p, SYS_munmap, (uint64_t)a + 1, 4096, 0, 0), -EINVAL);
	assert_int_equal(call(p, SYS_mprotect, (uint64_t)a, 4096, PROT_READ, 0), 0);
	assert_true(umem_lookup(p->mem, (uint64_t)a, &host, &prot));
	assert_int_equal(prot, UMEM_R);
	assert_int_equal(call(p, SYS_munmap, (uint64_t)a, 12288, 0, 0), 0);
	assert_int_equal(call(p, SYS_mprotect, (uint64_t)a, 4096, PROT_READ, 0), -ENOMEM);
	/* MAP_FIXED_NOREPLACE over an existing mapping */
	assert_int_equal(call(p, SYS_mmap, BUF, 4096, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE), -EEXIST);
	/* brk: grow (zeroed, writable), refuse below the start, shrink. */
	assert_int_equal(call(p, SYS_brk, 0, 0, 0, 0), 0x20000000);
	assert_int_equal(call(p, SYS_brk, 0x20003000, 0, 0, 0), 0x20003000);
	assert_true(umem_lookup(p->mem, 0x20002000, &host, &prot));
	assert_int_equal(host[5], 0);
	assert_int_equal(call(p, SYS_brk, 0x10000000, 0, 0, 0), 0x20003000);
	assert_int_equal(call(p, SYS_brk, 0x20001000, 0, 0, 0), 0x20001000);
	assert_false(umem_lookup(p->mem, 0x20002000, &host, &prot));
	/* madvise(DONTNEED) reads back zeros. */
	assert_int_equal(umem_copy_to(p->mem, BUF, "x", 1), 0);
	assert_int_equal(call(p, SYS_madvise, BUF, 4096, MADV_DONTNEED, 0), 0);
	assert_true(umem_lookup(p->mem, BUF, &host, &prot));
	assert_int_equal(host[0], 0);
	proc_free(p);
}

static void test_signals_and_refusals(void **state)
{
	struct uproc *p = proc_new();
	uint64_t act[4] = { 0x401000, 0, 0, 0 }, old[4];

	(void)state;
	assert_int_equal(umem_copy_to(p->mem, BUF, act, sizeof(act)), 0);
	assert_int_equal(call(p, SYS_rt_sigaction, SIGINT, BUF, 0, 4), -EINVAL);
	assert_int_equal(call(p, SYS_rt_sigaction, SIGKILL, BUF, 0, 8), -EINVAL);
	assert_int_equal(call(p, SYS_rt_sigaction, 65, BUF, 0, 8), -EINVAL);
	assert_int_equal(call(p, SYS_rt_sigaction, SIGINT, HOLE, 0, 8), -EFAULT);
	assert_int_equal(call(p, SYS_rt_sigaction, SIGINT, BUF, 0, 8), 0);
	assert_int_equal(call(p, SYS_rt_sigaction, SIGINT, 0, BUF + 64, 8), 0);
	assert_int_equal(umem_copy_from(p->mem, old, BUF + 64, sizeof(old)), 0);
	assert_int_equal(old[0], 0x401000);
	assert_int_equal(call(p, SYS_rt_sigprocmask, 99, BUF, 0, 8), -EINVAL);
	assert_int_equal(call(p, SYS_fork, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(call(p, SYS_execve, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(call(p, 1000, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(call(p, SYS_getrandom, RO, 16, 0, 0), -EFAULT);
	assert_int_equal(call(p, SYS_getrandom, BUF, 16, 0xff, 0), -EINVAL);
	assert_int_equal(call(p, SYS_getrandom, BUF, 16, 0, 0), 16);
	assert_false(p->exited);
	assert_int_equal(call(p, SYS_exit_group, 300, 0, 0, 0), 0);
	assert_true(p->exited);
	assert_int_equal(p->exit_status, 300 & 0xff);
	proc_free(p);
}

/* ---- whole programs: a hand-assembled static ELF run by uproc ---- */

static char *write_program(const uint8_t *code, size_t len)
{
	static char path[] = "/tmp/vessel-uproc-XXXXXX";
	uint8_t img[0x1000 + 256] = { 0 };
	Elf64_Ehdr eh = {
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = 0x401000, .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1,
	};
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000,
			  .p_vaddr = 0x401000, .p_filesz = len, .p_memsz = len, .p_align = 0x1000 };
	int fd;

	assert_true(len <= 256);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	memcpy(img + 0x1000, code, len);
	strcpy(path, "/tmp/vessel-uproc-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, 0x1000 + len), (ssize_t)(0x1000 + len));
	close(fd);
	return path;
}

static void run_program(const uint8_t *code, size_t len, struct uproc_result *res)
{
	const char *argv[] = { "prog", NULL }, *envp[] = { NULL };
	struct uproc_config cfg = { .argv = argv, .envp = envp };
	struct verr err = { 0 };
	struct uproc *p;

	cfg.path = write_program(code, len);
	assert_int_equal(uproc_create(&cfg, &p, &err), 0);
	unlink(cfg.path);
	assert_int_equal(uproc_run(p, res, &err), 0);
	uproc_destroy(p);
}

static void test_program_write_exit(void **state)
{
	uint8_t code[] = {
		0xbf, 0, 0, 0, 0,                   /* mov edi, FD (patched) */
		0x48, 0x8d, 0x35, 24, 0, 0, 0,      /* lea rsi, [rip + 24] -> msg */
		0xba, 3, 0, 0, 0,                   /* mov edx, 3 */
		0xb8, 1, 0, 0, 0,                   /* mov eax, SYS_write */
		0x0f, 0x05,                         /* syscall */
		0xbf, 42, 0, 0, 0,                  /* mov edi, 42 */
		0xb8, 231, 0, 0, 0,                 /* mov eax, SYS_exit_group */
		0x0f, 0x05,                         /* syscall */
		'h', 'i', '\n',
	};
	struct uproc_result res;
	int fds[2];
	char out[8] = { 0 };

	(void)state;
	assert_int_equal(pipe(fds), 0);
	code[1] = (uint8_t)fds[1];
	run_program(code, sizeof(code), &res);
	assert_false(res.signaled);
	assert_int_equal(res.status, 42);
	assert_int_equal(read(fds[0], out, sizeof(out)), 3);
	assert_string_equal(out, "hi\n");
	close(fds[0]);
	close(fds[1]);
}

static void test_program_enosys_and_fault(void **state)
{
	const uint8_t enosys[] = {
		0xb8, 0x90, 0x01, 0, 0,             /* mov eax, 400 (no such call) */
		0x0f, 0x05,                         /* syscall: rax = -ENOSYS */
		0x89, 0xc7,                         /* mov edi, eax */
		0xb8, 231, 0, 0, 0,                 /* mov eax, SYS_exit_group */
		0x0f, 0x05,
	};
	const uint8_t fault[] = {
		0x89, 0x04, 0x25, 0, 0, 0, 0,       /* mov [0], eax */
	};
	struct uproc_result res;

	(void)state;
	run_program(enosys, sizeof(enosys), &res);
	assert_false(res.signaled);
	assert_int_equal(res.status, (-ENOSYS) & 0xff);
	run_program(fault, sizeof(fault), &res);
	assert_true(res.signaled);
	assert_int_equal(res.signo, SIGSEGV);
	assert_non_null(strstr(res.msg, "#PF at rip 0x401000 (address 0, error code 0x6)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_iovec),
		cmocka_unit_test(test_paths_and_stat),
		cmocka_unit_test(test_memory_calls),
		cmocka_unit_test(test_signals_and_refusals),
		cmocka_unit_test(test_program_write_exit),
		cmocka_unit_test(test_program_enosys_and_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
