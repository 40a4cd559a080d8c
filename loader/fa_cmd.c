/* mmlctl fa attach|detach: the Foreign Agent role (docs/fa.md). attach
 * creates and pins the maps (or reuses those pinned), loads the programs
 * with the FA's configuration and attaches mml_fa_down to the wired
 * interfaces and mml_fa_up to the wireless ones; detach undoes exactly that:
 * it removes our programs from the interfaces mml_ports lists and, when none
 * is left, the pinned maps and the node directory. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include "lib/args.h"
#include "lib/fa_loader.h"
#include "lib/log.h"
#include "loader/ctl.h"
#include "maps/pin.h"

#define FA_IFACES_MAX 8

static const char *const spi_policies[] = { "forward", "drop", NULL };
static const char *const on_off[] = { "off", "on", NULL };

static const char *const fa_maps[] = {
	MML_MAP_CSA,	      MML_MAP_VISITOR,	 MML_MAP_STATS,	    MML_MAP_PORTS,
	MML_MAP_SNOOP,	      MML_MAP_SNOOP_ACK, MML_MAP_SNOOP_CFG, MML_MAP_SNOOP_STATS,
	MML_MAP_SNOOP_EVENTS, MML_MAP_XSKS,	 MML_MAP_XSK_SLOT,
};

static int attach_side(struct fa *fa, enum mml_fa_side side, char *list, uint32_t flags)
{
	uint32_t ifindex[FA_IFACES_MAX];
	int n = ctl_split_ifaces("fa attach", list, ifindex, FA_IFACES_MAX), err = 0;

	for (int i = 0; i < n && !err; i++)
		err = mml_fa_attach(fa, side, (int)ifindex[i], flags);
	return n < 0 ? n : err;
}

/* "10.0.0.1,10.0.0.2" -> the FA's other local addresses. */
static int parse_locals(char *list, struct mml_fa_cfg *cfg)
{
	int n = 0;

	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == MML_FA_LOCAL_ADDRS || mml_parse_ipv4(tok, &cfg->local_addrs[n])) {
			log_err("fa attach: \"%s\": %s", tok,
				n == MML_FA_LOCAL_ADDRS ? "too many local addresses" :
							  "local must list IPv4 addresses");
			return -EINVAL;
		}
		n++;
	}
	return 0;
}

static int fa_attach(struct ctl *ctl, int argc, char **argv)
{
	struct mml_fa_cfg cfg = { 0 };
	char *wired = NULL, *wireless = NULL, *locals = NULL;
	int policy = 0, snoop = -1, err;
	bool skb = false;
	struct mml_opt opts[] = {
		{ "coa", MML_OPT_IPV4, &cfg.coa, NULL, true, false },
		{ "wired", MML_OPT_STR, &wired, NULL, true, false },
		{ "wireless", MML_OPT_STR, &wireless, NULL, true, false },
		{ "local", MML_OPT_STR, &locals, NULL, false, false },
		{ "unknown-spi", MML_OPT_CHOICE, &policy, spi_policies, false, false },
		{ "skb", MML_OPT_FLAG, &skb, NULL, false, false },
		{ "snoop", MML_OPT_CHOICE, &snoop, on_off, false, false },
	};
	struct fa *fa = NULL;
	uint32_t flags;

	err = mml_opts_parse("fa attach", argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	if (!err && locals)
		err = parse_locals(locals, &cfg);
	if (err)
		return err;
	/* Never replace a program someone else attached. */
	flags = XDP_FLAGS_UPDATE_IF_NOEXIST | (skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	cfg.unknown_spi_drop = policy == 1;
	err = ctl_prepare_node(ctl);
	if (!err)
		err = mml_fa_load(&cfg, ctl->dir.path, &fa);
	/* SNOOP's switch before the programs see traffic; a later attach
	 * without "snoop" keeps what is set. */
	if (!err)
		err = mml_fa_snoop_init(fa, snoop);
	if (!err)
		err = attach_side(fa, MML_FA_WIRED, wired, flags);
	if (!err)
		err = attach_side(fa, MML_FA_WIRELESS, wireless, flags);
	mml_fa_unload(fa);
	return err;
}

/* Is the XDP program on ifindex one of ours (by name)? */
static bool ours_attached(uint32_t ifindex, uint32_t *mode_flags)
{
	static const struct {
		uint32_t attach_mode, flags;
	} modes[] = {
		{ XDP_ATTACHED_DRV, XDP_FLAGS_DRV_MODE },
		{ XDP_ATTACHED_SKB, XDP_FLAGS_SKB_MODE },
	};
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd;
	bool ours;

	if (bpf_xdp_query((int)ifindex, 0, &q) || !q.prog_id)
		return false;
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       (!strcmp(info.name, "mml_fa_down") || !strcmp(info.name, "mml_fa_up"));
	close(fd);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (q.attach_mode == modes[i].attach_mode)
			*mode_flags = modes[i].flags;
	return ours;
}

static int fa_detach(struct ctl *ctl, int argc, char **argv)
{
	char *devs = NULL;
	struct mml_opt opts[] = { { "dev", MML_OPT_STR, &devs, NULL, false, false } };
	uint32_t ifindex[64], key, next, *prev = NULL;
	int n = 0, ports, err;
	bool left = false;

	err = mml_opts_parse("fa detach", argc, argv, opts, 1);
	if (err)
		return err;
	err = mml_pin_dir_lock(&ctl->dir, true);
	if (err) {
		log_err("fa detach: %s: %s", ctl->dir.path, strerror(-err));
		return err;
	}
	ports = ctl_open_map(ctl, MML_MAP_PORTS, sizeof(__u32), sizeof(struct bpf_devmap_val));
	if (ports < 0)
		return ports;
	if (devs) {
		n = ctl_split_ifaces("fa detach", devs, ifindex, 64);
	} else {
		while (n < 64 && !bpf_map_get_next_key(ports, prev, &next)) {
			key = next;
			prev = &key;
			ifindex[n++] = key;
		}
	}
	for (int i = 0; i < n; i++) {
		uint32_t flags = 0;

		if (ours_attached(ifindex[i], &flags)) {
			int e = mml_fa_detach((int)ifindex[i], flags);

			err = err ? err : e;
		}
		bpf_map_delete_elem(ports, &ifindex[i]);
	}
	left = !bpf_map_get_next_key(ports, NULL, &next);
	close(ports);
	if (n < 0)
		return n;
	if (!left) {
		/* Nothing attached any more: what attach pinned goes too. */
		for (size_t m = 0; m < sizeof(fa_maps) / sizeof(fa_maps[0]); m++) {
			char path[320];

			if (!mml_pin_path(&ctl->dir, fa_maps[m], path, sizeof(path)))
				unlink(path);
		}
		mml_pin_dir_remove_if_empty(&ctl->dir);
	}
	return err;
}

const struct ctl_cmd fa_cmds[] = {
	{ "fa", "attach", fa_attach,
	  "coa ADDR wired IF[,IF] wireless IF[,IF] [local ADDR[,ADDR]] "
	  "[unknown-spi forward|drop] [snoop on|off] [skb]" },
	{ "fa", "detach", fa_detach, "[dev IF[,IF]]" },
	{ NULL, NULL, NULL, NULL },
};
