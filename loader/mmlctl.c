/* mmlctl: the loader and inspector of the mmlipsec data plane.
 *
 *   mmlctl [-j|-p] [-r ROOT] [-n NODE] [-v] OBJECT [VERB] [ARGS...]
 *
 * Objects and verbs come from the tables of the *_cmd.c files; keywords are
 * matched exactly; errors quote the offending token and go to stderr once,
 * here at the top, as an exit status. */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/args.h"
#include "lib/log.h"
#include "lib/version.h"
#include "loader/ctl.h"

static const struct ctl_cmd *const cmd_tables[] = {
	fa_cmds, csa_cmds, visitor_cmds, stats_cmds, ep_cmds, mip_cmds, snoop_cmds,
};

/* The verb an object runs when none is given. */
static const struct {
	const char *object, *verb;
} default_verbs[] = {
	{ "csa", "list" },  { "visitor", "list" }, { "stats", "show" }, { "binding", "list" },
	{ "flow", "list" }, { "mip", "show" },	   { "snoop", "show" },
};

void ctl_print(struct ctl *ctl, json_object *result)
{
	mml_out_print(stdout, result, ctl->format);
	json_object_put(result);
}

int ctl_open_map(struct ctl *ctl, const char *name, unsigned int key_size, unsigned int value_size)
{
	int fd = mml_pin_open_map(ctl->dir.path, name, key_size, value_size);

	if (fd == -ENOENT)
		log_err("%s/%s is not pinned: attach a role to this node first (mmlctl attach)",
			ctl->dir.path, name);
	else if (fd < 0 && fd != -EPROTO)
		log_err("opening %s/%s: %s", ctl->dir.path, name, strerror(-fd));
	return fd;
}

json_object *ctl_map_to_json(int fd, size_t value_size, ctl_entry_json to_json, void *arg)
{
	json_object *list = json_object_new_array();
	uint32_t key, next, *prev = NULL;
	void *value = calloc(1, value_size);

	if (!value)
		return list;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, value))
			json_object_array_add(list, to_json(key, value, arg));
	}
	OPENSSL_cleanse(value, value_size);
	free(value);
	return list;
}

int ctl_prepare_node(struct ctl *ctl)
{
	int err = mml_pin_dir_create(&ctl->dir);

	if (!err)
		err = mml_pin_dir_lock(&ctl->dir, true);
	if (err)
		log_err("node directory %s: %s", ctl->dir.path, strerror(-err));
	return err;
}

int ctl_split_ifaces(const char *ctx, char *list, uint32_t *ifindex, int max)
{
	int n = 0;

	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == max || mml_parse_ifname(tok, &ifindex[n])) {
			log_err("%s: \"%s\": %s", ctx, tok,
				n == max ? "too many interfaces" : "no such interface");
			return -EINVAL;
		}
		n++;
	}
	return n;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmlctl [-j|-p] [-r ROOT] [-n NODE] [-N NETNS] [-v] OBJECT [VERB] [ARGS...]\n"
		"       mmlctl help | -h | --help\n"
		"       mmlctl --version\n"
		"       mmlctl OBJECT help\n"
		"  -j  JSON output       -p  pretty JSON\n"
		"  -r  pin root (default " MML_PIN_ROOT_DEFAULT ")\n"
		"  -n  node name: maps live in ROOT/NODE (default: NETNS, else the host name)\n"
		"  -N  run in network namespace NETNS (/run/netns/NETNS or a path), as ip -n\n"
		"  -v  debug messages (libbpf's too)\n\n");
	for (size_t t = 0; t < sizeof(cmd_tables) / sizeof(cmd_tables[0]); t++)
		for (const struct ctl_cmd *c = cmd_tables[t]; c->object; c++)
			fprintf(f, "  mmlctl %s %s %s\n", c->object, c->verb, c->usage);
}

/* One object's verbs, as "ip link help" and "bpftool prog help" print them. */
static void object_usage(FILE *f, const char *object)
{
	fprintf(f, "usage:\n");
	for (size_t t = 0; t < sizeof(cmd_tables) / sizeof(cmd_tables[0]); t++)
		for (const struct ctl_cmd *c = cmd_tables[t]; c->object; c++)
			if (!strcmp(c->object, object))
				fprintf(f, "  mmlctl %s %s %s\n", c->object, c->verb, c->usage);
	fprintf(f, "  mmlctl %s help\n", object);
}

static bool is_help(const char *word)
{
	return word && (!strcmp(word, "help") || !strcmp(word, "-h") || !strcmp(word, "--help"));
}

static const struct ctl_cmd *find_cmd(const char *object, const char *verb, bool *object_known)
{
	*object_known = false;
	for (size_t t = 0; t < sizeof(cmd_tables) / sizeof(cmd_tables[0]); t++) {
		for (const struct ctl_cmd *c = cmd_tables[t]; c->object; c++) {
			if (strcmp(c->object, object))
				continue;
			*object_known = true;
			if (!strcmp(c->verb, verb))
				return c;
		}
	}
	return NULL;
}

static const char *default_verb(const char *object)
{
	for (size_t i = 0; i < sizeof(default_verbs) / sizeof(default_verbs[0]); i++)
		if (!strcmp(default_verbs[i].object, object))
			return default_verbs[i].verb;
	return NULL;
}

/* As ip -n: the interfaces named on the command line are NETNS's. The
 * mount namespace is left alone (ip netns exec would remount /sys, and
 * the pins would be looked for in a bpffs of its own). */
static int enter_netns(const char *netns)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (snprintf(path, sizeof(path), strchr(netns, '/') ? "%s" : "/run/netns/%s", netns) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

static const char *default_node(char *buf, size_t len)
{
	if (gethostname(buf, len) || !buf[0])
		snprintf(buf, len, "local");
	buf[len - 1] = '\0';
	return buf;
}

int main(int argc, char **argv)
{
	struct ctl ctl = { .format = MML_OUT_TEXT };
	const char *root = MML_PIN_ROOT_DEFAULT, *node = NULL, *netns = NULL, *object, *verb;
	const struct ctl_cmd *cmd;
	char host[65];
	bool object_known, debug = false;
	int opt, err, first;

	if (mml_version_requested(argc, argv, "mmlctl"))
		return 0;

	static const struct option long_opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((opt = getopt_long(argc, argv, "+jpr:n:N:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			ctl.format = MML_OUT_JSON;
			break;
		case 'p':
			ctl.format = MML_OUT_JSON_PRETTY;
			break;
		case 'r':
			root = optarg;
			break;
		case 'n':
			node = optarg;
			break;
		case 'N':
			netns = optarg;
			break;
		case 'v':
			debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	mml_log_open("mmlctl", false, debug ? MML_LOG_DEBUG : MML_LOG_INFO);
	mml_log_libbpf();
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (netns) {
		err = enter_netns(netns);
		if (err) {
			log_err("network namespace \"%s\": %s", netns, strerror(-err));
			return 2;
		}
		/* A bed's node and its namespace share the name; a path's last
		 * component serves the same way. */
		if (!node)
			node = strrchr(netns, '/') ? strrchr(netns, '/') + 1 : netns;
	}
	if (!node)
		node = default_node(host, sizeof(host));
	if (mml_pin_dir_init(&ctl.dir, root, node)) {
		log_err("\"%s\": not a usable node name (letters, digits, '-', '_', '.')", node);
		return 2;
	}

	object = argv[optind];
	if (!strcmp(object, "help")) {
		usage(stdout);
		return 0;
	}
	first = optind + 1;
	verb = first < argc ? argv[first] : NULL;
	object_known = false;
	cmd = verb ? find_cmd(object, verb, &object_known) : NULL;
	if (!object_known)
		find_cmd(object, "", &object_known);
	if (!object_known) {
		log_err("\"%s\": unknown object (try mmlctl help)", object);
		return 2;
	}
	if (is_help(verb)) {
		object_usage(stdout, object);
		return 0;
	}
	if (cmd) {
		first++;
	} else {
		/* No verb, or the next word is already an argument ("csa show-keys"
		 * is not a thing, but "stats reset" is): try the default verb. An
		 * object without one explains itself rather than guessing. */
		const char *dv = default_verb(object);

		cmd = dv ? find_cmd(object, dv, &object_known) : NULL;
		if (!cmd) {
			if (verb)
				log_err("%s: \"%s\": unknown verb", object, verb);
			else
				log_err("%s: a verb is needed", object);
			object_usage(stderr, object);
			return 2;
		}
	}
	err = cmd->fn(&ctl, argc - first, argv + first);
	mml_pin_dir_unlock(&ctl.dir);
	return err ? 1 : 0;
}
