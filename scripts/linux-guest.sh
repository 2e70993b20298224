#!/bin/bash
# Build vessel's Linux guest images (docs/linux-guest.md):
#   OUT/vmlinuz        Debian 12's stock linux-image-cloud-amd64 kernel, unmodified
#   OUT/initramfs.img  newc cpio: our static /init, Debian's busybox-static with
#                      applet links, the virtio modules and their dependencies
# Usage: scripts/linux-guest.sh INIT_BINARY [OUT]   (OUT defaults to build/linux)
# Downloads only with `apt-get download`, only what is not cached in OUT/debs;
# a run with everything present does no download and takes about a second.
# Environment:
#   LINUX_GUEST_KERNEL_PKG  versioned kernel package to use instead of the one
#                           linux-image-cloud-amd64 depends on
#   LINUX_GUEST_COMPRESS    none (default) or gzip: the cloud kernel unpacks
#                           both (CONFIG_RD_GZIP=y); none spares a slow engine
#                           the inflate, gzip makes the file 2-3x smaller
set -euo pipefail
cd "$(dirname "$0")/.."

INIT=${1:?usage: scripts/linux-guest.sh INIT_BINARY [OUT]}
OUT=${2:-build/linux}
COMPRESS=${LINUX_GUEST_COMPRESS:-none}
SHELL_TEST=guest/linux/tests/shell.sh
SELF=scripts/linux-guest.sh
# Modules the guest tests load (vessel.test=modules and the virtio device
# tests). Built-in ones (ext4 and its crc16/mbcache/jbd2/crc32c, af_packet in
# the cloud kernel) are reported and skipped; the closure comes from modules.dep.
MODULES="virtio_pci virtio_blk virtio_net virtio_console virtio_balloon virtio_rng
         ext4 crc16 mbcache jbd2 crc32c_generic af_packet"

say() { echo "linux-guest: $*"; }
die() { echo "linux-guest: error: $*" >&2; exit 1; }
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

[ -x "$INIT" ] || die "$INIT: no such program (build it with make linux-guest)"
case "$COMPRESS" in none | gzip) ;; *) die "LINUX_GUEST_COMPRESS=$COMPRESS: want none or gzip" ;; esac

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Host tools, installed from Debian when missing (package per command).
need_tools() {
	local missing="" cmd pkg
	for pair in apt-get:apt dpkg-deb:dpkg cpio:cpio depmod:kmod gzip:gzip; do
		cmd=${pair%%:*} pkg=${pair#*:}
		command -v "$cmd" >/dev/null 2>&1 || [ -x "/sbin/$cmd" ] || missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	say "installing host tools:$missing"
	# shellcheck disable=SC2086 # a list of package names
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}
need_tools
DEPMOD=$(command -v depmod || echo /sbin/depmod)

DEBS=$OUT/debs
mkdir -p "$DEBS"

# apt-get download PKG into OUT/debs, through a scratch folder so an
# interrupted download never looks cached.
download() {
	local pkg=$1 tmp="$DEBS/.partial" sandbox=()
	rm -rf "$tmp" && mkdir -p "$tmp"
	# As root apt drops to the _apt user, which cannot write into our folder.
	[ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
	say "downloading $pkg (apt-get download)"
	(cd "$tmp" && apt-get download -q "${sandbox[@]}" "$pkg" >/dev/null) ||
		die "apt-get download $pkg failed"
	local deb
	deb=$(ls "$tmp"/*.deb)
	mv "$deb" "$DEBS/"
	rmdir "$tmp"
	say "got $(basename "$deb") ($(mib "$DEBS/$(basename "$deb")"))"
}

# The newest cached .deb whose name starts with PREFIX, or nothing.
cached_deb() {
	# shellcheck disable=SC2086 # $1 is a glob
	{ ls "$DEBS"/$1_*.deb 2>/dev/null || true; } | sort -V | tail -n 1
}

# linux-image-cloud-amd64 is a metapackage; the kernel is in the versioned
# package it depends on (linux-image-6.1.0-N-cloud-amd64).
resolve_kernel_pkg() {
	local dep
	dep=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1)
	if [ -z "$dep" ]; then
		say "linux-image-cloud-amd64 unknown to apt: running apt-get update"
		as_root apt-get update -q >/dev/null
		dep=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1)
	fi
	[ -n "$dep" ] || die "cannot resolve linux-image-cloud-amd64 to a versioned kernel package"
	echo "$dep"
}

if [ -n "${LINUX_GUEST_KERNEL_PKG:-}" ]; then
	kdeb=$(cached_deb "$LINUX_GUEST_KERNEL_PKG")
	[ -n "$kdeb" ] || { download "$LINUX_GUEST_KERNEL_PKG"; kdeb=$(cached_deb "$LINUX_GUEST_KERNEL_PKG"); }
else
	kdeb=$(cached_deb 'linux-image-[0-9]*-cloud-amd64')
	if [ -z "$kdeb" ]; then
		kpkg=$(resolve_kernel_pkg)
		download "$kpkg"
		kdeb=$(cached_deb "$kpkg")
	fi
fi
bdeb=$(cached_deb busybox-static)
[ -n "$bdeb" ] || { download busybox-static; bdeb=$(cached_deb busybox-static); }

# Unpack each .deb once; the stamp names the .deb it came from.
unpack() {
	local deb=$1 dir=$2 stamp
	stamp="$2/.unpacked-$(basename "$1")"
	[ -e "$stamp" ] && return 0
	say "unpacking $(basename "$deb") into $dir"
	rm -rf "$dir" && mkdir -p "$dir"
	dpkg-deb -x "$deb" "$dir"
	# The top Makefile includes every build/**/*.d as a dependency file; the
	# packages' hook folders (conf-hooks.d...) are not needed here anyway.
	find "$dir" -depth -type d -name '*.d' -exec rm -rf {} +
	touch "$stamp"
}
PKG=$OUT/pkg
unpack "$kdeb" "$PKG"
unpack "$bdeb" "$OUT/busybox-pkg"
BUSYBOX=$OUT/busybox-pkg/bin/busybox
[ -x "$BUSYBOX" ] || die "$bdeb has no bin/busybox"

kver=$(find "$PKG/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n 1)
if [ -z "$kver" ] || [ ! -f "$PKG/boot/vmlinuz-$kver" ]; then
	die "$kdeb: no lib/modules/VERSION or boot/vmlinuz-VERSION"
fi
grep -q '^CONFIG_BLK_DEV_INITRD=y' "$PKG/boot/config-$kver" || die "kernel $kver cannot take an initramfs"
if [ "$COMPRESS" = gzip ]; then
	grep -q '^CONFIG_RD_GZIP=y' "$PKG/boot/config-$kver" || die "kernel $kver cannot unpack a gzip initramfs"
fi

# The package ships no modules.dep: make one for the whole tree, once.
if [ ! -e "$PKG/lib/modules/$kver/modules.dep" ]; then
	say "depmod over the full module tree of $kver"
	"$DEPMOD" -b "$PKG" "$kver"
fi

if ! cmp -s "$PKG/boot/vmlinuz-$kver" "$OUT/vmlinuz"; then
	cp "$PKG/boot/vmlinuz-$kver" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
	say "$OUT/vmlinuz: $kver ($(mib "$OUT/vmlinuz"))"
fi

# Rebuild the initramfs only when an input changed.
IMG=$OUT/initramfs.img
stale=0
[ -e "$IMG" ] || stale=1
for f in "$INIT" "$SHELL_TEST" "$SELF" "$kdeb" "$bdeb"; do
	[ "$stale" -eq 1 ] || [ "$IMG" -nt "$f" ] || stale=1
done
[ -e "$OUT/.compress-$COMPRESS" ] || stale=1
if [ "$stale" -eq 0 ]; then
	say "up to date: $OUT/vmlinuz ($kver), $IMG ($(mib "$IMG"))"
	exit 0
fi

# Module closure: a module's line in modules.dep lists every module it needs.
norm() { echo "$1" | tr - _; }
DEP=$PKG/lib/modules/$kver/modules.dep
declare -A want_path=()
for m in $MODULES; do
	m=$(norm "$m")
	line=$(awk -v m="$m" -F: '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n);
		gsub(/-/, "_", n); if (n == m) { print; exit } }' "$DEP")
	if [ -z "$line" ]; then
		if grep -Eq "/$m\.ko\$|/$(echo "$m" | tr _ -)\.ko\$" "$PKG/lib/modules/$kver/modules.builtin"; then
			say "module $m: built into the kernel"
			continue
		fi
		die "module $m: neither in modules.dep nor in modules.builtin of $kver"
	fi
	deps=${line#*:}
	for p in ${line%%:*} $deps; do want_path[$p]=1; done
	say "module $m${deps:+ (+$(for p in $deps; do n=${p##*/}; printf ' %s' "${n%.ko}"; done))}"
done

STAGE=$OUT/initramfs-root
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc/vessel/tests,proc,sys,dev,tmp,root,lib/modules/"$kver"}
install -m 0755 "$INIT" "$STAGE/init"
install -m 0755 "$BUSYBOX" "$STAGE/bin/busybox"
install -m 0755 "$SHELL_TEST" "$STAGE/etc/vessel/tests/shell.sh"
# Applet links, from the busybox we ship (a static x86-64 program: it runs here).
napplets=0
for a in $("$BUSYBOX" --list-full); do
	[ "$a" = bin/busybox ] && continue
	mkdir -p "$STAGE/$(dirname "$a")"
	ln -sf /bin/busybox "$STAGE/$a"
	napplets=$((napplets + 1))
done
for p in "${!want_path[@]}"; do
	mkdir -p "$STAGE/lib/modules/$kver/$(dirname "$p")"
	cp "$PKG/lib/modules/$kver/$p" "$STAGE/lib/modules/$kver/$p"
done
cp "$PKG/lib/modules/$kver/modules.builtin" "$PKG/lib/modules/$kver/modules.builtin.modinfo" \
	"$STAGE/lib/modules/$kver/"
# modules.order of the subset (load order for modules with the same alias).
for p in "${!want_path[@]}"; do echo "$p"; done | grep -Fxf - "$PKG/lib/modules/$kver/modules.order" \
	>"$STAGE/lib/modules/$kver/modules.order" || true
# depmod for the subset: modules.dep, modules.alias... for busybox modprobe.
# (The package's System.map is a stub, so depmod -F cannot check symbols:
# the modules test in the guest is that check.)
"$DEPMOD" -b "$STAGE" "$kver" 2>"$OUT/depmod.log" || die "depmod failed: $(cat "$OUT/depmod.log")"
if grep -q . "$OUT/depmod.log"; then
	die "depmod of the module subset: $(head -n 5 "$OUT/depmod.log")"
fi
# Same bytes on every machine: fixed times, sorted names, owner root.
find "$STAGE" -exec touch -h -d @0 {} +

# newc entry for a node GNU cpio can only copy from the filesystem (which
# would need root to mknod): NAME MODE(octal) RDEV_MAJOR RDEV_MINOR.
newc_entry() {
	local name=$1 mode=$((8#$2)) maj=$3 min=$4 nsz=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		$((0x7f000000 + ${#name})) "$mode" 0 0 1 0 0 0 0 "$maj" "$min" "$nsz" 0
	printf '%s\0' "$name"
	local pad=$(((4 - (110 + nsz) % 4) % 4))
	[ "$pad" -gt 0 ] && head -c "$pad" /dev/zero
	return 0
}

tmp=$IMG.tmp
{
	(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | sed 's|^\./||' |
		cpio -o -H newc -R 0:0 --reproducible --quiet)
	# /dev/console so the kernel gives PID 1 its console before devtmpfs is up.
	newc_entry dev/console 020600 5 1
	newc_entry TRAILER!!! 0 0 0
} >"$tmp.cpio"
nfiles=$(find "$STAGE" -mindepth 1 | wc -l)
if [ "$COMPRESS" = gzip ]; then
	gzip -n -9 <"$tmp.cpio" >"$tmp" && rm -f "$tmp.cpio"
else
	mv "$tmp.cpio" "$tmp"
fi
mv "$tmp" "$IMG"
rm -f "$OUT"/.compress-* && touch "$OUT/.compress-$COMPRESS"
say "$IMG: $(mib "$IMG"), $COMPRESS, $((nfiles + 1)) entries ($napplets busybox applets, ${#want_path[@]} modules for $kver)"
