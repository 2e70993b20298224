# vessel bench engines (docs/engines.md): the BT-vs-VT microbenchmarks on
# soft, soft+pv, kvm and kvm+pv; prints the table and writes docs/engines.csv,
# docs/engines.gp and docs/engines.svg (gnuplot-nox). BENCH_ENGINES_ARGS adds
# options, e.g. make bench-engines BENCH_ENGINES_ARGS="--engines soft,soft+pv".
BENCH_ENGINES_ARGS ?=
.PHONY: bench-engines
bench-engines: $(BUILD)/vessel $(GUEST_ELF)
	$(BUILD)/vessel bench engines --kernel $(GUEST_ELF) --out docs $(BENCH_ENGINES_ARGS)
