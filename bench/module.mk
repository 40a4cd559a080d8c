# Benchmarks: not part of `make test`.
#   make bench-fa   FA XDP zone-1 path vs plain decap vs one OpenSSL seal (~30 s, root)
$(eval $(call PROGRAM,fa-bench,bench/fa-bench.c tests/bpf/fa-packets.c))

.PHONY: bench-fa
bench-fa: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/fa-bench
	$(Q)$(BUILD)/fa-bench
