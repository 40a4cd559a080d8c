/* rtnetlink requests and link events through libmnl. See nl.h. */
#include "keyd/nl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct nl {
	struct mnl_socket *req;
	struct mnl_socket *events;
	uint32_t portid;
	uint32_t seq;
};

int nl_open(struct nl **out, bool link_events)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	int err = -ENOMEM;

	if (!nl)
		return err;
	nl->seq = (uint32_t)time(NULL);
	nl->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->req || mnl_socket_bind(nl->req, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->req);
	if (link_events) {
		nl->events = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (!nl->events || mnl_socket_bind(nl->events, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
			goto fail;
	}
	*out = nl;
	return 0;
fail:
	err = -errno;
	nl_close(nl);
	return err;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->req)
		mnl_socket_close(nl->req);
	if (nl->events)
		mnl_socket_close(nl->events);
	free(nl);
}

/* Sends one request with NLM_F_ACK and waits for its answer, passing data
 * messages to cb. */
static int transact(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = ++nl->seq;
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->req, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, arg);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -errno : 0;
	}
}

static struct nlmsghdr *route_msg(char *buf, uint16_t type, uint16_t flags, uint32_t dst,
				  uint8_t plen, uint32_t oif, uint32_t table)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = MIP_RTPROT;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	if (table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (plen)
		mnl_attr_put(nlh, RTA_DST, 4, &dst);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
	return nlh;
}

int nl_route_replace(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t gw, uint32_t oif,
		     uint32_t table, uint32_t prefsrc, bool onlink, uint32_t mtu)
{
	char buf[512];
	struct nlmsghdr *nlh =
		route_msg(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, dst, plen, oif, table);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (gw) {
		mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
		if (onlink)
			rtm->rtm_flags |= RTNH_F_ONLINK;
	} else {
		rtm->rtm_scope = RT_SCOPE_LINK;
	}
	if (prefsrc)
		mnl_attr_put(nlh, RTA_PREFSRC, 4, &prefsrc);
	if (mtu) {
		struct nlattr *metrics = mnl_attr_nest_start(nlh, RTA_METRICS);

		mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
		mnl_attr_nest_end(nlh, metrics);
	}
	return transact(nl, nlh, NULL, NULL);
}

int nl_route_del(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t oif, uint32_t table)
{
	char buf[512];
	struct nlmsghdr *nlh = route_msg(buf, RTM_DELROUTE, 0, dst, plen, oif, table);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	int err;

	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	err = transact(nl, nlh, NULL, NULL);
	return err == -ESRCH ? 0 : err;
}

int nl_addr_add(struct nl *nl, uint32_t ifindex, uint32_t addr, uint8_t plen)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	int err;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 4, &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &addr);
	err = transact(nl, nlh, NULL, NULL);
	return err == -EEXIST ? 0 : err;
}

int nl_link_fd(const struct nl *nl)
{
	return nl->events ? mnl_socket_get_fd(nl->events) : -1;
}

struct link_cb {
	nl_link_fn fn;
	void *arg;
	uint32_t want; /* nl_link_up: the one ifindex asked about */
	bool up;
};

static bool link_is_up(const struct ifinfomsg *ifi)
{
	return (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP);
}

static int link_msg(const struct nlmsghdr *nlh, void *data)
{
	struct link_cb *lc = data;
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (lc->fn)
		lc->fn(lc->arg, (uint32_t)ifi->ifi_index, link_is_up(ifi),
		       nlh->nlmsg_type == RTM_DELLINK);
	else if ((uint32_t)ifi->ifi_index == lc->want)
		lc->up = link_is_up(ifi);
	return MNL_CB_OK;
}

int nl_link_read(struct nl *nl, nl_link_fn fn, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct link_cb lc = { .fn = fn, .arg = arg };
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(nl->events, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		mnl_cb_run(buf, (size_t)n, 0, 0, link_msg, &lc);
	}
}

int nl_link_up(struct nl *nl, uint32_t ifindex, bool *up)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct link_cb lc = { .want = ifindex };
	int err;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	err = transact(nl, nlh, link_msg, &lc);
	*up = lc.up;
	return err;
}
