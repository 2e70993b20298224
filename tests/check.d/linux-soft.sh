#!/bin/bash
# Debian's stock cloud kernel (build/linux/vmlinuz + initramfs.img,
# docs/linux-guest.md) booted by vessel's soft engine:
#   build/vessel run --engine soft --mem 512M --kernel build/linux/vmlinuz \
#       --initrd build/linux/initramfs.img --cmdline "console=ttyS0 vessel.test=NAME"
# For each test: vessel must exit with the guest's status and the output must
# hold the kernel log, "vessel-guest: init ok" and the test's own lines.
# Without the images prints SKIP (make linux-guest builds them; it downloads).
# Logs: build/check-logs/linux-soft-NAME.log.
set -u
cd "$(dirname "$0")/../.." || exit 1
OUT=build/linux
VESSEL=${VESSEL:-build/vessel}
BOOT_TIMEOUT=${LINUX_SOFT_BOOT_TIMEOUT:-120}
LOGS=build/check-logs
NAMES="none shell modules poweroff bad-test pvclock pvclock-wall"

if [ ! -f "$OUT/vmlinuz" ] || [ ! -f "$OUT/initramfs.img" ]; then
	for n in $NAMES; do
		echo "SKIP linux-soft-$n: no $OUT/vmlinuz or initramfs.img (make linux-guest)"
	done
	exit 0
fi
if [ ! -x "$VESSEL" ]; then
	for n in $NAMES; do
		echo "FAIL linux-soft-$n: $VESSEL is missing (make all)"
	done
	exit 0
fi
mkdir -p "$LOGS"

# boot NAME WANT_STATUS CMDLINE PATTERN...: one boot; vessel must exit with
# WANT_STATUS and every PATTERN must be a whole line of the output.
boot() {
	local name=$1 want=$2 append=$3
	shift 3
	local log="$LOGS/linux-soft-$name.log" rc p
	timeout -k 5 "$BOOT_TIMEOUT" "$VESSEL" run --engine soft --mem 512M \
		--kernel "$OUT/vmlinuz" --initrd "$OUT/initramfs.img" \
		--cmdline "console=ttyS0 $append" </dev/null >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "FAIL linux-soft-$name: no exit within ${BOOT_TIMEOUT}s; last line: $(tail -n 1 "$log") (log $log)"
		return
	fi
	for p in "$@"; do
		if ! grep -qxF -- "$p" <(tr -d '\r' <"$log"); then
			echo "FAIL linux-soft-$name: no line '$p' (vessel status $rc); last lines: $(tail -n 3 "$log" | tr '\r\n' '  ') (log $log)"
			return
		fi
	done
	if ! grep -q '^\[ *[0-9.]*\] Linux version 6\.' "$log"; then
		echo "FAIL linux-soft-$name: no kernel log (no 'Linux version' line) (log $log)"
		return
	fi
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL linux-soft-$name: vessel exit status $rc, expected $want (log $log)"
		return
	fi
	echo "PASS linux-soft-$name"
}

boot none 0 "" "vessel-guest: init ok" "vessel-guest: exit 0"
boot shell 0 "vessel.test=shell" "vessel-guest: init ok" "vessel-guest: shell ok" "vessel-guest: exit 0"
boot modules 0 "vessel.test=modules" "vessel-guest: init ok" "vessel-guest: modules ok" "vessel-guest: exit 0"
# Without the exit port the guest powers off; with no ACPI Linux ends in
# cli; hlt, which the soft engine turns into a clean stop (status 0).
boot poweroff 0 "vessel.exit=poweroff" "vessel-guest: init ok" "vessel-guest: exit 0"
# A failing test ends the VM through the exit port with status 1.
boot bad-test 1 "vessel.test=no-such-test" "vessel-guest: init ok" "vessel-guest: exit 1"
# Linux's KVM paravirtual interface on soft (docs/soft-system.md): the kernel
# finds KVM, uses kvm-clock (no calibration), and the clock is consistent.
boot pvclock 0 "vessel.test=pvclock" "vessel-guest: init ok" "vessel-guest: clocksource kvm-clock" \
	"vessel-guest: pvclock ok" "vessel-guest: exit 0"
log="$LOGS/linux-soft-pvclock.log"
guest_now=$(tr -d '\r' <"$log" | sed -n 's/^vessel-guest: realtime \([0-9]*\)$/\1/p')
host_now=$(stat -c %Y "$log")
if ! grep -q 'kvm-clock: Using msrs 4b564d01 and 4b564d00' "$log"; then
	echo "FAIL linux-soft-pvclock-wall: the kernel did not take kvm-clock's MSRs (log $log)"
elif [ -z "$guest_now" ] || [ $((guest_now - host_now)) -gt 5 ] || [ $((host_now - guest_now)) -gt 5 ]; then
	echo "FAIL linux-soft-pvclock-wall: guest realtime '${guest_now}' vs host ${host_now} (log $log)"
else
	echo "PASS linux-soft-pvclock-wall"
fi
exit 0
