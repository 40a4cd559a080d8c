/* A private network namespace for the FA suites: the test process
 * unshares its own, so everything in it disappears with the process, even on
 * a crash. Two veth pairs: the FA's wired side (peer: the HA) and wireless
 * side (peer: the MH), forwarding on, a permanent neighbour entry for the
 * HA. */
#ifndef MML_TESTS_BPF_FA_NETNS_H
#define MML_TESTS_BPF_FA_NETNS_H

#include <stdint.h>

struct fa_netns {
	int wired_ifindex, wireless_ifindex;
	uint8_t wired_mac[6], wireless_mac[6]; /* the FA's */
	uint8_t ha_mac[6], mh_mac[6];
	uint32_t coa, wireless_addr, ha_addr, ha_unresolved, ha_unroutable;
	unsigned int wired_mtu;
};

/* 0, or a negative errno (the caller skips: no namespaces here). */
int fa_netns_setup(struct fa_netns *ns);

#endif
