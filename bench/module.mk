# Benchmarks: built with the product, run only on request (make bench-*).
$(eval $(call PROGRAM,bench-codec,bench/codec.c))

.PHONY: bench-codec
bench-codec: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench-codec
	$(Q)$(BUILD)/bench-codec
