#include "tests/bpf/fa-netns.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "tests/bpf/fa-packets.h"

static const uint8_t wired_mac[6] = { 0x02, 0xfa, 0, 0, 0, 0x01 };
static const uint8_t wireless_mac[6] = { 0x02, 0xfa, 0, 0, 0, 0x02 };
static const uint8_t ha_mac[6] = { 0x02, 0x4a, 0, 0, 0, 0x01 };
static const uint8_t mh_mac[6] = { 0x02, 0x3b, 0, 0, 0, 0x05 };

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0) {
		log_err("netns setup: '%s' failed (%d)", cmd, rc);
		return -EIO;
	}
	return 0;
}

int fa_netns_setup(struct fa_netns *ns)
{
	static const char *const cmds[] = {
		"ip link set lo up",
		"ip link add fa-wired address 02:fa:00:00:00:01 mtu 1500 type veth"
		" peer name fa-ha address 02:4a:00:00:00:01",
		"ip link add fa-wlan address 02:fa:00:00:00:02 type veth"
		" peer name fa-mh address 02:3b:00:00:00:05",
		"ip link set fa-wired up",
		"ip link set fa-ha up",
		"ip link set fa-wlan up",
		"ip link set fa-mh up",
		"ip addr add 10.99.0.2/24 dev fa-wired",
		"ip addr add 10.98.0.1/24 dev fa-wlan",
		"ip neigh replace 10.99.0.1 lladdr 02:4a:00:00:00:01 dev fa-wired nud permanent",
		"echo 1 > /proc/sys/net/ipv4/conf/all/forwarding",
	};
	size_t i;
	int err;

	if (unshare(CLONE_NEWNET)) {
		log_err("netns setup: unshare: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		err = run(cmds[i]);
		if (err)
			return err;
	}
	ns->wired_ifindex = (int)if_nametoindex("fa-wired");
	ns->wireless_ifindex = (int)if_nametoindex("fa-wlan");
	if (!ns->wired_ifindex || !ns->wireless_ifindex)
		return -ENODEV;
	memcpy(ns->wired_mac, wired_mac, 6);
	memcpy(ns->wireless_mac, wireless_mac, 6);
	memcpy(ns->ha_mac, ha_mac, 6);
	memcpy(ns->mh_mac, mh_mac, 6);
	ns->coa = ip4("10.99.0.2");
	ns->wireless_addr = ip4("10.98.0.1");
	ns->ha_addr = ip4("10.99.0.1");
	ns->ha_unresolved = ip4("10.99.0.77"); /* on link, no neighbour entry */
	ns->ha_unroutable = ip4("10.55.0.1");  /* no route at all */
	ns->wired_mtu = 1500;
	return 0;
}
