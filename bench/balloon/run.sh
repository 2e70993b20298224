#!/bin/bash
# Balloon reclaim throughput (docs/memd.md, "Figures"): a guest with 1.5 GiB
# of RAM, 1.25+ GiB of it touched and then free, is asked through the control
# socket to inflate its balloon by 1 GiB; we time until vessel's RSS has
# dropped by 1 GiB (the host really has the memory back) and until the
# driver reports the whole GiB inflated, then the deflate back to 0 (until
# the driver reports 0 and, where the guest touches what it gets back, the
# RSS is back). Figures in MiB/s and seconds.
#   kvm  + test guest (test=idle balloon=1): every free 2 MiB frame is
#        touched at start; its driver paces itself at 8 MiB per 100 ms
#        (guest/virtio/balloon.c), so expect about 80 MiB/s from it.
#   soft + Linux (build/linux, when present; BENCH_BALLOON_LINUX=0 skips it):
#        the guest writes 1.3 GiB into tmpfs and deletes it, with
#        --balloon=no-reporting so the freed pages stay resident; Linux's
#        virtio_balloon inflates as fast as the engine runs it.
# usage: bench/balloon/run.sh   (make bench-balloon)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/vms.sh

VESSEL=${VESSEL:-build/vessel}
ELF=build/guest/testguest.elf
KERNEL=build/linux/vmlinuz
INITRD=build/linux/initramfs.img
WORK=$(mktemp -d)
export VESSEL_RUNTIME_DIR=$WORK/rt
mkdir -m 700 "$VESSEL_RUNTIME_DIR"
MiB=$((1 << 20))
GiB=$((1 << 30))
SLACK=$((8 * MiB)) # "RSS down by 1 GiB" means by 1 GiB less 8 MiB (page tables, other noise)
cleanup() {
	for vm in bb-kvm bb-linux; do "$VESSEL" kill "$vm" >/dev/null 2>&1; done
	rm -rf "$WORK"
}
trap cleanup EXIT

rss() { echo $(($(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null || echo 0) * 1024)); }
now() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }
rate() { awk -v ns="$1" 'BEGIN { printf "%.0f", 1024 / (ns / 1e9) }'; }

# fig NS: "S s (R MiB/s)" for 1 GiB in NS nanoseconds, or "never".
fig() { if [ -n "$1" ]; then echo "$(secs "$1") s ($(rate "$1") MiB/s)"; else echo never; fi; }

# measure NAME PID LABEL touched|untouched: inflate by 1 GiB, then deflate, printing
# the figures. RSS is sampled every 10 ms; the driver's figure (a stat over the
# control socket) every 100 ms, so those times are +-0.1 s.
measure() {
	local name=$1 pid=$2 label=$3 rss0 t0 t_rss="" t_act="" t_def="" t_back="" i
	rss0=$(rss "$pid")
	if [ "$rss0" -lt $((GiB + GiB / 4)) ]; then
		echo "$label: only $((rss0 / MiB)) MiB resident, want 1280+: not measured"
		return
	fi
	t0=$(now)
	"$VESSEL" balloon "$name" 1G || return
	for i in $(seq 1 12000); do
		[ -z "$t_rss" ] && [ "$(rss "$pid")" -le $((rss0 - GiB + SLACK)) ] && t_rss=$(($(now) - t0))
		[ -z "$t_act" ] && [ $((i % 10)) = 0 ] && [ "$(vm_stat_field "$name" balloon)" = "$GiB" ] &&
			t_act=$(($(now) - t0))
		[ -n "$t_rss" ] && [ -n "$t_act" ] && break
		sleep 0.01
	done
	echo "$label: inflate 1 GiB: RSS $((rss0 / MiB)) -> $(($(rss "$pid") / MiB)) MiB;" \
		"RSS down by 1 GiB after $(fig "$t_rss"); driver at 1 GiB after $(fig "$t_act")"
	rss0=$(rss "$pid")
	t0=$(now)
	"$VESSEL" balloon "$name" 0 || return
	for i in $(seq 1 12000); do
		[ -z "$t_back" ] && [ "$(rss "$pid")" -ge $((rss0 + GiB - SLACK)) ] && t_back=$(($(now) - t0))
		[ -z "$t_def" ] && [ $((i % 10)) = 0 ] && [ "$(vm_stat_field "$name" balloon)" = 0 ] &&
			t_def=$(($(now) - t0))
		[ -n "$t_def" ] && { [ -n "$t_back" ] || [ "$4" = untouched ]; } && break
		sleep 0.01
	done
	if [ "$4" = untouched ]; then
		echo "$label: deflate 1 GiB: driver at 0 after $(fig "$t_def")" \
			"(RSS stays down until the guest uses the pages again)"
	else
		echo "$label: deflate 1 GiB: driver at 0 after $(fig "$t_def");" \
			"RSS back up by 1 GiB after $(fig "$t_back")"
	fi
}

# --- kvm, test guest
if [ -r /dev/kvm ] && [ -f "$ELF" ]; then
	"$VESSEL" run --detach --name bb-kvm --engine kvm --mem 1536M --virtio-transport mmio --balloon \
		--kernel "$ELF" --cmdline "test=idle balloon=1" || exit 1
	for _ in $(seq 1 300); do grep -q "balloon: ready" "$VESSEL_RUNTIME_DIR/bb-kvm.log" && break; sleep 0.1; done
	sleep 1
	measure bb-kvm "$(vm_stat_field bb-kvm pid)" "kvm + test guest" touched
	"$VESSEL" stop bb-kvm >/dev/null
else
	echo "kvm + test guest: skipped (no /dev/kvm or no $ELF)"
fi

# --- soft, Linux
if [ "${BENCH_BALLOON_LINUX:-1}" = 1 ] && [ -f "$KERNEL" ] && [ -f "$INITRD" ]; then
	fifo=$WORK/in
	mkfifo "$fifo"
	log=$WORK/linux.log
	timeout -k 5 600 "$VESSEL" run --name bb-linux --engine soft --mem 1536M --balloon=no-reporting \
		--kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 rdinit=/bin/sh quiet" \
		<"$fifo" >"$log" 2>&1 &
	runner=$!
	exec {fd}>"$fifo"
	for _ in $(seq 1 1200); do grep -q "can't access tty" "$log" && break; sleep 0.1; done
	cat >&"$fd" <<'EOS'
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
modprobe virtio_pci; modprobe virtio_balloon
mkdir -p /t && mount -t tmpfs -o size=1400m tmpfs /t
dd if=/dev/zero of=/t/fill bs=1M count=1300 2>/dev/null; rm /t/fill
echo "BB filled"
EOS
	for _ in $(seq 1 3000); do grep -q "^BB filled" "$log" && break; sleep 0.1; done
	if grep -q "^BB filled" "$log"; then
		sleep 1
		measure bb-linux "$(vm_stat_field bb-linux pid)" "soft + Linux" untouched
	else
		echo "soft + Linux: the guest did not get ready (log kept in $log)"
	fi
	echo "poweroff -f" >&"$fd"
	exec {fd}>&-
	wait "$runner"
else
	echo "soft + Linux: skipped (no build/linux images, or BENCH_BALLOON_LINUX=0)"
fi
