# The Wireshark plugin (dist/wireshark). wireshark: ws-offline.sh on the
# ML-ESP known-answer vectors and on ML-IKE messages of the codec (seconds,
# no bed).
TEST_SUITES += wireshark:'BUILD=$(BUILD) tests/wireshark/ws-offline.sh'
# ws-mlike-pcap: ML-IKE messages from the project's codec, SK-sealed with
# fixed keys, as a pcap (the suite's input for the ML-IKE postdissector).
$(eval $(call PROGRAM,ws-mlike-pcap,tests/wireshark/mlike-pcap.c $(IKE_CODEC_SRCS)))
