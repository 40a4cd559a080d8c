# The IKEv2/ML-IKE engine (docs/protocol.md). IKE_SRCS is the engine as a
# module: mmlkeyd links it, mmlike (keyd/mmlike/) runs it alone (interop,
# measurements).
IKE_CODEC_SRCS := keyd/ike/ike_wire.c keyd/ike/ike_crypto.c keyd/ike/dkm_wire.c
# Layers, each calling only the ones below it: the codec; the SA layer (SA
# table, CHILD_SAs, sockets and sending) with the proposals; the exchange
# handlers (ike_xchg.h); the dispatcher, ike_engine.c.
IKE_SA_SRCS := keyd/ike/ike_io.c keyd/ike/ike_sa.c keyd/ike/ike_sa_child.c keyd/ike/ike_proposal.c \
               keyd/ike/ike_cookie.c
IKE_XCHG_SRCS := keyd/ike/ike_init.c keyd/ike/ike_child.c keyd/ike/ike_create.c \
                 keyd/ike/ike_rekey.c keyd/ike/ike_info.c keyd/ike/mlike.c keyd/ike/mlike_rekey.c \
                 keyd/ike/dkm.c \
                 keyd/ike/neighbor.c
IKE_SRCS := $(IKE_CODEC_SRCS) $(IKE_SA_SRCS) $(IKE_XCHG_SRCS) keyd/ike/ike_engine.c
IKE_CONF_SRCS := keyd/ike/ike_conf.c keyd/ike/csa_map.c keyd/ike/dkm_cache.c
# mmlkeyd's ike module around the engine: orchestration, installs, handoffs.
IKE_MOD_SRCS := keyd/ike/keyd_ike.c keyd/ike/mobiles.c keyd/ike/idx.c keyd/ike/mh_tmpl.c keyd/ike/ike_orch.c keyd/ike/csa_life.c keyd/ike/reconcile.c keyd/ike/ike_install.c keyd/ike/installed.c \
                keyd/ike/ike_dkm.c keyd/ike/ike_esp.c keyd/ike/pkd.c keyd/ike/holders.c keyd/ike/z1_ready.c \
                keyd/ike/flowneg.c keyd/ike/flow_ctl.c keyd/ike/linkauto.c keyd/ike/link_ctl.c

FMT_SRCS += $(wildcard keyd/ike/*.h)

# strongSwan interop both ways, each side rekeying the CHILD_SA and the IKE
# SA (about 4 s each): AES-GCM, and ChaCha20-Poly1305 with PFS (X25519)
# CHILD_SA rekeys.
TEST_SUITES += ike-interop:'BUILD=$(BUILD) tests/ike/interop.sh'
TEST_SUITES += ike-interop-chacha-pfs:'BUILD=$(BUILD) IKE_ALG=chacha20poly1305 ESP_ALG=chacha20poly1305 ESP_PROPOSALS=chacha20poly1305-x25519 tests/ike/interop.sh'

# Unit tests (cmocka, ASan + UBSan).
$(eval $(call TEST_PROGRAM,test_ike_crypto,tests/ike/test_ike_crypto.c $(IKE_SRCS)))
TEST_SUITES += unit-ike-crypto:$(BUILD)/tests/test_ike_crypto
$(eval $(call TEST_PROGRAM,test_ike_wire,tests/ike/test_ike_wire.c $(IKE_CODEC_SRCS)))
TEST_SUITES += unit-ike-wire:$(BUILD)/tests/test_ike_wire
# Flow modes by agreement (issue 19): both ends' writes, policy, settle,
# expiry, refusals (keyd/ike/flowneg.c).
$(eval $(call TEST_PROGRAM,test_flowneg,tests/ike/test_flowneg.c keyd/ike/flowneg.c))
TEST_SUITES += unit-ike-flowneg:$(BUILD)/tests/test_flowneg
# The auto policy's decisions (issue 19): the FA's hysteresis, the HA's
# refusal of a non-serving FA, an auto flow's switches and probes.
$(eval $(call TEST_PROGRAM,test_linkauto,tests/ike/test_linkauto.c keyd/ike/linkauto.c))
TEST_SUITES += unit-ike-linkauto:$(BUILD)/tests/test_linkauto
$(eval $(call TEST_PROGRAM,test_holders,tests/ike/test_holders.c keyd/ike/holders.c))
TEST_SUITES += unit-ike-holders:$(BUILD)/tests/test_holders
# The module's handoff glue (ike_orch.c, ike_dkm.c, pkd.c, installed.c)
# with the engine and maps recorded: the HA's refusals of DKM install
# reports and neighbour lists, the new FA removing the CSAs of a refused
# report, the handoff races the simulator found (docs/results.md), and the
# owner each install and removal names (issue 18 item 3).
$(eval $(call TEST_PROGRAM,test_ike_mod,tests/ike/test_ike_mod.c keyd/ike/ike_dkm.c \
                                      keyd/ike/pkd.c keyd/ike/dkm_cache.c keyd/ike/holders.c \
                                      keyd/ike/ike_orch.c keyd/ike/csa_life.c keyd/ike/installed.c \
                                      keyd/ike/z1_ready.c keyd/ike/reconcile.c \
                                      keyd/ike/mobiles.c keyd/ike/idx.c keyd/ike/mh_tmpl.c))
TEST_SUITES += unit-ike-mod:$(BUILD)/tests/test_ike_mod
# Engines over loopback UDP: initialisation, CHILD_SAs, CREATE_CHILD_SA in
# both roles and every rejection path (about 6 s).
$(eval $(call TEST_PROGRAM,test_ike_engine,tests/ike/test_ike_engine.c $(IKE_SRCS) keyd/ike/csa_map.c \
                                      keyd/ike/dkm_cache.c))
TEST_SUITES += unit-ike-engine:$(BUILD)/tests/test_ike_engine
# Issue 18 item 8 (docs/security.md): forged IKE_SA_INIT answers, cookie
# secret rotation, forged retransmissions, on an in-memory wire and a set
# clock (well under a second).
$(eval $(call TEST_PROGRAM,test_ike_robust,tests/ike/test_ike_robust.c $(IKE_SRCS)))
TEST_SUITES += unit-ike-robust:$(BUILD)/tests/test_ike_robust
# Mobile hosts by template: the derived PSK (a known answer), the prefix
# match, and a mobile host that claims another's identity refused.
$(eval $(call TEST_PROGRAM,test_mh_tmpl,tests/ike/test_mh_tmpl.c $(IKE_SRCS) keyd/ike/mh_tmpl.c))
TEST_SUITES += unit-ike-tmpl:$(BUILD)/tests/test_mh_tmpl

# libFuzzer + ASan/UBSan harnesses (clang): the codec, and the engine behind
# the integrity check. Their suites and corpora (the seeds in
# tests/ike/seeds/): tests/fuzz/module.mk, tests/fuzz/fuzz.sh (ike-wire,
# ike-engine); `make fuzz-ike FUZZ_TIME=600` runs these two longer, `make
# fuzz` every harness. tests/ike/gen_dkm_seeds.py writes the seeds of
# exchanges 242 and 243.
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -I. -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter
FUZZ_LIB_SRCS := lib/aead.c lib/log.c
FUZZ_TIME ?= 10

$(BUILD)/fuzz/fuzz_ike_wire: tests/ike/fuzz_wire.c $(IKE_CODEC_SRCS) $(FUZZ_LIB_SRCS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $^ -o $@ -lcrypto -lnettle -lbpf

$(BUILD)/fuzz/fuzz_ike_engine: tests/ike/fuzz_engine.c $(IKE_SRCS) $(FUZZ_LIB_SRCS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $^ -o $@ -lcrypto -lnettle -lbpf

TEST_TARGETS += $(BUILD)/fuzz/fuzz_ike_wire $(BUILD)/fuzz/fuzz_ike_engine
FUZZ_BINS += $(BUILD)/fuzz/fuzz_ike_wire $(BUILD)/fuzz/fuzz_ike_engine
FMT_SRCS += tests/ike/fuzz_wire.c tests/ike/fuzz_engine.c

.PHONY: fuzz-ike
fuzz-ike: $(BUILD)/fuzz/fuzz_ike_wire $(BUILD)/fuzz/fuzz_ike_engine
	$(Q)BUILD=$(BUILD) tests/fuzz/fuzz.sh ike-wire $(FUZZ_TIME)
	$(Q)BUILD=$(BUILD) tests/fuzz/fuzz.sh ike-engine $(FUZZ_TIME)

# ML-IKE initialisation HA/MH/FA in namespaces with pinned maps (about 4 s).
TEST_SUITES += ike-mlike:'BUILD=$(BUILD) tests/ike/mlike.sh'

# Paper Table 2/3 (initialisation row): medians of 20 runs, no emulated delay.
.PHONY: bench-mlike
bench-mlike: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/mmlike
	$(Q)BUILD=$(BUILD) RUNS=20 RESULTS=$(BUILD)/mlike-timing.json tests/ike/mlike.sh

# ML-IKE inside mmlkeyd driven by Mobile IP registration, and a second HA
# refused the first one's CSAs at the FA (issue 18 item 3; about 8 s).
TEST_SUITES += ike-keyd:'BUILD=$(BUILD) RUNS=2 tests/ike/keyd-init.sh'

# ML-IKE on the namespace test bed with the whole data plane: registration
# through FA1 sets up the CSAs, 10 MB CN -> MH in ML-ESP mode, FA1 without
# zone-2 keys, handoff to FA2, deregistration removes them (about 10 s).
TEST_SUITES += ike-bed:'BUILD=$(BUILD) tests/ike/bed-init.sh'

# DKM on the bed: a handoff FA1 -> FA2 during a transfer moves zone 1 by
# DKM_CSA_REQUEST; with FA2's daemon stopped, the way back falls back to
# KEY_DISTRIBUTE within the HA's bound (about 20 s).
TEST_SUITES += ike-dkm:'BUILD=$(BUILD) tests/ike/dkm-bed.sh'

# ESP mode keyed by IKE on the bed: the MH <-> HA CHILD_SA as an ESP CSA pair
# at both ends, 8 MB each way in ESP mode through CHILD_SA rekeys, FA1
# forwarding it opaque, with each AEAD (about 30 s each).
TEST_SUITES += ike-esp:'BUILD=$(BUILD) tests/ike/esp-bed.sh'
TEST_SUITES += ike-esp-chacha:'BUILD=$(BUILD) ESP_ALG=chacha20poly1305 SUITE_TAG=-chacha tests/ike/esp-bed.sh'

# PKD on the bed (handoff = "pkd"): NEIGHBOR_NOTIFY, FA2 holds the CSAs
# inactive (drops and counts the MH's ML-ESP), activates them on relaying the
# registration reply at a handoff during a transfer (about 15 s).
TEST_SUITES += ike-pkd:'BUILD=$(BUILD) tests/ike/bed-pkd.sh'
# CSA rekeys every second under a transfer, make before break (about 25 s).
TEST_SUITES += ike-rekey:'BUILD=$(BUILD) tests/ike/rekey-bed.sh'
# Rekeys after a DKM handoff and over the PKD threshold, four FAs (about 50 s).
TEST_SUITES += ike-rekey-handoff:'BUILD=$(BUILD) tests/ike/rekey-handoff-bed.sh'
# Keys gone when nobody grants them: FA and MH restarts, binding expiry (about 40 s).
TEST_SUITES += ike-revoke:'BUILD=$(BUILD) tests/ike/revoke-bed.sh'
# A flow's mode agreed between MH and HA over ML-IKE during a transfer:
# ML-ESP -> ESP -> every 10th -> ML-ESP, a refusal below the policy, forged
# plaintext dropped, a timed change expiring (issue 19; about 45 s).
TEST_SUITES += ike-flowneg:'BUILD=$(BUILD) tests/ike/flowneg-bed.sh'
# The auto policy: FA1's link clean -> lossy -> clean under a transfer, the
# flow ESP -> ML-ESP -> ESP by its reports (issue 19; about 60 s).
TEST_SUITES += ike-flowauto:'BUILD=$(BUILD) tests/ike/flowauto-bed.sh'
# Does it pay: static ML-ESP, static ESP and auto on a cell alternating clean
# and lossy, goodput and endpoint CPU (docs/results.md; about 4 min, takes
# /tmp/mml-netns.lock itself).
.PHONY: bench-flowauto
bench-flowauto: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)flock /tmp/mml-netns.lock env BUILD=$(BUILD) tests/ike/flowauto-bench.sh
# Every endpoint process killed mid-transfer and restarted (issue 20; about 60 s).
TEST_SUITES += faults:'BUILD=$(BUILD) tests/ike/faults-bed.sh'

# Paper Tables 2/3 on the bed: medians of 20 initialisations (about 100 s).
.PHONY: bench-ike-bed
bench-ike-bed: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)BUILD=$(BUILD) RUNS=20 RESULTS=$(BUILD)/ike-bed-timing.json tests/ike/bed-init.sh
# bench-scale-ike (bench/scale.sh, make bench-scale): the engine's ML-IKE
# initialisations for N mobiles in one process; here because it links
# IKE_SRCS, which bench/module.mk (read first) cannot see yet.
$(eval $(call PROGRAM,bench-scale-ike,bench/scale_ike.c $(IKE_SRCS)))
# bench-scale-ike-mh: N synthetic mobile hosts answering the real HA's
# ML-IKE (mmlkeyd, template peers) from the mobiles' namespace.
$(eval $(call PROGRAM,bench-scale-ike-mh,bench/scale_ike_mh.c $(IKE_SRCS) keyd/ike/mh_tmpl.c))
