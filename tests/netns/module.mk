# The namespace test bed (docs/testbed.md): tools, the bed's BPF loader test
# and the integration suites that `make test` runs.
$(eval $(call TEST_PROGRAM,link_ber_test,tests/netns/link_ber_test.c,-lm))
TEST_SUITES += link-ber:'$(BUILD)/tests/link_ber_test'
