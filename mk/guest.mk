# The freestanding test guest (guest/): build/guest/testguest.elf.
# Ring-0 code under our machines' /dev/kvm is emulated by the host and fails on
# SSE/x87/popcnt and more (DESIGN.md), hence general registers only, no red
# zone (interrupts arrive on the kernel stack) and a plain x86-64 baseline.

GUEST_CC     ?= gcc
GUEST_BUILD  := $(BUILD)/guest
GUEST_ELF    := $(GUEST_BUILD)/testguest.elf
GUEST_CFLAGS := -std=c11 -O2 -g -ffreestanding -fno-builtin -nostdlib -static -fno-pic -no-pie \
	-mno-red-zone -mgeneral-regs-only -march=x86-64 -mtune=generic -mcmodel=small \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-fcf-protection=none -fno-tree-loop-distribute-patterns \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wno-unused-parameter -Iguest
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,--fatal-warnings -T guest/guest.ld

GUEST_SRCS := $(sort $(wildcard guest/*.c guest/scenarios/*.c))
GUEST_ASMS := $(sort $(wildcard guest/*.S))
GUEST_OBJS := $(GUEST_ASMS:guest/%.S=$(GUEST_BUILD)/%.o) $(GUEST_SRCS:guest/%.c=$(GUEST_BUILD)/%.o)

.PHONY: guest
guest: $(GUEST_ELF)

$(GUEST_BUILD)/%.o: guest/%.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC/GST  $<")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_BUILD)/%.o: guest/%.S
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC/GST  $<")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) guest/guest.ld
	@$(if $(V),,echo "  LD/GST  $@")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

check-extra: $(GUEST_ELF)

# Development aid: the same guest plus a multiboot shim, bootable by QEMU TCG
# (guest/qemu/run.sh), to check scenarios on a correct CPU.
GUEST_MB_ELF := $(GUEST_BUILD)/testguest-mb.elf

.PHONY: guest-qemu
guest-qemu: $(GUEST_MB_ELF)

$(GUEST_BUILD)/qemu/%.o: guest/qemu/%.S
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC/GST  $<")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_MB_ELF): $(GUEST_OBJS) $(GUEST_BUILD)/qemu/multiboot.o guest/guest.ld
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS) $(GUEST_BUILD)/qemu/multiboot.o

# Foundation benchmarks (bench/vm/run.sh): start latency, exit round trip, VMM memory overhead.
.PHONY: bench-vm
bench-vm: $(BUILD)/vessel $(GUEST_ELF)
	bench/vm/run.sh
