# Mobile IPv4 (mmlkeyd) on the shared test bed: registration, handoff during
# a transfer, tshark decode, bad input, HA restart (~45 s, root).
TEST_SUITES += mip-bed:tests/mip/mip-bed.sh
# mmlkeyd's configuration refusals and control socket, a home agent on
# loopback in a throwaway namespace (~2 s, root; no test bed needed).
TEST_SUITES += keyd-config:tests/mip/keyd-config.sh
# The mobile node's role (keyd/mip_mh.c compiled in, sends and routes
# recorded): movement, reply validation, clock resync (cmocka, ASan+UBSan).
$(eval $(call TEST_PROGRAM,test_mip_mh,tests/mip/test_mip_mh.c $(KEYD_CORE) keyd/nl.c,$(KEYD_LIBS)))
TEST_SUITES += unit-mip-mh:$(BUILD)/tests/test_mip_mh
