# virtio (docs/virtio.md): the test guest's virtio driver lives in guest/virtio/,
# which guest.mk's wildcard does not cover; add its objects to the guest image.
GUEST_VIRTIO_SRCS := $(sort $(wildcard guest/virtio/*.c))
GUEST_VIRTIO_OBJS := $(GUEST_VIRTIO_SRCS:guest/%.c=$(GUEST_BUILD)/%.o)
GUEST_OBJS += $(GUEST_VIRTIO_OBJS)
$(GUEST_ELF): $(GUEST_VIRTIO_OBJS)
$(GUEST_MB_ELF): $(GUEST_VIRTIO_OBJS)
