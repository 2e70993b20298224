/*
 * Native side: run cases on the host CPU in a forked child (ring 3), with
 * the same address layout as the engine side. Faults arrive as signals; the
 * trap number, error code and CR2 come from the signal context (Linux fills
 * them from the hardware exception). A child that dies unexpectedly costs
 * one case (recorded as vector -2) and a new child continues.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "diff.h"

void diff_native_enter(const uint64_t *state);
void diff_native_exit(void);
extern uint64_t diff_native_out[17];
extern uint8_t diff_native_fxout[512];

void diff_exit_bytes(uint8_t out[EXIT_LEN])
{
	uint64_t a = (uint64_t)(uintptr_t)diff_native_exit;
	static const uint8_t jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	memcpy(out, jmp, 6);
	memcpy(out + 6, &a, 8);
}

/* A snippet that runs away natively (vector reported as this). */
#define NATIVE_TIMEOUT 1000

/*
 * The signal handler needs the jump buffer and a place for the faulting
 * context; a handler gets no user pointer, so these are file-scope in this
 * test-only child process.
 */
static sigjmp_buf fault_jmp;
static struct {
	uint64_t gpr[16], rip, rflags, err, trapno, cr2;
	uint8_t fx[512];
} fault_ctx;

static const int greg_of[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
				 REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15 };

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	unsigned i;
	for (i = 0; i < 16; i++)
		fault_ctx.gpr[i] = (uint64_t)uc->uc_mcontext.gregs[greg_of[i]];
	fault_ctx.rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	fault_ctx.rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
	fault_ctx.err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
	fault_ctx.trapno = (uint64_t)uc->uc_mcontext.gregs[REG_TRAPNO];
	fault_ctx.cr2 = (uint64_t)uc->uc_mcontext.gregs[REG_CR2];
	memcpy(fault_ctx.fx, uc->uc_mcontext.fpregs, 512); /* FXSAVE layout */
	if (sig == SIGALRM)
		fault_ctx.trapno = NATIVE_TIMEOUT;
	siglongjmp(fault_jmp, 1);
}

static int map_fixed(uint64_t va, uint64_t len, int prot)
{
	void *p = mmap((void *)va, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	return p == (void *)va ? 0 : -1;
}

static void child_setup(void)
{
	static uint8_t altstack[65536]; /* signal frames must not land in the data area */
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGALRM };
	unsigned i;

	if (map_fixed(CODE_VA, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) ||
	    map_fixed(DATA_VA, DATA_SIZE, PROT_READ | PROT_WRITE) || map_fixed(RO_VA, 4096, PROT_READ | PROT_WRITE)) {
		fprintf(stderr, "cpu-diff: cannot map the fixed test layout\n");
		_exit(3);
	}
	memset((void *)RO_VA, 0x5a, 4096);
	mprotect((void *)RO_VA, 4096, PROT_READ);
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Shared with the parent: the index of the case being run. */
struct progress {
	volatile unsigned current;
};

static void child_run(const struct cpu_case *cases, unsigned first, unsigned n, struct cpu_result *res,
		      struct progress *pr)
{
	uint8_t *code = (uint8_t *)CODE_VA;
	uint8_t exit_jmp[EXIT_LEN];
	volatile unsigned i; /* survives siglongjmp */
	unsigned k;

	child_setup();
	diff_exit_bytes(exit_jmp);
	for (i = first; i < n; i++) {
		const struct cpu_case *c = &cases[i];
		struct cpu_result *r = &res[i];
		uint64_t state[20 + 64] __attribute__((aligned(16)));
		uint8_t *fx = (uint8_t *)&state[20];

		pr->current = i;
		memset(code, 0xcc, 4096);
		memcpy(code, c->code, c->len);
		memcpy(code + c->len, exit_jmp, sizeof(exit_jmp));
		__builtin___clear_cache((char *)code, (char *)code + 4096);
		diff_fill_mem((uint8_t *)DATA_VA, c->mem_seed);
		memcpy(state, c->gpr, sizeof(c->gpr));
		state[16] = c->rflags;
		state[17] = CODE_VA;
		/* FXSAVE image: FCW 0x37F, all x87 empty, MXCSR, XMM (SDM Vol. 1, 10.5.1). */
		memset(fx, 0, 512);
		fx[0] = 0x7f;
		fx[1] = 0x03;
		memcpy(fx + 24, &c->mxcsr, 4);
		{
			uint32_t mask = 0xffff;
			memcpy(fx + 28, &mask, 4);
		}
		memcpy(fx + 160, c->xmm, 256);
		if (sigsetjmp(fault_jmp, 1) == 0) {
			struct itimerval watchdog = { .it_value = { .tv_sec = 1 } };
			setitimer(ITIMER_REAL, &watchdog, NULL);
			diff_native_enter(state);
			memcpy(r->gpr, diff_native_out, sizeof(r->gpr));
			r->rflags = diff_native_out[16];
			memcpy(r->xmm, diff_native_fxout + 160, 256);
			memcpy(&r->mxcsr, diff_native_fxout + 24, 4);
			r->rip = CODE_VA + c->len;
			r->vector = -1;
			r->error_code = 0;
			r->cr2 = 0;
		} else {
			for (k = 0; k < 16; k++)
				r->gpr[k] = fault_ctx.gpr[k];
			r->rip = fault_ctx.rip;
			r->rflags = fault_ctx.rflags;
			r->vector = (int)fault_ctx.trapno;
			r->error_code = (uint32_t)fault_ctx.err;
			r->cr2 = fault_ctx.cr2;
			memcpy(r->xmm, fault_ctx.fx + 160, 256);
			memcpy(&r->mxcsr, fault_ctx.fx + 24, 4);
		}
		{
			struct itimerval off = { 0 };
			setitimer(ITIMER_REAL, &off, NULL);
		}
		memcpy(r->mem, (void *)DATA_VA, DATA_SIZE);
	}
	pr->current = n;
}

int diff_run_native(const struct cpu_case *cases, unsigned n, struct cpu_result *res_out)
{
	size_t len = sizeof(struct cpu_result) * n + 4096;
	uint8_t *shm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct progress *pr;
	struct cpu_result *res;
	unsigned next = 0;

	if (shm == MAP_FAILED)
		return -errno;
	pr = (struct progress *)shm;
	res = (struct cpu_result *)(shm + 4096);
	while (next < n) {
		int status;
		pid_t pid;

		pr->current = next;
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			munmap(shm, len);
			return -errno;
		}
		if (pid == 0) {
			child_run(cases, next, n, res, pr);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) < 0) {
			munmap(shm, len);
			return -errno;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
			munmap(shm, len);
			return -EADDRINUSE;
		}
		if (pr->current >= n)
			break;
		/* The child died inside a case: mark it and go on after it. */
		memset(&res[pr->current], 0, sizeof(res[0]));
		res[pr->current].vector = -2;
		next = pr->current + 1;
	}
	memcpy(res_out, res, sizeof(struct cpu_result) * n);
	munmap(shm, len);
	return 0;
}
