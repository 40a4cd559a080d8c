#include "worker/netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ifinfo.h"
#include "lib/log.h"
#include "lib/rtnl.h"

int ep_tun_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = -errno;
		log_err("TUN device %s: %s", name, strerror(-err));
		close(fd);
		return err;
	}
	/* Partial checksums and TCP/IPv4 super-packets: the worker finishes
	 * and cuts them (worker/gso.c). */
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4))) {
		err = -errno;
		log_err("TUN offloads on %s: %s", name, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

int ep_link_setup(const char *name, unsigned int mtu)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_mtu = (int)mtu;
	if (mtu && ioctl(fd, SIOCSIFMTU, &ifr))
		goto fail;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		goto fail;
	goto out;
fail:
	err = -errno;
	log_err("set up %s: %s", name, strerror(-err));
out:
	close(fd);
	return err;
}

int ep_link_mac(const char *name, uint8_t mac[6])
{
	unsigned int ifindex = if_nametoindex(name);

	return ifindex ? mml_if_mac(ifindex, mac) : -ENODEV;
}

int ep_nl_open(struct ep_nl *nl, bool events)
{
	/* An answer that never comes must not stall the packet loop. */
	int err =
		mml_rtnl_open(&nl->rt, events ? RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE : 0,
			      EP_NL_TIMEOUT_MS);

	nl->probe_fd = -1;
	if (err) {
		log_err("rtnetlink: %s", strerror(-err));
		return err;
	}
	nl->probe_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return 0;
}

void ep_nl_close(struct ep_nl *nl)
{
	mml_rtnl_close(&nl->rt);
	if (nl->probe_fd >= 0)
		close(nl->probe_fd);
	nl->probe_fd = -1;
}

int ep_nl_addr_add(struct ep_nl *nl, int ifindex, uint32_t addr, int plen)
{
	int err = mml_rtnl_addr_add(&nl->rt, (uint32_t)ifindex, addr, (uint8_t)plen, true);

	if (err)
		log_err("add address to ifindex %d: %s", ifindex, strerror(-err));
	return err;
}

/* A static route in the main table: dst/plen out of ifindex. */
static struct mml_rtnl_route static_route(int ifindex, uint32_t dst, int plen)
{
	return (struct mml_rtnl_route){
		.dst = dst,
		.plen = (uint8_t)plen,
		.protocol = RTPROT_STATIC,
		.oif = (uint32_t)ifindex,
		.table = RT_TABLE_MAIN,
	};
}

int ep_nl_route_add(struct ep_nl *nl, int ifindex, uint32_t dst, int plen)
{
	const struct mml_rtnl_route r = static_route(ifindex, dst, plen);
	int err = mml_rtnl_route_replace(&nl->rt, &r);

	if (err)
		log_err("add route via ifindex %d: %s", ifindex, strerror(-err));
	return err;
}

int ep_nl_route_del(struct ep_nl *nl, int ifindex, uint32_t dst, int plen)
{
	const struct mml_rtnl_route r = static_route(ifindex, dst, plen);
	int err = mml_rtnl_route_del(&nl->rt, &r);

	if (err == -ESRCH || err == -ENOENT)
		err = 0;
	if (err)
		log_err("remove route via ifindex %d: %s", ifindex, strerror(-err));
	return err;
}

struct route_answer {
	int oif;
	uint32_t gw;
};

static int route_attr(const struct nlattr *a, void *data)
{
	struct route_answer *r = data;

	if (mnl_attr_get_type(a) == RTA_OIF && !mnl_attr_validate(a, MNL_TYPE_U32))
		r->oif = (int)mnl_attr_get_u32(a);
	else if (mnl_attr_get_type(a) == RTA_GATEWAY && !mnl_attr_validate(a, MNL_TYPE_U32))
		r->gw = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct rtmsg), route_attr, data);
}

struct neigh_answer {
	uint16_t state;
	bool have_mac;
	uint8_t mac[6];
};

static int neigh_attr(const struct nlattr *a, void *data)
{
	struct neigh_answer *n = data;

	if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
		memcpy(n->mac, mnl_attr_get_payload(a), 6);
		n->have_mac = true;
	}
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct neigh_answer *n = data;

	n->state = ndm->ndm_state;
	return mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr, data);
}

int ep_nl_nexthop(struct ep_nl *nl, uint32_t dst, int *oif, uint8_t mac[6])
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct route_answer r = { 0 };
	struct neigh_answer n = { 0 };
	struct rtmsg *rtm;
	struct ndmsg *ndm;
	int err;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK; /* the ACK ends the answer */
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, dst);
	err = mml_rtnl_talk(&nl->rt, nlh, route_cb, &r);
	if (err || !r.oif)
		return -ENOENT;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK; /* the ACK ends the answer */
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = r.oif;
	mnl_attr_put_u32(nlh, NDA_DST, r.gw ? r.gw : dst);
	err = mml_rtnl_talk(&nl->rt, nlh, neigh_cb, &n);
	*oif = r.oif;
	if (err || !n.have_mac ||
	    !(n.state &
	      (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP))) {
		ep_nl_probe(nl, dst);
		return -EAGAIN;
	}
	memcpy(mac, n.mac, 6);
	return 0;
}

void ep_nl_probe(struct ep_nl *nl, uint32_t dst)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };

	sin.sin_addr.s_addr = dst;
	if (nl->probe_fd >= 0)
		sendto(nl->probe_fd, "", 0, 0, (struct sockaddr *)&sin, sizeof(sin));
}
