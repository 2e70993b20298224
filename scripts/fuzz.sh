#!/bin/bash
# Long fuzzing: scripts/fuzz.sh SECONDS FUZZER... ; corpora grow under build/fuzz-corpus/.
set -eu
secs=$1; shift
for f in "$@"; do
	name=$(basename "$f")
	corpus=build/fuzz-corpus/${name#fuzz_}
	mkdir -p "$corpus" build/fuzz-crashes
	seed=tests/fuzz/corpus/${name#fuzz_}
	[ -d "$seed" ] && cp -rn "$seed"/. "$corpus"/
	echo "fuzz: $name for ${secs}s (corpus $corpus)"
	"$f" -max_total_time="$secs" -artifact_prefix=build/fuzz-crashes/ "$corpus"
done
