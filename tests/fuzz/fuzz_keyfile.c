/* libFuzzer harness for the readers of key files, each checked against an
 * oracle written from its documented rules:
 *   0  mml_secret_file_read (lib/secret_file.c), random size and minimum:
 *      accepted exactly when the file is a regular file of ours with mode
 *      0600 or stricter, not reached through a symbolic link, and min to
 *      size bytes long; then the bytes are the file's; refused, the buffer
 *      is wiped;
 *   1  keyfile_read (loader/keyfile.c, `mmlctl csa add ... keys FILE`): one
 *      zone per line, 72 hex digits, blank and '#' lines skipped; accepted
 *      exactly when every other line is such a key and there are as many
 *      as asked for, with those bytes;
 *   2  ike_conf_read_psk (keyd/ike/ike_conf.c): the content less one
 *      trailing newline, IKE_PSK_MIN to IKE_PSK_MAX bytes, else refused;
 *   3  a Mobile IP key_file (keyd/mip_util.c, through mip_keys_from_config
 *      and a config group naming the file): at most 511 bytes of hex;
 *      accepted exactly when that decodes to 16 to MIP_KEY_MAX bytes, and
 *      the key then authenticates as one built from those bytes.
 * The file is real (a private directory in /dev/shm or /tmp), written for
 * every input: byte 0 picks the reader, byte 1 the file's mode and whether
 * it is reached through a symbolic link, byte 2 the reader's parameters;
 * the rest is the content. A disagreement with the oracle traps. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>
#include <openssl/crypto.h>

#include "keyd/ike/ike_conf.h"
#include "keyd/mip.h"
#include "lib/log.h"
#include "lib/secret_file.h"
#include "loader/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], file[96], link_path[96];
static FILE *out; /* the real stderr: the harness's own messages */

static void trap_if(bool bad, const char *what)
{
	if (bad) {
		fprintf(out ? out : stderr, "fuzz_keyfile: %s\n", what);
		abort();
	}
}

static void cleanup(void)
{
	unlink(file);
	unlink(link_path);
	rmdir(dir);
}

static void init(void)
{
	FILE *null = fopen("/dev/null", "w");

	out = stderr;
	mml_log_open("fuzz", false, MML_LOG_ERR);
	/* Every refusal logs a line: formatted, then thrown away. */
	if (null && !getenv("FUZZ_VERBOSE"))
		stderr = null;
	snprintf(dir, sizeof(dir), "/dev/shm/mml-fuzz-keyfile.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/mml-fuzz-keyfile.XXXXXX");
		trap_if(!mkdtemp(dir), "mkdtemp");
	}
	snprintf(file, sizeof(file), "%s/key", dir);
	snprintf(link_path, sizeof(link_path), "%s/link", dir);
	trap_if(symlink("key", link_path) != 0, "symlink");
	atexit(cleanup);
}

static void write_file(const uint8_t *content, size_t len, mode_t mode)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	trap_if(fd < 0, "open");
	trap_if(len && write(fd, content, len) != (ssize_t)len, "write");
	trap_if(fchmod(fd, mode) != 0, "fchmod");
	close(fd);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void secret_file(const char *path, bool file_ok, uint8_t param, const uint8_t *c, size_t len)
{
	uint8_t buf[256];
	size_t size = 1 + param % 200, min = param / 200 ? size : param % 7, got = 12345;
	bool ok = file_ok && len >= min && len <= size;
	int err;

	memset(buf, 0xa5, sizeof(buf)); /* what the caller's buffer held before */
	err = mml_secret_file_read("fuzz", path, buf, size, min, &got);

	trap_if(!err != ok, "secret file: accepted or refused against the rules");
	if (err) {
		trap_if(got != 0, "secret file: refused with a length");
		trap_if(!all_zero(buf, size), "secret file: refused, buffer not wiped");
		trap_if(len > size && file_ok && err != -EFBIG, "secret file: too long, not EFBIG");
		return;
	}
	trap_if(got != len || memcmp(buf, c, len), "secret file: bytes differ from the file's");
}

/* One key line of the oracle: the token after leading blanks, up to a
 * blank or '#', as OPENSSL_hexstr2buf reads it, 36 bytes. */
static int oracle_line(const char *line, struct keymat *km)
{
	char tok[512];
	size_t n;
	unsigned char *b;
	long blen;

	line += strspn(line, " \t\r\n");
	n = strcspn(line, " \t\r\n#");
	if (n >= sizeof(tok))
		return -1;
	memcpy(tok, line, n);
	tok[n] = '\0';
	b = OPENSSL_hexstr2buf(tok, &blen);
	if (!b)
		return -1;
	if (blen != (long)sizeof(*km)) {
		OPENSSL_free(b);
		return -1;
	}
	memcpy(km->key, b, MML_KEY_LEN);
	memcpy(km->salt, b + MML_KEY_LEN, MML_SALT_LEN);
	OPENSSL_free(b);
	return 0;
}

/* The file's lines, whatever their length; a NUL byte is refused. */
static bool oracle_keyfile(const uint8_t *c, size_t len, struct keymat *km, size_t want)
{
	size_t got = 0, at = 0;
	char line[4200];

	while (at < len) {
		const uint8_t *nl = memchr(c + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (c + at)) : len - at;
		const char *p;

		if (n >= sizeof(line) || memchr(c + at, '\0', n))
			return false;
		memcpy(line, c + at, n);
		line[n] = '\0';
		at += n + 1;
		p = line + strspn(line, " \t\r\n");
		if (!*p || *p == '#')
			continue;
		if (got == want || oracle_line(p, &km[got]))
			return false;
		got++;
	}
	return got == want;
}

static void key_file(const char *path, bool file_ok, uint8_t param, const uint8_t *c, size_t len)
{
	struct keymat got[2], want[2];
	size_t n = 1 + param % 2;
	bool ok = file_ok && oracle_keyfile(c, len, want, n);
	int err = keyfile_read(path, got, n);

	trap_if(!err != ok, "key file: accepted or refused against the rules");
	if (!err)
		trap_if(memcmp(got, want, n * sizeof(got[0])),
			"key file: keys differ from the lines");
	OPENSSL_cleanse(got, sizeof(got));
}

static void psk_file(const char *path, bool file_ok, const uint8_t *c, size_t len)
{
	uint8_t psk[IKE_PSK_MAX];
	size_t got = 0, n = len && len <= IKE_PSK_MAX + 1 && c[len - 1] == '\n' ? len - 1 : len;
	bool ok = file_ok && len <= IKE_PSK_MAX + 1 && n >= IKE_PSK_MIN && n <= IKE_PSK_MAX;
	int err = ike_conf_read_psk(path, psk, &got);

	trap_if(!err != ok, "psk file: accepted or refused against the rules");
	if (!err)
		trap_if(got != n || memcmp(psk, c, n), "psk file: key differs from the file");
}

/* mip_keys_from_config over a group naming the file; the key it gives
 * must authenticate like one built from the decoded hex. */
static void mip_key_file(const char *path, bool file_ok, uint8_t param, const uint8_t *c,
			 size_t len)
{
	static const char *const algs[] = { "hmac-md5", "hmac-sha1", "hmac-sha256" };
	uint8_t secret[MIP_KEY_MAX], m1[128] = "registration", m2[128] = "registration";
	char text[256], hex[512];
	const char *alg = algs[param % 3];
	struct mip_key keys[MIP_MAX_KEYS], ref;
	enum mip_auth_alg a;
	size_t n_keys = 0;
	config_t cfg;
	int n = -1, err, l1, l2;

	if (len < sizeof(hex)) {
		memcpy(hex, c, len);
		hex[len] = '\0';
		n = mip_hex_decode(hex, secret, sizeof(secret));
	}
	config_init(&cfg);
	snprintf(text, sizeof(text), "k = { spi = 300; algorithm = \"%s\"; key_file = \"%s\"; };",
		 alg, path);
	trap_if(config_read_string(&cfg, text) != CONFIG_TRUE, "config template");
	err = mip_keys_from_config(config_lookup(&cfg, "k"), keys, MIP_MAX_KEYS, &n_keys);
	config_destroy(&cfg);
	trap_if(!err != (file_ok && len >= 1 && n >= 16), "key_file: accepted or refused against "
							  "the rules");
	if (err) {
		trap_if(n_keys != 0, "key_file: refused with keys");
		return;
	}
	trap_if(n_keys != 1 || keys[0].spi != 300, "key_file: one key, SPI 300");
	trap_if(mip_alg_parse(alg, &a) || mip_key_init(&ref, 300, a, secret, (size_t)n), "ref key");
	l1 = mip_auth_append(&keys[0], MIP_EXT_MH_AUTH, m1, sizeof(m1), 12);
	l2 = mip_auth_append(&ref, MIP_EXT_MH_AUTH, m2, sizeof(m2), 12);
	trap_if(l1 < 0 || l1 != l2 || memcmp(m1, m2, (size_t)l1), "key_file: a different key");
	mip_key_free(&keys[0]);
	mip_key_free(&ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mode_t modes[4] = { 0600, 0400, 0640, 0604 };
	const uint8_t *c = data + 3;
	size_t len;
	bool via_link, file_ok;
	const char *path;

	if (!dir[0])
		init();
	if (size < 3 || size > 4096)
		return 0;
	len = size - 3;
	via_link = data[1] & 4;
	path = via_link ? link_path : file;
	file_ok = !via_link && !(modes[data[1] % 4] & 077);
	write_file(c, len, modes[data[1] % 4]);
	switch (data[0] % 4) {
	case 0:
		secret_file(path, file_ok, data[2], c, len);
		break;
	case 1:
		/* mmlctl's reader follows links and checks only group and
		 * other access (loader/keyfile.h). */
		key_file(path, !(modes[data[1] % 4] & 077), data[2], c, len);
		break;
	case 2:
		psk_file(path, file_ok, c, len);
		break;
	default:
		mip_key_file(path, file_ok, data[2], c, len);
		break;
	}
	return 0;
}
