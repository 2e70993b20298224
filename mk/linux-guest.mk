# Linux guest images (docs/linux-guest.md): `make linux-guest` builds
#   build/linux/init           our static /init (guest/linux/*.c)
#   build/linux/vmlinuz        Debian 12's linux-image-cloud-amd64 kernel
#   build/linux/initramfs.img  /init + busybox-static + virtio modules
# The images come from scripts/linux-guest.sh, which downloads with apt-get
# only what build/linux/debs does not hold yet.

LINUX_GUEST_SRCS := $(sort $(wildcard guest/linux/*.c))
LINUX_GUEST_HDRS := $(sort $(wildcard guest/linux/*.h))

# The guest's /init is a Linux userspace program, not part of vessel: plain
# gcc -static, same warnings as the rest of the tree.
$(BUILD)/linux/init: $(LINUX_GUEST_SRCS) $(LINUX_GUEST_HDRS)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) -std=c11 -static -O2 -D_GNU_SOURCE $(WARN) -o $@ $(LINUX_GUEST_SRCS)

.PHONY: linux-guest linux-guest-init
linux-guest-init: $(BUILD)/linux/init

linux-guest: $(BUILD)/linux/init
	scripts/linux-guest.sh $(BUILD)/linux/init $(BUILD)/linux

# make check builds the images too (about 5 s and 40 MiB of .debs from Debian the
# first time, cached in build/linux/debs after): the Linux tests must run, not skip.
check-extra: linux-guest

# Host test of /init's command-line parser (run by tests/check.d/linux-guest-qemu.sh).
$(BUILD)/linux/test-cmdline: guest/linux/tests/cmdline_test.c guest/linux/cmdline.c guest/linux/cmdline.h
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) -std=c11 -O1 -g -D_GNU_SOURCE $(WARN) $(SAN_FLAGS) -o $@ \
		guest/linux/tests/cmdline_test.c guest/linux/cmdline.c

check-extra: $(BUILD)/linux/test-cmdline
