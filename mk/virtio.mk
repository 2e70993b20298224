# virtio (docs/virtio.md): the test guest's virtio driver lives in guest/virtio/,
# which guest.mk's wildcard does not cover; add its objects to the guest image.
GUEST_VIRTIO_SRCS := $(sort $(wildcard guest/virtio/*.c))
GUEST_VIRTIO_OBJS := $(GUEST_VIRTIO_SRCS:guest/%.c=$(GUEST_BUILD)/%.o)
GUEST_OBJS += $(GUEST_VIRTIO_OBJS)
$(GUEST_ELF): $(GUEST_VIRTIO_OBJS)
$(GUEST_MB_ELF): $(GUEST_VIRTIO_OBJS)

# virtio-blk benchmark: 4 KiB sequential/random read/write from the test guest
# on each engine (one request at a time, polled), then the same file read and
# written with dd on the host. make bench-virtio [BENCH_VIRTIO_COUNT=N]
BENCH_VIRTIO_COUNT ?= 10000
.PHONY: bench-virtio
bench-virtio: $(BUILD)/vessel $(GUEST_ELF)
	@img=$$(mktemp /tmp/vessel-bench-XXXXXX.img); truncate -s 64M $$img; \
	for e in kvm soft; do echo "== guest on $$e"; \
		$(BUILD)/vessel run --engine $$e --mem 64M --kernel $(GUEST_ELF) --disk $$img \
			--cmdline "test=vblkbench count=$(BENCH_VIRTIO_COUNT) mib=64" </dev/null | grep vblkbench; done; \
	echo "== host dd, 4 KiB blocks, same file"; \
	dd if=/dev/zero of=$$img bs=4k count=16384 conv=notrunc 2>&1 | tail -n1; \
	dd if=$$img of=/dev/null bs=4k count=16384 2>&1 | tail -n1; rm -f $$img
