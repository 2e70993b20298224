/*
 * Control requests (docs/control-protocol.md): {"cmd":"info"|"stat"|"stop"|
 * "kill"|"pause"|"resume"|"balloon", ...} in, {"ok":true,...} or
 * {"ok":false,"error":"..."} out. Everything here runs in the sandboxed VM
 * process, so it reads only descriptors opened before the sandbox
 * (/proc/self/statm, /proc/self/ksm_merging_pages) and asks the kernel
 * nothing but mincore().
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/time.h"
#include "dev/virtio/balloon.h"
#include "mem/gmem.h"
#include "vm/control_internal.h"
#include "vm/vm_internal.h"

static const char *const exit_names[] = {
	[ENGINE_EXIT_IO] = "io",
	[ENGINE_EXIT_MMIO] = "mmio",
	[ENGINE_EXIT_HLT] = "hlt",
	[ENGINE_EXIT_SHUTDOWN] = "shutdown",
	[ENGINE_EXIT_HYPERCALL] = "hypercall",
	[ENGINE_EXIT_INTR] = "intr",
	[ENGINE_EXIT_INTERNAL] = "internal",
};

static void resp_error(char *resp, size_t cap, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void resp_error(char *resp, size_t cap, const char *fmt, ...)
{
	char msg[600];
	struct json_out w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_out_init(&w, resp, cap);
	json_out_bool(&w, "ok", false);
	json_out_str(&w, "error", msg);
	if (json_out_end(&w) < 0)
		snprintf(resp, cap, "{\"ok\":false,\"error\":\"response too long\"}");
}

/* A number from a /proc file opened before the sandbox: field `idx` (0-based). */
static int proc_u64(int fd, unsigned idx, uint64_t *out)
{
	char buf[256], *p = buf, *end;
	ssize_t n;

	if (fd < 0)
		return -ENOENT;
	/* A seq_file read at offset 0 regenerates the contents. */
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	for (unsigned i = 0;; i++) {
		unsigned long long v;

		errno = 0;
		v = strtoull(p, &end, 10);
		if (end == p || errno)
			return -EIO;
		if (i == idx) {
			*out = v;
			return 0;
		}
		p = end;
	}
}

/* Bytes of guest RAM the host backs right now (mincore): what the guest touched and kept. */
static uint64_t ram_resident(const struct gmem *m)
{
	const uint64_t chunk = 4096 * GMEM_PAGE_SIZE; /* one vector page per 16 MiB */
	unsigned char vec[4096];
	uint64_t pages = 0;

	for (unsigned r = 0; r < m->nr_regions; r++) {
		const struct gmem_region *reg = &m->regions[r];

		for (uint64_t off = 0; off < reg->size; off += chunk) {
			uint64_t len = MIN(chunk, reg->size - off);

			if (mincore(reg->host + off, len, vec) < 0)
				continue;
			for (uint64_t i = 0; i < len / GMEM_PAGE_SIZE; i++)
				pages += vec[i] & 1;
		}
	}
	return pages * GMEM_PAGE_SIZE;
}

static const char *state_name(struct vm *vm)
{
	if (atomic_load(&vm->stopping))
		return "stopping";
	return vm_is_paused(vm) ? "paused" : "running";
}

static void out_info(struct control *ctl, struct json_out *w)
{
	struct vm *vm = ctl->vm;
	uint64_t ksm = 0;

	json_out_bool(w, "ok", true);
	json_out_str(w, "name", ctl->name);
	json_out_i64(w, "pid", getpid());
	json_out_str(w, "engine", vm_engine_name(vm));
	json_out_str(w, "state", state_name(vm));
	json_out_u64(w, "cpus", vm->nr_cpus);
	json_out_u64(w, "mem", vm->mem->ram_size);
	struct virtio_balloon *b = vm_virtio_balloon(vm);
	struct balloon_info bi;

	/* What the guest driver says it holds; null without a balloon device. */
	if (b) {
		balloon_get_info(b, &bi);
		json_out_u64(w, "balloon", (uint64_t)bi.actual_pages * GMEM_PAGE_SIZE);
	} else {
		json_out_null(w, "balloon");
	}
	if (proc_u64(ctl->ksm_fd, 0, &ksm) == 0)
		json_out_u64(w, "shared_pages", ksm);
	else
		json_out_null(w, "shared_pages");
	/* Shared pages: shared_pages (kvm, KSM) or engine_share_shared (soft, in stat). */
	json_out_bool(w, "dedup", vm->cfg.dedup);
	json_out_i64(w, "start", ctl->start_unix);
	json_out_u64(w, "uptime_ms", (time_mono_ns() - ctl->start_ns) / 1000000);
}

/* Balloon counters and the guest's own statistics (virtio 1.2, 5.5.6.3), when it has one. */
static void out_balloon_stats(struct vm *vm, struct json_out *w)
{
	static const char *const tags[VIRTIO_BALLOON_S_NR] = {
		[VIRTIO_BALLOON_S_SWAP_IN] = "guest_swap_in",
		[VIRTIO_BALLOON_S_SWAP_OUT] = "guest_swap_out",
		[VIRTIO_BALLOON_S_MAJFLT] = "guest_major_faults",
		[VIRTIO_BALLOON_S_MINFLT] = "guest_minor_faults",
		[VIRTIO_BALLOON_S_MEMFREE] = "guest_mem_free",
		[VIRTIO_BALLOON_S_MEMTOT] = "guest_mem_total",
		[VIRTIO_BALLOON_S_AVAIL] = "guest_mem_available",
		[VIRTIO_BALLOON_S_CACHES] = "guest_disk_caches",
		[VIRTIO_BALLOON_S_HTLB_PGALLOC] = "guest_hugetlb_allocs",
		[VIRTIO_BALLOON_S_HTLB_PGFAIL] = "guest_hugetlb_failures",
	};
	struct virtio_balloon *b = vm_virtio_balloon(vm);
	struct balloon_info bi;

	if (!b)
		return;
	balloon_get_info(b, &bi);
	/* Fresh numbers for the next stat: the guest answers asynchronously. */
	balloon_request_stats(b);
	json_out_u64(w, "balloon_target", (uint64_t)bi.target_pages * GMEM_PAGE_SIZE);
	json_out_u64(w, "balloon_inflated_pages", bi.inflated_pages);
	json_out_u64(w, "balloon_deflated_pages", bi.deflated_pages);
	json_out_u64(w, "balloon_reported_bytes", bi.reported_bytes);
	json_out_u64(w, "balloon_stats_updates", bi.stats_updates);
	for (unsigned i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		if (bi.stats_valid & (1u << i))
			json_out_u64(w, tags[i], bi.stats[i]);
}

static void out_stat(struct control *ctl, struct json_out *w)
{
	struct vm *vm = ctl->vm;
	struct engine_stats es = {0};
	uint64_t total = 0, rss_pages = 0;
	char key[32];

	out_info(ctl, w);
	for (size_t r = 0; r < ARRAY_SIZE(exit_names); r++) {
		uint64_t n = 0;

		for (unsigned i = 0; i < vm->nr_cpus; i++)
			n += atomic_load_explicit(&vm->vcpus[i].exits[r], memory_order_relaxed);
		snprintf(key, sizeof(key), "exits_%s", exit_names[r]);
		json_out_u64(w, key, n);
		total += n;
	}
	json_out_u64(w, "exits_total", total);
	if (proc_u64(ctl->statm_fd, 1, &rss_pages) == 0)
		json_out_u64(w, "rss", rss_pages * (uint64_t)sysconf(_SC_PAGESIZE));
	else
		json_out_null(w, "rss");
	json_out_u64(w, "ram_touched", ram_resident(vm->mem));
	if (vm->ops->get_stats)
		vm->ops->get_stats(vm->evm, &es);
	json_out_u64(w, "engine_exits", es.exits);
	json_out_u64(w, "engine_tlb_fills", es.tlb_fills);
	json_out_u64(w, "engine_tlb_flushes", es.tlb_flushes);
	json_out_u64(w, "engine_insns", es.insns);
	json_out_u64(w, "engine_share_scanned", es.share_scanned);
	json_out_u64(w, "engine_share_shared", es.share_shared);
	json_out_u64(w, "engine_share_zero", es.share_zero);
	json_out_u64(w, "engine_share_cow", es.share_cow);
	out_balloon_stats(vm, w);
	if (ctl->balloon_at_unix) {
		json_out_str(w, "balloon_by", ctl->balloon_by);
		json_out_str(w, "balloon_reason", ctl->balloon_reason);
		json_out_i64(w, "balloon_at", ctl->balloon_at_unix);
	}
}

static void ok_only(char *resp, size_t cap)
{
	snprintf(resp, cap, "{\"ok\":true}");
}

static void do_balloon(struct control *ctl, char *resp, size_t cap)
{
	struct virtio_balloon *b = vm_virtio_balloon(ctl->vm);
	const char *by, *reason;
	uint64_t size;
	int ret = json_get_u64(&ctl->req, "size", &size);

	if (ret) {
		resp_error(resp, cap, "balloon needs \"size\": a number of bytes");
		return;
	}
	if (!b) {
		resp_error(resp, cap, "VM '%s' has no balloon device (start it with --balloon)",
			   ctl->name);
		return;
	}
	if (size > ctl->vm->mem->ram_size) {
		resp_error(resp, cap,
			   "balloon size %" PRIu64 " MiB is more than VM '%s' has (%" PRIu64
			   " MiB)",
			   size >> 20, ctl->name, ctl->vm->mem->ram_size >> 20);
		return;
	}
	/* Whole pages, rounded down; the guest inflates or deflates towards it. */
	balloon_set_target(b, (uint32_t)(size / GMEM_PAGE_SIZE));
	/* Optional: who asked and why (vessel memd explains each decision). */
	by = json_get_str(&ctl->req, "by");
	reason = json_get_str(&ctl->req, "reason");
	snprintf(ctl->balloon_by, sizeof(ctl->balloon_by), "%s", by ? by : "user");
	snprintf(ctl->balloon_reason, sizeof(ctl->balloon_reason), "%s", reason ? reason : "");
	ctl->balloon_at_unix = time(NULL);
	ok_only(resp, cap);
}

#ifdef VESSEL_CONTROL_TEST_HOOKS
/* Test builds only (build/vessel-testhooks): a syscall the sandbox must refuse. */
static void do_debug_exec(char *resp, size_t cap)
{
	static char *const argv[] = {"/bin/true", NULL};

	execve(argv[0], argv, NULL);
	resp_error(resp, cap, "execve: %s", strerror(errno));
}
#endif

void control_handle(struct control *ctl, const char *line, size_t len, char *resp, size_t cap)
{
	struct verr err = {0};
	struct json_out w;
	const char *cmd;
	int ret;

	if (len && line[len - 1] == '\r')
		len--;
	if (json_parse(line, len, &ctl->req, &err)) {
		resp_error(resp, cap, "%s", err.msg);
		return;
	}
	cmd = json_get_str(&ctl->req, "cmd");
	if (!cmd) {
		resp_error(resp, cap, "request has no \"cmd\" string");
		return;
	}
	if (!strcmp(cmd, "info") || !strcmp(cmd, "stat")) {
		json_out_init(&w, resp, cap);
		if (!strcmp(cmd, "info"))
			out_info(ctl, &w);
		else
			out_stat(ctl, &w);
		if (json_out_end(&w) < 0)
			resp_error(resp, cap, "response too long");
	} else if (!strcmp(cmd, "stop")) {
		vm_request_stop(ctl->vm, VM_STOP_POWEROFF, 0, "stopped through the control socket");
		ok_only(resp, cap);
	} else if (!strcmp(cmd, "kill")) {
		vm_request_stop(ctl->vm, VM_STOP_SIGNAL, SIGKILL, NULL);
		ok_only(resp, cap);
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) {
		ret = !strcmp(cmd, "pause") ? vm_pause(ctl->vm) : vm_resume(ctl->vm);
		if (ret)
			resp_error(resp, cap, "VM '%s' is stopping", ctl->name);
		else
			ok_only(resp, cap);
	} else if (!strcmp(cmd, "balloon")) {
		do_balloon(ctl, resp, cap);
#ifdef VESSEL_CONTROL_TEST_HOOKS
	} else if (!strcmp(cmd, "debug-exec")) {
		do_debug_exec(resp, cap);
#endif
	} else {
		resp_error(resp, cap,
			   "unknown cmd '%.64s' (info, stat, stop, kill, pause, resume, "
			   "balloon)",
			   cmd);
	}
}
