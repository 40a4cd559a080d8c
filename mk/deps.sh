#!/usr/bin/env bash
# Install the Debian packages mmlipsec needs, only if some are missing:
# dpkg-query first (instant when everything is there), apt-get update only
# when something has to be installed.
set -euo pipefail

pkgs=(
	# build
	gcc make pkg-config clang llvm bpftool libbpf-dev libxdp-dev libssl-dev
	libjson-c-dev libconfig-dev libmnl-dev libcmocka-dev nettle-dev
	# the Wireshark plugin (dist/wireshark)
	wireshark-dev libgcrypt20-dev
	# test bed, experiments, captures
	iproute2 ethtool iperf3 tshark gnuplot-nox procps psmisc python3 util-linux iputils-ping
	# bench-tunnel's peer (userspace ESP) and profile; ML-IKE's interop tests
	strongswan-charon libcharon-extra-plugins strongswan-swanctl linux-perf
	libstrongswan-standard-plugins
	# ML-IKE: libFuzzer runtime for the parser fuzzers
	libclang-rt-14-dev
	# man pages: the drift test lints them (mandoc -T lint)
	mandoc
)

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
