/* Facts about a local interface that no netlink dump is needed for: its MAC
 * address and MTU (SIOCGIFHWADDR / SIOCGIFMTU in the caller's network
 * namespace). */
#ifndef MML_LIB_IFINFO_H
#define MML_LIB_IFINFO_H

#include <stdint.h>

int mml_if_mac(uint32_t ifindex, uint8_t mac[6]);
int mml_if_mtu(uint32_t ifindex, uint32_t *mtu);

#endif
