/* mmlctl fa attach|detach: the Foreign Agent role (docs/fa.md). attach
 * creates and pins the maps (or reuses those pinned), loads the programs
 * with the FA's configuration and attaches mml_fa_down to the wired
 * interfaces and mml_fa_up to the wireless ones; detach undoes exactly that
 * for the node's own programs (loader/role_cmd.c), and once none is left
 * removes the pinned maps and the node directory. */
#include <errno.h>
#include <string.h>

#include "lib/args.h"
#include "lib/log.h"
#include "lib/snoop_cfg.h"
#include "loader/ctl.h"
#include "maps/fa.h"
#include "maps/pin.h"

static const char *const spi_policies[] = { "forward", "drop", NULL };
static const char *const on_off[] = { "off", "on", NULL };

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

/* SNOOP's switch before the programs see traffic (on 1, off 0); -1, a
 * later attach without "snoop", keeps what is set. */
static int snoop_switch(struct mml_role_obj *fa, void *arg)
{
	int err = mml_snoop_cfg_init(mml_role_map_fd(fa, MML_MAP_SNOOP_CFG), *(int *)arg);

	if (err)
		log_err("%s: %s", MML_MAP_SNOOP_CFG, strerror(-err));
	return err;
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
		CTL_SIZE_OPTS(ctl),
	};
	char *lists[MML_ROLE_PROGS_MAX];

	err = mml_opts_parse("fa attach", argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	if (!err && locals)
		err = parse_locals(locals, &cfg);
	if (err)
		return err;
	cfg.unknown_spi_drop = policy == 1;
	lists[MML_FA_WIRED] = wired;
	lists[MML_FA_WIRELESS] = wireless;
	return ctl_role_attach(ctl, MML_ROLE_FA, &cfg, lists, skb, snoop_switch, &snoop);
}

static int fa_detach(struct ctl *ctl, int argc, char **argv)
{
	return ctl_role_detach(ctl, MML_ROLE_FA, argc, argv);
}

const struct ctl_cmd fa_cmds[] = {
	{ "fa", "attach", fa_attach,
	  "coa ADDR wired IF[,IF] wireless IF[,IF] [local ADDR[,ADDR]] "
	  "[unknown-spi forward|drop] [snoop on|off] [skb] [csa-max N] [visitor-max N]" },
	{ "fa", "detach", fa_detach, "[dev IF[,IF]]" },
	{ "fa", "capture", ctl_fa_capture,
	  "-w FILE [--at entry|exit|both] [-c COUNT] [-t SECONDS] [snaplen N] [force]" },
	{ NULL, NULL, NULL, NULL },
};
