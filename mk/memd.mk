# vessel memd, the balloon policy daemon (docs/memd.md; src/memd/, src/cli/memd.c).
# `make bench-balloon` times balloon reclaim: 1 GiB inflated and deflated on
# kvm with the test guest and on soft with Linux (when build/linux exists).
.PHONY: bench-balloon
bench-balloon: $(BUILD)/vessel guest
	bench/balloon/run.sh
