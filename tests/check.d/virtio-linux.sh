#!/bin/bash
# Virtio with real Linux (Debian's stock cloud kernel, build/linux/) on the
# soft engine, over virtio-pci with MSI-X. The guest runs busybox sh as PID 1
# (rdinit=/bin/sh) on the serial console and is fed a script through
# vessel's stdin once its prompt appears.
#   linux-ext4-qcow2: an ext4 base image shared by two VMs through qcow2
#     overlays (run at the same time); each writes a file and prints its
#     sha256; after a reboot the first VM reads back the same sum and the
#     second VM's file is not there; the base's sha256 is unchanged and
#     `qemu-img check` is clean on both overlays.
#   linux-balloon: the virtio_balloon driver binds; the guest fills and frees
#     200 MiB; `vessel balloon NAME 64M` makes the driver inflate exactly
#     16384 pages (vessel stat) and the guest's used memory grows by 60+ MiB;
#     free page reporting returns 150+ MiB, and vessel's RSS ends below
#     150 MiB although the guest wrote 200 MiB.
#   linux-balloon-rss: the same with --balloon=no-reporting, so the freed
#     200 MiB stay resident: inflating by 64 MiB must lower vessel's RSS by
#     48+ MiB (the pages the balloon takes are given back to the host).
#   linux-web: in a network namespace made here, two VMs on tap devices
#     each serve their own page with busybox httpd; the host fetches both
#     and prints requests per second.
# Prints PASS/FAIL/SKIP lines; always exits 0. Logs: build/check-logs/virtio-linux-*.
set -u
cd "$(dirname "$0")/../.." || exit 0

VESSEL=${VESSEL:-build/vessel}
KERNEL=build/linux/vmlinuz
INITRD=build/linux/initramfs.img
LOGS=build/check-logs
NAMES="linux-ext4-qcow2 linux-balloon linux-balloon-rss linux-web"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$LOGS"

skip_all() {
	for n in $NAMES; do echo "SKIP virtio-linux-$n: $1"; done
	exit 0
}
[ -f "$VESSEL" ] || skip_all "$VESSEL is missing (make all)"
[ -f "$KERNEL" ] && [ -f "$INITRD" ] || skip_all "no Linux images (run make linux-guest)"
command -v qemu-img >/dev/null || skip_all "qemu-img is not installed (Debian package qemu-utils)"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is not installed (Debian package e2fsprogs)"

# linux_run LOG SCRIPT VESSEL-ARGS...: boot, feed SCRIPT at the shell prompt, wait (status in $rc).
# LOG.pid gets the PID of the timeout(1) process whose child is vessel.
linux_run() {
	local log=$1 script=$2 fifo pid
	shift 2
	fifo=$(mktemp -u "$WORK/in.XXXXXX")
	mkfifo "$fifo"
	: >"$log"
	$NETNS_EXEC timeout -k 5 300 "$VESSEL" run --engine soft --kernel "$KERNEL" --initrd "$INITRD" "$@" \
		<"$fifo" >>"$log" 2>&1 &
	pid=$!
	echo "$pid" >"$log.pid"
	exec {fd}>"$fifo"
	for _ in $(seq 1 1200); do
		grep -q "can't access tty" "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.3
	cat "$script" >&"$fd"
	exec {fd}>&-
	wait "$pid"
	rc=$?
}

NETNS_EXEC=""
CMDLINE="console=ttyS0 rdinit=/bin/sh quiet"
PRELUDE='mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
modprobe virtio_pci'

# --- ext4 on qcow2 overlays sharing one base
mkdir -p "$WORK/root"
echo "hello from the base image" >"$WORK/root/hello"
truncate -s 64M "$WORK/base.img"
mkfs.ext4 -q -F -d "$WORK/root" "$WORK/base.img"
base_sum=$(sha256sum <"$WORK/base.img")
for n in 1 2; do
	qemu-img create -q -f qcow2 -b base.img -F raw "$WORK/ovl$n.qcow2"
	cat >"$WORK/write$n.sh" <<EOS
$PRELUDE
modprobe virtio_blk
mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo "VT mounted"
echo "VT hello \$(cat /mnt/hello)"
dd if=/dev/urandom of=/mnt/file$n bs=1k count=512 2>/dev/null
echo "VT sum \$(sha256sum /mnt/file$n | cut -c1-64)"
umount /mnt && echo "VT umounted"
poweroff -f
EOS
done
cat >"$WORK/read1.sh" <<EOS
$PRELUDE
modprobe virtio_blk
mkdir -p /mnt && mount -t ext4 -o ro /dev/vda /mnt && echo "VT mounted"
echo "VT sum \$(sha256sum /mnt/file1 | cut -c1-64)"
[ -e /mnt/file2 ] && echo "VT file2 visible" || echo "VT file2 absent"
umount /mnt
poweroff -f
EOS
(linux_run "$LOGS/virtio-linux-vm1.log" "$WORK/write1.sh" --mem 256M --disk "$WORK/ovl1.qcow2" --cmdline "$CMDLINE"; echo $rc >"$WORK/rc1") &
linux_run "$LOGS/virtio-linux-vm2.log" "$WORK/write2.sh" --mem 256M --disk "$WORK/ovl2.qcow2" --cmdline "$CMDLINE"
echo $rc >"$WORK/rc2"
wait
linux_run "$LOGS/virtio-linux-vm1-reboot.log" "$WORK/read1.sh" --mem 256M --disk "$WORK/ovl1.qcow2" --cmdline "$CMDLINE"
sum1=$(sed -n 's/^VT sum \([0-9a-f]\{64\}\).*/\1/p' "$LOGS/virtio-linux-vm1.log" | head -n1)
sum1b=$(sed -n 's/^VT sum \([0-9a-f]\{64\}\).*/\1/p' "$LOGS/virtio-linux-vm1-reboot.log" | head -n1)
why=""
for n in 1 2; do
	[ "$(cat "$WORK/rc$n")" = 0 ] || why="$why; VM $n exited $(cat "$WORK/rc$n")"
	grep -q "^VT hello hello from the base image" "$LOGS/virtio-linux-vm$n.log" ||
		why="$why; VM $n did not read the base's file"
	grep -q "^VT umounted" "$LOGS/virtio-linux-vm$n.log" || why="$why; VM $n did not finish"
	qemu-img check -q "$WORK/ovl$n.qcow2" >/dev/null 2>&1 || why="$why; qemu-img check failed on overlay $n"
done
[ "$rc" = 0 ] || why="$why; the reboot exited $rc"
[ -n "$sum1" ] && [ "$sum1" = "$sum1b" ] || why="$why; file1 sum '$sum1' before, '$sum1b' after the reboot"
grep -q "^VT file2 absent" "$LOGS/virtio-linux-vm1-reboot.log" || why="$why; VM 1 sees VM 2's file"
[ "$(sha256sum <"$WORK/base.img")" = "$base_sum" ] || why="$why; the base image changed"
if [ -z "$why" ]; then
	echo "PASS virtio-linux-ext4-qcow2"
else
	echo "FAIL virtio-linux-ext4-qcow2: ${why#; } (logs $LOGS/virtio-linux-vm*.log)"
fi

# --- balloon: make nearly all free guest memory resident, then inflate by 64 MiB.
# balloon_run LOG BALLOON_OPTION: boots the VM, fills and frees 200 MiB in the
# guest, then `vessel balloon NAME 64M`; sets rss0/rss1 (vessel's RSS before and
# after inflating), used0/used1 (guest used MiB), inflated, reported, why.
cat >"$WORK/balloon.sh" <<EOS
$PRELUDE
modprobe virtio_balloon && [ -e /sys/bus/virtio/drivers/virtio_balloon/virtio0 ] && echo "VT balloon bound"
mkdir -p /t && mount -t tmpfs -o size=400m tmpfs /t
dd if=/dev/zero of=/t/fill bs=1M count=200 2>/dev/null; rm /t/fill
echo "VT used \$(free -m | awk '/^Mem:/ {print \$3}')"
echo "VT filled"
sleep 8
echo "VT used \$(free -m | awk '/^Mem:/ {print \$3}')"
echo "VT done"
poweroff -f
EOS
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }
balloon_run() {
	log=$1 name="vt-balloon-$$"
	: >"$log" # before the runner starts: the loop below must not see an old log
	rm -f "$log.pid"
	linux_run "$log" "$WORK/balloon.sh" --name "$name" --mem 512M "$2" --cmdline "$CMDLINE" &
	runner=$!
	rss0="" rss1="" why=""
	for _ in $(seq 1 1200); do
		grep -q "^VT filled" "$log" 2>/dev/null && break
		kill -0 "$runner" 2>/dev/null || break
		sleep 0.1
	done
	pid=$(pgrep -P "$(cat "$log.pid" 2>/dev/null || echo 0)")
	if [ -n "$pid" ] && grep -q "^VT filled" "$log"; then
		sleep 0.5
		rss0=$(rss_kb "$pid")
		"$VESSEL" balloon "$name" 64M >>"$log" 2>&1 || why="vessel balloon failed"
		sleep 4
		rss1=$(rss_kb "$pid")
		"$VESSEL" stat "$name" >>"$log" 2>&1
	fi
	wait "$runner"
	grep -q "^VT balloon bound" "$log" || why="$why; the virtio_balloon driver did not bind"
	used0=$(sed -n 's/^VT used \([0-9]*\).*/\1/p' "$log" | head -n1)
	used1=$(sed -n 's/^VT used \([0-9]*\).*/\1/p' "$log" | sed -n 2p)
	inflated=$(sed -n 's/^balloon_inflated_pages *//p' "$log")
	reported=$(sed -n 's/^balloon_reported_bytes *//p' "$log")
	if [ -z "$rss0" ] || [ -z "$rss1" ] || [ -z "$used1" ] || [ -z "$inflated" ]; then
		why="$why; could not read RSS, guest memory or balloon counters"
	else
		[ "$inflated" -eq 16384 ] || why="$why; $inflated pages inflated, want 16384"
		[ $((used1 - used0)) -ge 60 ] || why="$why; guest used memory ${used0} -> ${used1} MiB"
	fi
}

# With free page reporting the freed 200 MiB go back to the host as the guest frees them.
balloon_run "$LOGS/virtio-linux-balloon.log" --balloon
if [ -n "$inflated" ] && [ -n "$rss1" ]; then
	[ "${reported:-0}" -ge $((150 << 20)) ] || why="$why; only ${reported:-0} bytes reported free"
	[ "$rss1" -lt $((150 * 1024)) ] || why="$why; vessel's RSS is ${rss1} kB"
fi
if [ -z "$why" ]; then
	echo "PASS virtio-linux-balloon (inflated $inflated pages, reported $((reported >> 20)) MiB, RSS ${rss0} -> ${rss1} kB)"
else
	echo "FAIL virtio-linux-balloon: ${why#; } (log $log)"
fi

# Without it the freed memory stays resident, and inflating by 64 MiB must give
# back about that much: vessel's RSS falls by at least 48 MiB.
balloon_run "$LOGS/virtio-linux-balloon-rss.log" --balloon=no-reporting
if [ -n "$inflated" ] && [ -n "$rss1" ]; then
	[ "${reported:-0}" -eq 0 ] || why="$why; ${reported} bytes reported with reporting off"
	[ $((rss0 - rss1)) -ge $((48 * 1024)) ] || why="$why; vessel's RSS fell only ${rss0} -> ${rss1} kB"
fi
if [ -z "$why" ]; then
	echo "PASS virtio-linux-balloon-rss (inflated $inflated pages, RSS ${rss0} -> ${rss1} kB)"
else
	echo "FAIL virtio-linux-balloon-rss: ${why#; } (log $log)"
fi
# --- web hosting: two VMs, two taps, one namespace
ns="vessel-web-$$"
if ! ip netns add "$ns" 2>"$WORK/ns.err"; then
	echo "SKIP virtio-linux-web: cannot create a network namespace: $(cat "$WORK/ns.err")"
	exit 0
fi
ip -n "$ns" link set lo up
for n in 1 2; do
	ip -n "$ns" tuntap add dev "vtap$n" mode tap
	ip -n "$ns" addr add "10.0.$n.1/24" dev "vtap$n"
	ip -n "$ns" link set "vtap$n" up
	cat >"$WORK/web$n.sh" <<EOS
$PRELUDE
modprobe virtio_net
ip link set eth0 up && ip addr add 10.0.$n.2/24 dev eth0
mkdir -p /www && echo "page of tenant $n" >/www/index.html
httpd -h /www -p 80 && echo "VT serving"
sleep 120
poweroff -f
EOS
done
NETNS_EXEC="ip netns exec $ns"
linux_run "$LOGS/virtio-linux-web1.log" "$WORK/web1.sh" --mem 256M --net tap=vtap1 --cmdline "$CMDLINE" &
r1=$!
linux_run "$LOGS/virtio-linux-web2.log" "$WORK/web2.sh" --mem 256M --net tap=vtap2,mac=52:54:00:00:00:02 --cmdline "$CMDLINE" &
r2=$!
NETNS_EXEC=""
for _ in $(seq 1 1200); do
	grep -q "^VT serving" "$LOGS/virtio-linux-web1.log" 2>/dev/null &&
		grep -q "^VT serving" "$LOGS/virtio-linux-web2.log" 2>/dev/null && break
	sleep 0.1
done
why=""
for n in 1 2; do
	got=$(ip netns exec "$ns" curl -s -m 20 "http://10.0.$n.2/" 2>&1)
	[ "$got" = "page of tenant $n" ] || why="$why; VM $n answered '$got'"
done
rps=""
if [ -z "$why" ]; then
	urls=$(for _ in $(seq 1 100); do printf 'http://10.0.1.2/ http://10.0.2.2/ '; done)
	t0=$(date +%s%N)
	# One curl process for all 200 requests: the figure is the VMs', not curl's start-up.
	# shellcheck disable=SC2086
	ip netns exec "$ns" curl -s -m 60 -o /dev/null -w '%{http_code}\n' $urls >"$WORK/codes" ||
		why="$why; curl failed"
	t1=$(date +%s%N)
	[ "$(grep -c '^200$' "$WORK/codes")" -eq 200 ] || why="$why; not every request got 200"
	rps=$((200 * 1000000000 / (t1 - t0)))
fi
kill "$(cat "$LOGS/virtio-linux-web1.log.pid")" "$(cat "$LOGS/virtio-linux-web2.log.pid")" 2>/dev/null
wait "$r1" "$r2" 2>/dev/null
ip netns del "$ns"
if [ -z "$why" ]; then
	echo "PASS virtio-linux-web (2 tenants, $rps requests/s through curl)"
else
	echo "FAIL virtio-linux-web: ${why#; } (logs $LOGS/virtio-linux-web*.log)"
fi
exit 0
