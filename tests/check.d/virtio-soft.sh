#!/bin/sh
# The virtio test-guest checks of virtio-kvm.sh on the soft engine (all but the
# kvm-only ioeventfd check, balloon-follow included).
VIRTIO_ENGINE=soft exec "$(dirname "$0")/virtio-kvm.sh"
