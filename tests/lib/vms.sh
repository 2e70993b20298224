# Shell helpers for scripts that run detached VMs in their own runtime
# directory ($VESSEL_RUNTIME_DIR): tests/check.d/*.sh and bench/*/run.sh
# source this file. Needs $VESSEL (the vessel binary).

# vms_kill_all: SIGKILL every VM process of $VESSEL_RUNTIME_DIR (clean-up
# after a failed step; the pids come from the VMs' NAME.json entries).
vms_kill_all() {
	local j pid
	for j in "$VESSEL_RUNTIME_DIR"/*.json; do
		[ -f "$j" ] || continue
		pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$j")
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
}

# vm_stat_field NAME KEY: one value of `vessel stat NAME --json` (empty when
# the VM or the key is missing, or the value is null).
vm_stat_field() {
	"$VESSEL" stat "$1" --json 2>/dev/null | python3 -c '
import json, sys
try:
    v = json.load(sys.stdin).get(sys.argv[1])
except ValueError:
    v = None
print("" if v is None else v)' "$2"
}

# vm_wait_log NAME TEXT SECONDS: until NAME's console log holds TEXT.
vm_wait_log() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qF -- "$2" "$VESSEL_RUNTIME_DIR/$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
