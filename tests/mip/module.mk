# Mobile IPv4 (mmlkeyd, keyd/mip_*.c): every test of it, from the codec to
# the test bed. KEYD_WIRE, KEYD_CORE and KEYD_LIBS come from keyd/module.mk
# (read before this fragment).

# Unit tests (cmocka, ASan+UBSan): the codec and authenticator, the home and
# foreign agents' registration processing.
$(eval $(call TEST_PROGRAM,test_mip_wire,tests/mip/test_mip_wire.c $(KEYD_WIRE)))
TEST_SUITES += unit-mip-wire:$(BUILD)/tests/test_mip_wire
$(eval $(call TEST_PROGRAM,test_mip_ha,tests/mip/test_mip_ha.c $(KEYD_CORE),$(KEYD_LIBS)))
TEST_SUITES += unit-mip-ha:$(BUILD)/tests/test_mip_ha
$(eval $(call TEST_PROGRAM,test_mip_fa,tests/mip/test_mip_fa.c $(KEYD_CORE),$(KEYD_LIBS)))
TEST_SUITES += unit-mip-fa:$(BUILD)/tests/test_mip_fa
# The mobile node's role (keyd/mip_mh.c compiled in, sends and routes
# recorded): movement, reply validation, clock resync (cmocka, ASan+UBSan).
$(eval $(call TEST_PROGRAM,test_mip_mh,tests/mip/test_mip_mh.c $(KEYD_CORE) keyd/nl.c,$(KEYD_LIBS)))
TEST_SUITES += unit-mip-mh:$(BUILD)/tests/test_mip_mh

# libFuzzer harnesses of the codec and of each role: tests/fuzz/module.mk.

# mmlkeyd's configuration refusals and control socket, a home agent on
# loopback in a throwaway namespace (~2 s, root; no test bed needed).
TEST_SUITES += keyd-config:tests/mip/keyd-config.sh
# mmlkeyd's process hygiene: one daemon per node, capabilities dropped,
# memory locked, no inline key left in memory (~3 s, root, docs/security.md).
TEST_SUITES += keyd-hygiene:tests/mip/keyd-hygiene.sh
# Mobile IPv4 on the shared test bed: registration, handoff during a
# transfer, tshark decode, bad input, HA restart (~45 s, root).
TEST_SUITES += mip-bed:tests/mip/mip-bed.sh
# The forged registration reply of issue 18 (item 2) on the bed: FA1 with
# Foreign-Home keys refuses and counts a reply from a forger and one spoofing
# the HA, mml_visitor unchanged, the genuine reply taken (~15 s, root).
TEST_SUITES += forged-reply-bed:tests/mip/forged-reply-bed.sh
# Forged tunnel frames of issue 18 (item 9) on the bed, plaintext mode: from
# hosts beside the HA, FA1 and the MH (their own MACs), with the HA's, FA1's
# and the MH's addresses; none reaches the MH, the CN or a stack, each is
# counted where refused, transfers each way arrive intact (~25 s, root).
TEST_SUITES += tunnel-src-bed:tests/mip/tunnel-src-bed.sh
# Map sizing (issue 20): sizes reach the pins, a full mml_binding denies a
# new binding with 130 and counts map_full, a full mml_csa is E2BIG
# (cmocka, root; tiny maps in a node directory of its own).
$(eval $(call TEST_PROGRAM,test_map_full,tests/mip/test_map_full.c $(KEYD_CORE),$(KEYD_LIBS)))
TEST_SUITES += unit-map-full:$(BUILD)/tests/test_map_full

# mmlkeyd's SIGHUP reload (keyd/reload.c): reloadable differences applied,
# any other (and a changed inline key) refused, all modules or none.
$(eval $(call TEST_PROGRAM,test_reload,tests/mip/test_reload.c keyd/reload.c,-lconfig))
TEST_SUITES += unit-keyd-reload:$(BUILD)/tests/test_reload

# mmlkeyd's "flows" (keyd/flows.c, issue 19): parsing, malformed elements
# refused with the line, a reload writing only what changed (cmocka).
$(eval $(call TEST_PROGRAM,test_keyd_flows,tests/mip/test_keyd_flows.c keyd/flows.c keyd/cfg.c keyd/loop.c,-lconfig))
TEST_SUITES += unit-keyd-flows:$(BUILD)/tests/test_keyd_flows
