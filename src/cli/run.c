/* vessel run: boot one VM in the foreground, its console on stdin/stdout. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/size.h"
#include "cli/cli.h"
#include "cli/manage.h"
#include "mem/gmem.h"
#include "vm/vm.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: vessel run --kernel FILE [OPTIONS]\n\n"
		"Boot a VM in the foreground. The guest's serial console (8250 UART at 0x3F8)\n"
		"is vessel's stdin/stdout.\n\n"
		"options:\n"
		"  --kernel FILE     kernel to boot: a Linux bzImage or an x86-64 ELF64 (required)\n"
		"  --initrd FILE     initial ramdisk (Linux only)\n"
		"  --cmdline STR     kernel command line (default: empty)\n"
		"  --mem SIZE        guest RAM, e.g. 64M, 1G (default 256M; at least 2M, a\n"
		"                    multiple of 4K, at most 1T); reserved lazily\n"
		"  --cpus N          number of vCPUs (default 1, at most %d)\n"
		"  --engine E        kvm: /dev/kvm (hardware-assisted); soft: vessel's own CPU\n"
		"                    emulator; auto (default): kvm where the CPU shows vmx/svm,\n"
		"                    else soft\n"
		"  --disk PATH[,ro]  virtio-blk disk: a raw file or a qcow2 image (with its\n"
		"                    backing file, never written); repeatable, the first is\n"
		"                    /dev/vda in Linux; ro: read-only\n"
		"  --console virtio  a virtio console (Linux hvc0) on stdin/stdout; the UART\n"
		"                    keeps its output but gets no input\n"
		"  --rng             virtio-rng fed by getrandom(2)\n"
		"  --net tap=NAME[,mac=MAC]\n"
		"                    virtio-net on tap device NAME (created if missing; no\n"
		"                    offloads); MAC default: 52:54:00 + a hash of NAME\n"
		"  --balloon[=no-reporting]\n"
		"                    virtio-balloon (inflate/deflate, statistics, free page\n"
		"                    reporting, deflate-on-OOM); driven by 'vessel balloon';\n"
		"                    =no-reporting leaves free page reporting off\n"
		"  --virtio-transport pci|mmio\n"
		"                    pci (default for bzImage kernels: stock Linux has only\n"
		"                    virtio-pci) or mmio (default for ELF kernels: the test\n"
		"                    guest; windows at 0xD0000000 + i*4K, IRQs 5,6,7,9,10,11...)\n"
		"  --dedup           share identical guest pages with other --dedup VMs (kvm:\n"
		"                    guest RAM marked for the host's KSM, see 'vessel host\n"
		"                    ksm'; soft: the engine's own page sharing). Off by\n"
		"                    default: shared pages are a cross-VM timing side\n"
		"                    channel (docs/overcommit.md)\n"
		"  --name NAME       name the VM ([A-Za-z0-9_.-], at most 64, unique): it gets a\n"
		"                    control socket in the runtime directory, for vessel ls,\n"
		"                    stop, kill, pause, resume, stat, balloon\n"
		"  --detach          run in the background (needs --name); the console goes to\n"
		"                    NAME.log in the runtime directory (vessel console NAME);\n"
		"                    exits 0 once the VM runs, or with the error\n"
		"  --user USER[:GROUP]  run the VM as this user after set-up (needs root)\n"
		"  --no-sandbox      no seccomp filter (debugging only; see docs/isolation.md)\n"
		"  -h, --help        this text\n\n"
		"admission: the --mem of all live VMs of the runtime directory, this one\n"
		"included, must stay within the overcommit ratio x host RAM, or the VM is\n"
		"refused (exit %d); see 'vessel host overcommit'.\n\n"
		"exit status: the guest's status byte when it writes one to port 0xf4;\n"
		"0 when the guest resets or powers off; %d on bad options or input;\n"
		"%d when the guest crashes (triple fault, emulation failure); 128+N on signal N.\n",
		VM_MAX_CPUS, CLI_EXIT_USAGE, CLI_EXIT_USAGE, CLI_EXIT_CRASH);
}

static int parse_mem(const char *s, uint64_t *out)
{
	int ret = size_parse(s, out);

	if (ret == -ERANGE || (!ret && *out > GMEM_MAX_SIZE)) {
		fprintf(stderr, "vessel: --mem '%s' is larger than vessel can give a guest (1T)\n", s);
		return -1;
	}
	if (ret) {
		fprintf(stderr, "vessel: --mem '%s' is not a size (examples: 64M, 1G, 1048576)\n", s);
		return -1;
	}
	if (*out < GMEM_MIN_SIZE) {
		fprintf(stderr, "vessel: --mem '%s' is too small: a guest needs at least 2M\n", s);
		return -1;
	}
	if (*out % GMEM_PAGE_SIZE) {
		fprintf(stderr, "vessel: --mem '%s' is not a multiple of 4K\n", s);
		return -1;
	}
	return 0;
}

static int parse_cpus(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 1 || v > VM_MAX_CPUS) {
		fprintf(stderr, "vessel: --cpus '%s' must be a number from 1 to %d\n", s, VM_MAX_CPUS);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* --disk PATH[,ro]: the path may not contain a comma (none of ours do). */
static int parse_disk(char *arg, struct vm_virtio_config *v)
{
	char *comma = strchr(arg, ',');

	if (v->nr_disks >= VM_MAX_DISKS) {
		fprintf(stderr, "vessel: --disk '%s': at most %d disks\n", arg, VM_MAX_DISKS);
		return -1;
	}
	if (comma && strcmp(comma, ",ro")) {
		fprintf(stderr, "vessel: --disk '%s': expected PATH or PATH,ro\n", arg);
		return -1;
	}
	if (arg == comma || !*arg) {
		fprintf(stderr, "vessel: --disk needs a file name\n");
		return -1;
	}
	v->disks[v->nr_disks].ro = comma != NULL;
	if (comma)
		*comma = '\0';
	v->disks[v->nr_disks++].path = arg;
	return 0;
}

/* --net tap=NAME[,mac=MAC] */
static int parse_net(char *arg, struct vm_virtio_config *v)
{
	char *comma = strchr(arg, ',');

	if (strncmp(arg, "tap=", 4) || arg[4] == '\0' || arg[4] == ',' ||
	    (comma && strncmp(comma, ",mac=", 5))) {
		fprintf(stderr, "vessel: --net '%s': expected tap=NAME or tap=NAME,mac=MAC\n", arg);
		return -1;
	}
	if (comma) {
		*comma = '\0';
		v->net_mac = comma + 5;
	}
	v->net_tap = arg + 4;
	return 0;
}

/* Block the stop signals in every thread and read them through a signalfd instead. */
static int stop_signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int run_status(const struct vm_result *res)
{
	switch (res->reason) {
	case VM_STOP_EXIT_PORT:
		return res->status & 0xff;
	case VM_STOP_RESET:
	case VM_STOP_POWEROFF:
		return 0;
	case VM_STOP_SIGNAL:
		fprintf(stderr, "vessel: stopped by signal %d (%s)\n", res->status,
			strsignal(res->status));
		return 128 + res->status;
	case VM_STOP_CRASH:
		fprintf(stderr, "vessel: guest crashed: %s\n", res->msg);
		return CLI_EXIT_CRASH;
	}
	return CLI_EXIT_CRASH;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'p' },
		{ "engine", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "disk", required_argument, NULL, 'D' },
		{ "console", required_argument, NULL, 'C' },
		{ "rng", no_argument, NULL, 'R' },
		{ "net", required_argument, NULL, 'n' },
		{ "balloon", optional_argument, NULL, 'B' },
		{ "virtio-transport", required_argument, NULL, 'T' },
		{ "name", required_argument, NULL, 'N' },
		{ "detach", no_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "no-sandbox", no_argument, NULL, 'S' },
		{ "dedup", no_argument, NULL, 'M' },
		{ 0 },
	};
	struct vm_config cfg = {
		.engine = "auto",
		.mem_bytes = VM_DEFAULT_MEM,
		.nr_cpus = 1,
		.console_in_fd = STDIN_FILENO,
		.console_out_fd = STDOUT_FILENO,
		.signal_fd = -1,
	};
	struct verr err = { 0 };
	struct vm_result res;
	struct vm *vm = NULL;
	struct run_manage mg = { 0 };
	int c, status;

	optind = 1;
	opterr = 0; /* our own one-line messages below */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': cfg.kernel_path = optarg; break;
		case 'i': cfg.initrd_path = optarg; break;
		case 'c': cfg.cmdline = optarg; break;
		case 'm':
			if (parse_mem(optarg, &cfg.mem_bytes))
				return CLI_EXIT_USAGE;
			break;
		case 'p':
			if (parse_cpus(optarg, &cfg.nr_cpus))
				return CLI_EXIT_USAGE;
			break;
		case 'e':
			if (strcmp(optarg, "kvm") && strcmp(optarg, "soft") && strcmp(optarg, "auto")) {
				fprintf(stderr, "vessel: --engine '%s': expected kvm, soft or auto\n",
					optarg);
				return CLI_EXIT_USAGE;
			}
			cfg.engine = optarg;
			break;
		case 'D':
			if (parse_disk(optarg, &cfg.virtio))
				return CLI_EXIT_USAGE;
			break;
		case 'C':
			if (strcmp(optarg, "virtio") && strcmp(optarg, "serial")) {
				fprintf(stderr, "vessel: --console '%s': expected virtio or serial\n", optarg);
				return CLI_EXIT_USAGE;
			}
			cfg.virtio.console = !strcmp(optarg, "virtio");
			break;
		case 'R': cfg.virtio.rng = true; break;
		case 'n':
			if (parse_net(optarg, &cfg.virtio))
				return CLI_EXIT_USAGE;
			break;
		case 'B':
			if (optarg && strcmp(optarg, "no-reporting")) {
				fprintf(stderr, "vessel: --balloon=%s: the only option is "
					"--balloon=no-reporting\n", optarg);
				return CLI_EXIT_USAGE;
			}
			cfg.virtio.balloon = true;
			cfg.virtio.balloon_no_reporting = optarg != NULL;
			break;
		case 'T':
			if (strcmp(optarg, "pci") && strcmp(optarg, "mmio")) {
				fprintf(stderr, "vessel: --virtio-transport '%s': expected pci or mmio\n",
					optarg);
				return CLI_EXIT_USAGE;
			}
			cfg.virtio.transport = optarg;
			break;
		case 'N': mg.name = optarg; break;
		case 'd': mg.detach = true; break;
		case 'u': mg.user = optarg; break;
		case 'S': mg.no_sandbox = true; break;
		case 'M': cfg.dedup = true; break;
		case 'h':
			run_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "vessel: run: option '%s' needs a value (see 'vessel run --help')\n",
				argv[optind - 1]);
			return CLI_EXIT_USAGE;
		default:
			fprintf(stderr, "vessel: run: unknown option '%s' (see 'vessel run --help')\n",
				argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vessel: unexpected argument '%s' (see 'vessel run --help')\n",
			argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (!cfg.kernel_path) {
		fprintf(stderr, "vessel: run needs --kernel FILE (see 'vessel run --help')\n");
		return CLI_EXIT_USAGE;
	}
	/* --detach: the parent returns here with the detached child's verdict. */
	if (run_manage_prepare(&mg, &cfg, &status) || status)
		return status;
	cfg.signal_fd = stop_signals_fd();
	if (cfg.signal_fd < 0) {
		fprintf(stderr, "vessel: cannot set up signal handling: %s\n", strerror(errno));
		run_manage_finish(&mg);
		return CLI_EXIT_USAGE;
	}
	if (vm_create(&cfg, &vm, &err)) {
		run_manage_fail(&mg, err.msg[0] ? err.msg : "cannot create the VM");
		run_manage_finish(&mg);
		close(cfg.signal_fd);
		return CLI_EXIT_USAGE;
	}
	if (run_manage_start(&mg, vm, &cfg)) {
		vm_destroy(vm);
		run_manage_finish(&mg);
		close(cfg.signal_fd);
		return CLI_EXIT_USAGE;
	}
	if (vm_run(vm, &res)) {
		fprintf(stderr, "vessel: cannot run the VM\n");
		status = CLI_EXIT_CRASH;
	} else {
		status = run_status(&res);
	}
	vm_destroy(vm);
	run_manage_finish(&mg);
	close(cfg.signal_fd);
	fflush(stdout);
	return status;
}
