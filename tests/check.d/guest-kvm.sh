#!/bin/sh
# Every test-guest scenario on the kvm engine (a limited host /dev/kvm may SKIP one, with its reason).
exec "$(dirname "$0")/../lib/guest-scenarios.sh" kvm
