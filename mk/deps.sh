#!/usr/bin/env bash
# Install the Debian packages of the named groups, only if some are missing:
# dpkg-query first (instant when everything is there), apt-get update only
# when something has to be installed.
#
#   mk/deps.sh [GROUP...]   build (default), test, deb
#
# `make`/`make all` asks for build only; `make test`, `make demo`, the
# benchmarks, experiments and fuzzers for build and test (Makefile,
# DEPS_GROUPS); `make deb` for build and deb.
set -euo pipefail

declare -A group
# Compilers, BPF tooling, the libraries the binaries link (and the
# Wireshark plugin, dist/wireshark, links).
group[build]="gcc make pkg-config clang llvm bpftool libbpf-dev libxdp-dev libssl-dev
	libjson-c-dev libconfig-dev libmnl-dev libsystemd-dev nettle-dev
	wireshark-dev libgcrypt20-dev"
# Unit tests (cmocka, libFuzzer runtime for the fuzz harnesses), the test
# bed, experiments and captures, bench-tunnel's peer (userspace ESP) and
# profile, ML-IKE's interop tests, systemd-analyze for the units' suite
# (the systemd package only: it does not make systemd the init).
group[test]="libcmocka-dev libclang-rt-14-dev
	iproute2 ethtool iperf3 tshark gnuplot-nox procps psmisc python3 util-linux iputils-ping
	strongswan-charon libcharon-extra-plugins strongswan-swanctl linux-perf
	libstrongswan-standard-plugins systemd mandoc"
# make deb: the Debian package and its checks.
group[deb]="debhelper dpkg-dev lintian"

[[ $# -eq 0 ]] && set -- build
pkgs=()
for g in "$@"; do
	[[ -n ${group[$g]+x} ]] || { echo "deps: no group \"$g\" (build, test, deb)" >&2; exit 2; }
	read -r -d '' -a list <<<"${group[$g]}" || true
	pkgs+=("${list[@]}")
done

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
