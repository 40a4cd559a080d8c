# shellcheck shell=bash disable=SC2034 # sourced by experiments/fig14.sh
# Configuration "mmlipsec" of Fig. 14: TCP Reno over MML-IPsec (ML-ESP, zone 1 verified at the FA).
# The tunnel, keys and workers: experiments/lib/tunnel.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tunnel.sh"
CONFIG_ROUTING=none
CONFIG_DESCRIPTION="TCP Reno over MML-IPsec (ML-ESP, zone 1 verified at the FA)"

config_setup() { tunnel_setup mlesp off; }
config_teardown() { tunnel_teardown; }
