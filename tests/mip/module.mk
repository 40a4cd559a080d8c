# Mobile IPv4 (mmlkeyd) on the shared test bed: registration, handoff during
# a transfer, tshark decode, bad input, HA restart (~45 s, root).
TEST_SUITES += mip-bed:tests/mip/mip-bed.sh
