/* mmlkeyd: the per-node daemon for Mobile IPv4 (and, later, ML-IKE).
 *
 *   mmlkeyd [-f CONFIG] [-F] [-d]
 *     -f  configuration file (default /etc/mmlipsec/mmlkeyd.conf), which must
 *         belong to us and be unreadable by group and others (it holds keys)
 *     -F  stay in the foreground and log to stderr (default: syslog)
 *     -d  debug messages
 *
 * Under systemd (Type=notify, dist/systemd/mmlkeyd.service) it says READY=1
 * once its modules are up; SIGHUP reads the configuration again and applies
 * what may change while running (keyd/reload.c), between RELOADING=1 and
 * READY=1. Without NOTIFY_SOCKET the notifications are no-ops.
 *
 * The configuration's top level names the node and where its maps and
 * control socket live; each protocol module has its own section
 * (docs/mobileip.md has an example). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include <openssl/crypto.h>

#include "keyd/flows.h"
#include "keyd/harden.h"
#include "keyd/ike/ike_conf.h"
#include "keyd/ike/mh_tmpl.h"
#include "keyd/keyd.h"
#include "lib/log.h"
#include "lib/version.h"

#define DEFAULT_CONFIG "/etc/mmlipsec/mmlkeyd.conf"
/* A configuration is a few kilobytes; anything near this is not one. */
#define CONFIG_MAX (1 << 20)

static const struct keyd_module *const modules[] = {
	&mip_module,
	&ike_module,
};
#define N_MODULES (sizeof(modules) / sizeof(modules[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: mmlkeyd [-f CONFIG] [-F] [-d]\n"
		   "       mmlkeyd -k MASTER_KEY_FILE -P HOME_ADDRESS\n"
		   "       mmlkeyd --version\n"
		   "  -f  configuration file (default " DEFAULT_CONFIG ")\n"
		   "  -F  foreground, log to stderr\n"
		   "  -d  debug messages\n"
		   "  -P  print the PSK of the mobile host with that home address, derived\n"
		   "      from the master key of an ike template (psk_master_file, -k)\n");
}

/* -k FILE -P HOME: the line a mobile host's psk_file holds. */
static int print_mh_psk(const char *master_path, const char *home_text)
{
	uint8_t master[IKE_PSK_MAX];
	char psk[MH_PSK_HEX_LEN + 1];
	size_t len = 0;
	uint32_t home;
	int err;

	if (inet_pton(AF_INET, home_text, &home) != 1) {
		fprintf(stderr, "mmlkeyd: -P %s: expected a home address A.B.C.D\n", home_text);
		return 2;
	}
	err = ike_conf_read_psk(master_path, master, &len);
	if (!err)
		err = mh_tmpl_psk(master, len, home, psk);
	OPENSSL_cleanse(master, sizeof(master));
	if (err)
		return 1;
	printf("%s\n", psk);
	OPENSSL_cleanse(psk, sizeof(psk));
	return 0;
}

/* Reads the opened file whole into a buffer of our own (no stdio buffer
 * keeps the keys it holds), which is wiped once parsed. */
static int read_text(int fd, const char *path, size_t size, char **out)
{
	char *text = malloc(size + 1);
	size_t got = 0;
	ssize_t n;

	if (!text)
		return -ENOMEM;
	while (got < size) {
		n = read(fd, text + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		keyd_config_text_free(text, size + 1);
		log_err("%s: short read", path);
		return -EIO;
	}
	text[size] = '\0';
	*out = text;
	return 0;
}

/* libconfig reads "@include" at the start of a line (after blanks) as an
 * order to parse another file: one that none of read_config's checks
 * (owner, mode, no link) would have seen, yet could hold keys. The whole
 * configuration is one file: the line number of a directive, or 0. */
static int include_line(const char *text)
{
	int line = 1;

	for (const char *p = text; *p; line++) {
		p += strspn(p, " \t");
		if (!strncmp(p, "@include", 8))
			return line;
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return 0;
}

/* Opens the file, checks the opened file (no race with a swap of the path),
 * and parses it. */
static int read_config(config_t *cfg, const char *path)
{
	char *text = NULL;
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = -errno;
		log_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		log_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid()) {
		err = -EPERM;
		log_err("%s: refusing a configuration that holds keys with mode %04o and owner %u: "
			"it must be a regular file of uid %u with mode 0600 or stricter",
			path, st.st_mode & 07777, st.st_uid, geteuid());
		goto out;
	}
	if (st.st_size > CONFIG_MAX) {
		err = -EFBIG;
		log_err("%s: larger than %d bytes", path, CONFIG_MAX);
		goto out;
	}
	err = read_text(fd, path, (size_t)st.st_size, &text);
	if (err)
		goto out;
	if (include_line(text)) {
		err = -EINVAL;
		log_err("%s:%d: @include is not supported: an included file would escape the "
			"checks of this one",
			path, include_line(text));
		goto out;
	}
	if (config_read_string(cfg, text) != CONFIG_TRUE) {
		err = -EINVAL;
		log_err("%s:%d: %s", path, config_error_line(cfg), config_error_text(cfg));
	}
out:
	keyd_config_text_free(text, text ? (size_t)st.st_size + 1 : 0);
	if (fd >= 0)
		close(fd);
	return err;
}

static int log_level_of(const config_t *cfg, bool debug, enum mml_log_level *level)
{
	static const char *const names[] = { "err", "warn", "info", "debug", NULL };
	int idx = MML_LOG_INFO;
	int err = cfg_choice(config_root_setting(cfg), "log_level", names, &idx);

	*level = debug ? MML_LOG_DEBUG : (enum mml_log_level)idx;
	return err;
}

/* What SIGHUP needs to read and apply the configuration again. */
struct reload_ctx {
	struct keyd *kd;
	const char *path;
	bool debug;
	void *const *states;
	unsigned char keys_digest[KEYD_KEYS_DIGEST_LEN];
	char status[160];	 /* the STATUS= of READY=1 */
	struct keyd_flows flows; /* the top-level "flows" (keyd/flows.h) */
};

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void on_hup(void *arg)
{
	struct reload_ctx *r = arg;
	struct keyd_flow *flows = NULL;
	enum mml_log_level level;
	size_t n_flows = 0;
	config_t next;
	int err;

	/* MONOTONIC_USEC: what systemd's Type=notify-reload (253+) asks for. */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
		   (unsigned long long)monotonic_usec(), r->path);
	log_info("SIGHUP: reading %s again", r->path);
	config_init(&next);
	err = read_config(&next, r->path);
	if (!err)
		err = log_level_of(&next, r->debug, &level);
	if (!err)
		err = keyd_flows_parse(config_root_setting(&next), &flows, &n_flows);
	if (!err)
		err = keyd_reload(r->kd, &next, r->keys_digest, modules, r->states, N_MODULES);
	if (!err) {
		mml_log_set_level(level);
		keyd_flows_reload(&r->flows, flows, n_flows);
		flows = NULL;
		log_info("reload: done");
	}
	free(flows);
	keyd_wipe_config_keys(&next);
	config_destroy(&next);
	sd_notifyf(0, "READY=1\nSTATUS=%s%s", r->status,
		   err ? "; last reload refused, see the log" : "");
}

static int setup(struct keyd *kd, const char **sock_path, char *host, size_t host_len)
{
	const config_setting_t *root = config_root_setting(&kd->config);
	const char *pin_root = MML_PIN_ROOT_DEFAULT;
	static char default_sock[200];
	int err;

	if (gethostname(host, host_len) || !host[0])
		snprintf(host, host_len, "local");
	host[host_len - 1] = '\0';
	kd->node = host;
	*sock_path = NULL;
	err = cfg_str(root, "node", false, &kd->node);
	if (!err)
		err = cfg_str(root, "pin_root", false, &pin_root);
	if (!err)
		err = cfg_str(root, "control_socket", false, sock_path);
	if (err)
		return err;
	if (mml_pin_dir_init(&kd->pin, pin_root, kd->node)) {
		log_err("node \"%s\": not a usable node name (letters, digits, '-', '_', '.')",
			kd->node);
		return -EINVAL;
	}
	if (!*sock_path) {
		snprintf(default_sock, sizeof(default_sock), "%s/%s.sock", MML_KEYD_SOCK_DIR,
			 kd->node);
		*sock_path = default_sock;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *config_path = DEFAULT_CONFIG, *sock_path, *master_path = NULL, *mh_home = NULL;
	void *states[N_MODULES] = { NULL };
	struct ctl_server *ctl = NULL;
	struct keyd kd = { .foreground = false };
	struct reload_ctx reload = { .kd = &kd, .states = states };
	enum mml_log_level level;
	bool debug = false;
	char host[65], lock_path[PATH_MAX];
	int opt, err, started = 0, unhardened, wiped, lock_fd = -1;

	if (mml_version_requested(argc, argv, "mmlkeyd"))
		return 0;
	while ((opt = getopt(argc, argv, "f:Fdhk:P:")) != -1) {
		switch (opt) {
		case 'f':
			config_path = optarg;
			break;
		case 'k':
			master_path = optarg;
			break;
		case 'P':
			mh_home = optarg;
			break;
		case 'F':
			kd.foreground = true;
			break;
		case 'd':
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
	if (optind != argc || !master_path != !mh_home) {
		usage(stderr);
		return 2;
	}
	if (mh_home) {
		mml_log_open("mmlkeyd", false, MML_LOG_INFO);
		return print_mh_psk(master_path, mh_home);
	}
	mml_log_open("mmlkeyd", !kd.foreground, debug ? MML_LOG_DEBUG : MML_LOG_INFO);
	mml_log_libbpf();
	/* Before anything holds a key. */
	unhardened = keyd_harden_memory();
	config_init(&kd.config);
	cfg_path = config_path;
	err = read_config(&kd.config, config_path);
	if (!err)
		err = log_level_of(&kd.config, debug, &level);
	if (!err)
		err = setup(&kd, &sock_path, host, sizeof(host));
	if (err)
		goto out;
	mml_log_set_level(level);
	/* Before any socket is opened or unlinked: one daemon per control
	 * socket (and so per node, whose default socket it is). */
	snprintf(lock_path, sizeof(lock_path), "%s.lock", sock_path);
	err = keyd_lock_node(lock_path, kd.node, &lock_fd);
	if (err)
		goto out;
	err = loop_new(&kd.loop);
	if (err)
		goto out;
	for (size_t i = 0; i < N_MODULES; i++) {
		const config_setting_t *sec = config_lookup(&kd.config, modules[i]->name);

		if (!sec)
			continue;
		err = modules[i]->start(&kd, sec, &states[i]);
		if (err)
			goto out;
		started++;
	}
	if (!started) {
		err = -EINVAL;
		log_err("%s: no module section (\"mip\") configured: nothing to do", config_path);
		goto out;
	}
	err = keyd_flows_start(&reload.flows, kd.loop, &kd.pin, &kd.config);
	if (err)
		goto out;
	err = ctl_server_start(&kd, sock_path, modules, states, N_MODULES, &ctl);
	if (err)
		goto out;
	keyd_keys_digest(&kd.config, reload.keys_digest);
	wiped = keyd_wipe_config_keys(&kd.config);
	err = keyd_drop_caps();
	if (err)
		goto out;
	log_info("mmlkeyd: node %s, control socket %s", kd.node, sock_path);
	log_info("hardening: not dumpable, memory locked, %d inline keys wiped from the "
		 "configuration, capabilities kept: net_admin, bpf, ipc_lock%s",
		 wiped, unhardened ? " (some steps failed, see above)" : "");
	reload.path = config_path;
	reload.debug = debug;
	snprintf(reload.status, sizeof(reload.status), "node %s:", kd.node);
	for (size_t i = 0; i < N_MODULES; i++)
		if (states[i])
			snprintf(reload.status + strlen(reload.status),
				 sizeof(reload.status) - strlen(reload.status), " %s",
				 modules[i]->name);
	snprintf(reload.status + strlen(reload.status),
		 sizeof(reload.status) - strlen(reload.status), " up, control socket %s",
		 sock_path);
	loop_on_hup(kd.loop, on_hup, &reload);
	sd_notifyf(0, "READY=1\nSTATUS=%s", reload.status);
	err = loop_run(kd.loop);
	sd_notify(0, "STOPPING=1");
out:
	ctl_server_stop(ctl);
	keyd_flows_stop(&reload.flows);
	for (size_t i = 0; i < N_MODULES; i++)
		if (states[i])
			modules[i]->stop(states[i]);
	loop_free(kd.loop);
	config_destroy(&kd.config);
	if (lock_fd >= 0)
		close(lock_fd);
	return err ? 1 : 0;
}
