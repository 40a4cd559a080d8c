# shellcheck shell=bash disable=SC2034 # sourced by experiments/fig14.sh
# Configuration "snoop" of Fig. 14: TCP Reno + SNOOP at the FA (plaintext in the Mobile IP tunnel).
# The tunnel, keys and workers: experiments/lib/tunnel.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tunnel.sh"
CONFIG_ROUTING=none
CONFIG_DESCRIPTION="TCP Reno + SNOOP at the FA (plaintext in the Mobile IP tunnel)"

config_setup() { tunnel_setup plain on; }
config_teardown() { tunnel_teardown; }
