# make install / uninstall and the systemd units (mk/install.mk,
# dist/systemd/, docs/operations.md): the installed file list, verify and
# security of the units, their command lines run with the units'
# privileges and a NOTIFY_SOCKET of the test's: READY=1, SIGHUP reload
# (root, namespaces: under flock /tmp/mml-netns.lock; about 10 s).
TEST_SUITES += install:'BUILD=$(BUILD) tests/install/install.sh'
# make deb: the package built, lintian, dpkg -i, --version, dpkg -P leaves
# nothing (root; changes this machine's package database while it runs).
TEST_SUITES += deb:'BUILD=$(BUILD) tests/install/deb.sh'
# The package installed, the product bed run from it (mmlkeyd as its unit
# starts it, a transfer, Prometheus counters), purged leaving nothing
# (root; dpkg; a bed: ~40 s).
TEST_SUITES += deb-bed:'BUILD=$(BUILD) tests/install/deb-bed.sh'
