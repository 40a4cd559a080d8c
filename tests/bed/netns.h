/* Enter a named network namespace (/run/netns/NAME, as `ip -n NAME` does)
 * without leaving the mount namespace, so bpffs pins stay visible. */
#ifndef MML_BED_NETNS_H
#define MML_BED_NETNS_H

int mml_netns_enter(const char *name);

#endif
