# shellcheck shell=bash disable=SC2034 # sourced by experiments/fig14.sh
# Configuration "snoop-mmlipsec" of Fig. 14: TCP Reno over SNOOP + MML-IPsec (SNOOP on the zone-1 header).
# The tunnel, keys and workers: experiments/lib/tunnel.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tunnel.sh"
CONFIG_ROUTING=none
CONFIG_DESCRIPTION="TCP Reno over SNOOP + MML-IPsec (SNOOP on the zone-1 header)"

config_setup() { tunnel_setup mlesp on; }
config_teardown() { tunnel_teardown; }
