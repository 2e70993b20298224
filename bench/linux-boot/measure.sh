# shellcheck shell=bash
# Sourced by the bench/linux-boot scripts: boot the Linux guest images once
# under a VMM command and time it from the host's side.
# Needs bash 5 ($EPOCHREALTIME). Images: build/linux (make linux-guest).

LG_OUT=${LG_OUT:-build/linux}
LG_KERNEL=$LG_OUT/vmlinuz
LG_INITRD=$LG_OUT/initramfs.img
# shellcheck disable=SC2034 # used by the scripts that source this
LG_APPEND="console=ttyS0 vessel.test=bench"

lg_need_images() {
	if [ ! -f "$LG_KERNEL" ] || [ ! -f "$LG_INITRD" ]; then
		echo "no $LG_KERNEL or $LG_INITRD: run make linux-guest" >&2
		exit 1
	fi
}

# lg_boot LOG CMD...: run CMD (a VMM booting the images with LG_APPEND),
# copy its output to LOG and print one line:
#   INIT_S EXIT_S STATUS GETPPID FORK EXEC
# INIT_S: seconds from start to the "vessel-guest: init ok" line, EXIT_S: to
# "vessel-guest: exit N" (each "-" when not seen), STATUS: the command's exit
# status, then the guest's bench figures (calls/s, forks/s, execs/s, or "-").
lg_boot() {
	local log=$1
	shift
	local start=$EPOCHREALTIME
	{
		"$@" </dev/null 2>&1
		printf '\n__status=%d\n' "$?"
	} | {
		local init=- exit=- status=- getppid=- fork=- exec=- line now
		while IFS= read -r line; do
			now=$EPOCHREALTIME
			line=${line%$'\r'}
			printf '%s\n' "$line" >>"$log"
			case "$line" in
			*"vessel-guest: init ok"*) init=$now ;;
			*"vessel-guest: exit "*) exit=$now ;;
			*"vessel-guest: bench getppid "*) read -r _ _ _ getppid _ <<<"$line" ;;
			*"vessel-guest: bench fork "*) read -r _ _ _ fork _ <<<"$line" ;;
			*"vessel-guest: bench exec "*) read -r _ _ _ exec _ <<<"$line" ;;
			__status=*) status=${line#__status=} ;;
			esac
		done
		awk -v s="$start" -v i="$init" -v e="$exit" 'BEGIN {
			printf "%s %s ", (i == "-" ? "-" : sprintf("%.2f", i - s)),
				(e == "-" ? "-" : sprintf("%.2f", e - s)) }'
		echo "$status $getppid $fork $exec"
	}
}

# lg_median VALUES...: the median of the numeric values ("-" ignored).
lg_median() {
	printf '%s\n' "$@" | grep -v '^-$' | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# lg_bench NAME RUNS CMD...: RUNS boots, a line per run and a summary line:
#   NAME boot-to-init median S s (runs: ...); exit median; in-guest figures.
lg_bench() {
	local name=$1 runs=$2
	shift 2
	local inits=() exits=() gp=() fk=() ex=() r out
	local logdir=${LG_LOGDIR:-build/bench-logs}
	mkdir -p "$logdir"
	for ((r = 1; r <= runs; r++)); do
		: >"$logdir/linux-boot-$name-$r.log"
		out=$(lg_boot "$logdir/linux-boot-$name-$r.log" "$@")
		read -r i e st g f x <<<"$out"
		echo "$name run $r: init ${i} s, exit ${e} s, status $st," \
			"getppid $g calls/s, fork $f forks/s, exec $x execs/s" \
			"(log $logdir/linux-boot-$name-$r.log)"
		inits+=("$i") exits+=("$e") gp+=("$g") fk+=("$f") ex+=("$x")
	done
	echo "$name: boot-to-init median $(lg_median "${inits[@]}") s (runs: ${inits[*]})," \
		"to exit median $(lg_median "${exits[@]}") s;" \
		"in guest: getppid $(lg_median "${gp[@]}") calls/s," \
		"fork+exit+wait $(lg_median "${fk[@]}") forks/s," \
		"fork+exec+wait $(lg_median "${ex[@]}") execs/s"
}
