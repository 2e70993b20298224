#!/bin/sh
# Hypercalls and paravirtualization (docs/hypercalls.md): the test guest's
# pvwork scenario run five ways must print one checksum and exit 0:
#   soft trap, soft pv (vmcall), soft pv (port), kvm trap, kvm pv (port).
# mode=pv also checks hostile calls (unknown number, gpa outside RAM,
# misaligned PTE, count > max...) get their -errno with the VM running on,
# and on soft that VMCALL from CPL 3 is #UD. Also: the KVM signature in
# CPUID 0x40000000 on both engines, and VESSEL_SOFT_PV=0 hiding it on soft.
# Prints PASS/FAIL/SKIP lines; always exits 0. Logs: build/guest/logs/pv-*.log.
set -u
cd "$(dirname "$0")/../.." || exit 0

VESSEL=${VESSEL:-build/vessel}
ELF=${TESTGUEST:-build/guest/testguest.elf}
LOGS=build/guest/logs
ARGS="rounds=12"

for f in "$VESSEL" "$ELF"; do
	if [ ! -f "$f" ]; then
		echo "FAIL pv: $f is missing (make all)"
		exit 0
	fi
done
mkdir -p "$LOGS"

# run NAME ENGINE CMDLINE: sets rc and log
run() {
	log="$LOGS/pv-$1.log"
	timeout -k 5 120 "$VESSEL" run --engine "$2" --mem 64M --kernel "$ELF" \
		--cmdline "test=pvwork $3 $ARGS" </dev/null >"$log" 2>&1
	rc=$?
}

checksum() {
	sed -n 's/^testguest: pvwork: checksum //p' "$1" | head -n 1
}

ref=
# one NAME ENGINE CMDLINE [EXTRA_LINE]: a run that must pass and match the reference checksum
one() {
	run "$1" "$2" "$3"
	sum=$(checksum "$log")
	if [ "$rc" -ne 0 ]; then
		echo "FAIL pv-$1: vessel exited $rc (log $log)"
		tail -n 5 "$log" | sed 's/^/    /'
	elif ! grep -q "testguest: pvwork ok" "$log" || [ -z "$sum" ]; then
		echo "FAIL pv-$1: no checksum or no 'pvwork ok' (log $log)"
	elif [ -n "${4:-}" ] && ! grep -q "$4" "$log"; then
		echo "FAIL pv-$1: no '$4' in the output (log $log)"
	elif [ -n "$ref" ] && [ "$sum" != "$ref" ]; then
		echo "FAIL pv-$1: checksum $sum, soft trap gave $ref (log $log)"
	else
		[ -z "$ref" ] && ref=$sum
		echo "PASS pv-$1"
	fi
}

one soft-trap soft "mode=trap" "signature 'KVMKVMKVM'"
one soft-pv-vmcall soft "mode=pv hc=vmcall" "vmcall from CPL 3: #UD"
grep -q "bad calls ok" "$LOGS/pv-soft-pv-vmcall.log" && echo "PASS pv-soft-bad-calls" ||
	echo "FAIL pv-soft-bad-calls: see $LOGS/pv-soft-pv-vmcall.log"
one soft-pv-port soft "mode=pv hc=port" "bad calls ok"

# The KVM interface off: no signature, vessel's own hypercalls still work.
log="$LOGS/pv-soft-nopv.log"
VESSEL_SOFT_PV=0 timeout -k 5 120 "$VESSEL" run --engine soft --mem 64M --kernel "$ELF" \
	--cmdline "test=pvwork mode=pv hc=vmcall $ARGS" </dev/null >"$log" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "signature ''" "$log" && [ "$(checksum "$log")" = "$ref" ]; then
	echo "PASS pv-soft-pv-off"
else
	echo "FAIL pv-soft-pv-off: exit $rc, want 0, no signature and checksum $ref (log $log)"
fi

if ! err=$( (exec 3<>/dev/kvm) 2>&1); then
	for n in kvm-trap kvm-pv-port; do
		echo "SKIP pv-$n: cannot open /dev/kvm: ${err##*: }"
	done
	exit 0
fi
one kvm-trap kvm "mode=trap" "signature 'KVMKVMKVM'"
one kvm-pv-port kvm "mode=pv hc=port" "bad calls ok"
exit 0
