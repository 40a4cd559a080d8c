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

#include "keyd/keyd.h"
#include "lib/log.h"
#include "lib/secret_file.h"

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
	uint8_t buf[IKE_PSK_MAX + 1]; /* room for a trailing newline */
	size_t n;
	int err;

	err = mml_secret_file_read("psk file", path, buf, sizeof(buf), 1, &n);
	if (err)
		return err;
	if (buf[n - 1] == '\n')
		n--;
	if (n > IKE_PSK_MAX || n < IKE_PSK_MIN) {
		log_err("psk file %s: %zu bytes, outside %d..%d", path, n, IKE_PSK_MIN,
			IKE_PSK_MAX);
		err = -EINVAL;
	} else {
		memcpy(psk, buf, n);
		*len = n;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return err;
}

/* Every setting a peer group may hold ("handoff" is read by mmlkeyd's
 * module, keyd_ike.c): a misspelt name is an error, not a default. */
static const char *const peer_settings[] = {
	"name",
	"address",
	"port",
	"local_id",
	"peer_id",
	"psk_file",
	"ike",
	"esp",
	"zone2",
	"child",
	"encap",
	"neighbor",
	"pfs",
	"local_ts",
	"remote_ts",
	"z1_len",
	"ike_rekey_time",
	"child_rekey_time",
	"csa_soft_lifetime",
	"csa_hard_lifetime",
	"csa_soft_packets",
	"csa_hard_packets",
	"handoff",
	"mobiles",
	"psk_master_file",
	NULL,
};

static int check_names(const config_setting_t *s)
{
	char where[300];

	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned int)i);
		const char *name = config_setting_name(m);
		size_t k = 0;

		while (peer_settings[k] && (!name || strcmp(name, peer_settings[k])))
			k++;
		if (!peer_settings[k]) {
			log_err("%s: \"%s\": not a setting of an IKE peer",
				cfg_where(m, where, sizeof(where)), name ? name : "?");
			return -EINVAL;
		}
	}
	return 0;
}

/* Identities, PSK, algorithms and selectors: each a string when present. */
static int peer_strings(const config_setting_t *s, struct ike_peer_cfg *peer)
{
	const char *id = NULL, *peer_id = NULL, *psk = NULL, *ike = NULL, *esp = NULL,
		   *zone2 = NULL, *lts = NULL, *rts = NULL;
	/* A template: the master key, and no identity or PSK of a peer (each
	 * mobile's are derived, keyd/ike/mh_tmpl.c). */
	const char *psk_name = peer->tmpl ? "psk_master_file" : "psk_file";
	const char *other = peer->tmpl ? "psk_file" : "psk_master_file";
	char where[300];

	if (config_setting_get_member(s, other) ||
	    (peer->tmpl && config_setting_get_member(s, "peer_id"))) {
		log_err("%s: %s: %s", cfg_where(s, where, sizeof(where)),
			peer->tmpl ? "a template (mobiles = ...)" : "a peer",
			peer->tmpl ? "psk_master_file, and neither psk_file nor peer_id (each "
				     "mobile's identity is ipv4:<home>, its PSK derived)" :
				     "psk_file, not psk_master_file (that is for mobiles = ...)");
		return -EINVAL;
	}
	if (cfg_str(s, "local_id", true, &id) || cfg_str(s, "peer_id", false, &peer_id) ||
	    cfg_str(s, psk_name, true, &psk) || cfg_str(s, "ike", false, &ike) ||
	    cfg_str(s, "esp", false, &esp) || cfg_str(s, "zone2", false, &zone2) ||
	    cfg_str(s, "local_ts", false, &lts) || cfg_str(s, "remote_ts", false, &rts))
		return -EINVAL;
	if (ike_conf_identity(id, &peer->local_id) ||
	    (peer_id && ike_conf_identity(peer_id, &peer->peer_id)) ||
	    ike_conf_read_psk(psk, peer->psk, &peer->psk_len) ||
	    (ike && ike_conf_encr(ike, &peer->ike_encr)) ||
	    (esp && ike_conf_encr(esp, &peer->esp_encr)) ||
	    (zone2 && ike_conf_encr(zone2, &peer->zone2_encr)) ||
	    (lts && ike_conf_ts(lts, &peer->ts_local)) ||
	    (rts && ike_conf_ts(rts, &peer->ts_remote)))
		return -EINVAL;
	return 0;
}

/* Switches and numbers: of their type and in range, or an error naming the
 * setting (cfg_bool, cfg_u32: keyd/cfg.c). */
static int peer_values(const config_setting_t *s, struct ike_peer_cfg *peer)
{
	uint32_t port = IKE_PORT, z1 = MML_Z1_DEFAULT, ike_rekey = 0, child_rekey = 0;
	char where[300];

	if (cfg_u32(s, "port", false, 1, 65535, &port) || cfg_bool(s, "child", &peer->child) ||
	    cfg_bool(s, "encap", &peer->encap) || cfg_bool(s, "neighbor", &peer->neighbor) ||
	    cfg_bool(s, "pfs", &peer->pfs) ||
	    cfg_u32(s, "z1_len", false, MML_Z1_MIN, MML_Z1_MAX, &z1) ||
	    cfg_u32(s, "ike_rekey_time", false, 0, IKE_CONF_MAX_LIFETIME, &ike_rekey) ||
	    cfg_u32(s, "child_rekey_time", false, 0, IKE_CONF_MAX_LIFETIME, &child_rekey) ||
	    cfg_u32(s, "csa_soft_lifetime", false, 0, IKE_CONF_MAX_LIFETIME,
		    &peer->csa_soft_lifetime_s) ||
	    cfg_u32(s, "csa_hard_lifetime", false, 0, IKE_CONF_MAX_LIFETIME,
		    &peer->csa_hard_lifetime_s) ||
	    cfg_u32(s, "csa_soft_packets", false, 0, MML_SEQ_HARD_DEFAULT,
		    &peer->csa_soft_packets) ||
	    cfg_u32(s, "csa_hard_packets", false, 0, MML_SEQ_HARD_DEFAULT, &peer->csa_hard_packets))
		return -EINVAL;
	if (peer->csa_soft_packets && peer->csa_hard_packets &&
	    peer->csa_soft_packets > peer->csa_hard_packets) {
		log_err("%s: \"csa_soft_packets\" must not be above \"csa_hard_packets\"",
			cfg_where(config_setting_get_member(s, "csa_soft_packets"), where,
				  sizeof(where)));
		return -EINVAL;
	}
	if (z1 % 4) {
		log_err("%s: \"z1_len\" must be a multiple of 4",
			cfg_where(config_setting_get_member(s, "z1_len"), where, sizeof(where)));
		return -EINVAL;
	}
	peer->port = (uint16_t)port;
	peer->z1_len = (uint8_t)z1;
	peer->ike_rekey_ms = ike_rekey * 1000;
	peer->child_rekey_ms = child_rekey * 1000;
	return 0;
}

/* mobiles = "A.B.C.D/LEN": a template for the mobile hosts of that
 * prefix, instead of an address. */
static int peer_tmpl(const config_setting_t *s, struct ike_peer_cfg *peer)
{
	const char *mobiles = NULL;
	struct ike_ts_pl ts;
	char where[300];

	if (cfg_str(s, "mobiles", false, &mobiles))
		return -EINVAL;
	if (!mobiles)
		return 0;
	if (config_setting_get_member(s, "address")) {
		log_err("%s: a template (mobiles = ...) has no address: each mobile's is its home",
			cfg_where(s, where, sizeof(where)));
		return -EINVAL;
	}
	if (ike_conf_ts(mobiles, &ts))
		return -EINVAL;
	peer->tmpl = true;
	peer->tmpl_net = htonl(ts.ts[0].addr_lo);
	peer->tmpl_mask = htonl(~(ts.ts[0].addr_hi - ts.ts[0].addr_lo));
	return 0;
}

int ike_conf_peer(const config_setting_t *s, struct ike_peer_cfg *peer)
{
	const char *name = "?";
	char where[300];

	memset(peer, 0, sizeof(*peer));
	peer->ike_encr = IKE_ENCR_AES_GCM_16;
	peer->esp_encr = IKE_ENCR_AES_GCM_16;
	peer->zone2_encr = IKE_ENCR_CHACHA20_POLY1305;
	cfg_where(s, where, sizeof(where));
	if (!config_setting_is_group(s)) {
		log_err("%s: a peer must be a group { name = ...; address = ...; ... }", where);
		return -EINVAL;
	}
	if (check_names(s) || cfg_str(s, "name", true, &name))
		goto bad;
	if (strlen(name) >= IKE_NAME_MAX) {
		log_err("%s: \"name\" must be shorter than %d characters", where, IKE_NAME_MAX);
		goto bad;
	}
	strcpy(peer->name, name);
	if (peer_tmpl(s, peer) || (!peer->tmpl && cfg_ipv4(s, "address", true, &peer->addr)) ||
	    peer_values(s, peer) || peer_strings(s, peer))
		goto bad;
	if (peer->child && (!peer->ts_local.n || !peer->ts_remote.n)) {
		log_err("%s: peer %s: child = true needs local_ts and remote_ts", where, name);
		goto bad;
	}
	return 0;
bad:
	log_err("%s: peer %s: invalid configuration", where, name);
	OPENSSL_cleanse(peer->psk, sizeof(peer->psk));
	return -EINVAL;
}
