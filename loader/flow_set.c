/* mmlctl flow set: a flow's new mode, agreed with the peer over ML-IKE
 * (docs/protocol.md §2.7). mmlkeyd sends the request on the MH <-> HA IKE
 * SA (control verb ike flow-set, which answers with a request id at once);
 * this waits for the peer's answer (ike flow-status) and prints it. A
 * downgrade is in force once agreed, an upgrade at once. Mode auto (the HA
 * only) hands the flow to the auto policy: ESP while the FA's link is
 * clean, ML-ESP while it is lossy (keyd/ike/link_ctl.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/args.h"
#include "lib/log.h"
#include "loader/ctl.h"
#include "maps/ep.h"

#define POLL_NS 20000000L
#define WAIT_POLLS 500 /* 10 s: the IKE SA's retransmissions are over by then */

static json_object *args_of(const uint32_t *v, size_t n)
{
	json_object *a = json_object_new_array();
	char buf[16];

	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%u", v[i]);
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

int ctl_flow_set(struct ctl *ctl, int argc, char **argv)
{
	static const char *const protos[] = { "any", "tcp", "udp", "icmp", NULL };
	static const char *const modes[] = { "plain", "esp", "mlesp", "auto", NULL };
	static const uint8_t proto_of[] = { 0, 6, 17, 1 };
	uint32_t home = 0, peer = 0, hport = 0, pport = 0, every = 0, secs = 0;
	int proto = 0, mode = -1, err;
	const char *path = NULL;
	char default_path[300];
	struct mml_opt opts[] = {
		{ "home", MML_OPT_IPV4, &home, NULL, false, false },
		{ "peer", MML_OPT_IPV4, &peer, NULL, false, false },
		{ "proto", MML_OPT_CHOICE, &proto, protos, false, false },
		{ "home-port", MML_OPT_U32, &hport, NULL, false, false },
		{ "peer-port", MML_OPT_U32, &pport, NULL, false, false },
		{ "mode", MML_OPT_CHOICE, &mode, modes, true, false },
		{ "every", MML_OPT_U32, &every, NULL, false, false },
		{ "for", MML_OPT_U32, &secs, NULL, false, false },
		{ "sock", MML_OPT_STR, &path, NULL, false, false },
	};
	json_object *res = NULL, *id_args, *st = NULL, *out;
	const char *state = "pending";
	uint32_t v[8];
	char id[24];

	err = mml_opts_parse("flow set", argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	if (err)
		return err;
	if (hport > 65535 || pport > 65535 || every > 65535 || secs > 86400 * 365) {
		log_err("flow set: ports and every at most 65535, for at most a year");
		return -EINVAL;
	}
	if (every > 1 && mode == MML_MODE_PLAIN) {
		log_err("flow set: every N needs a protected mode (esp or mlesp)");
		return -EINVAL;
	}
	if (!path)
		path = ctl_keyd_default_path(ctl, default_path, sizeof(default_path));
	v[0] = home, v[1] = peer, v[2] = proto_of[proto], v[3] = hport, v[4] = pport;
	v[5] = (uint32_t)mode, v[6] = every, v[7] = secs;
	{
		json_object *a = args_of(v, 8);

		err = ctl_keyd_call_args(path, "ike", "flow-set", a, false, &res);
		json_object_put(a);
	}
	if (err)
		return err;
	snprintf(id, sizeof(id), "%s", str_of(res, "id"));
	json_object_put(res);
	/* auto: the HA switches by its FA's link from now on (mmlctl ike flows). */
	if (mode == 3) {
		out = json_object_new_object();
		json_object_object_add(out, "mode", json_object_new_string("auto"));
		json_object_object_add(out, "answer", json_object_new_string("auto"));
		ctl_print(ctl, out);
		return 0;
	}
	id_args = json_object_new_array();
	json_object_array_add(id_args, json_object_new_string(id));
	for (int i = 0; i < WAIT_POLLS && !strcmp(state, "pending"); i++) {
		struct timespec ts = { 0, POLL_NS };

		json_object_put(st);
		st = NULL;
		err = ctl_keyd_call_args(path, "ike", "flow-status", id_args, false, &st);
		if (err)
			break;
		state = str_of(st, "state");
		if (!strcmp(state, "pending"))
			nanosleep(&ts, NULL);
	}
	json_object_put(id_args);
	if (err)
		return err;
	out = json_object_new_object();
	json_object_object_add(out, "mode", json_object_new_string(modes[mode]));
	json_object_object_add(out, "every", json_object_new_int((int)every));
	json_object_object_add(out, "for", json_object_new_int64(secs));
	json_object_object_add(out, "answer", json_object_new_string(state));
	{
		json_object *x;

		if (json_object_object_get_ex(st, "notify", &x))
			json_object_object_add(out, "notify", json_object_get(x));
		if (json_object_object_get_ex(st, "upgrade", &x))
			json_object_object_add(out, "upgrade", json_object_get(x));
	}
	if (!strcmp(state, "agreed")) {
		err = 0;
	} else if (!strcmp(state, "pending")) {
		log_err("flow set: no answer from the peer yet (mmlctl ike flows shows it)");
		err = -ETIMEDOUT;
	} else {
		json_object *up;
		bool upgrade = json_object_object_get_ex(st, "upgrade", &up) &&
			       json_object_get_boolean(up);

		log_err("flow set: %s by the peer%s%s", state,
			!strcmp(state, "refused") ?
				" (below its flow_downgrade_min, or not its flow)" :
				" (no IKE SA, or no answer)",
			upgrade ? "; the upgrade is in force here all the same" : "");
		err = !strcmp(state, "refused") ? -EPERM : -EIO;
	}
	json_object_put(st);
	ctl_print(ctl, out);
	return err;
}
