#!/bin/bash
# Differential tests of the soft CPU against this host's CPU (tests/cpu/):
# every directed template with edge values, then random instructions.
cd "$(dirname "$0")/../.."
if [ ! -x build/cpu-diff ]; then
	echo "SKIP cpu-diff: build/cpu-diff not built (make build/cpu-diff)"
	exit 0
fi
build/cpu-diff --directed
build/cpu-diff --random "${CPU_DIFF_RANDOM:-5000}" --seed "${CPU_DIFF_SEED:-1}"
exit 0
