# Mobile IPv4 (mmlkeyd) on the shared test bed: registration, handoff during
# a transfer, tshark decode, bad input, HA restart (~45 s, root).
TEST_SUITES += mip-bed:tests/mip/mip-bed.sh
# mmlkeyd's configuration refusals and control socket, a home agent on
# loopback in a throwaway namespace (~2 s, root; no test bed needed).
TEST_SUITES += keyd-config:tests/mip/keyd-config.sh
