# The Wireshark plugin (dist/wireshark). wireshark: ws-offline.sh on the
# ML-ESP known-answer vectors and on ML-IKE messages of the codec (seconds,
# no bed).
TEST_SUITES += wireshark:'BUILD=$(BUILD) tests/wireshark/ws-offline.sh'
# wireshark-bed: ws-bed.sh on the test bed (mmlkeyd everywhere): the ML-IKE
# initialisation captured and named, a transfer read as FA1 reads it with
# its zone-1 keys (root, under flock /tmp/mml-netns.lock; ~30 s).
TEST_SUITES += wireshark-bed:'BUILD=$(BUILD) tests/wireshark/ws-bed.sh'
# ws-mlike-pcap: ML-IKE messages from the project's codec, SK-sealed with
# fixed keys, as a pcap (the suite's input for the ML-IKE postdissector).
$(eval $(call PROGRAM,ws-mlike-pcap,tests/wireshark/mlike-pcap.c $(IKE_CODEC_SRCS)))
