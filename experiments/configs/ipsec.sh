# shellcheck shell=bash disable=SC2034 # sourced by experiments/fig14.sh
# Configuration "ipsec" of Fig. 14: TCP Reno over IPsec (ESP, opaque to the FA).
# The tunnel, keys and workers: experiments/lib/tunnel.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tunnel.sh"
CONFIG_ROUTING=none
CONFIG_DESCRIPTION="TCP Reno over IPsec (ESP, opaque to the FA)"

config_setup() { tunnel_setup esp off; }
config_teardown() { tunnel_teardown; }
