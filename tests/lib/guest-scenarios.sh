#!/bin/sh
# Test-guest scenarios on one engine: tests/lib/guest-scenarios.sh ENGINE.
# For each scenario runs
#   build/vessel run --engine ENGINE --mem 64M --kernel build/guest/testguest.elf \
#       --cmdline "test=NAME [ARGS]"
# under a timeout and checks vessel's exit status and the guest's output.
# Prints one line per scenario: PASS guest-ENGINE-NAME / FAIL guest-ENGINE-NAME: why /
# SKIP guest-ENGINE-NAME: reason; always exits 0. Logs: build/guest/logs/ENGINE-NAME.log.
# Statuses are those of guest/guest.h: 0 pass, 10 fail, 11 usage, 77 host limit.
#
# Exit status 77 ("this host cannot run this scenario") is a SKIP, with the
# guest's "testguest: host limitation: ..." message, on kvm only: the host's
# /dev/kvm may be limited. The soft engine needs nothing from the host, so
# there 77 is a FAIL (and `syscall` must pass).
set -u
cd "$(dirname "$0")/../.." || exit 0

ENGINE=$1
VESSEL=${VESSEL:-build/vessel}
ELF=${TESTGUEST:-build/guest/testguest.elf}
LOGS=build/guest/logs
NAMES="smoke user pagefault timer syscall idle fill exits fail unknown"

if [ "$ENGINE" = kvm ] && ! err=$( (exec 3<>/dev/kvm) 2>&1); then
	for n in $NAMES; do
		echo "SKIP guest-kvm-$n: cannot open /dev/kvm: ${err##*: }"
	done
	exit 0
fi
for f in "$VESSEL" "$ELF"; do
	if [ ! -f "$f" ]; then
		for n in $NAMES; do
			echo "FAIL guest-$ENGINE-$n: $f is missing (make all)"
		done
		exit 0
	fi
done
mkdir -p "$LOGS"

fail() {
	echo "FAIL guest-$ENGINE-$1: $2 (log $log)"
	tail -n 5 "$log" | sed 's/^/    /'
}

# check NAME TIMEOUT_S EXPECT_STATUS EXPECT_LINE CMDLINE
check() {
	name=$1 tmo=$2 want=$3 line=$4 cmdline=$5
	log="$LOGS/$ENGINE-$name.log"
	timeout -k 5 "$tmo" "$VESSEL" run --engine "$ENGINE" --mem 64M --kernel "$ELF" \
		--cmdline "$cmdline" </dev/null >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "$name" "timed out after ${tmo}s"
	elif [ "$rc" -eq 77 ] && [ "$ENGINE" = kvm ]; then
		msg=$(sed -n 's/^.*testguest: host limitation: //p' "$log" | head -n 1)
		if [ -n "$msg" ]; then
			echo "SKIP guest-kvm-$name: host limitation: $msg"
		else
			fail "$name" "exit 77 without a host limitation message"
		fi
	elif [ "$rc" -ne "$want" ]; then
		fail "$name" "vessel exited $rc, want $want"
	elif ! grep -q "$line" "$log"; then
		fail "$name" "exit $rc but no '$line' in the output"
	else
		echo "PASS guest-$ENGINE-$name"
	fi
}

check smoke 30 0 "testguest: smoke ok" "test=smoke"
check user 60 0 "testguest: user ok" "test=user"
check pagefault 60 0 "testguest: pagefault ok" "test=pagefault"
check timer 90 0 "testguest: timer ok" "test=timer"
check syscall 30 0 "testguest: syscall ok" "test=syscall"
check idle 30 0 "testguest: idle ok" "test=idle seconds=2"
check fill 60 0 "testguest: fill ok" "test=fill fill_mib=32 hold_s=1"
check exits 30 0 "testguest: exits ok" "test=exits count=2000"
# A failing guest must fail the VM with the guest's own status, not vessel's.
check fail 30 10 "testguest: fail FAIL" "test=fail"
check unknown 30 11 "testguest:   smoke: " "test=no-such-scenario"
exit 0
