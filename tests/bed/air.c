#include "tests/bed/air.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "lib/log.h"
#include "lib/pin.h"
#include "lib/rtnl.h"
#include "tests/bed/maps/air.h"

static double realtime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int index_of(const char *name, __u32 *ifindex)
{
	*ifindex = if_nametoindex(name);
	if (*ifindex)
		return 0;
	log_err("air: no interface %s", name);
	return -ENODEV;
}

/* Carrier of the MH's port as the MH sees it: administrative state of its
 * air-side veth end. */
static int link_set(struct mml_rtnl *nl, __u32 ifindex, bool up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return mml_rtnl_talk(nl, nlh, NULL, NULL);
}

/* One port's entry rewritten (counters zeroed, as bed.sh's connect does). */
static int port_set(int map_fd, __u32 port, __u32 target)
{
	struct mml_air_port v = { .target_ifindex = target };

	return bpf_map_update_elem(map_fd, &port, &v, BPF_ANY) ? -errno : 0;
}

struct resolved {
	__u32 dev, drop[MML_AIR_STEPS_MAX], from[MML_AIR_STEPS_MAX], to[MML_AIR_STEPS_MAX];
};

static int resolve(const struct mml_air_handoff *h, struct resolved *r)
{
	int err = index_of(h->dev, &r->dev);

	for (unsigned int i = 0; !err && i < h->n_drop; i++)
		err = index_of(h->drop[i], &r->drop[i]);
	for (unsigned int i = 0; !err && i < h->n_connect; i++) {
		err = index_of(h->from[i], &r->from[i]);
		if (!err)
			err = index_of(h->to[i], &r->to[i]);
	}
	return err;
}

int mml_air_handoff(const char *pin_dir, const struct mml_air_handoff *h, double *t_down,
		    double *t_up)
{
	struct timespec gap = { .tv_sec = h->gap_ms / 1000,
				.tv_nsec = (long)(h->gap_ms % 1000) * 1000000L };
	struct mml_rtnl nl;
	struct resolved r;
	int fd, err;

	if (h->n_drop > MML_AIR_STEPS_MAX || h->n_connect > MML_AIR_STEPS_MAX)
		return -E2BIG;
	err = resolve(h, &r);
	if (err)
		return err;
	fd = mml_pin_open_map(pin_dir, "air_ports", sizeof(__u32), sizeof(struct mml_air_port));
	if (fd < 0) {
		log_err("air: %s/air_ports: %s", pin_dir, strerror(-fd));
		return fd;
	}
	err = mml_rtnl_open(&nl, 0, 1000);
	if (err) {
		log_err("air: rtnetlink: %s", strerror(-err));
		goto out_fd;
	}
	/* Everything resolved beforehand: the switch itself is a few syscalls. */
	err = link_set(&nl, r.dev, false);
	for (unsigned int i = 0; !err && i < h->n_drop; i++)
		err = port_set(fd, r.drop[i], 0);
	if (err)
		goto fail;
	*t_down = realtime_s();
	if (h->gap_ms)
		nanosleep(&gap, NULL);
	for (unsigned int i = 0; !err && i < h->n_connect; i++)
		err = port_set(fd, r.from[i], r.to[i]);
	if (!err)
		err = link_set(&nl, r.dev, true);
	if (err)
		goto fail;
	*t_up = realtime_s();
	goto out;
fail:
	log_err("air: handoff on %s: %s", h->dev, strerror(-err));
out:
	mml_rtnl_close(&nl);
out_fd:
	close(fd);
	return err;
}
