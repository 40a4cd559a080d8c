/* mml-link: the emulated link's knobs, over tests/bed/link_ber. The test bed
 * owns them: mmlctl (the product) has no link commands.
 *
 *   mml-link [-n NETNS] [-N NODE] [-r ROOT] [-j] [-v] ber CMD dev IFNAME [hook H] [prio N] ...
 *     ber attach dev IF [hook ingress|egress|xdp] [prio N] [BER]
 *     ber detach dev IF [hook H] [prio N]
 *     ber set    dev IF [hook H] BER
 *     ber show   [dev IF [hook H]]
 *     ber reset  dev IF [hook H]
 *   mml-link [-n NETNS] [-N NODE] [-r ROOT] air handoff dev IF [drop PORT]...
 *            [connect PORT=TARGET]... [gap MS]
 *     IF (the MH's port) down, the drop ports' frames go nowhere, MS ms
 *     later the connect ports forward to their targets and IF is up again;
 *     prints "link-down T" and "link-up T" (CLOCK_REALTIME s). Pins in
 *     ROOT/NODE/air (tests/bed/air.c).
 *
 * -n enters /run/netns/NETNS first (pins stay in the caller's bpffs); NODE
 * names the pin directory ROOT/NODE (default: NETNS, else "local"). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "tests/bed/air.h"
#include "tests/bed/link_ber.h"
#include "lib/log.h"
#include "tests/bed/netns.h"

struct cli {
	const char *node;
	const char *root;
	bool json;
	/* from the keyword arguments */
	const char *dev;
	enum mml_link_ber_hook hook;
	int prio;
	const char *ber_text;
	double ber;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mml-link [-n NETNS] [-N NODE] [-r ROOT] [-j] [-v] ber CMD ARGS\n"
		"  ber attach dev IF [hook ingress|egress|xdp] [prio N] [BER]\n"
		"  ber detach dev IF [hook H] [prio N]\n"
		"  ber set    dev IF [hook H] BER       BER: 0, 1/65536, 1/64K, 1.9e-6\n"
		"  ber show   [dev IF [hook H]]\n"
		"  ber reset  dev IF [hook H]\n"
		"usage: mml-link [-n NETNS] [-N NODE] [-r ROOT] air handoff dev IF [drop PORT]...\n"
		"                [connect PORT=TARGET]... [gap MS]\n"
		"pins: ROOT/NODE/link_ber/IF-HOOK (ROOT %s, NODE = NETNS or \"local\")\n",
		MML_PIN_ROOT);
}

/* Keyword arguments, exact match; one bare token is the BER. */
static int parse_args(struct cli *cli, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *kw = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!strcmp(kw, "dev") || !strcmp(kw, "hook") || !strcmp(kw, "prio")) {
			if (!val) {
				log_err("\"%s\" needs a value", kw);
				return -EINVAL;
			}
			i++;
		}
		if (!strcmp(kw, "dev")) {
			cli->dev = val;
		} else if (!strcmp(kw, "hook")) {
			if (mml_link_ber_hook_parse(val, &cli->hook)) {
				log_err("hook \"%s\": expected ingress, egress or xdp", val);
				return -EINVAL;
			}
		} else if (!strcmp(kw, "prio")) {
			long prio = strtol(val, &end, 10);

			if (*end || prio < 1 || prio > 65535) {
				log_err("prio \"%s\": expected 1..65535", val);
				return -EINVAL;
			}
			cli->prio = (int)prio;
		} else if (!cli->ber_text) {
			int err = mml_link_ber_parse(kw, &cli->ber);

			if (err) {
				log_err("\"%s\": not a keyword and not a BER (0, 1/65536, 1/64K, "
					"1.9e-6 in [%g, 1))",
					kw, MML_BER_MIN);
				return err;
			}
			cli->ber_text = kw;
		} else {
			log_err("unexpected \"%s\"", kw);
			return -EINVAL;
		}
	}
	return 0;
}

static int pin_dir_of(const struct cli *cli, char *buf, size_t len)
{
	int err = mml_link_ber_pin_dir(buf, len, cli->root, cli->node, cli->dev, cli->hook);

	if (err)
		log_err("pin directory name too long for %s", cli->dev);
	return err;
}

static int need_dev(const struct cli *cli, const char *cmd)
{
	if (cli->dev)
		return 0;
	log_err("ber %s: needs dev IFNAME", cmd);
	return -EINVAL;
}

static int cmd_attach(struct cli *cli)
{
	struct mml_link_ber *lb = NULL;
	char pin_dir[PATH_MAX];
	int lock_fd = -1, err;

	err = need_dev(cli, "attach");
	if (!err)
		err = pin_dir_of(cli, pin_dir, sizeof(pin_dir));
	if (err)
		goto out;
	lock_fd = mml_link_ber_lock(pin_dir);
	if (lock_fd < 0) {
		err = lock_fd;
		goto out;
	}
	err = mml_link_ber_open(pin_dir, &lb);
	if (!err && cli->ber_text)
		err = mml_link_ber_set(mml_link_ber_maps_of(lb).cfg_fd, cli->ber);
	if (!err)
		err = mml_link_ber_attach(lb, cli->dev, cli->hook, cli->prio);
out:
	mml_link_ber_close(lb);
	if (lock_fd >= 0)
		close(lock_fd);
	return err;
}

static int cmd_detach(struct cli *cli)
{
	char pin_dir[PATH_MAX];
	int lock_fd = -1, err;

	err = need_dev(cli, "detach");
	if (!err)
		err = pin_dir_of(cli, pin_dir, sizeof(pin_dir));
	if (err)
		goto out;
	lock_fd = mml_link_ber_lock(pin_dir);
	if (lock_fd < 0) {
		err = lock_fd;
		goto out;
	}
	err = mml_link_ber_detach(cli->dev, cli->hook, cli->prio);
	/* Unpin even when the attachment was already gone (interface deleted):
	 * detach must leave nothing behind. */
	if (mml_link_ber_unpin(pin_dir) && !err)
		err = -EIO;
out:
	if (lock_fd >= 0)
		close(lock_fd);
	return err;
}

static int cmd_set(struct cli *cli)
{
	struct mml_link_ber_maps maps = { -1, -1 };
	char pin_dir[PATH_MAX];
	int err;

	err = need_dev(cli, "set");
	if (!err && !cli->ber_text) {
		log_err("ber set: needs a BER (0, 1/65536, 1/64K, 1.9e-6)");
		err = -EINVAL;
	}
	if (!err)
		err = pin_dir_of(cli, pin_dir, sizeof(pin_dir));
	if (!err)
		err = mml_link_ber_maps_open(pin_dir, &maps);
	if (!err)
		err = mml_link_ber_set(maps.cfg_fd, cli->ber);
	mml_link_ber_maps_close(&maps);
	return err;
}

static int cmd_reset(struct cli *cli)
{
	struct mml_link_ber_maps maps = { -1, -1 };
	char pin_dir[PATH_MAX];
	int err;

	err = need_dev(cli, "reset");
	if (!err)
		err = pin_dir_of(cli, pin_dir, sizeof(pin_dir));
	if (!err)
		err = mml_link_ber_maps_open(pin_dir, &maps);
	if (!err)
		err = mml_link_ber_counters_reset(maps.stats_fd);
	mml_link_ber_maps_close(&maps);
	return err;
}

static void print_one(const struct cli *cli, json_object *arr, double ber,
		      const struct mml_link_ber_counters *c)
{
	const char *hook = mml_link_ber_hook_name(cli->hook);
	json_object *o;

	if (!arr) {
		printf("%s %s: ber %g", cli->dev, hook, ber);
		if (ber > 0)
			printf(" (1/%.0f)", 1 / ber);
		printf(" passed %llu frames %llu bits lost %llu frames %llu bits\n",
		       c->frames_passed, c->bytes_passed * 8, c->frames_lost, c->bytes_lost * 8);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "dev", json_object_new_string(cli->dev));
	json_object_object_add(o, "hook", json_object_new_string(hook));
	json_object_object_add(o, "ber", json_object_new_double(ber));
	json_object_object_add(o, "frames_passed", json_object_new_uint64(c->frames_passed));
	json_object_object_add(o, "bits_passed", json_object_new_uint64(c->bytes_passed * 8));
	json_object_object_add(o, "frames_lost", json_object_new_uint64(c->frames_lost));
	json_object_object_add(o, "bits_lost", json_object_new_uint64(c->bytes_lost * 8));
	json_object_array_add(arr, o);
}

static int show_one(const struct cli *cli, json_object *arr)
{
	struct mml_link_ber_maps maps = { -1, -1 };
	struct mml_link_ber_counters c;
	char pin_dir[PATH_MAX];
	double ber = 0;
	int err;

	err = pin_dir_of(cli, pin_dir, sizeof(pin_dir));
	if (!err)
		err = mml_link_ber_maps_open(pin_dir, &maps);
	if (!err)
		err = mml_link_ber_get(maps.cfg_fd, &ber);
	if (!err)
		err = mml_link_ber_counters_read(maps.stats_fd, &c);
	if (!err)
		print_one(cli, arr, ber, &c);
	mml_link_ber_maps_close(&maps);
	return err;
}

/* Every instance of the node: directory entries named IFNAME-HOOK. */
static int show_all(struct cli *cli, json_object *arr)
{
	char dir_path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int n = snprintf(dir_path, sizeof(dir_path), "%s/%s/link_ber", cli->root, cli->node);
	int err = 0;

	if (n < 0 || (size_t)n >= sizeof(dir_path))
		return -ENAMETOOLONG;
	dir = opendir(dir_path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		char name[sizeof(de->d_name)];
		char *dash;

		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%s", de->d_name);
		dash = strrchr(name, '-');
		if (!dash || mml_link_ber_hook_parse(dash + 1, &cli->hook))
			continue;
		*dash = '\0';
		cli->dev = name;
		if (show_one(cli, arr) && !err)
			err = -EIO;
	}
	cli->dev = NULL;
	closedir(dir);
	return err;
}

static int cmd_show(struct cli *cli)
{
	json_object *arr = cli->json ? json_object_new_array() : NULL;
	int err = cli->dev ? show_one(cli, arr) : show_all(cli, arr);

	if (arr) {
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
		json_object_put(arr);
	}
	return err;
}

static const struct {
	const char *name;
	int (*run)(struct cli *cli);
} ber_cmds[] = {
	{ "attach", cmd_attach }, { "detach", cmd_detach }, { "set", cmd_set },
	{ "show", cmd_show },	  { "reset", cmd_reset },
};

static int run_ber(struct cli *cli, int argc, char **argv)
{
	if (argc < 1) {
		usage(stderr);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(ber_cmds) / sizeof(ber_cmds[0]); i++) {
		if (strcmp(argv[0], ber_cmds[i].name))
			continue;
		int err = parse_args(cli, argc - 1, argv + 1);

		return err ? err : ber_cmds[i].run(cli);
	}
	log_err("ber: unknown command \"%s\"", argv[0]);
	return -EINVAL;
}

static int air_arg(struct mml_air_handoff *h, const char *kw, char *val)
{
	char *eq, *end;

	if (!strcmp(kw, "dev")) {
		h->dev = val;
	} else if (!strcmp(kw, "drop") && h->n_drop < MML_AIR_STEPS_MAX) {
		h->drop[h->n_drop++] = val;
	} else if (!strcmp(kw, "connect") && h->n_connect < MML_AIR_STEPS_MAX &&
		   (eq = strchr(val, '=')) && eq != val && eq[1]) {
		*eq = '\0';
		h->from[h->n_connect] = val;
		h->to[h->n_connect++] = eq + 1;
	} else if (!strcmp(kw, "gap")) {
		unsigned long ms = strtoul(val, &end, 10);

		if (*end || !*val || ms > 60000)
			return -EINVAL;
		h->gap_ms = (unsigned int)ms;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int run_air(const struct cli *cli, int argc, char **argv)
{
	struct mml_air_handoff h = { 0 };
	double t_down, t_up;
	char dir[PATH_MAX];
	int n, err;

	if (argc < 1 || strcmp(argv[0], "handoff")) {
		usage(stderr);
		return -EINVAL;
	}
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc || air_arg(&h, argv[i], argv[i + 1])) {
			log_err("air handoff: bad or too many arguments at \"%s\" (at most %d drop "
				"and %d connect PORT=TARGET, gap 0..60000)",
				argv[i], MML_AIR_STEPS_MAX, MML_AIR_STEPS_MAX);
			return -EINVAL;
		}
	}
	if (!h.dev) {
		log_err("air handoff: needs dev IFNAME");
		return -EINVAL;
	}
	n = snprintf(dir, sizeof(dir), "%s/%s/air", cli->root, cli->node);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	err = mml_air_handoff(dir, &h, &t_down, &t_up);
	if (err)
		return err;
	printf("link-down %.6f\nlink-up %.6f\n", t_down, t_up);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {
		.root = MML_PIN_ROOT,
		.hook = MML_LINK_BER_TC_INGRESS,
		.prio = MML_LINK_BER_TC_PRIO_DEFAULT,
	};
	const char *netns = NULL;
	int opt;

	mml_log_libbpf();
	while ((opt = getopt(argc, argv, "+n:N:r:jvh")) != -1) {
		switch (opt) {
		case 'n':
			netns = optarg;
			break;
		case 'N':
			cli.node = optarg;
			break;
		case 'r':
			cli.root = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'v':
			mml_log_set_level(MML_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!cli.node)
		cli.node = netns ? netns : "local";
	if (strchr(cli.node, '/')) {
		log_err("node \"%s\": must not contain '/'", cli.node);
		return 2;
	}
	if (netns && mml_netns_enter(netns))
		return 1;
	if (optind < argc && !strcmp(argv[optind], "air"))
		return run_air(&cli, argc - optind - 1, argv + optind + 1) ? 1 : 0;
	if (optind >= argc || strcmp(argv[optind], "ber")) {
		if (optind < argc)
			log_err("unknown object \"%s\" (expected: ber or air)", argv[optind]);
		usage(stderr);
		return 2;
	}
	return run_ber(&cli, argc - optind - 1, argv + optind + 1) ? 1 : 0;
}
