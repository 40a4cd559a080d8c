# BPF_PROG_TEST_RUN suites: the programs loaded into the running kernel
# through their skeletons (needs root; exit 77 otherwise).
#   fa_test     test entry points over the FA's own headers (bpf/fa.h, never
#               attached): crypto known answers (bpf-crypto) and the restoring
#               bench wrappers (bench/fa-bench.c)
$(eval $(call BPF_OBJECT,fa_test,tests/bpf))
FMT_SRCS += tests/bpf/fa_test.bpf.c tests/bpf/fa_test.h
#   bpf-crypto  BPF ChaCha20/Poly1305/AEAD vs RFC 8439 and OpenSSL (~1 s)
#   bpf-fa      FA fixtures: codec-built packets, verdicts, output frames,
#               counters, then MML_BPF_RANDOM (default 1000) random and
#               mutated frames whose verdicts and counters are checked (~s)
$(eval $(call TEST_PROGRAM,fa-crypto,tests/bpf/fa-crypto.c tests/bpf/xdp-run.c))
TEST_SUITES += bpf-crypto:$(BUILD)/tests/fa-crypto
$(eval $(call TEST_PROGRAM,fa-xdp,tests/bpf/fa-xdp.c tests/bpf/fa-netns.c tests/bpf/fa-packets.c \
	tests/bpf/xdp-run.c tests/bpf/xdp-random.c tests/bpf/fa-account.c))
TEST_SUITES += bpf-fa:'$(BUILD)/tests/fa-xdp $(VECTORS_FILE)'
#   bpf-ep      endpoint (HA, MH) fixtures: real FIB and AF_XDP socket, and
#               the random-packet mode as bpf-fa's (~2 s)
$(eval $(call TEST_PROGRAM,ep_xdp,tests/bpf/ep-xdp.c tests/unit/fixtures.c worker/pkt.c worker/netlink.c \
	tests/bpf/xdp-run.c tests/bpf/xdp-random.c,-lmnl))
TEST_SUITES += bpf-ep:$(BUILD)/tests/ep_xdp
#   bpf-snoop   SNOOP's classification in the FA programs: fixtures with real
#               AF_XDP sockets, plaintext/ML-ESP/ESP, and the random-packet
#               mode with SNOOP on (~2 s)
$(eval $(call TEST_PROGRAM,snoop-xdp,tests/bpf/snoop-xdp.c tests/bpf/fa-netns.c \
	tests/bpf/fa-packets.c tests/bpf/xdp-run.c tests/bpf/xdp-random.c tests/bpf/fa-account.c))
TEST_SUITES += bpf-snoop:$(BUILD)/tests/snoop-xdp
#   fa-bed      FA1 on the shared test bed (tests/bpf/fa-bed.sh): ML-ESP,
#               ESP, plaintext and forged packets HA -> MH in IP-in-IP and
#               MH -> HA reverse-tunnelled, sent and captured with AF_PACKET:
#               byte-identical arrivals, no forgery through, exact counters
#               (~5 s, root)
$(eval $(call TEST_PROGRAM,fa-bed-tool,tests/bpf/fa-bed-tool.c tests/bpf/fa-bed-plan.c \
	tests/bpf/fa-bed-manifest.c tests/bpf/fa-bed-check.c tests/bpf/fa-packets.c \
	loader/keyfile.c))
TEST_SUITES += fa-bed:'BUILD=$(BUILD) tests/bpf/fa-bed.sh'
