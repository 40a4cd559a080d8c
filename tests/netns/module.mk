# The namespace test bed (docs/testbed.md): tools, the bed's BPF loader test
# and the integration suites that `make test` runs.
$(eval $(call TEST_PROGRAM,link_ber_test,tests/netns/link_ber_test.c,-lm))
TEST_SUITES += link-ber:'$(BUILD)/tests/link_ber_test'

# build/mml-link: the bed's CLI for the link emulator (the commands of `mmlctl link`).
$(eval $(call PROGRAM,mml-link,tests/netns/mml-link.c,-lm))

# build/mml-delayline: the wan node's AF_XDP delay line (tests/netns/delayline/).
$(eval $(call PROGRAM,mml-delayline,tests/netns/delayline/delayline.c,-lm))

# build/mml-xfer: TCP file transfer with SHA-256 on both ends (tests, experiments, demo).
$(eval $(call PROGRAM,mml-xfer,tests/netns/xfer/xfer.c))
