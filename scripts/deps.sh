#!/bin/sh
# Install the Debian packages vessel needs to build and test, if any are missing.
# Safe to run again: it only calls apt-get when something is absent.
set -eu
PKGS="build-essential clang libzydis-dev libcmocka-dev libseccomp-dev busybox-static cpio kmod qemu-system-x86 qemu-user qemu-utils e2fsprogs curl iproute2 util-linux perl
      libclang-rt-14-dev gnuplot-nox"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
