/* /init of vessel's Linux guest images (docs/linux-guest.md).
 *
 * PID 1 of the initramfs: mounts the pseudo filesystems, prints
 * "vessel-guest: init ok", runs the test named by vessel.test=NAME on the
 * kernel command line (default "none") and ends the VM with the result:
 * 0 when every check passed, 1 otherwise. It never exits: PID 1 exiting
 * panics the kernel. */
#include "cmdline.h"
#include "console.h"
#include "power.h"
#include "tests.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct guest_test tests[] = {
	{ .name = "none", .run = test_none },
	{ .name = "shell", .run = test_shell },
	{ .name = "modules", .run = test_modules },
	{ .name = "bench", .run = test_bench },
	{ .name = "pvclock", .run = test_pvclock },
};

struct mount_point {
	const char *source, *target, *fstype;
	unsigned long flags;
};

static const struct mount_point mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID },
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV },
};

/* Returns the number of mounts that failed (each one is reported). */
static int mount_all(void)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		const struct mount_point *m = &mounts[i];
		if (mkdir(m->target, 0755) < 0 && errno != EEXIST) {
			console_say("mkdir %s failed: %s", m->target, strerror(errno));
			failed++;
			continue;
		}
		if (mount(m->source, m->target, m->fstype, m->flags, NULL) < 0) {
			console_say("mount %s on %s failed: %s", m->fstype, m->target,
				    strerror(errno));
			failed++;
		}
	}
	return failed;
}

static const struct guest_test *test_find(const char *name)
{
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!strcmp(tests[i].name, name))
			return &tests[i];
	return NULL;
}

int main(int argc, char **argv)
{
	char cmdline[4096], name[64] = "none", exit_mode[32] = "port";
	const char *self = argc > 0 && argv[0][0] == '/' ? argv[0] : "/init";
	int status = 0, rc;

	if (argc > 1 && !strcmp(argv[1], TESTS_EXEC_CHILD_ARG))
		_exit(0);
	/* Run by mistake on a host as root, this would power the host off. */
	if (getpid() != 1) {
		static const char msg[] = "vessel guest /init: refusing to run when not PID 1\n";
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(2);
		_exit(2);
	}

	console_open();
	if (mount_all() > 0)
		status = 1;
	console_open(); /* /dev is devtmpfs now: /dev/console exists for sure */

	rc = cmdline_read(cmdline, sizeof(cmdline));
	if (rc < 0) {
		console_say("cannot read /proc/cmdline: %s", strerror(-rc));
		cmdline[0] = '\0';
		status = 1;
	}
	rc = cmdline_get(cmdline, "vessel.test", name, sizeof(name));
	if (rc == -E2BIG) {
		console_say("vessel.test= value too long (max %zu bytes)", sizeof(name) - 1);
		status = 1;
	}
	rc = cmdline_get(cmdline, "vessel.exit", exit_mode, sizeof(exit_mode));
	bool use_port = true;
	if (rc == 0 && !strcmp(exit_mode, "poweroff")) {
		use_port = false;
	} else if (rc != -ENOENT && strcmp(exit_mode, "port")) {
		console_say("unknown vessel.exit=%s (want port or poweroff); using the port",
			    exit_mode);
		status = 1;
	}

	console_say("init ok");

	const struct guest_test *t = test_find(name);
	if (!t) {
		console_say("unknown test '%s' (vessel.test=none|shell|modules|bench)", name);
		status = 1;
	} else if (t->run(self) != 0) {
		status = 1;
	}
	power_end(status, use_port);
}
