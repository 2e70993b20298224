/* tap_open (see tap.h). */
#include "dev/backend/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int tap_open(const char *name, struct verr *err)
{
	struct ifreq ifr;
	int fd;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return verr_set(err, EINVAL,
				"--net tap='%s': the interface name must be 1 to %d characters",
				name ? name : "", IFNAMSIZ - 1);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return verr_set(err, errno, "--net tap=%s: /dev/net/tun: %s", name,
				strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		close(fd);
		return verr_set(err, e, "--net tap=%s: cannot attach to the tap device: %s", name,
				strerror(e));
	}
	return fd;
}
