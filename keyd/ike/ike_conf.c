#include "keyd/ike/ike_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/log.h"

int ike_conf_identity(const char *text, struct ike_identity *id)
{
	static const struct {
		const char *prefix;
		uint8_t type;
	} kinds[] = {
		{ "fqdn:", IKE_ID_FQDN },
		{ "email:", IKE_ID_RFC822_ADDR },
		{ "ipv4:", IKE_ID_IPV4_ADDR },
		{ "keyid:", IKE_ID_KEY_ID },
	};

	memset(id, 0, sizeof(*id));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t plen = strlen(kinds[i].prefix);
		const char *v = text + plen;

		if (strncmp(text, kinds[i].prefix, plen))
			continue;
		id->type = kinds[i].type;
		if (id->type == IKE_ID_IPV4_ADDR) {
			if (inet_pton(AF_INET, v, id->data) != 1)
				break;
			id->len = 4;
			return 0;
		}
		if (!*v || strlen(v) > IKE_ID_MAX)
			break;
		id->len = (uint8_t)strlen(v);
		memcpy(id->data, v, id->len);
		return 0;
	}
	log_err("identity \"%s\": expected fqdn:NAME, email:ADDR, ipv4:A.B.C.D or keyid:TEXT",
		text);
	return -EINVAL;
}

int ike_conf_ts(const char *text, struct ike_ts_pl *ts)
{
	char buf[32];
	char *slash;
	unsigned long plen = 32;
	struct in_addr a;
	uint32_t addr, mask;

	if (strlen(text) >= sizeof(buf))
		goto bad;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		*slash = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (*end || plen > 32 || end == slash + 1)
			goto bad;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		goto bad;
	addr = ntohl(a.s_addr);
	mask = plen ? 0xffffffffu << (32 - plen) : 0;
	memset(ts, 0, sizeof(*ts));
	ts->n = 1;
	ts->ts[0] = (struct ike_ts){ .proto = 0,
				     .port_lo = 0,
				     .port_hi = 0xffff,
				     .addr_lo = addr & mask,
				     .addr_hi = (addr & mask) | ~mask };
	return 0;
bad:
	log_err("traffic selector \"%s\": expected A.B.C.D[/LEN]", text);
	return -EINVAL;
}

int ike_conf_encr(const char *text, uint16_t *encr)
{
	if (!strcmp(text, "aes256gcm16"))
		*encr = IKE_ENCR_AES_GCM_16;
	else if (!strcmp(text, "chacha20poly1305"))
		*encr = IKE_ENCR_CHACHA20_POLY1305;
	else {
		log_err("algorithm \"%s\": expected aes256gcm16 or chacha20poly1305", text);
		return -EINVAL;
	}
	return 0;
}

int ike_conf_read_psk(const char *path, uint8_t *psk, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("psk file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || (st.st_mode & 077)) {
		log_err("psk file %s: readable by group or others, refused (chmod 600)", path);
		err = -EPERM;
		goto out;
	}
	n = read(fd, psk, IKE_PSK_MAX);
	if (n <= 0) {
		log_err("psk file %s: empty or unreadable", path);
		err = -EINVAL;
		goto out;
	}
	if (psk[n - 1] == '\n')
		n--;
	if (n == 0) {
		err = -EINVAL;
		goto out;
	}
	*len = (size_t)n;
out:
	if (err)
		OPENSSL_cleanse(psk, IKE_PSK_MAX);
	close(fd);
	return err;
}

static int opt_string(const config_setting_t *s, const char *name, const char **out)
{
	*out = NULL;
	config_setting_lookup_string(s, name, out);
	return 0;
}

/* A soft lifetime in seconds (the engine keeps milliseconds). */
static int soft_lifetime(const config_setting_t *s, const char *name, uint32_t *ms)
{
	int ival;

	if (!config_setting_lookup_int(s, name, &ival))
		return 0;
	if (ival < 0 || ival > 86400 * 30) {
		log_err("%s %d: expected 0..%d seconds", name, ival, 86400 * 30);
		return -EINVAL;
	}
	*ms = (uint32_t)ival * 1000;
	return 0;
}

int ike_conf_peer(const config_setting_t *s, struct ike_peer_cfg *peer)
{
	const char *name, *addr, *str;
	int ival, bval;
	struct in_addr a;

	memset(peer, 0, sizeof(*peer));
	if (!config_setting_lookup_string(s, "name", &name) || strlen(name) >= IKE_NAME_MAX ||
	    !config_setting_lookup_string(s, "address", &addr) ||
	    inet_pton(AF_INET, addr, &a) != 1) {
		log_err("line %d: a peer needs name (< %d chars) and address (A.B.C.D)",
			config_setting_source_line(s), IKE_NAME_MAX);
		return -EINVAL;
	}
	strcpy(peer->name, name);
	peer->addr = a.s_addr;
	peer->port = IKE_PORT;
	if (config_setting_lookup_int(s, "port", &ival))
		peer->port = (uint16_t)ival;
	peer->ike_encr = IKE_ENCR_AES_GCM_16;
	peer->esp_encr = IKE_ENCR_AES_GCM_16;
	peer->zone2_encr = IKE_ENCR_CHACHA20_POLY1305;
	peer->z1_len = MML_Z1_DEFAULT;
	opt_string(s, "local_id", &str);
	if (!str || ike_conf_identity(str, &peer->local_id))
		goto bad;
	opt_string(s, "peer_id", &str);
	if (str && ike_conf_identity(str, &peer->peer_id))
		goto bad;
	opt_string(s, "psk_file", &str);
	if (!str || ike_conf_read_psk(str, peer->psk, &peer->psk_len))
		goto bad;
	opt_string(s, "ike", &str);
	if (str && ike_conf_encr(str, &peer->ike_encr))
		goto bad;
	opt_string(s, "esp", &str);
	if (str && ike_conf_encr(str, &peer->esp_encr))
		goto bad;
	opt_string(s, "zone2", &str);
	if (str && ike_conf_encr(str, &peer->zone2_encr))
		goto bad;
	if (config_setting_lookup_bool(s, "child", &bval))
		peer->child = bval;
	if (config_setting_lookup_bool(s, "encap", &bval))
		peer->encap = bval;
	if (config_setting_lookup_bool(s, "neighbor", &bval))
		peer->neighbor = bval;
	if (config_setting_lookup_bool(s, "pfs", &bval))
		peer->pfs = bval;
	opt_string(s, "local_ts", &str);
	if (str && ike_conf_ts(str, &peer->ts_local))
		goto bad;
	opt_string(s, "remote_ts", &str);
	if (str && ike_conf_ts(str, &peer->ts_remote))
		goto bad;
	if (peer->child && (!peer->ts_local.n || !peer->ts_remote.n)) {
		log_err("peer %s: child = true needs local_ts and remote_ts", name);
		goto bad;
	}
	if (config_setting_lookup_int(s, "z1_len", &ival)) {
		if (ival < MML_Z1_MIN || ival > MML_Z1_MAX || ival % 4) {
			log_err("peer %s: z1_len %d outside %d..%d or not a multiple of 4", name,
				ival, MML_Z1_MIN, MML_Z1_MAX);
			goto bad;
		}
		peer->z1_len = (uint8_t)ival;
	}
	if (soft_lifetime(s, "ike_rekey_time", &peer->ike_rekey_ms) ||
	    soft_lifetime(s, "child_rekey_time", &peer->child_rekey_ms))
		goto bad;
	if (config_setting_lookup_int(s, "csa_soft_lifetime", &ival))
		peer->csa_soft_lifetime_s = (uint32_t)ival;
	if (config_setting_lookup_int(s, "csa_hard_lifetime", &ival))
		peer->csa_hard_lifetime_s = (uint32_t)ival;
	return 0;
bad:
	log_err("peer %s (line %d): invalid configuration", name, config_setting_source_line(s));
	OPENSSL_cleanse(peer->psk, sizeof(peer->psk));
	return -EINVAL;
}
