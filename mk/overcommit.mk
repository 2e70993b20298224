# Overcommit (issue 6): admission control, --dedup with KSM, `vessel host`.
# `make bench-overcommit` prints KSM savings for identical guests, the scan
# cost (time to converge, ksmd CPU) and the guest overhead of --dedup.

.PHONY: bench-overcommit
bench-overcommit: $(BUILD)/vessel guest
	bench/overcommit/run.sh
