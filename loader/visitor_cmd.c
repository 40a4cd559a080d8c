/* mmlctl visitor add|del|list: the FA's registered visitors (mml_visitor),
 * installed by hand for static setups; mmlkeyd does it on registration. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/args.h"
#include "lib/ifinfo.h"
#include "lib/log.h"
#include "loader/ctl.h"
#include "maps/visitor.h"

static int open_visitor_map(struct ctl *ctl)
{
	return ctl_open_map(ctl, MML_MAP_VISITOR, sizeof(__u32), sizeof(struct mml_visitor));
}

static int visitor_add(struct ctl *ctl, int argc, char **argv)
{
	struct mml_visitor v;
	uint32_t home;
	struct mml_opt opts[] = {
		{ "home", MML_OPT_IPV4, &home, NULL, true, false },
		{ "ha", MML_OPT_IPV4, &v.ha_addr, NULL, true, false },
		{ "dev", MML_OPT_IFNAME, &v.ifindex, NULL, true, false },
		{ "mac", MML_OPT_MAC, v.mh_mac, NULL, true, false },
	};
	int fd, err;

	memset(&v, 0, sizeof(v));
	err = mml_opts_parse("visitor add", argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	if (err)
		return err;
	/* Our own MAC on the wireless interface: downlink frames' source. */
	err = mml_if_mac(v.ifindex, v.fa_mac);
	if (err) {
		log_err("visitor add: reading the MAC of ifindex %u: %s", v.ifindex,
			strerror(-err));
		return err;
	}
	fd = open_visitor_map(ctl);
	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &home, &v, BPF_ANY)) {
		err = -errno;
		log_err("visitor add: updating %s: %s", MML_MAP_VISITOR, strerror(-err));
	}
	close(fd);
	return err;
}

static int visitor_del(struct ctl *ctl, int argc, char **argv)
{
	uint32_t home;
	struct mml_opt opts[] = { { "home", MML_OPT_IPV4, &home, NULL, true, false } };
	char buf[16];
	int fd, err;

	err = mml_opts_parse("visitor del", argc, argv, opts, 1);
	if (err)
		return err;
	fd = open_visitor_map(ctl);
	if (fd < 0)
		return fd;
	if (bpf_map_delete_elem(fd, &home)) {
		err = -errno;
		log_err("visitor del: %s: %s", mml_ipv4_str(home, buf),
			err == -ENOENT ? "no such visitor" : strerror(-err));
	}
	close(fd);
	return err;
}

static json_object *visitor_json(uint32_t home, const void *value, void *arg)
{
	const struct mml_visitor *v = value;
	json_object *o = json_object_new_object();
	char addr[16], mac[18], dev[IF_NAMESIZE];

	json_object_object_add(o, "home", json_object_new_string(mml_ipv4_str(home, addr)));
	json_object_object_add(o, "ha", json_object_new_string(mml_ipv4_str(v->ha_addr, addr)));
	json_object_object_add(o, "dev",
			       json_object_new_string(if_indextoname(v->ifindex, dev) ? dev : "?"));
	json_object_object_add(o, "ifindex", json_object_new_int64(v->ifindex));
	mml_mac_str(v->mh_mac, mac);
	json_object_object_add(o, "mac", json_object_new_string(mac));
	return o;
}

static int visitor_list(struct ctl *ctl, int argc, char **argv)
{
	int fd, err;

	err = mml_opts_parse("visitor list", argc, argv, NULL, 0);
	if (err)
		return err;
	fd = open_visitor_map(ctl);
	if (fd < 0)
		return fd;
	ctl_print(ctl, ctl_map_to_json(fd, sizeof(struct mml_visitor), visitor_json, NULL));
	close(fd);
	return 0;
}

const struct ctl_cmd visitor_cmds[] = {
	{ "visitor", "add", visitor_add, "home ADDR ha ADDR dev IFACE mac MAC" },
	{ "visitor", "del", visitor_del, "home ADDR" },
	{ "visitor", "list", visitor_list, "" },
	{ NULL, NULL, NULL, NULL },
};
