# The namespace test bed's integration suites (tests/netns/bed.sh,
# docs/testbed.md); the bed's programs, tools and the link-ber suite are in
# tests/bed/module.mk. Runtimes on 2 cores: bed ~55 s, cleanup ~7 s.
TEST_SUITES += bed:'BUILD=$(BUILD) tests/netns/test-bed.sh'
TEST_SUITES += bed-cleanup:'BUILD=$(BUILD) tests/netns/test-cleanup.sh'
