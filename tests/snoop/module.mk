# SNOOP at the FA on the shared test bed (tests/snoop/snoop-bed.sh): BER 1/64K,
# quick profile (100 ms WAN delay each way, paper TCP), plaintext and ML-ESP,
# with and without SNOOP; opaque ESP untouched. ~3 min, root.
TEST_SUITES += snoop-bed:'BUILD=$(BUILD) tests/snoop/snoop-bed.sh'
# The FA worker's frame ledger and DSCP mark (cmocka, < 1 s).
$(eval $(call TEST_PROGRAM,test_fa_frames,tests/unit/test_fa_frames.c worker/fa_frames.c))
TEST_SUITES += unit-fa-frames:$(BUILD)/tests/test_fa_frames
