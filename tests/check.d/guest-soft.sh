#!/bin/sh
# Every test-guest scenario on the soft engine (no host-limitation skips: syscall must pass).
exec "$(dirname "$0")/../lib/guest-scenarios.sh" soft
