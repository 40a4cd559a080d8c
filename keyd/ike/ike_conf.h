/* IKE peers from a libconfig file (shared by mmlike and mmlkeyd):
 *
 *   peers = ( { name = "ha"; address = "10.0.0.1"; port = 500;
 *               local_id = "fqdn:mh.example"; peer_id = "fqdn:ha.example";
 *               psk_file = "/etc/mmlipsec/ha.psk";
 *               ike = "aes256gcm16" | "chacha20poly1305"; esp = ...;
 *               child = true; local_ts = "10.0.0.2/32"; remote_ts = "10.0.0.1/32";
 *               (in mmlkeyd: the MH <-> HA CHILD_SA keys ESP mode; not on an FA)
 *               z1_len = 40; zone2 = "aes256gcm16";
 *               csa_soft_lifetime = 3600; csa_hard_lifetime = 4000;
 *               neighbor = false; } );   (FA: true for a neighbour FA)
 *
 * mmlkeyd's HA may hold a template instead of a peer per mobile host:
 *   { name = "mobiles"; mobiles = "10.200.0.0/16"; local_id = "fqdn:ha.example";
 *     psk_master_file = "/etc/mmlipsec/mh-master.key"; ... }
 * (no address, peer_id or psk_file: keyd/ike/mh_tmpl.c derives each
 * mobile's).
 *
 * PSK files get the configuration file's checks (lib/secret_file.h: no
 * symbolic link, a regular file of our uid, mode 0600 or stricter); their
 * content, a trailing newline dropped, is the key: IKE_PSK_MIN to
 * IKE_PSK_MAX bytes, anything else is an error (never cut). */
#ifndef MML_KEYD_IKE_CONF_H
#define MML_KEYD_IKE_CONF_H

#include <libconfig.h>

#include "keyd/ike/ike.h"

/* Rekey times and CSA lifetimes: 0 (none) to 30 days, in seconds. */
#define IKE_CONF_MAX_LIFETIME (86400 * 30)

/* Parses one peer group; errors are logged with the setting's line. */
int ike_conf_peer(const config_setting_t *s, struct ike_peer_cfg *peer);
/* "fqdn:host", "email:user@host", "ipv4:a.b.c.d", "keyid:text". */
int ike_conf_identity(const char *text, struct ike_identity *id);
/* "a.b.c.d/len" into one IPv4 range selector. */
int ike_conf_ts(const char *text, struct ike_ts_pl *ts);
int ike_conf_encr(const char *text, uint16_t *encr);
int ike_conf_read_psk(const char *path, uint8_t *psk, size_t *len);

#endif
