/* Host-side test of guest/linux/cmdline.c (the /init's vessel.* parser),
 * built with ASan+UBSan by mk/linux-guest.mk and run by
 * tests/check.d/linux-guest-qemu.sh. Prints "ok"/"FAIL" per case and exits
 * non-zero when any case failed. */
#include "../cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

/* Expect cmdline_get(CMDLINE, KEY) with an OUTSZ buffer to return RC and,
 * when RC is 0, the value WANT. */
static void expect(const char *cmdline, const char *key, size_t outsz, int rc, const char *want)
{
	char out[64];
	int got;

	memset(out, 'x', sizeof(out));
	got = cmdline_get(cmdline, key, out, outsz);
	if (got != rc || (rc == 0 && strcmp(out, want))) {
		printf("FAIL cmdline_get(\"%s\", \"%s\", %zu) = %d \"%.*s\", expected %d \"%s\"\n",
		       cmdline, key, outsz, got, got == 0 ? (int)outsz : 0, out, rc, want ? want : "");
		failures++;
	} else {
		printf("ok   cmdline_get(\"%s\", \"%s\")\n", cmdline, key);
	}
}

int main(void)
{
	expect("console=ttyS0 vessel.test=shell\n", "vessel.test", 64, 0, "shell");
	expect("vessel.test=bench", "vessel.test", 64, 0, "bench");
	expect("  vessel.test=a\tvessel.test=modules  ", "vessel.test", 64, 0, "modules");
	expect("console=ttyS0", "vessel.test", 64, -ENOENT, NULL);
	expect("", "vessel.test", 64, -ENOENT, NULL);
	/* Only whole words with the exact key count. */
	expect("xvessel.test=shell vessel.testing=1 vessel.test", "vessel.test", 64, -ENOENT, NULL);
	expect("vessel.test=", "vessel.test", 64, 0, "");
	expect("vessel.exit=poweroff vessel.test=none", "vessel.exit", 64, 0, "poweroff");
	/* The value plus its NUL must fit: "shell" needs 6 bytes. */
	expect("vessel.test=shell", "vessel.test", 6, 0, "shell");
	expect("vessel.test=shell", "vessel.test", 5, -E2BIG, NULL);
	expect("vessel.test=shell", "vessel.test", 0, -E2BIG, NULL);
	return failures ? 1 : 0;
}
