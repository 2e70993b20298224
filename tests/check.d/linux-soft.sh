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
NAMES="none shell modules poweroff bad-test pvclock pvclock-wall pveoi pveoi-used pv-off pv-off-hidden"

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
# BOOT_ARGS: extra `vessel run` options (word-split); BOOT_ERR: a file for
# vessel's stderr (debug logs would cut the kernel's lines), else the log.
run_vessel() {
	# shellcheck disable=SC2086 # BOOT_ARGS is a list of options
	timeout -k 5 "$BOOT_TIMEOUT" "$VESSEL" run --engine soft --mem 512M ${BOOT_ARGS:-} \
		--kernel "$OUT/vmlinuz" --initrd "$OUT/initramfs.img" \
		--cmdline "console=ttyS0 $1" </dev/null
}

boot() {
	local name=$1 want=$2 append=$3
	shift 3
	local log="$LOGS/linux-soft-$name.log" rc p
	if [ -n "${BOOT_ERR:-}" ]; then
		run_vessel "$append" >"$log" 2>"$BOOT_ERR"
	else
		run_vessel "$append" >"$log" 2>&1
	fi
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
# PV EOI and steal time (docs/soft-system.md): the kernel enables both, and
# PV EOI is really used. Debian's kernel takes its timer through the 8259,
# so the LAPIC vectors here are virtio-pci's MSI-X (virtio-rng, which the
# kernel reads as soon as the module loads); VESSEL_LOG=debug makes the
# engine log its count of EOIs done on the guest's behalf.
BOOT_ARGS=--rng BOOT_ERR="$LOGS/linux-soft-pveoi.err" VESSEL_LOG=debug boot pveoi 0 "vessel.test=modules" "vessel-guest: init ok" \
	"vessel-guest: module virtio_rng loaded" "vessel-guest: modules ok" "vessel-guest: exit 0"
log="$LOGS/linux-soft-pveoi.err"
if ! grep -q 'soft: PV EOI enabled at 0x' "$log"; then
	echo "FAIL linux-soft-pveoi-used: the kernel did not enable PV EOI (log $log)"
elif ! grep -Eq 'soft: PV EOI: [0-9]+ EOIs done on the guest.s behalf' "$log"; then
	echo "FAIL linux-soft-pveoi-used: no EOI done on the guest's behalf (log $log)"
elif ! grep -q 'soft: steal time enabled at 0x' "$log"; then
	echo "FAIL linux-soft-pveoi-used: the kernel did not enable steal time (log $log)"
else
	echo "PASS linux-soft-pveoi-used"
fi
# VESSEL_SOFT_PV=0: the plain soft CPU, no KVM interface, PV EOI never enabled.
BOOT_ARGS=--rng BOOT_ERR="$LOGS/linux-soft-pv-off.err" VESSEL_LOG=debug VESSEL_SOFT_PV=0 boot pv-off 0 "vessel.test=modules" \
	"vessel-guest: init ok" "vessel-guest: modules ok" "vessel-guest: exit 0"
log="$LOGS/linux-soft-pv-off.log"
if [ ! -s "$log" ] || grep -q 'Hypervisor detected: KVM\|soft: PV EOI\|soft: steal time' "$log" "${log%.log}.err"; then
	echo "FAIL linux-soft-pv-off-hidden: the KVM interface is visible with VESSEL_SOFT_PV=0 (log $log)"
else
	echo "PASS linux-soft-pv-off-hidden"
fi
exit 0
