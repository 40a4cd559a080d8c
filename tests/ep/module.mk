# The endpoints on the shared test bed (tests/netns/bed.sh): transfers in
# every mode, confidentiality, ESP conformance with tshark, tampering.
# ep-tools: the suite's helper (the tamper program on a bed link). ~2.5 min.
$(eval $(call PROGRAM,ep-tools,tests/ep/ep-tools.c))
TEST_SUITES += ep-bed:tests/ep/ep-bed.sh
