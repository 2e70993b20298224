/*
 * The VM process sandbox: see sandbox.h and docs/isolation.md.
 *
 * The allow list is what a running VM needs and nothing it needed only
 * while being built (open, socket, bind, KVM_CREATE_VM all happen before).
 * Arguments are checked where that is cheap and meaningful: no executable
 * mappings (no JIT yet: it will need its own rule), clone only for threads,
 * ioctl only for KVM (type 0xAE) and terminal queries, fcntl only for
 * descriptor flags, signals only to this process.
 */
#include "vm/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/log.h"

#define KVMIO 0xAE /* linux/kvm.h: the type byte of every KVM ioctl */

/* System calls allowed with any arguments (grouped by use, hence no clang-format). */
/* clang-format off */
static const int allow_plain[] = {
	/* I/O on descriptors opened during set-up (disks, console, eventfds, /proc/self/statm) */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(preadv), SCMP_SYS(pwritev),
	SCMP_SYS(preadv2), SCMP_SYS(pwritev2), SCMP_SYS(lseek), SCMP_SYS(close),
	SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(fallocate), SCMP_SYS(ftruncate),
	SCMP_SYS(fstat), SCMP_SYS(eventfd2), SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime),
	/* waiting */
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl), SCMP_SYS(futex), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(sched_yield), SCMP_SYS(restart_syscall),
	/* memory: guest RAM discard (balloon, dedup), malloc, thread stacks */
	SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(mincore),
	/* time and identity */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getrusage), SCMP_SYS(getrandom),
	SCMP_SYS(sched_getaffinity),
	/* threads and signals (the kvm kick signal, pthread exit) */
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(sigaltstack), SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* the control socket */
	SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto),
	SCMP_SYS(sendmsg), SCMP_SYS(shutdown), SCMP_SYS(getsockopt),
};
/* clang-format on */

static int add(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *cmp)
{
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
}

static int add_checked(scmp_filter_ctx ctx)
{
	const struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	const struct scmp_arg_cmp thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	const struct scmp_arg_cmp kvm_ioctl = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, KVMIO << 8);
	const struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	const struct scmp_arg_cmp empty_path =
		SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH);
	static const unsigned long tty_ioctls[] = {TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO};
	static const int fcntl_cmds[] = {F_GETFL, F_SETFL, F_GETFD, F_SETFD};
	int ret = 0;

	ret |= add(ctx, SCMP_SYS(mmap), 1, &no_exec);
	ret |= add(ctx, SCMP_SYS(mprotect), 1, &no_exec);
	ret |= add(ctx, SCMP_SYS(clone), 1, &thread);
	ret |= add(ctx, SCMP_SYS(ioctl), 1, &kvm_ioctl);
	ret |= add(ctx, SCMP_SYS(tgkill), 1, &self);
	/* glibc's fstat() is newfstatat(fd, "", buf, AT_EMPTY_PATH): no path lookup. */
	ret |= add(ctx, SCMP_SYS(newfstatat), 1, &empty_path);
	for (size_t i = 0; i < ARRAY_SIZE(tty_ioctls); i++) {
		const struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_EQ, tty_ioctls[i]);

		ret |= add(ctx, SCMP_SYS(ioctl), 1, &c);
	}
	for (size_t i = 0; i < ARRAY_SIZE(fcntl_cmds); i++) {
		const struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)fcntl_cmds[i]);

		ret |= add(ctx, SCMP_SYS(fcntl), 1, &c);
	}
	/* glibc tries clone3 first and falls back to clone on ENOSYS; clone3's flags are out of
	 * reach. */
	ret |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return ret;
}

int sandbox_filter_install(struct verr *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int ret = 0;

	if (!ctx)
		return verr_set(err, ENOMEM, "seccomp: cannot create a filter");
	/* Every thread, not just the caller; other ABIs (i386, x32) are killed too. */
	ret |= seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	ret |= seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0; i < ARRAY_SIZE(allow_plain) && !ret; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow_plain[i], 0);
	if (!ret)
		ret = add_checked(ctx);
	if (ret) {
		seccomp_release(ctx);
		return verr_set(err, ret < 0 ? -ret : EINVAL,
				"seccomp: cannot build the filter: %s",
				strerror(ret < 0 ? -ret : EINVAL));
	}
	ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret)
		return verr_set(err, -ret, "seccomp: cannot load the filter: %s", strerror(-ret));
	return 0;
}

static int set_limit(int res, rlim_t max, const char *what, struct verr *err)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) < 0)
		return verr_set(err, errno, "getrlimit(%s): %s", what, strerror(errno));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < max)
		max = rl.rlim_max;
	rl.rlim_cur = max;
	rl.rlim_max = max;
	if (setrlimit(res, &rl) < 0)
		return verr_set(err, errno, "setrlimit(%s): %s", what, strerror(errno));
	return 0;
}

static int drop_user(uid_t uid, gid_t gid, struct verr *err)
{
	uid_t r, e, s;

	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return verr_set(err, errno, "setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) < 0)
		return verr_set(err, errno, "--user: cannot switch to gid %u: %s", (unsigned)gid,
				strerror(errno));
	if (setresuid(uid, uid, uid) < 0)
		return verr_set(err, errno, "--user: cannot switch to uid %u: %s", (unsigned)uid,
				strerror(errno));
	/* Check: a partial switch would leave a way back to the old uid. */
	if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid)
		return verr_set(err, EPERM, "--user: uid %u did not stick", (unsigned)uid);
	return 0;
}

int sandbox_enter(const struct sandbox_config *cfg, struct verr *err)
{
	int ret;

	/*
	 * glibc reads /etc/localtime on the first time conversion of the
	 * process, even gmtime_r (the CMOS RTC): do it now, while open() works.
	 */
	tzset();
	/* No core dumps: they would hold guest RAM. */
	ret = set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE", err);
	if (!ret)
		ret = set_limit(RLIMIT_NOFILE, SANDBOX_NOFILE, "RLIMIT_NOFILE", err);
	if (!ret && cfg->drop_user)
		ret = drop_user(cfg->uid, cfg->gid, err);
	if (!ret && cfg->seccomp)
		ret = sandbox_filter_install(err);
	return ret;
}
