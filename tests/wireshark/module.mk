# The Wireshark plugin (dist/wireshark): ws-vectors on the ML-ESP
# known-answer vectors (seconds, no bed); wireshark-bed on a capture of the
# test bed (ML-ESP transfer seen as the FA sees it, ML-IKE's exchanges; run
# under flock /tmp/mml-netns.lock, ~1 min).
TEST_SUITES += wireshark:tests/wireshark/ws-vectors.sh
