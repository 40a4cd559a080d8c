/* The mobile node's routes and link state over lib/rtnl.h. See nl.h. */
#include "keyd/nl.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "lib/rtnl.h"

struct nl {
	struct mml_rtnl rt;
};

int nl_open(struct nl **out, bool link_events)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl)
		return -ENOMEM;
	err = mml_rtnl_open(&nl->rt, link_events ? RTMGRP_LINK | RTMGRP_IPV4_IFADDR : 0, 0);
	if (err) {
		free(nl);
		return err;
	}
	*out = nl;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	mml_rtnl_close(&nl->rt);
	free(nl);
}

int nl_route_replace(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t gw, uint32_t oif,
		     uint32_t table, uint32_t prefsrc, bool onlink, uint32_t mtu)
{
	const struct mml_rtnl_route r = {
		.dst = dst,
		.plen = plen,
		.protocol = MIP_RTPROT,
		.onlink = onlink,
		.gw = gw,
		.oif = oif,
		.table = table,
		.prefsrc = prefsrc,
		.mtu = mtu,
	};

	return mml_rtnl_route_replace(&nl->rt, &r);
}

int nl_route_del(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t oif, uint32_t table)
{
	const struct mml_rtnl_route r = {
		.dst = dst, .plen = plen, .protocol = MIP_RTPROT, .oif = oif, .table = table
	};

	return mml_rtnl_route_del(&nl->rt, &r);
}

int nl_addr_add(struct nl *nl, uint32_t ifindex, uint32_t addr, uint8_t plen)
{
	return mml_rtnl_addr_add(&nl->rt, ifindex, addr, plen, false);
}

int nl_link_fd(const struct nl *nl)
{
	return mml_rtnl_events_fd(&nl->rt);
}

struct link_cb {
	nl_link_fn fn;
	void *arg;
	uint32_t want; /* nl_link_get: the one ifindex asked about */
	struct nl_link_ev *got;
};

static int link_attr(const struct nlattr *a, void *data)
{
	struct nl_link_ev *ev = data;

	if (mnl_attr_get_type(a) == IFLA_CARRIER_DOWN_COUNT &&
	    mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
		ev->carrier_downs = mnl_attr_get_u32(a);
		ev->has_downs = true;
	}
	return MNL_CB_OK;
}

static int addr_attr(const struct nlattr *a, void *data)
{
	struct nl_link_ev *ev = data;

	if (mnl_attr_get_type(a) == IFA_LOCAL && mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
		ev->addr = mnl_attr_get_u32(a);
		ev->addr_added = true;
	}
	return MNL_CB_OK;
}

/* RTM_NEWADDR of an IPv4 address, to an event subscriber only. */
static int addr_msg(const struct nlmsghdr *nlh, struct link_cb *lc)
{
	const struct ifaddrmsg *ifa;
	struct nl_link_ev ev = { 0 };

	if (!lc->fn || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	ev.ifindex = ifa->ifa_index;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, &ev);
	if (ev.addr_added)
		lc->fn(lc->arg, &ev);
	return MNL_CB_OK;
}

static int link_msg(const struct nlmsghdr *nlh, void *data)
{
	struct link_cb *lc = data;
	const struct ifinfomsg *ifi;
	struct nl_link_ev ev = { 0 };

	if (nlh->nlmsg_type == RTM_NEWADDR)
		return addr_msg(nlh, lc);
	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	ev.ifindex = (uint32_t)ifi->ifi_index;
	ev.up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP);
	ev.deleted = nlh->nlmsg_type == RTM_DELLINK;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr, &ev);
	if (lc->fn)
		lc->fn(lc->arg, &ev);
	else if (ev.ifindex == lc->want)
		*lc->got = ev;
	return MNL_CB_OK;
}

int nl_link_read(struct nl *nl, nl_link_fn fn, void *arg)
{
	struct link_cb lc = { .fn = fn, .arg = arg };

	mml_rtnl_events_read(&nl->rt, link_msg, &lc);
	return 0;
}

int nl_link_get(struct nl *nl, uint32_t ifindex, struct nl_link_ev *ev)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct link_cb lc = { .want = ifindex, .got = ev };

	*ev = (struct nl_link_ev){ .ifindex = ifindex };
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return mml_rtnl_talk(&nl->rt, nlh, link_msg, &lc);
}
