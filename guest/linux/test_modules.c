/* vessel.test=modules: modprobe every virtio driver the initramfs carries and
 * report which ones the kernel accepted (seen in /sys/module). Loading needs
 * no device present: it tests module loading, symbol resolution against the
 * kernel and modules.dep, not the devices. */
#include "console.h"
#include "run.h"
#include "tests.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const modules[] = {
	"virtio_pci", "virtio_blk", "virtio_net", "virtio_console", "virtio_balloon", "virtio_rng",
};

int test_modules(const char *self)
{
	char failed[256] = "";
	size_t nfailed = 0;

	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		char *const argv[] = { "/sbin/modprobe", (char *)modules[i], NULL };
		char sys[128];
		int rc = run_wait(argv);

		snprintf(sys, sizeof(sys), "/sys/module/%s", modules[i]);
		if (access(sys, F_OK) == 0) {
			console_say("module %s loaded", modules[i]);
			continue;
		}
		console_say("module %s FAILED (modprobe status %d)", modules[i], rc);
		nfailed++;
		size_t len = strlen(failed);
		snprintf(failed + len, sizeof(failed) - len, " %s", modules[i]);
	}
	if (nfailed == 0) {
		console_say("modules ok");
		return 0;
	}
	console_say("modules FAILED:%s", failed);
	return 1;
}
