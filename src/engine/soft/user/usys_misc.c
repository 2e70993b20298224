/*
 * Process, time, identity and signal system calls. Signal dispositions and
 * masks are recorded so the program sees consistent answers; no signal is
 * ever delivered (the program is single-threaded and the runner never sends one).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "engine/soft/cpu.h"
#include "engine/soft/user/umem.h"
#include "engine/soft/user/uproc.h"
#include "engine/soft/user/usys.h"

#define USYS_SS_AUTODISARM (1u << 31) /* uapi/linux/signal.h */
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static int64_t sys_arch_prctl(struct uproc *p, const uint64_t a[6])
{
	switch (a[0]) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		/* Linux refuses a non-canonical user base with EPERM. */
		if (a[1] >= UMEM_TOP)
			return -EPERM;
		p->cpu->seg[a[0] == ARCH_SET_FS ? SOFT_FS : SOFT_GS].base = a[1];
		return 0;
	case ARCH_GET_FS:
		return umem_copy_to(p->mem, a[1], &p->cpu->seg[SOFT_FS].base, 8);
	case ARCH_GET_GS:
		return umem_copy_to(p->mem, a[1], &p->cpu->seg[SOFT_GS].base, 8);
	default:
		return -EINVAL;
	}
}

static int64_t sys_set_tid_address(struct uproc *p, const uint64_t a[6])
{
	p->tid_address = a[0];
	return getpid();
}

static int64_t sys_set_robust_list(struct uproc *p, const uint64_t a[6])
{
	if (a[1] != 24) /* sizeof(struct robust_list_head) */
		return -EINVAL;
	p->robust_list = a[0];
	p->robust_len = a[1];
	return 0;
}

static int64_t sys_enosys(struct uproc *p, const uint64_t a[6])
{
	return -ENOSYS;
}

static int64_t sys_refused(struct uproc *p, const uint64_t a[6])
{
	uproc_notice(p, "fork/exec not supported");
	return -ENOSYS;
}

static int64_t sys_uname(struct uproc *p, const uint64_t a[6])
{
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	return umem_copy_to(p->mem, a[0], &u, sizeof(u));
}

static int64_t sys_getrandom(struct uproc *p, const uint64_t a[6])
{
	uint8_t buf[256];
	size_t len = MIN(a[1], sizeof(buf));
	ssize_t r;

	if (a[2] & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM))
		return -EINVAL;
	/* A short read is allowed by the ABI; glibc loops. */
	r = getrandom(buf, len, (unsigned)a[2]);
	if (r < 0)
		return -errno;
	if (umem_copy_to(p->mem, a[0], buf, (size_t)r))
		return -EFAULT;
	return r;
}

static int64_t sys_clock_gettime(struct uproc *p, const uint64_t a[6])
{
	struct timespec ts;

	if (clock_gettime((clockid_t)a[0], &ts) < 0)
		return -errno;
	return umem_copy_to(p->mem, a[1], &ts, sizeof(ts));
}

static int64_t sys_clock_getres(struct uproc *p, const uint64_t a[6])
{
	struct timespec ts;

	if (clock_getres((clockid_t)a[0], &ts) < 0)
		return -errno;
	return a[1] ? umem_copy_to(p->mem, a[1], &ts, sizeof(ts)) : 0;
}

static int64_t sys_gettimeofday(struct uproc *p, const uint64_t a[6])
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	if (a[0] && umem_copy_to(p->mem, a[0], &tv, sizeof(tv)))
		return -EFAULT;
	if (a[1]) {
		static const int32_t tz[2] = { 0, 0 }; /* struct timezone: UTC */

		if (umem_copy_to(p->mem, a[1], tz, sizeof(tz)))
			return -EFAULT;
	}
	return 0;
}

static int64_t sys_time(struct uproc *p, const uint64_t a[6])
{
	int64_t t = (int64_t)time(NULL);

	if (a[0] && umem_copy_to(p->mem, a[0], &t, sizeof(t)))
		return -EFAULT;
	return t;
}

static int64_t sys_nanosleep(struct uproc *p, const uint64_t a[6])
{
	struct timespec ts;

	if (umem_copy_from(p->mem, &ts, a[0], sizeof(ts)))
		return -EFAULT;
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000 || ts.tv_sec < 0)
		return -EINVAL;
	return usys_host(nanosleep(&ts, NULL));
}

static int64_t sys_getpid(struct uproc *p, const uint64_t a[6])
{
	return getpid();
}

static int64_t sys_getppid(struct uproc *p, const uint64_t a[6])
{
	return getppid();
}

static int64_t sys_getuid(struct uproc *p, const uint64_t a[6])
{
	return getuid();
}

static int64_t sys_geteuid(struct uproc *p, const uint64_t a[6])
{
	return geteuid();
}

static int64_t sys_getgid(struct uproc *p, const uint64_t a[6])
{
	return getgid();
}

static int64_t sys_getegid(struct uproc *p, const uint64_t a[6])
{
	return getegid();
}

static int64_t sys_getpgrp(struct uproc *p, const uint64_t a[6])
{
	return getpgrp();
}

static int64_t sys_umask(struct uproc *p, const uint64_t a[6])
{
	return umask((mode_t)a[0]);
}

static int64_t sys_rt_sigaction(struct uproc *p, const uint64_t a[6])
{
	unsigned sig = (unsigned)a[0];
	struct uproc_sigaction act;

	if (a[3] != 8 || sig == 0 || sig > UPROC_NSIG)
		return -EINVAL;
	if (a[1]) {
		if (umem_copy_from(p->mem, &act, a[1], sizeof(act)))
			return -EFAULT;
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
	}
	if (a[2] && umem_copy_to(p->mem, a[2], &p->sigact[sig], sizeof(act)))
		return -EFAULT;
	if (a[1])
		p->sigact[sig] = act;
	return 0;
}

static int64_t sys_rt_sigprocmask(struct uproc *p, const uint64_t a[6])
{
	const uint64_t unblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));
	uint64_t set, old = p->sigmask;

	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (umem_copy_from(p->mem, &set, a[1], sizeof(set)))
			return -EFAULT;
		switch ((int)a[0]) {
		case SIG_BLOCK:
			p->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			p->sigmask &= ~set;
			break;
		case SIG_SETMASK:
			p->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
		p->sigmask &= ~unblockable;
	}
	if (a[2] && umem_copy_to(p->mem, a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static int64_t sys_sigaltstack(struct uproc *p, const uint64_t a[6])
{
	uint64_t ss[3], old[3];

	memcpy(old, p->altstack, sizeof(old));
	if (!old[0] && !old[2])
		old[1] = SS_DISABLE;
	if (a[0]) {
		if (umem_copy_from(p->mem, ss, a[0], sizeof(ss)))
			return -EFAULT;
		if ((uint32_t)ss[1] & ~(uint32_t)(SS_DISABLE | USYS_SS_AUTODISARM))
			return -EINVAL;
	}
	if (a[1] && umem_copy_to(p->mem, a[1], old, sizeof(old)))
		return -EFAULT;
	if (a[0])
		memcpy(p->altstack, ss, sizeof(ss));
	return 0;
}

static int64_t sys_prlimit64(struct uproc *p, const uint64_t a[6])
{
	struct rlimit rl;

	if (a[0] != 0 && a[0] != (uint64_t)getpid())
		return -ESRCH;
	if (a[3]) {
		if (getrlimit((int)a[1], &rl) < 0)
			return -errno;
		if (a[1] == RLIMIT_STACK)
			rl.rlim_cur = 8 << 20; /* the stack the runner maps */
		if (umem_copy_to(p->mem, a[3], &rl, sizeof(rl)))
			return -EFAULT;
	}
	/* New limits are accepted and not applied: they would constrain the runner. */
	if (a[2] && umem_copy_from(p->mem, &rl, a[2], sizeof(rl)))
		return -EFAULT;
	return 0;
}

static int64_t sys_getrlimit(struct uproc *p, const uint64_t a[6])
{
	const uint64_t b[6] = { 0, a[0], 0, a[1] };

	return sys_prlimit64(p, b);
}

static int64_t sys_sched_getaffinity(struct uproc *p, const uint64_t a[6])
{
	uint8_t mask[128] = { 0 };
	long r;

	if (a[0] != 0 && a[0] != (uint64_t)getpid())
		return -ESRCH;
	r = syscall(SYS_sched_getaffinity, 0, MIN(a[1], sizeof(mask)), mask);
	if (r < 0)
		return -errno;
	if (umem_copy_to(p->mem, a[2], mask, (size_t)r))
		return -EFAULT;
	return r;
}

static int64_t sys_sched_yield(struct uproc *p, const uint64_t a[6])
{
	return 0;
}

static int64_t sys_getrusage(struct uproc *p, const uint64_t a[6])
{
	struct rusage ru;

	if (getrusage((int)a[0] == RUSAGE_CHILDREN ? RUSAGE_CHILDREN : RUSAGE_SELF, &ru) < 0)
		return -errno;
	return umem_copy_to(p->mem, a[1], &ru, sizeof(ru));
}

static int64_t sys_sysinfo(struct uproc *p, const uint64_t a[6])
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return -errno;
	return umem_copy_to(p->mem, a[0], &si, sizeof(si));
}

static int64_t sys_exit_group(struct uproc *p, const uint64_t a[6])
{
	p->exited = true;
	p->exit_status = (int)(a[0] & 0xff);
	return 0;
}

static int64_t sys_kill(struct uproc *p, const uint64_t a[6])
{
	/* Only signal 0 (existence check) on ourselves; sending would need delivery. */
	if ((pid_t)a[0] != getpid() && (pid_t)a[0] != 0)
		return -EPERM;
	return a[1] == 0 ? 0 : -ENOSYS;
}

const struct usys_entry usys_misc_table[USYS_MAX] = {
	[SYS_rt_sigaction] = { "rt_sigaction", sys_rt_sigaction },
	[SYS_rt_sigprocmask] = { "rt_sigprocmask", sys_rt_sigprocmask },
	[SYS_sched_yield] = { "sched_yield", sys_sched_yield },
	[SYS_nanosleep] = { "nanosleep", sys_nanosleep },
	[SYS_getpid] = { "getpid", sys_getpid },
	[SYS_clone] = { "clone", sys_refused },
	[SYS_fork] = { "fork", sys_refused },
	[SYS_vfork] = { "vfork", sys_refused },
	[SYS_execve] = { "execve", sys_refused },
	[SYS_exit] = { "exit", sys_exit_group },
	[SYS_wait4] = { "wait4", sys_refused },
	[SYS_kill] = { "kill", sys_kill },
	[SYS_uname] = { "uname", sys_uname },
	[SYS_umask] = { "umask", sys_umask },
	[SYS_gettimeofday] = { "gettimeofday", sys_gettimeofday },
	[SYS_getrlimit] = { "getrlimit", sys_getrlimit },
	[SYS_getrusage] = { "getrusage", sys_getrusage },
	[SYS_sysinfo] = { "sysinfo", sys_sysinfo },
	[SYS_getuid] = { "getuid", sys_getuid },
	[SYS_getgid] = { "getgid", sys_getgid },
	[SYS_geteuid] = { "geteuid", sys_geteuid },
	[SYS_getegid] = { "getegid", sys_getegid },
	[SYS_getppid] = { "getppid", sys_getppid },
	[SYS_getpgrp] = { "getpgrp", sys_getpgrp },
	[SYS_sigaltstack] = { "sigaltstack", sys_sigaltstack },
	[SYS_arch_prctl] = { "arch_prctl", sys_arch_prctl },
	[SYS_gettid] = { "gettid", sys_getpid },
	[SYS_time] = { "time", sys_time },
	[SYS_sched_getaffinity] = { "sched_getaffinity", sys_sched_getaffinity },
	[SYS_set_tid_address] = { "set_tid_address", sys_set_tid_address },
	[SYS_clock_gettime] = { "clock_gettime", sys_clock_gettime },
	[SYS_clock_getres] = { "clock_getres", sys_clock_getres },
	[SYS_exit_group] = { "exit_group", sys_exit_group },
	[SYS_set_robust_list] = { "set_robust_list", sys_set_robust_list },
	[SYS_prlimit64] = { "prlimit64", sys_prlimit64 },
	[SYS_getrandom] = { "getrandom", sys_getrandom },
	[SYS_execveat] = { "execveat", sys_refused },
	[SYS_rseq] = { "rseq", sys_enosys },
	[SYS_clone3] = { "clone3", sys_refused },
};
