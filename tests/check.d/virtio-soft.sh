#!/bin/sh
# The virtio test-guest checks of virtio-kvm.sh on the soft engine.
VIRTIO_ENGINE=soft exec "$(dirname "$0")/virtio-kvm.sh"
