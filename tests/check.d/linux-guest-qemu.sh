#!/bin/bash
# The Linux guest images (build/linux/vmlinuz + initramfs.img, docs/linux-guest.md)
# booted under QEMU TCG, independently of vessel: /init must print
# "vessel-guest: init ok", pass its tests and end QEMU through the exit port
# (isa-debug-exit at 0xf4 exits with (status << 1) | 1).
# Never downloads a kernel unless VESSEL_LINUX_TESTS=1: without the images it
# prints SKIP. Also runs the host test of /init's command-line parser.
set -u
cd "$(dirname "$0")/../.." || exit 1
OUT=build/linux
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
BOOT_TIMEOUT=${LINUX_GUEST_BOOT_TIMEOUT:-180}

if [ -x "$OUT/test-cmdline" ]; then
	if "$OUT/test-cmdline" >"$T/cmdline.log" 2>&1; then
		echo "PASS linux-guest-cmdline"
	else
		echo "FAIL linux-guest-cmdline: $(grep -m1 FAIL "$T/cmdline.log" || tail -n 3 "$T/cmdline.log")"
	fi
else
	echo "SKIP linux-guest-cmdline: $OUT/test-cmdline not built (make check-extra)"
fi

# Refresh the images when that needs no download (the .debs are cached), so a
# changed /init is tested; download only when asked to.
have_debs() { ls "$OUT"/debs/linux-image-*.deb "$OUT"/debs/busybox-static_*.deb >/dev/null 2>&1; }
if [ "${VESSEL_LINUX_TESTS:-0}" = 1 ] || have_debs; then
	if ! make -s linux-guest >"$T/build.log" 2>&1; then
		echo "FAIL linux-guest-build: make linux-guest failed: $(tail -n 3 "$T/build.log")"
		exit 0
	fi
fi
if [ ! -f "$OUT/vmlinuz" ] || [ ! -f "$OUT/initramfs.img" ]; then
	echo "SKIP linux-guest-qemu: no $OUT/vmlinuz or initramfs.img: run make linux-guest (or VESSEL_LINUX_TESTS=1 make check)"
	exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "SKIP linux-guest-qemu: qemu-system-x86_64 not installed (Debian package qemu-system-x86)"
	exit 0
fi

# boot NAME WANT_QEMU_STATUS CMDLINE PATTERN...: boot once; QEMU must exit
# with WANT_QEMU_STATUS and the serial output must hold every PATTERN line.
boot() {
	local name=$1 want=$2 append=$3
	shift 3
	local log="$T/$name.log"
	timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -m 512M -nographic -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=1 \
		-kernel "$OUT/vmlinuz" -initrd "$OUT/initramfs.img" \
		-append "console=ttyS0 $append" </dev/null >"$log" 2>&1
	local rc=$? p
	mkdir -p build/check-logs && cp "$log" "build/check-logs/linux-guest-qemu-$name.log"
	if [ "$rc" -eq 124 ]; then
		echo "FAIL linux-guest-qemu-$name: no exit within ${BOOT_TIMEOUT}s; last line: $(tail -n 1 "$log")"
		return
	fi
	for p in "$@"; do
		if ! grep -qxF -- "$p" <(tr -d '\r' <"$log"); then
			echo "FAIL linux-guest-qemu-$name: no line '$p' (QEMU status $rc); last lines: $(tail -n 3 "$log" | tr '\r\n' '  ')"
			return
		fi
	done
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL linux-guest-qemu-$name: QEMU exit status $rc, expected $want"
		return
	fi
	echo "PASS linux-guest-qemu-$name"
}

# Guest status 0 through the port: QEMU exits (0 << 1) | 1 = 1.
boot shell 1 "vessel.test=shell" "vessel-guest: init ok" "vessel-guest: shell ok" "vessel-guest: exit 0"
boot modules 1 "vessel.test=modules" "vessel-guest: init ok" "vessel-guest: modules ok" "vessel-guest: exit 0"
# A failing test must end the VM with status 1: (1 << 1) | 1 = 3.
boot bad-test 3 "vessel.test=no-such-test" "vessel-guest: init ok" \
	"vessel-guest: unknown test 'no-such-test' (vessel.test=none|shell|modules|bench)" "vessel-guest: exit 1"
# vessel.exit=poweroff skips the port: ACPI power-off ends QEMU with 0.
boot poweroff 0 "vessel.exit=poweroff" "vessel-guest: init ok" "vessel-guest: exit 0"
exit 0
