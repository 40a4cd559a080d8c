# mmlctl against real pinned maps (needs root and bpffs).
TEST_SUITES += mmlctl:'tests/loader/mmlctl.sh'
TEST_SUITES += fa-attach:'tests/loader/fa-attach.sh'
