# mmlctl against real pinned maps (needs root and bpffs).
TEST_SUITES += mmlctl:'tests/loader/mmlctl.sh'
# mmlctl help, --help, OBJECT help, and an object without a verb (no maps).
TEST_SUITES += mmlctl-help:'MMLCTL=$(BUILD)/mmlctl tests/loader/mmlctl-help.sh'
# mmlctl fa attach/detach on veths in two namespaces: another node's FA
# programs are never detached (~3 s).
TEST_SUITES += fa-attach:'tests/loader/fa-attach.sh'
# mmlctl ha|mh attach/detach (foreign programs refused, pins removed with the
# role), binding and flow add/list/del, on veths in namespaces (~3 s).
TEST_SUITES += ep-attach:'BUILD=$(BUILD) MMLCTL=$(BUILD)/mmlctl tests/loader/ep-attach.sh'

# Every C source of the product is clang-formatted (.clang-format).
TEST_SUITES += clang-format:'$(MAKE) --no-print-directory fmt-check'
# mmlctl fa capture on the endpoint bed: pcapng with a comment per frame,
# the capture switched off after, one reader at a time (~20 s).
TEST_SUITES += fa-capture:'BUILD=$(BUILD) tests/loader/fa-capture.sh'
