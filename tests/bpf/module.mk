# BPF_PROG_TEST_RUN fixtures of the XDP programs (need root; a private netns).
$(eval $(call TEST_PROGRAM,ep_xdp,tests/bpf/ep-xdp.c tests/unit/fixtures.c worker/pkt.c worker/netlink.c,-lmnl))
TEST_SUITES += bpf-ep:$(BUILD)/tests/ep_xdp
