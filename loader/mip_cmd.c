/* mmlctl mip show|bindings|visitors|register|deregister: ask the node's
 * mmlkeyd over its control socket (keyd/keyd.h) and print the answer
 * through the usual output path.
 *
 *   mmlctl [-j] [-n NODE] mip show [sock PATH]
 *
 * The socket defaults to /run/mmlipsec/<node>.sock, node as for the maps
 * (-n, else the host name). -j/-p may also follow the verb. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "keyd/keyd.h"
#include "lib/args.h"
#include "lib/log.h"
#include "loader/ctl.h"

#define REPLY_MAX (16u << 20)
#define TIMEOUT_MS 5000

static int connect_keyd(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int read_all(int fd, char **out)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1), *bigger;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (poll(&pfd, 1, TIMEOUT_MS) <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			if (cap >= REPLY_MAX) {
				free(buf);
				return -EMSGSIZE;
			}
			cap *= 2;
			bigger = realloc(buf, cap + 1);
			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
		}
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Sends {"module": module, "verb": verb} and returns the "result" member. */
static int keyd_call(const char *path, const char *module, const char *verb, json_object **result)
{
	json_object *req = json_object_new_object(), *reply = NULL, *ok, *val;
	const char *text;
	char *buf = NULL;
	int fd, err;

	json_object_object_add(req, "module", json_object_new_string(module));
	json_object_object_add(req, "verb", json_object_new_string(verb));
	json_object_object_add(req, "args", json_object_new_array());
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	fd = connect_keyd(path);
	if (fd < 0) {
		err = fd;
		log_err("%s %s: %s: %s (is mmlkeyd running on this node?)", module, verb, path,
			strerror(-err));
		goto out;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || write(fd, "\n", 1) != 1 ||
	    shutdown(fd, SHUT_WR)) {
		err = -errno;
		log_err("%s %s: writing to %s: %s", module, verb, path, strerror(-err));
		goto out;
	}
	err = read_all(fd, &buf);
	if (err) {
		log_err("%s %s: reading from %s: %s", module, verb, path, strerror(-err));
		goto out;
	}
	reply = json_tokener_parse(buf);
	if (!reply || !json_object_object_get_ex(reply, "ok", &ok)) {
		err = -EPROTO;
		log_err("%s %s: mmlkeyd sent no valid reply", module, verb);
		goto out;
	}
	if (!json_object_get_boolean(ok)) {
		err = -EINVAL;
		log_err("%s", json_object_object_get_ex(reply, "error", &val) ?
				      json_object_get_string(val) :
				      "mmlkeyd refused the command");
		goto out;
	}
	*result = json_object_object_get_ex(reply, "result", &val) ? json_object_get(val) :
								     json_object_new_object();
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	json_object_put(reply);
	json_object_put(req);
	return err;
}

static int keyd_run(struct ctl *ctl, const char *module, const char *verb, int argc, char **argv,
		    bool prints)
{
	char ctx[32], default_path[300];
	const char *path = NULL, *node;
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
	if (!path) {
		node = strrchr(ctl->dir.path, '/');
		node = node ? node + 1 : ctl->dir.path;
		snprintf(default_path, sizeof(default_path), "%s/%s.sock", MML_KEYD_SOCK_DIR, node);
		path = default_path;
	}
	err = keyd_call(path, module, verb, &result);
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
	{ NULL, NULL, NULL, NULL },
};
