# mmlctl against real pinned maps (needs root and bpffs).
TEST_SUITES += mmlctl:'tests/loader/mmlctl.sh'
TEST_SUITES += fa-attach:'tests/loader/fa-attach.sh'

# Every C source of the product is clang-formatted (.clang-format).
TEST_SUITES += clang-format:'$(MAKE) --no-print-directory fmt-check'
