/* mmlctl mip show|bindings|visitors|register|deregister: ask the node's
 * mmlkeyd over its control socket (keyd/keyd.h) and print the answer
 * through the usual output path.
 *
 *   mmlctl [-j] [-n NODE] mip show [sock PATH]
 *
 * The socket defaults to /run/mmlipsec/<node>.sock, node as for the maps
 * (-n, else the host name). -j/-p may also follow the verb. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/args.h"
#include "lib/log.h"
#include "loader/ctl.h"

static int keyd_run(struct ctl *ctl, const char *module, const char *verb, int argc, char **argv,
		    bool prints)
{
	char ctx[32], default_path[300];
	const char *path = NULL;
	json_object *result = NULL;
	int err, n = 0;
	char *args[8];
	struct mml_opt opts[] = { { "sock", MML_OPT_STR, &path, NULL, false, false } };

	/* -j / -p after the verb, as in "mmlctl mip show -j". */
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j"))
			ctl->format = MML_OUT_JSON;
		else if (!strcmp(argv[i], "-p"))
			ctl->format = MML_OUT_JSON_PRETTY;
		else if (n < 8)
			args[n++] = argv[i];
		else
			n++;
	}
	snprintf(ctx, sizeof(ctx), "%s %s", module, verb);
	if (n > 8) {
		log_err("%s: too many arguments", ctx);
		return -EINVAL;
	}
	err = mml_opts_parse(ctx, n, args, opts, 1);
	if (err)
		return err;
	if (!path)
		path = ctl_keyd_default_path(ctl, default_path, sizeof(default_path));
	err = ctl_keyd_call(path, module, verb, false, &result);
	if (err)
		return err;
	if (prints)
		ctl_print(ctl, result);
	else
		json_object_put(result);
	return 0;
}

static int mip_run(struct ctl *ctl, const char *verb, int argc, char **argv, bool prints)
{
	return keyd_run(ctl, "mip", verb, argc, argv, prints);
}

/* ML-IKE (keyd/ike/keyd_ike.c): counters, CSAs, per-message processing. */
static int ike_show(struct ctl *ctl, int argc, char **argv)
{
	return keyd_run(ctl, "ike", "show", argc, argv, true);
}

/* Flow modes agreed with the peer (keyd/ike/flow_ctl.c): in progress, held. */
static int ike_flows(struct ctl *ctl, int argc, char **argv)
{
	return keyd_run(ctl, "ike", "flows", argc, argv, true);
}

static int mip_show(struct ctl *ctl, int argc, char **argv)
{
	return mip_run(ctl, "show", argc, argv, true);
}

static int mip_bindings(struct ctl *ctl, int argc, char **argv)
{
	return mip_run(ctl, "bindings", argc, argv, true);
}

static int mip_visitors(struct ctl *ctl, int argc, char **argv)
{
	return mip_run(ctl, "visitors", argc, argv, true);
}

static int mip_register(struct ctl *ctl, int argc, char **argv)
{
	return mip_run(ctl, "register", argc, argv, false);
}

static int mip_deregister(struct ctl *ctl, int argc, char **argv)
{
	return mip_run(ctl, "deregister", argc, argv, false);
}

const struct ctl_cmd mip_cmds[] = {
	{ "mip", "show", mip_show, "[sock PATH]   role, state and counters of mmlkeyd" },
	{ "mip", "bindings", mip_bindings, "[sock PATH]   HA: registered mobile nodes" },
	{ "mip", "visitors", mip_visitors, "[sock PATH]   FA: visitors and pending requests" },
	{ "mip", "register", mip_register, "[sock PATH]   MH: register again now" },
	{ "mip", "deregister", mip_deregister, "[sock PATH]   MH: deregister (lifetime 0)" },
	{ "ike", "show", ike_show, "[sock PATH]   ML-IKE: counters, CSAs, processing times" },
	{ "ike", "flows", ike_flows,
	  "[sock PATH]   flow modes agreed with the peer: changes in progress or held, counters" },
	{ NULL, NULL, NULL, NULL },
};
