# Man pages (man/*.[58], mdoc) and the bash completion of mmlctl
# (dist/bash-completion/mmlctl), shipped beside the binaries.
# The pages against the code: mandoc lint, and every mmlctl object, verb and
# keyword (from `mmlctl help`), every option of the three binaries and every
# setting mmlkeyd reads named in its page (no namespaces, < 1 s).
TEST_SUITES += man-pages:'python3 tests/man/man-pages.py $(BUILD)/mmlctl'
# dist/bash-completion/mmlctl sourced under bash: objects, verbs, keywords
# and their values completed as `mmlctl help` gives them (no maps, < 1 s).
TEST_SUITES += bash-completion:'MMLCTL=$(BUILD)/mmlctl tests/man/bash-completion.sh'
