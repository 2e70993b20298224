#!/bin/sh
# Test-guest scenarios on the kvm engine. For each scenario runs
#   build/vessel run --engine kvm --mem 64M --kernel build/guest/testguest.elf --cmdline test=NAME
# under a timeout and checks exit status and output. Prints one line per
# scenario: PASS name / FAIL name: why / SKIP name: reason; always exits 0.
# Exit status 77 from the guest means "this host cannot run this scenario":
# reported as SKIP with the guest's "testguest: host limitation: ..." message.
# Logs: build/guest/logs/kvm-NAME.log.
set -u
cd "$(dirname "$0")/../.." || exit 0

VESSEL=${VESSEL:-build/vessel}
ELF=${TESTGUEST:-build/guest/testguest.elf}
LOGS=build/guest/logs
# name:timeout_seconds:expect
#   ok:      exit 0 and "testguest: NAME ok"
#   fail:    exit 10 (GUEST_EXIT_FAIL, guest/guest.h) and "testguest: NAME FAIL"
#   unknown: test=no-such-scenario, exit 11 (GUEST_EXIT_USAGE) and the scenario list
SCENARIOS="smoke:30:ok user:60:ok pagefault:60:ok timer:90:ok syscall:30:ok fail:30:fail
	unknown:30:unknown"
HOST_LIMIT=77
GUEST_EXIT_FAIL=10
GUEST_EXIT_USAGE=11

skip_all() {
	for s in $SCENARIOS; do
		echo "SKIP guest-kvm-${s%%:*}: $1"
	done
	exit 0
}

if ! err=$( (exec 3<>/dev/kvm) 2>&1); then
	skip_all "cannot open /dev/kvm: ${err##*: }"
fi
for f in "$VESSEL" "$ELF"; do
	if [ ! -x "$f" ] && [ ! -f "$f" ]; then
		for s in $SCENARIOS; do
			echo "FAIL guest-kvm-${s%%:*}: $f is missing (make all)"
		done
		exit 0
	fi
done
mkdir -p "$LOGS"

# run NAME TIMEOUT TEST: sets rc and log
run() {
	log="$LOGS/kvm-$1.log"
	timeout -k 5 "$2" "$VESSEL" run --engine kvm --mem 64M --kernel "$ELF" \
		--cmdline "test=$3" </dev/null >"$log" 2>&1
	rc=$?
}

fail() {
	echo "FAIL guest-kvm-$1: $2 (log $log)"
	tail -n 5 "$log" | sed 's/^/    /'
}

for s in $SCENARIOS; do
	name=${s%%:*}
	rest=${s#*:}
	tmo=${rest%%:*}
	expect=${rest#*:}
	arg=$name
	[ "$expect" = unknown ] && arg=no-such-scenario
	run "$name" "$tmo" "$arg"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "$name" "timed out after ${tmo}s"
		continue
	fi
	if [ "$rc" -eq "$HOST_LIMIT" ]; then
		msg=$(sed -n 's/^.*testguest: host limitation: //p' "$log" | head -n 1)
		if [ -n "$msg" ]; then
			echo "SKIP guest-kvm-$name: host limitation: $msg"
		else
			fail "$name" "exit $HOST_LIMIT without a host limitation message"
		fi
		continue
	fi
	case $expect in
	ok)
		if [ "$rc" -ne 0 ]; then
			fail "$name" "vessel exited $rc"
		elif ! grep -q "testguest: $name ok" "$log"; then
			fail "$name" "exit 0 but no 'testguest: $name ok'"
		else
			echo "PASS guest-kvm-$name"
		fi
		;;
	fail)
		if [ "$rc" -eq 0 ]; then
			fail "$name" "a failing guest made vessel exit 0"
		elif [ "$rc" -ne "$GUEST_EXIT_FAIL" ]; then
			fail "$name" "vessel exited $rc, want the guest's status $GUEST_EXIT_FAIL"
		elif ! grep -q "testguest: $name FAIL" "$log"; then
			fail "$name" "vessel exited $rc but the guest never reported its failure"
		else
			echo "PASS guest-kvm-$name"
		fi
		;;
	unknown)
		if [ "$rc" -ne "$GUEST_EXIT_USAGE" ]; then
			fail "$name" "unknown scenario: vessel exited $rc, want $GUEST_EXIT_USAGE"
		elif ! grep -q "testguest:   smoke: " "$log"; then
			fail "$name" "unknown scenario: no scenario list printed"
		else
			echo "PASS guest-kvm-$name"
		fi
		;;
	esac
done
exit 0
