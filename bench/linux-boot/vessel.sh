#!/bin/bash
# Boot-to-init seconds of the Linux guest images under vessel's soft engine,
# median of RUNS boots (default 3), plus the guest's own microbenchmarks.
# Usage: bench/linux-boot/vessel.sh [RUNS]   (LG_ENGINE=kvm|soft, default soft;
# LG_VESSEL_ARGS: extra `vessel run` options, e.g. --no-sandbox)
set -eu
cd "$(dirname "$0")/../.."
. bench/linux-boot/measure.sh
lg_need_images
[ -x build/vessel ] || { echo "build/vessel missing: run make" >&2; exit 1; }
engine=${LG_ENGINE:-soft}
lg_bench "vessel-$engine" "${1:-3}" timeout "${LG_TIMEOUT:-300}" \
	build/vessel run --engine "$engine" --mem 512M ${LG_VESSEL_ARGS:-} \
	--kernel "$LG_KERNEL" --initrd "$LG_INITRD" --cmdline "$LG_APPEND"
