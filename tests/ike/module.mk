# The MH walking through four cells (tests/ike/handoff-walk.sh): the whole
# product (Mobile IPv4 + ML-IKE + ML-ESP) on a bed of four FAs in a line, a
# 20 MB CN -> MH transfer through five handoffs (~45 s, root; run it under
# /tmp/mml-netns.lock like every bed suite). HANDOFF=pkd|dkm picks the
# handoff scheme, WALK_BER the cells' bit-error rate.
TEST_SUITES += handoff-walk:'BUILD=$(BUILD) tests/ike/handoff-walk.sh'
# The same walk with each of the paper's schemes: PKD (the keys wait,
# inactive, at the neighbours) and DKM (each new FA pulls them from the
# previous one).
TEST_SUITES += handoff-walk-pkd:'BUILD=$(BUILD) HANDOFF=pkd tests/ike/handoff-walk.sh'
TEST_SUITES += handoff-walk-dkm:'BUILD=$(BUILD) HANDOFF=dkm tests/ike/handoff-walk.sh'
# And each scheme on lossy cells (BER 1/256K both ways).
TEST_SUITES += handoff-walk-ber:'BUILD=$(BUILD) WALK_BER=1/256K tests/ike/handoff-walk.sh'
TEST_SUITES += handoff-walk-pkd-ber:'BUILD=$(BUILD) HANDOFF=pkd WALK_BER=1/256K tests/ike/handoff-walk.sh'
TEST_SUITES += handoff-walk-dkm-ber:'BUILD=$(BUILD) HANDOFF=dkm WALK_BER=1/256K tests/ike/handoff-walk.sh'

# Issue 20's soak: SOAK_MIN minutes (10) of 64 connections, handoffs every
# 10 s, CSA rekeys, SNOOP on lossy cells, SOAK_SYNTH (300) synthetic mobiles
# registering and deregistering (bench-scale-mip -C); RSS, map counts,
# drops (root).
SOAK_MIN ?= 10
.PHONY: soak
soak: deps
	$(Q)$(MAKE) --no-print-directory build $(BUILD)/bench-scale-mip
	$(Q)SOAK_MIN=$(SOAK_MIN) BUILD=$(BUILD) tests/ike/soak.sh
