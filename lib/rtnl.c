#include "lib/rtnl.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

/* Requests are a header and a few attributes; answers and notifications
 * (a link's RTM_NEWLINK with its statistics) need more. */
#define RTNL_REQ_SIZE 512
#define RTNL_RCV_SIZE 8192

int mml_rtnl_open(struct mml_rtnl *nl, unsigned int groups, unsigned int rcv_timeout_ms)
{
	struct timeval tv = { .tv_sec = rcv_timeout_ms / 1000,
			      .tv_usec = (rcv_timeout_ms % 1000) * 1000 };
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->seq = (uint32_t)time(NULL);
	nl->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->req || mnl_socket_bind(nl->req, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->req);
	if (rcv_timeout_ms)
		setsockopt(mnl_socket_get_fd(nl->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (groups) {
		nl->events = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (!nl->events || mnl_socket_bind(nl->events, groups, MNL_SOCKET_AUTOPID) < 0)
			goto fail;
	}
	return 0;
fail:
	err = -errno;
	mml_rtnl_close(nl);
	return err;
}

void mml_rtnl_close(struct mml_rtnl *nl)
{
	if (nl->req)
		mnl_socket_close(nl->req);
	if (nl->events)
		mnl_socket_close(nl->events);
	memset(nl, 0, sizeof(*nl));
}

int mml_rtnl_talk(struct mml_rtnl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[RTNL_RCV_SIZE];
	uint32_t seq = ++nl->seq;
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->req, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

int mml_rtnl_events_fd(const struct mml_rtnl *nl)
{
	return nl->events ? mnl_socket_get_fd(nl->events) : -1;
}

int mml_rtnl_events_read(struct mml_rtnl *nl, mnl_cb_t cb, void *data)
{
	char buf[RTNL_RCV_SIZE];
	int count = 0;
	ssize_t n;

	while (nl->events && (n = mnl_socket_recvfrom(nl->events, buf, sizeof(buf))) > 0) {
		count++;
		if (cb)
			mnl_cb_run(buf, (size_t)n, 0, 0, cb, data);
	}
	return count;
}

int mml_rtnl_addr_add(struct mml_rtnl *nl, uint32_t ifindex, uint32_t addr, uint8_t plen,
		      bool replace)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	int err;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 4, &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &addr);
	err = mml_rtnl_talk(nl, nlh, NULL, NULL);
	return err == -EEXIST ? 0 : err;
}

static struct nlmsghdr *route_msg(char *buf, uint16_t type, uint16_t flags,
				  const struct mml_rtnl_route *r)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = r->plen;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	if (r->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->plen)
		mnl_attr_put(nlh, RTA_DST, 4, &r->dst);
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	return nlh;
}

int mml_rtnl_route_replace(struct mml_rtnl *nl, const struct mml_rtnl_route *r)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = route_msg(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (r->gw) {
		mnl_attr_put(nlh, RTA_GATEWAY, 4, &r->gw);
		if (r->onlink)
			rtm->rtm_flags |= RTNH_F_ONLINK;
	} else {
		rtm->rtm_scope = RT_SCOPE_LINK;
	}
	if (r->prefsrc)
		mnl_attr_put(nlh, RTA_PREFSRC, 4, &r->prefsrc);
	if (r->mtu) {
		struct nlattr *metrics = mnl_attr_nest_start(nlh, RTA_METRICS);

		mnl_attr_put_u32(nlh, RTAX_MTU, r->mtu);
		mnl_attr_nest_end(nlh, metrics);
	}
	return mml_rtnl_talk(nl, nlh, NULL, NULL);
}

int mml_rtnl_route_del(struct mml_rtnl *nl, const struct mml_rtnl_route *r)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = route_msg(buf, RTM_DELROUTE, 0, r);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	int err;

	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	err = mml_rtnl_talk(nl, nlh, NULL, NULL);
	return err == -ESRCH ? 0 : err;
}
