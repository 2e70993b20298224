/*
 * File-descriptor system calls: forwarded to the host, with every guest
 * buffer translated through the page map (never a raw guest pointer).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine/soft/user/umem.h"
#include "engine/soft/user/uproc.h"
#include "engine/soft/user/usys.h"

#define USYS_IOV_MAX 1024          /* UIO_MAXIOV */
#define USYS_RW_MAX 0x7ffff000ull  /* MAX_RW_COUNT: the kernel clamps transfers to this */

/* Copy a guest path; -EFAULT, -ENAMETOOLONG or its length. */
static long usys_path(struct uproc *p, uint64_t gva, char path[PATH_MAX])
{
	return umem_copy_str(p->mem, path, gva, PATH_MAX);
}

/* read/pread: host read straight into guest pages (write=true: guest memory is written). */
static int64_t usys_rw(struct uproc *p, int fd, uint64_t buf, uint64_t len, bool to_guest,
		       bool positioned, int64_t off)
{
	struct iovec iov[64];
	size_t covered;
	int n;
	ssize_t r;

	len = MIN(len, USYS_RW_MAX);
	if (len == 0)
		return usys_host(positioned ? (to_guest ? pread(fd, NULL, 0, off) : pwrite(fd, NULL, 0, off))
					    : (to_guest ? read(fd, NULL, 0) : write(fd, NULL, 0)));
	n = umem_iov(p->mem, buf, len, to_guest, iov, (int)ARRAY_SIZE(iov), &covered);
	if (n < 0)
		return n;
	if (to_guest)
		r = positioned ? preadv(fd, iov, n, off) : readv(fd, iov, n);
	else
		r = positioned ? pwritev(fd, iov, n, off) : writev(fd, iov, n);
	if (r > 0 && to_guest)
		umem_written(p->mem, buf, (size_t)r);
	return usys_host(r);
}

static int64_t sys_read(struct uproc *p, const uint64_t a[6])
{
	return usys_rw(p, (int)a[0], a[1], a[2], true, false, 0);
}

static int64_t sys_write(struct uproc *p, const uint64_t a[6])
{
	return usys_rw(p, (int)a[0], a[1], a[2], false, false, 0);
}

static int64_t sys_pread64(struct uproc *p, const uint64_t a[6])
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return usys_rw(p, (int)a[0], a[1], a[2], true, true, (int64_t)a[3]);
}

static int64_t sys_pwrite64(struct uproc *p, const uint64_t a[6])
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return usys_rw(p, (int)a[0], a[1], a[2], false, true, (int64_t)a[3]);
}

/* readv/writev: gather the guest iovec array into host iovecs (split per page). */
static int64_t usys_rwv(struct uproc *p, const uint64_t a[6], bool to_guest)
{
	uint64_t giov[2 * 64];
	struct iovec *iov = NULL;
	uint64_t cnt = a[2], total = 0;
	int n = 0, max = 4 * USYS_IOV_MAX;
	int64_t r;

	if (cnt > USYS_IOV_MAX)
		return -EINVAL;
	iov = calloc((size_t)max, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	for (uint64_t i = 0; i < cnt; i++) {
		size_t covered;
		int k;

		if (i % 64 == 0 &&
		    umem_copy_from(p->mem, giov, a[1] + i * 16, MIN(cnt - i, 64) * 16)) {
			r = -EFAULT;
			goto out;
		}
		uint64_t base = giov[2 * (i % 64)], len = giov[2 * (i % 64) + 1];

		if ((int64_t)len < 0 || len > USYS_RW_MAX - total) {
			r = -EINVAL;
			goto out;
		}
		total += len;
		if (len == 0)
			continue;
		k = umem_iov(p->mem, base, len, to_guest, iov + n, max - n, &covered);
		if (k < 0 || covered < len) {
			/* Like the kernel: a bad segment ends the transfer (EFAULT if first). */
			if (k > 0)
				n += k;
			if (n == 0) {
				r = -EFAULT;
				goto out;
			}
			break;
		}
		n += k;
	}
	if (n == 0) {
		r = usys_host(to_guest ? read((int)a[0], NULL, 0) : write((int)a[0], NULL, 0));
		goto out;
	}
	r = usys_host(to_guest ? readv((int)a[0], iov, n) : writev((int)a[0], iov, n));
	if (r > 0 && to_guest) {
		/* Report what the host wrote, per guest segment, so decoded code there is dropped. */
		int64_t left = r;

		for (uint64_t i = 0; i < cnt && left > 0; i++) {
			uint64_t g[2];

			if (umem_copy_from(p->mem, g, a[1] + i * 16, 16))
				break;
			umem_written(p->mem, g[0], (size_t)MIN((uint64_t)left, g[1]));
			left -= (int64_t)MIN((uint64_t)left, g[1]);
		}
	}
out:
	free(iov);
	return r;
}

static int64_t sys_readv(struct uproc *p, const uint64_t a[6])
{
	return usys_rwv(p, a, true);
}

static int64_t sys_writev(struct uproc *p, const uint64_t a[6])
{
	return usys_rwv(p, a, false);
}

static int64_t sys_openat(struct uproc *p, const uint64_t a[6])
{
	char path[PATH_MAX];
	long r = usys_path(p, a[1], path);

	if (r < 0)
		return r;
	return usys_host(openat((int)a[0], path, (int)a[2], (mode_t)a[3]));
}

static int64_t sys_open(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { (uint64_t)AT_FDCWD, a[0], a[1], a[2] };

	return sys_openat(p, b);
}

static int64_t sys_close(struct uproc *p, const uint64_t a[6])
{
	return usys_host(close((int)a[0]));
}

static int64_t sys_lseek(struct uproc *p, const uint64_t a[6])
{
	return usys_host(lseek((int)a[0], (off_t)a[1], (int)a[2]));
}

static int64_t usys_put_stat(struct uproc *p, int r, const struct stat *st, uint64_t gva)
{
	if (r < 0)
		return -errno;
	/* The host is x86-64 too: struct stat is the kernel's struct stat. */
	return umem_copy_to(p->mem, gva, st, sizeof(*st));
}

static int64_t sys_fstat(struct uproc *p, const uint64_t a[6])
{
	struct stat st;
	int r = fstat((int)a[0], &st);

	return usys_put_stat(p, r, &st, a[1]);
}

static int64_t sys_newfstatat(struct uproc *p, const uint64_t a[6])
{
	char path[PATH_MAX];
	struct stat st;
	long n = usys_path(p, a[1], path);

	if (n < 0)
		return n;
	return usys_put_stat(p, fstatat((int)a[0], path, &st, (int)a[3]), &st, a[2]);
}

static int64_t sys_stat(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { (uint64_t)AT_FDCWD, a[0], a[1], 0 };

	return sys_newfstatat(p, b);
}

static int64_t sys_lstat(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { (uint64_t)AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW };

	return sys_newfstatat(p, b);
}

static int64_t sys_readlinkat(struct uproc *p, const uint64_t a[6])
{
	char path[PATH_MAX], buf[PATH_MAX];
	long n = usys_path(p, a[1], path);
	ssize_t r;
	size_t len = MIN(a[3], sizeof(buf));

	if (n < 0)
		return n;
	if ((int64_t)a[3] <= 0)
		return -EINVAL;
	/* /proc/self/exe would name the runner: name the program instead. */
	if (strcmp(path, "/proc/self/exe") == 0) {
		char *real = realpath(p->cfg.path, NULL);

		if (!real)
			return -ENOENT;
		r = (ssize_t)MIN(strlen(real), len);
		memcpy(buf, real, (size_t)r);
		free(real);
	} else {
		r = readlinkat((int)a[0], path, buf, len);
		if (r < 0)
			return -errno;
	}
	if (umem_copy_to(p->mem, a[2], buf, (size_t)r))
		return -EFAULT;
	return r;
}

static int64_t sys_readlink(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { (uint64_t)AT_FDCWD, a[0], a[1], a[2] };

	return sys_readlinkat(p, b);
}

static int64_t sys_getcwd(struct uproc *p, const uint64_t a[6])
{
	char buf[PATH_MAX];
	size_t len;

	if (!getcwd(buf, sizeof(buf)))
		return -errno;
	len = strlen(buf) + 1;
	if (a[1] < len)
		return -ERANGE;
	if (umem_copy_to(p->mem, a[0], buf, len))
		return -EFAULT;
	return (int64_t)len;
}

static int64_t sys_chdir(struct uproc *p, const uint64_t a[6])
{
	char path[PATH_MAX];
	long n = usys_path(p, a[0], path);

	return n < 0 ? n : usys_host(chdir(path));
}

static int64_t sys_fchdir(struct uproc *p, const uint64_t a[6])
{
	return usys_host(fchdir((int)a[0]));
}

static int64_t sys_faccessat(struct uproc *p, const uint64_t a[6])
{
	char path[PATH_MAX];
	long n = usys_path(p, a[1], path);

	return n < 0 ? n : usys_host(faccessat((int)a[0], path, (int)a[2], 0));
}

static int64_t sys_access(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { (uint64_t)AT_FDCWD, a[0], a[1] };

	return sys_faccessat(p, b);
}

static int64_t sys_getdents64(struct uproc *p, const uint64_t a[6])
{
	size_t len = MIN(a[2], 1u << 20);
	uint8_t *buf;
	long r;

	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	r = syscall(SYS_getdents64, (int)a[0], buf, len);
	if (r < 0)
		r = -errno;
	else if (umem_copy_to(p->mem, a[1], buf, (size_t)r))
		r = -EFAULT;
	free(buf);
	return r;
}

static int64_t sys_dup(struct uproc *p, const uint64_t a[6])
{
	return usys_host(dup((int)a[0]));
}

static int64_t sys_dup2(struct uproc *p, const uint64_t a[6])
{
	return usys_host(dup2((int)a[0], (int)a[1]));
}

static int64_t sys_dup3(struct uproc *p, const uint64_t a[6])
{
	return usys_host(dup3((int)a[0], (int)a[1], (int)a[2]));
}

static int64_t sys_fcntl(struct uproc *p, const uint64_t a[6])
{
	switch ((int)a[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
	case F_GETFD:
	case F_SETFD:
	case F_GETFL:
	case F_SETFL:
		/* Integer argument (or none): safe to forward. */
		return usys_host(fcntl((int)a[0], (int)a[1], (int)a[2]));
	default:
		/* Locks and owners take pointers or affect other processes: not offered. */
		return -EINVAL;
	}
}

static int64_t sys_pipe2(struct uproc *p, const uint64_t a[6])
{
	int fds[2];

	if (pipe2(fds, (int)a[1]) < 0)
		return -errno;
	if (umem_copy_to(p->mem, a[0], fds, sizeof(fds))) {
		close(fds[0]);
		close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

static int64_t sys_pipe(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { a[0], 0 };

	return sys_pipe2(p, b);
}

/* The kernel's struct termios (36 bytes), not glibc's larger one. */
#define USYS_KTERMIOS_SIZE 36

static int64_t sys_ioctl(struct uproc *p, const uint64_t a[6])
{
	uint8_t buf[64] = { 0 };
	int fd = (int)a[0];

	switch (a[1]) {
	case TCGETS:
		if (syscall(SYS_ioctl, fd, TCGETS, buf) < 0)
			return -errno;
		return umem_copy_to(p->mem, a[2], buf, USYS_KTERMIOS_SIZE);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		if (umem_copy_from(p->mem, buf, a[2], USYS_KTERMIOS_SIZE))
			return -EFAULT;
		return usys_host(syscall(SYS_ioctl, fd, a[1], buf));
	case TIOCGWINSZ:
		if (syscall(SYS_ioctl, fd, TIOCGWINSZ, buf) < 0)
			return -errno;
		return umem_copy_to(p->mem, a[2], buf, sizeof(struct winsize));
	case TIOCGPGRP:
		if (syscall(SYS_ioctl, fd, TIOCGPGRP, buf) < 0)
			return -errno;
		return umem_copy_to(p->mem, a[2], buf, sizeof(pid_t));
	case FIONREAD:
		if (syscall(SYS_ioctl, fd, FIONREAD, buf) < 0)
			return -errno;
		return umem_copy_to(p->mem, a[2], buf, sizeof(int));
	default:
		return -ENOTTY;
	}
}

static int64_t sys_unlinkat(struct uproc *p, const uint64_t a[6])
{
	char path[PATH_MAX];
	long n = usys_path(p, a[1], path);

	return n < 0 ? n : usys_host(unlinkat((int)a[0], path, (int)a[2]));
}

static int64_t sys_unlink(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { (uint64_t)AT_FDCWD, a[0], 0 };

	return sys_unlinkat(p, b);
}

static int64_t sys_mkdirat(struct uproc *p, const uint64_t a[6])
{
	char path[PATH_MAX];
	long n = usys_path(p, a[1], path);

	return n < 0 ? n : usys_host(mkdirat((int)a[0], path, (mode_t)a[2]));
}

static int64_t sys_mkdir(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { (uint64_t)AT_FDCWD, a[0], a[1] };

	return sys_mkdirat(p, b);
}

static int64_t sys_renameat(struct uproc *p, const uint64_t a[6])
{
	char from[PATH_MAX], to[PATH_MAX];
	long n = usys_path(p, a[1], from);

	if (n < 0)
		return n;
	n = usys_path(p, a[3], to);
	return n < 0 ? n : usys_host(renameat((int)a[0], from, (int)a[2], to));
}

static int64_t sys_rename(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { (uint64_t)AT_FDCWD, a[0], (uint64_t)AT_FDCWD, a[1] };

	return sys_renameat(p, b);
}

static int64_t sys_fchmod(struct uproc *p, const uint64_t a[6])
{
	return usys_host(fchmod((int)a[0], (mode_t)a[1]));
}

static int64_t sys_ftruncate(struct uproc *p, const uint64_t a[6])
{
	return usys_host(ftruncate((int)a[0], (off_t)a[1]));
}

static int64_t sys_fsync(struct uproc *p, const uint64_t a[6])
{
	return usys_host(fsync((int)a[0]));
}

const struct usys_entry usys_fd_table[USYS_MAX] = {
	[SYS_read] = { "read", sys_read },
	[SYS_write] = { "write", sys_write },
	[SYS_open] = { "open", sys_open },
	[SYS_close] = { "close", sys_close },
	[SYS_stat] = { "stat", sys_stat },
	[SYS_fstat] = { "fstat", sys_fstat },
	[SYS_lstat] = { "lstat", sys_lstat },
	[SYS_lseek] = { "lseek", sys_lseek },
	[SYS_ioctl] = { "ioctl", sys_ioctl },
	[SYS_pread64] = { "pread64", sys_pread64 },
	[SYS_pwrite64] = { "pwrite64", sys_pwrite64 },
	[SYS_readv] = { "readv", sys_readv },
	[SYS_writev] = { "writev", sys_writev },
	[SYS_access] = { "access", sys_access },
	[SYS_pipe] = { "pipe", sys_pipe },
	[SYS_dup] = { "dup", sys_dup },
	[SYS_dup2] = { "dup2", sys_dup2 },
	[SYS_fcntl] = { "fcntl", sys_fcntl },
	[SYS_fsync] = { "fsync", sys_fsync },
	[SYS_ftruncate] = { "ftruncate", sys_ftruncate },
	[SYS_getcwd] = { "getcwd", sys_getcwd },
	[SYS_chdir] = { "chdir", sys_chdir },
	[SYS_fchdir] = { "fchdir", sys_fchdir },
	[SYS_rename] = { "rename", sys_rename },
	[SYS_mkdir] = { "mkdir", sys_mkdir },
	[SYS_unlink] = { "unlink", sys_unlink },
	[SYS_readlink] = { "readlink", sys_readlink },
	[SYS_fchmod] = { "fchmod", sys_fchmod },
	[SYS_getdents64] = { "getdents64", sys_getdents64 },
	[SYS_openat] = { "openat", sys_openat },
	[SYS_mkdirat] = { "mkdirat", sys_mkdirat },
	[SYS_newfstatat] = { "newfstatat", sys_newfstatat },
	[SYS_unlinkat] = { "unlinkat", sys_unlinkat },
	[SYS_renameat] = { "renameat", sys_renameat },
	[SYS_readlinkat] = { "readlinkat", sys_readlinkat },
	[SYS_faccessat] = { "faccessat", sys_faccessat },
	[SYS_dup3] = { "dup3", sys_dup3 },
	[SYS_pipe2] = { "pipe2", sys_pipe2 },
};
