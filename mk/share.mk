# Page sharing on the soft engine (--dedup; src/mem/share/, docs/page-sharing.md).
# `make bench-share` prints the scan cost, the savings for 2 and 4 identical
# Linux guests and the guest slowdown with dedup on vs off (bench/share/run.sh).

$(BUILD)/bench/share-scancost: bench/share/scancost.c $(BUILD)/libvessel.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  BENCH   $@")
	$(Q)$(CC) $(CPPFLAGS_VESSEL) $(CFLAGS_VESSEL) $(CFLAGS) -o $@ $< $(BUILD)/libvessel.a $(LIBS)

.PHONY: bench-share
bench-share: $(BUILD)/vessel $(BUILD)/bench/share-scancost $(GUEST_ELF)
	bench/share/run.sh
