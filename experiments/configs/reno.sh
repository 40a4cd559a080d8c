# shellcheck shell=bash disable=SC2034 # sourced by experiments/fig14.sh
# Configuration "reno" of Fig. 14: pure TCP Reno, CN -> MH by plain kernel
# forwarding (HA and FA route the MH's home address; no tunnel, no SNOOP).
#
# A configuration file is sourced by experiments/fig14.sh and defines:
#   CONFIG_ROUTING        bed routing mode: static (kernel routes to the MH's
#                         home address through its FA) or none (the
#                         configuration sets up forwarding itself)
#   CONFIG_DESCRIPTION    one line for the table and the plot
#   config_setup          called once the bed is up (attach programs, start
#                         daemons, install keys); the bed is $MMLB_PREFIX,
#                         use `bed`/`on` from tests/lib/bed.sh
#   config_teardown       called before the bed goes down
# The others: snoop.sh, ipsec.sh, mmlipsec.sh, snoop-mmlipsec.sh (experiments/lib/tunnel.sh).
CONFIG_ROUTING=static
CONFIG_DESCRIPTION="TCP Reno (plain forwarding)"

config_setup() { :; }
config_teardown() { :; }
