/*
 * The user-mode process: load, lay out the stack, and run the CPU, turning
 * SYSCALL stops into emulated Linux system calls (x86-64 syscall ABI: number
 * in RAX, arguments in RDI RSI RDX R10 R8 R9, result in RAX; the kernel
 * returns with RCX = RIP and R11 = RFLAGS, as SYSRET leaves them).
 */
#include "engine/soft/user/uproc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/soft/cpu.h"
#include "engine/soft/op.h"
#include "engine/soft/user/umem.h"
#include "engine/soft/user/ustack.h"
#include "engine/soft/user/usys.h"

#define UPROC_MAX_IMAGE (1ull << 30)
#define UPROC_RUN_SLICE (1ull << 32) /* instructions per soft_cpu_run call */

void uproc_notice(struct uproc *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!p->cfg.notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->cfg.notice(p->cfg.opaque, msg);
}

/* The core's TLB miss: a page of the map with the guest's permissions. */
static int uproc_tlb_fill(void *opaque, uint64_t vaddr, enum soft_access acc, unsigned cpl,
			  struct soft_tlb_fill *out)
{
	struct uproc *p = opaque;
	uint32_t pfec = SOFT_PFEC_U | (acc == SOFT_ACC_WRITE ? SOFT_PFEC_W : 0) |
			(acc == SOFT_ACC_FETCH ? SOFT_PFEC_I : 0);
	uint8_t *host;
	unsigned prot, allowed = 0;

	if (!umem_lookup(p->mem, vaddr, &host, &prot))
		return SOFT_FILL_FAULT | (int)pfec;
	/* As on x86 without protection keys: writable or executable pages are readable. */
	if (prot)
		allowed |= SOFT_ACC_READ;
	if (prot & UMEM_W)
		allowed |= SOFT_ACC_WRITE;
	if (prot & UMEM_X)
		allowed |= SOFT_ACC_FETCH;
	if (!(allowed & acc))
		return SOFT_FILL_FAULT | (int)(pfec | SOFT_PFEC_P);
	out->host_page = host;
	/* Host pages of the map are never reused while code may be cached for them:
	 * every unmap of executable pages flushes decoded code (uproc_on_change). */
	out->paddr = (uint64_t)(uintptr_t)host;
	out->prot = allowed;
	out->mmio = false;
	return 0;
}

static void uproc_on_change(void *opaque, uint64_t gva, uint64_t len, unsigned what)
{
	struct uproc *p = opaque;

	if (!p->cpu)
		return;
	if (what & UMEM_CHANGE_MAP) {
		if (len <= 16 * UMEM_PAGE_SIZE)
			for (uint64_t a = gva & UMEM_PAGE_MASK; a < gva + len; a += UMEM_PAGE_SIZE)
				soft_tlb_flush_page(p->cpu, a);
		else
			soft_tlb_flush_all(p->cpu);
	}
	if (what & UMEM_CHANGE_CODE)
		soft_cpu_flush_code(p->cpu);
}

static int uproc_read_image(const char *path, uint8_t **image, size_t *size, struct verr *err)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return verr_set(err, errno, "'%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > UPROC_MAX_IMAGE) {
		close(fd);
		return verr_set(err, ENOEXEC, "'%s': not a regular file of at most 1 GiB", path);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return verr_set(err, ENOMEM, "'%s': out of memory", path);
	}
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + done, (size_t)st.st_size - done);

		if (r <= 0) {
			free(buf);
			close(fd);
			return verr_set(err, EIO, "'%s': read failed", path);
		}
		done += (size_t)r;
	}
	close(fd);
	*image = buf;
	*size = done;
	return 0;
}

static const struct soft_op_table *const uproc_extra_ops[] = {
	&soft_sse_ops,
	&soft_x87_ops,
	&soft_fxsave_ops,
	NULL,
};

int uproc_create(const struct uproc_config *cfg, struct uproc **out, struct verr *err)
{
	struct soft_cpu_config cc = {
		.tlb_fill = uproc_tlb_fill,
		.user_mode = true,
		.extra_ops = uproc_extra_ops,
	};
	struct ustack_params sp = {
		.argv = cfg->argv,
		.envp = cfg->envp,
		.execfn = cfg->path,
		.uid = getuid(),
		.euid = geteuid(),
		.gid = getgid(),
		.egid = getegid(),
	};
	struct uproc *p = calloc(1, sizeof(*p));
	uint8_t *image = NULL;
	size_t size = 0;
	uint32_t id[4];
	uint64_t rsp;
	int r;

	if (!p)
		return verr_set(err, ENOMEM, "out of memory");
	p->cfg = *cfg;
	r = umem_create(&p->mem);
	if (r) {
		verr_set(err, -r, "cannot create the address space");
		goto fail;
	}
	r = uproc_read_image(cfg->path, &image, &size, err);
	if (r)
		goto fail;
	r = uelf_load(p->mem, image, size, cfg->path, &p->elf, err);
	free(image);
	if (r)
		goto fail;
	cc.opaque = p;
	r = soft_cpu_create(&cc, &p->cpu);
	if (r) {
		verr_set(err, -r, "cannot create the CPU");
		goto fail;
	}
	p->mem->on_change = uproc_on_change;
	p->mem->opaque = p;

	soft_cpuid(p->cpu, 1, 0, id);
	sp.hwcap = id[3]; /* AT_HWCAP on x86 is CPUID.1:EDX */
	sp.elf = &p->elf;
	if (getrandom(sp.random, sizeof(sp.random), 0) != (ssize_t)sizeof(sp.random))
		memset(sp.random, 0x5a, sizeof(sp.random));
	r = ustack_build(p->mem, &sp, &rsp, err);
	if (r)
		goto fail;
	p->brk_start = p->brk = p->elf.brk;
	/* ELF_PLAT_INIT: every GPR starts at zero (RDX=0: no atexit function). */
	memset(p->cpu->gpr, 0, sizeof(p->cpu->gpr));
	p->cpu->gpr[SOFT_RSP] = rsp;
	p->cpu->rip = p->elf.entry;
	*out = p;
	return 0;
fail:
	uproc_destroy(p);
	return r;
}

void uproc_destroy(struct uproc *p)
{
	if (!p)
		return;
	if (p->mem)
		p->mem->on_change = NULL;
	soft_cpu_destroy(p->cpu);
	umem_destroy(p->mem);
	free(p);
}

static void uproc_syscall(struct uproc *p)
{
	struct soft_cpu *c = p->cpu;
	const uint64_t a[6] = { c->gpr[SOFT_RDI], c->gpr[SOFT_RSI], c->gpr[SOFT_RDX],
				c->gpr[SOFT_R10], c->gpr[SOFT_R8], c->gpr[SOFT_R9] };
	uint64_t nr = c->gpr[SOFT_RAX];

	c->gpr[SOFT_RAX] = (uint64_t)usys_call(p, nr, a);
	/* What SYSCALL/SYSRET leave behind natively. */
	c->gpr[SOFT_RCX] = c->rip;
	c->gpr[SOFT_R11] = soft_cpu_get_rflags(c);
}

/* The signal a native run would get for an exception it cannot handle. */
static int uproc_signal_of(unsigned vector)
{
	switch (vector) {
	case SOFT_EXC_DE:
	case SOFT_EXC_MF:
	case SOFT_EXC_XM:
		return SIGFPE;
	case SOFT_EXC_UD:
		return SIGILL;
	case SOFT_EXC_BP:
	case SOFT_EXC_DB:
		return SIGTRAP;
	case SOFT_EXC_AC:
		return SIGBUS;
	default:
		return SIGSEGV;
	}
}

static const char *uproc_vector_name(unsigned vector)
{
	static const char *const names[] = {
		[SOFT_EXC_DE] = "#DE", [SOFT_EXC_DB] = "#DB", [SOFT_EXC_BP] = "#BP",
		[SOFT_EXC_UD] = "#UD", [SOFT_EXC_NM] = "#NM", [SOFT_EXC_GP] = "#GP",
		[SOFT_EXC_PF] = "#PF", [SOFT_EXC_MF] = "#MF", [SOFT_EXC_AC] = "#AC",
		[SOFT_EXC_XM] = "#XM",
	};

	return vector < ARRAY_SIZE(names) && names[vector] ? names[vector] : "exception";
}

static void uproc_fault(struct uproc *p, const struct soft_stop *st, struct uproc_result *res)
{
	int n;

	res->signaled = true;
	res->signo = uproc_signal_of(st->exc.vector);
	n = snprintf(res->msg, sizeof(res->msg), "%s at rip %#llx",
		     uproc_vector_name(st->exc.vector), (unsigned long long)p->cpu->rip);
	if (st->exc.vector == SOFT_EXC_PF)
		n += snprintf(res->msg + n, sizeof(res->msg) - (size_t)n,
			      " (address %#llx, error code %#x)", (unsigned long long)st->exc.cr2,
			      st->exc.error_code);
	if (st->exc.vector == SOFT_EXC_UD && st->exc.insn_len) {
		n += snprintf(res->msg + n, sizeof(res->msg) - (size_t)n, " (bytes");
		for (unsigned i = 0; i < st->exc.insn_len && n < (int)sizeof(res->msg) - 4; i++)
			n += snprintf(res->msg + n, sizeof(res->msg) - (size_t)n, " %02x",
				      st->exc.insn[i]);
		snprintf(res->msg + n, sizeof(res->msg) - (size_t)n, ")");
	}
}

int uproc_run(struct uproc *p, struct uproc_result *res, struct verr *err)
{
	struct soft_stop st;

	memset(res, 0, sizeof(*res));
	while (!p->exited) {
		int r = soft_cpu_run(p->cpu, UPROC_RUN_SLICE, &st);

		if (r)
			return verr_set(err, -r, "CPU stopped: internal error %d at rip %#llx",
					st.internal.err, (unsigned long long)p->cpu->rip);
		switch (st.reason) {
		case SOFT_STOP_SYSCALL:
			uproc_syscall(p);
			break;
		case SOFT_STOP_BUDGET:
		case SOFT_STOP_EVENT:
		case SOFT_STOP_IRQ_WINDOW: /* system tables only; not configured here */
			break;
		case SOFT_STOP_EXCEPTION:
			uproc_fault(p, &st, res);
			return 0;
		case SOFT_STOP_HLT:
		case SOFT_STOP_IO:
			/* Privileged in ring 3: Linux would deliver SIGSEGV for the #GP. */
			res->signaled = true;
			res->signo = SIGSEGV;
			snprintf(res->msg, sizeof(res->msg), "privileged instruction at rip %#llx",
				 (unsigned long long)p->cpu->rip);
			return 0;
		case SOFT_STOP_INTERNAL:
			return verr_set(err, EIO, "CPU stopped: internal error %d at rip %#llx",
					st.internal.err, (unsigned long long)p->cpu->rip);
		}
	}
	res->status = p->exit_status;
	return 0;
}
