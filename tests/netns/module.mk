# The namespace test bed (tests/netns/bed.sh, docs/testbed.md): its tools, the
# bit-error model's BPF test and the integration suites `make test` runs.

# build/mml-link: the bed's CLI for the link emulator (the commands of `mmlctl link`).
$(eval $(call PROGRAM,mml-link,tests/netns/mml-link.c,-lm))
# build/mml-delayline: the wan node's AF_XDP delay line (tests/netns/delayline/).
$(eval $(call PROGRAM,mml-delayline,tests/netns/delayline/delayline.c,-lm))
# build/mml-xfer: TCP file transfer with SHA-256 on both ends (tests, experiments, demo).
$(eval $(call PROGRAM,mml-xfer,tests/netns/xfer/xfer.c))

$(eval $(call TEST_PROGRAM,link_ber_test,tests/netns/link_ber_test.c,-lm))

# Runtimes on 2 cores: link-ber ~2 s, bed ~55 s, cleanup ~7 s.
TEST_SUITES += link-ber:'$(BUILD)/tests/link_ber_test'
TEST_SUITES += bed:'BUILD=$(BUILD) tests/netns/test-bed.sh'
TEST_SUITES += bed-cleanup:'BUILD=$(BUILD) tests/netns/test-cleanup.sh'
