# Benchmarks: built with the product, run only on request, not part of make test.
#   make bench-codec  ML-ESP/ESP codec vs one raw OpenSSL AEAD pass (~1 min)
#   make bench-fa     FA XDP zone-1 path vs plain decap vs one OpenSSL seal (~30 s, root)
$(eval $(call PROGRAM,bench-codec,bench/codec.c))
$(eval $(call PROGRAM,fa-bench,bench/fa-bench.c tests/bpf/fa-netns.c tests/bpf/fa-packets.c))

.PHONY: bench-codec bench-fa
bench-codec: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench-codec
	$(Q)$(BUILD)/bench-codec

bench-fa: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/fa-bench
	$(Q)$(BUILD)/fa-bench

# Home agent registrations per second (mmlkeyd against a synthetic client).
$(eval $(call PROGRAM,bench-mip,bench/mip.c bench/mip_mobiles.c keyd/mip_wire.c keyd/mip_auth.c))

.PHONY: bench-mip
bench-mip: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench-mip $(BUILD)/mmlkeyd
	$(Q)bench/mip.sh $(BUILD)

# bench-ep-cost: the endpoint worker's per-packet cost (HA encap, MH decap).
$(eval $(call PROGRAM,bench-ep-cost,bench/ep_cost.c bench/ep_setup.c worker/pkt.c worker/sacache.c worker/keystate.c worker/keyfp.c \
	worker/tables.c worker/proto.c,-lpthread))

.PHONY: bench-ep-cost
bench-ep-cost: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench-ep-cost
	$(Q)$(BUILD)/bench-ep-cost

# bench-snoop-cost: SNOOP's per-packet cost in the FA's worker (the paper's
# snoop_ctrl) beside the frame ledger alone, in the same run (~5 s).
$(eval $(call PROGRAM,bench-snoop-cost,bench/snoop_cost.c bench/snoop_setup.c bench/clock.c worker/fa_frames.c))

.PHONY: bench-snoop-cost
bench-snoop-cost: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench-snoop-cost
	$(Q)$(BUILD)/bench-snoop-cost

# bench-functions: our counterpart of each function of the paper's Tables 6
# and 7 timed on its own (codec steps, worker lookups and checks, SNOOP's
# entry points; docs/results.md maps them), best of 5 rounds (~10 s).
$(eval $(call PROGRAM,bench-functions,bench/functions.c bench/ep_setup.c bench/snoop_setup.c bench/clock.c \
	worker/fa_frames.c worker/pkt.c worker/sacache.c worker/keystate.c worker/keyfp.c \
	worker/tables.c worker/proto.c,-lpthread))

.PHONY: bench-functions
bench-functions: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench-functions
	$(Q)$(BUILD)/bench-functions

# bench-functions-xsk: the worker's AF_XDP transmit (the paper's ip_send) on
# a veth pair in a namespace of its own (root, a few seconds; run it under
# flock /tmp/mml-netns.lock).
$(eval $(call PROGRAM,bench-xsk-send,bench/xsk_send.c bench/clock.c worker/xsk.c))

.PHONY: bench-functions-xsk
bench-functions-xsk: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench-xsk-send
	$(Q)bench/functions-xsk.sh $(BUILD)

# Handoff outage probe (constant-rate UDP stream) for bench/mip-handoff.sh.
$(eval $(call PROGRAM,mip-probe,bench/mip_probe.c))

# Handoff latency on the test bed (root, ~40 s): bench/mip-handoff.sh.
.PHONY: bench-mip-handoff
bench-mip-handoff: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)bench/mip-handoff.sh $(BUILD)

# bench-tunnel: CN <-> MH TCP throughput on the test bed, mmlipsec in each
# mode beside strongSwan-libipsec and kernel forwarding (root, ~5 min).
.PHONY: bench-tunnel
bench-tunnel: deps
	$(Q)$(MAKE) --no-print-directory build $(BUILD)/bench-ep-cost
	$(Q)bench/tunnel.sh

# Handoff cost per key-handoff scheme (PKD, DKM, redistribute) beside plain
# Mobile IP and ESP keyed by IKE, the paper's Tables 2 and 3 (root, about 4
# minutes): bench/handoff.sh, which says what each number is.
.PHONY: bench-handoff
bench-handoff: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)bench/handoff.sh $(BUILD)

# CSA rekeys: goodput with one a second against none, and the processing
# of MLIKE_CREATE_CHILD_SA (paper Table 2; root, about 3 minutes).
.PHONY: bench-rekey
bench-rekey: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)bench/rekey.sh $(BUILD)

# bench-scale (issue 20): SCALE_N mobiles (default 10000) registered at one
# HA through two FAs, the real mmlkeyd on each with the data plane attached;
# memory per binding and per CSA, bring-up time and rates, per-packet cost
# with N entries against 1, ML-IKE initialisations per second (root, about
# 2 minutes; run it under flock /tmp/mml-netns.lock): bench/scale.sh.
$(eval $(call PROGRAM,bench-scale-mip,bench/scale_mip.c bench/scale_churn.c bench/mip_mobiles.c keyd/mip_wire.c keyd/mip_auth.c))

.PHONY: bench-scale
bench-scale: deps
	$(Q)$(MAKE) --no-print-directory build $(BUILD)/bench-scale-mip $(BUILD)/bench-scale-cost \
		$(BUILD)/bench-scale-ike $(BUILD)/bench-scale-ike-mh
	$(Q)SCALE_N=$(SCALE_N) bench/scale.sh $(BUILD)
$(eval $(call PROGRAM,bench-scale-cost,bench/scale_cost.c tests/bpf/fa-netns.c tests/bpf/fa-packets.c \
	worker/pkt.c worker/sacache.c worker/keystate.c worker/keyfp.c worker/tables.c worker/proto.c,-lpthread))

# bench-multiqueue (issue 20, multi-core): ML-ESP throughput CN <-> MH with
# the HA's and MH's workers on 1 and on 2 queues in one run, on a bed of
# its own (veths with 2 queues; the test bed's delay line and air node are
# single-queue), per-queue and per-thread counts, CPU per packet and where
# the machine's CPU went (root, about 3 minutes; run it under
# flock /tmp/mml-netns.lock): bench/multiqueue.sh.
$(eval $(call PROGRAM,bench-wstats-rows,bench/wstats_rows.c))

.PHONY: bench-multiqueue
bench-multiqueue: deps
	$(Q)$(MAKE) --no-print-directory build $(BUILD)/bench-wstats-rows
	$(Q)DUR=$(DUR) FLOWS=$(FLOWS) ROUNDS=$(ROUNDS) REPLAY_WINDOW=$(REPLAY_WINDOW) bench/multiqueue.sh $(BUILD)
