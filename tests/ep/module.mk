# The endpoints on the shared test bed (tests/netns/bed.sh): transfers in
# every mode, confidentiality, ESP conformance with tshark, tampering.
# ep-tools: the suite's helpers (tamper program, FA attachment).
$(eval $(call PROGRAM,ep-tools,tests/ep/ep-tools.c))
# The FA's loader arrives with the fa branch; until then fa-attach says so.
$(BUILD)/obj/tests/ep/ep-tools.o: CPPFLAGS += $(if $(wildcard lib/fa_loader.c),-DHAVE_FA_LOADER)
TEST_SUITES += ep-bed:tests/ep/ep-bed.sh
