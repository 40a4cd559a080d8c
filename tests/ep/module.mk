# The endpoints on the shared test bed (tests/netns/bed.sh): transfers in
# every mode, confidentiality, ESP conformance with tshark, tampering.
# ep-tools: the suite's helper (the tamper program on a bed link). ~2.5 min.
#   ep_tamper  flips bits in ESP frames on a test-bed link (TC ingress)
$(eval $(call BPF_OBJECT,ep_tamper,tests/ep))
FMT_SRCS += tests/ep/ep_tamper.bpf.c
$(eval $(call PROGRAM,ep-tools,tests/ep/ep-tools.c))
TEST_SUITES += ep-bed:tests/ep/ep-bed.sh
# Issue 18 items 1 and 5 on the bed: nonce reuse after csa replace / del+add
# with the same key, replay to a restarted worker (~30 s).
TEST_SUITES += ep-keys:tests/ep/ep-keys.sh
# Issue 19 on the bed: forged plaintext of a protected flow refused and
# counted, a transfer switched ML-ESP -> ESP -> every 10th -> ML-ESP, the
# entry's counters in mmlctl flow list through the phases (~40 s).
TEST_SUITES += ep-modes:tests/ep/ep-modes.sh
# Issue 19's DSCP classes on the bed: the HA's flows from mmlkeyd's config,
# a marked and an unmarked flow at once (every packet vs every 10th),
# marked plaintext forgeries refused, a SIGHUP removing the class (~25 s).
TEST_SUITES += ep-dscp:tests/ep/ep-dscp.sh
# Issue 20 (multi-core): the HA's and MH's workers with 2 threads on links
# with 2 queues (bench/multiqueue.sh's bed): each thread protects and opens
# ML-ESP, nothing waits for a socket (~20 s).
TEST_SUITES += ep-multiqueue:tests/ep/ep-multiqueue.sh
