/* libFuzzer harness for mmlkeyd's configuration: the daemon's own start-up
 * (keyd/mmlkeyd.c compiled in) on the input as its configuration file,
 * written to a real file: read_config (the file checks, libconfig's
 * parser), the log level and node settings (setup), then each module's
 * start on its section, "mip" (home agent, foreign agent or mobile node,
 * their keys, key files and Foreign-Home peers) and "ike" (the section, its
 * peers, PSK files, DKM settings), and finally the wipe of inline keys.
 *
 * Nothing leaves the process: the modules' first socket is refused
 * (ike_socket_open, mip_udp_open, mip_pkt_open, mip_icmp_open and nl_open
 * are wrapped at link time to return -EACCES) and pinned maps are never
 * found (bpf_obj_get: -ENOENT), so every start ends on its error path and
 * stops: the leak checker sees every cleanup. Key and PSK files the input
 * may name: /tmp/mml-fuzz-cfg/{ok.psk,short.psk,mip.key,open.key}, and
 * a configuration fragment, included.conf (mode 0644).
 *
 * What must hold: no crash, leak or undefined behaviour; a module reports
 * an error with a negative errno; after keyd_wipe_config_keys no setting
 * named "key" holds a character; no setting comes from another file than
 * the one read_config checked (included.conf's marker never appears). Byte 0 bit 0: the file is
 * mode 0640, which read_config must refuse. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mmlkeyd_main(int argc, char **argv);
#define main mmlkeyd_main
#include "keyd/mmlkeyd.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);
int __wrap_ike_socket_open(uint32_t addr, uint16_t port);
int __wrap_mip_udp_open(uint32_t addr, uint16_t port, uint32_t ifindex);
int __wrap_mip_pkt_open(uint32_t ifindex, uint8_t icmp_type);
int __wrap_mip_icmp_open(uint32_t ifindex, uint32_t src_addr);
struct nl;
int __wrap_nl_open(struct nl **out, bool link_events);
int __wrap_bpf_obj_get(const char *path);

int __wrap_ike_socket_open(uint32_t addr, uint16_t port)
{
	return -EACCES;
}

int __wrap_mip_udp_open(uint32_t addr, uint16_t port, uint32_t ifindex)
{
	return -EACCES;
}

int __wrap_mip_pkt_open(uint32_t ifindex, uint8_t icmp_type)
{
	return -EACCES;
}

int __wrap_mip_icmp_open(uint32_t ifindex, uint32_t src_addr)
{
	return -EACCES;
}

int __wrap_nl_open(struct nl **out, bool link_events)
{
	return -EACCES;
}

int __wrap_bpf_obj_get(const char *path)
{
	errno = ENOENT;
	return -ENOENT;
}

/* libconfig's parser (1.5) leaks its string buffer on some syntax
 * errors (strbuf_append, e.g. `peers"ha" {`); mmlkeyd exits on any of
 * them, so the leak is not ours to fix and would hide our own. */
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

#define FILES "/tmp/mml-fuzz-cfg"

static char dir[64], conf[96];
static FILE *out; /* the real stderr */

static void trap_if(bool bad, const char *what)
{
	if (bad) {
		fprintf(out ? out : stderr, "fuzz_cfg: %s\n", what);
		abort();
	}
}

static void put_file(const char *name, const char *text, mode_t mode)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), FILES "/%s", name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	trap_if(fd < 0, "creating a key file");
	trap_if(write(fd, text, strlen(text)) != (ssize_t)strlen(text), "writing a key file");
	trap_if(fchmod(fd, mode) != 0, "fchmod");
	close(fd);
}

static void cleanup(void)
{
	unlink(conf);
	rmdir(dir);
}

static void init(void)
{
	FILE *null = fopen("/dev/null", "w");
	struct stat st;

	out = stderr;
	mml_log_open("fuzz", false, getenv("FUZZ_VERBOSE") ? MML_LOG_DEBUG : MML_LOG_ERR);
	/* Every refused setting logs a line: formatted, then thrown away. */
	if (null && !getenv("FUZZ_VERBOSE"))
		stderr = null;
	if (mkdir(FILES, 0700) && errno != EEXIST)
		trap_if(true, "mkdir " FILES);
	trap_if(lstat(FILES, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid(),
		FILES " is not our directory");
	put_file("ok.psk", "a psk of twenty-four b\n", 0600);
	put_file("short.psk", "short\n", 0600);
	put_file("mip.key", "00112233445566778899aabbccddeeff\n", 0600);
	put_file("open.key", "00112233445566778899aabbccddeeff\n", 0644);
	put_file("included.conf", "included_marker = true;\n", 0644);
	snprintf(dir, sizeof(dir), "/tmp/mml-fuzz-cfg.XXXXXX");
	trap_if(!mkdtemp(dir), "mkdtemp");
	snprintf(conf, sizeof(conf), "%s/mmlkeyd.conf", dir);
	atexit(cleanup);
}

/* After the wipe: no "key" string with a character left. */
static void check_wiped(const config_setting_t *s)
{
	if (config_setting_is_aggregate(s)) {
		for (int i = 0; i < config_setting_length(s); i++)
			check_wiped(config_setting_get_elem(s, (unsigned int)i));
		return;
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING && config_setting_name(s) &&
	    !strcmp(config_setting_name(s), "key"))
		trap_if(config_setting_get_string(s)[0] != '\0', "an inline key survived the wipe");
}

/* main() up to the control socket, on the configuration file conf;
 * returns read_config's verdict. */
static int start_and_stop(void)
{
	struct keyd kd = { .foreground = true };
	void *states[N_MODULES] = { NULL };
	enum mml_log_level level;
	const char *sock_path;
	char host[65];
	int err, read;

	config_init(&kd.config);
	cfg_path = conf;
	err = read = read_config(&kd.config, conf);
	trap_if(!err && config_lookup(&kd.config, "included_marker"),
		"settings read from a file read_config did not check (@include)");
	if (!err)
		err = log_level_of(&kd.config, false, &level);
	if (!err)
		err = setup(&kd, &sock_path, host, sizeof(host));
	if (!err)
		err = loop_new(&kd.loop);
	for (size_t i = 0; !err && i < N_MODULES; i++) {
		const config_setting_t *sec = config_lookup(&kd.config, modules[i]->name);
		int e;

		if (!sec)
			continue;
		e = modules[i]->start(&kd, sec, &states[i]);
		trap_if(e > 0, "a module start returned a positive value");
		if (!e)
			modules[i]->stop(states[i]);
	}
	keyd_wipe_config_keys(&kd.config);
	check_wiped(config_root_setting(&kd.config));
	loop_free(kd.loop);
	config_destroy(&kd.config);
	return read;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;

	if (!out)
		init();
	if (size < 1 || size > 65536)
		return 0;
	fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	trap_if(fd < 0, "creating the configuration");
	trap_if(size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1), "writing it");
	trap_if(fchmod(fd, data[0] & 1 ? 0640 : 0600) != 0, "fchmod");
	close(fd);
	trap_if(data[0] & 1 && start_and_stop() != -EPERM, "a configuration of mode 0640 read");
	if (!(data[0] & 1))
		start_and_stop();
	return 0;
}
