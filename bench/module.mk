# Benchmarks: built with the product, run only on request (make bench-*).
$(eval $(call PROGRAM,bench-codec,bench/codec.c))

.PHONY: bench-codec
bench-codec: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench-codec
	$(Q)$(BUILD)/bench-codec

# bench-ep-cost: the endpoint worker's per-packet cost (HA encap, MH decap).
$(eval $(call PROGRAM,bench-ep-cost,bench/ep_cost.c worker/pkt.c worker/sacache.c \
	worker/tables.c worker/proto.c,-lpthread))

.PHONY: bench-ep-cost
bench-ep-cost: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench-ep-cost
	$(Q)$(BUILD)/bench-ep-cost
