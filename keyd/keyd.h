/* mmlkeyd: the key and mobility daemon of a node (DESIGN.md section 4).
 *
 * One event loop (keyd/loop.h) carries every protocol module. A module is
 * a config section, the sockets and timers it adds to the loop, and the
 * control commands `mmlctl <module> <verb>` reach through the Unix control
 * socket. Mobile IPv4 ("mip") is the first; ML-IKE ("ike") plugs in the
 * same way: add a struct keyd_module to the table in mmlkeyd.c. */
#ifndef MML_KEYD_KEYD_H
#define MML_KEYD_KEYD_H

#include <libconfig.h>
#include <json-c/json.h>

#include "keyd/loop.h"
#include "lib/pin.h"

/* The control socket: one JSON request per connection, one JSON reply.
 *   request  {"module": "mip", "verb": "show", "args": ["...", ...]}
 *   reply    {"ok": true, "result": ...} | {"ok": false, "error": "..."}
 * Default path: MML_KEYD_SOCK_DIR/<node>.sock, directory mode 0700. */
#define MML_KEYD_SOCK_DIR "/run/mmlipsec"
#define MML_KEYD_REQUEST_MAX 65536

struct keyd {
	struct loop *loop;
	const char *node;	/* pin directory and socket name */
	struct mml_pin_dir pin; /* <pin_root>/<node> */
	config_t config;
	bool foreground;
};

struct keyd_module {
	const char *name; /* config section and the first word of its commands */
	/* Reads its section, opens its sockets, adds them to kd->loop. */
	int (*start)(struct keyd *kd, const config_setting_t *section, void **state);
	void (*stop)(void *state);
	/* One control command; args is a JSON array of strings. Returns 0 with
	 * *result set, or a negative errno with a message in err. */
	int (*control)(void *state, const char *verb, json_object *args, json_object **result,
		       char *err, size_t err_len);
	/* SIGHUP (keyd/reload.c): the settings of the section that may change
	 * while running, as paths below it ("peers.*.csa_soft_lifetime": "*"
	 * is any element of a list), NULL-terminated; NULL: none. reload reads
	 * them from the new section: with apply false it only validates it
	 * (every module is checked before any applies), with apply true it
	 * puts the new values in place. */
	const char *const *reloadable;
	int (*reload)(void *state, const config_setting_t *section, bool apply);
};

extern const struct keyd_module mip_module;
extern const struct keyd_module ike_module;

/* Mobility events between modules (keyd/hooks.c): the HA's Mobile IP role
 * publishes every binding write, ML-IKE follows it (paper Fig. 4: a
 * registration starts the initialisation, a deregistration revokes the
 * CSAs). coa = 0: the binding is gone. Renewals repeat the same coa. */
typedef void (*keyd_binding_fn)(void *arg, uint32_t home, uint32_t coa);
void keyd_binding_subscribe(keyd_binding_fn fn, void *arg);
void keyd_binding_changed(uint32_t home, uint32_t coa);
/* The HA's Mobile IP role names how to walk the bindings it holds (each
 * through keyd_binding_changed). ML-IKE subscribes after Mobile IP has
 * adopted the bindings pinned by an earlier instance: the subscription
 * replays them, so a restarted HA runs ML-IKE again with every mobile by
 * itself instead of waiting for each one's next registration. */
typedef void (*keyd_binding_walk_fn)(void *arg);
void keyd_binding_source(keyd_binding_walk_fn walk, void *arg);
/* The FA's Mobile IP role relayed a registration naming the MH's previous
 * FA (its care-of address, extension type 131): ML-IKE asks that FA for
 * the MH's zone-1 CSAs (DKM) in parallel with the relay. */
typedef void (*keyd_prev_fa_fn)(void *arg, uint32_t home, uint32_t ha, uint32_t prev_fa);
void keyd_prev_fa_subscribe(keyd_prev_fa_fn fn, void *arg);
void keyd_prev_fa(uint32_t home, uint32_t ha, uint32_t prev_fa);
/* FA: the Mobile IP role relays a home agent's reply accepting a visitor's
 * registration (registered; called before the reply leaves, so the MH's
 * first packets after it verify), or the visitor left (deregistration,
 * expiry). ML-IKE activates the CSAs it holds inactive for a registered
 * visitor (PKD, paper Fig. 5). */
typedef void (*keyd_visitor_fn)(void *arg, uint32_t home, bool registered);
void keyd_visitor_subscribe(keyd_visitor_fn fn, void *arg);
void keyd_visitor_changed(uint32_t home, bool registered);

/* SIGHUP (keyd/reload.c). The configuration's inline keys are wiped once
 * read, so a reload compares their digest (SHA-256 over each "key" setting's
 * path and value), taken before the wipe. */
#define KEYD_KEYS_DIGEST_LEN 32
void keyd_keys_digest(const config_t *cfg, unsigned char out[KEYD_KEYS_DIGEST_LEN]);
/* Applies next, a configuration read again, to the running daemon: every
 * difference from kd->config must be in a module's reloadable list (or the
 * top-level log_level, whose new value is *level), and the inline keys must
 * be the same (keys_digest: the running configuration's); each module
 * validates its section, then each applies it. Otherwise nothing changes:
 * -EBUSY, with the first setting that needs a restart logged. next is left
 * to the caller. */
int keyd_reload(struct keyd *kd, const config_t *next,
		const unsigned char keys_digest[KEYD_KEYS_DIGEST_LEN],
		const struct keyd_module *const *mods, void *const *states, size_t n_mods);

/* Control socket server (keyd/ctl.c). */
struct ctl_server;
int ctl_server_start(struct keyd *kd, const char *path, const struct keyd_module *const *mods,
		     void *const *states, size_t n_mods, struct ctl_server **out);
void ctl_server_stop(struct ctl_server *srv);

/* Config helpers shared by modules: the same validators as the CLI. Each
 * prints one error naming the setting (file:line) and returns -EINVAL. */
int cfg_ipv4(const config_setting_t *s, const char *name, bool required, uint32_t *addr_be);
int cfg_u32(const config_setting_t *s, const char *name, bool required, uint32_t min, uint32_t max,
	    uint32_t *v);
int cfg_str(const config_setting_t *s, const char *name, bool required, const char **v);
int cfg_ifname(const config_setting_t *s, const char *name, bool required, uint32_t *ifindex);
int cfg_bool(const config_setting_t *s, const char *name, bool *v);
int cfg_choice(const config_setting_t *s, const char *name, const char *const *choices, int *v);
/* The file being read, for messages (libconfig knows it only for files it
 * opened itself). */
extern const char *cfg_path;
/* "file:line" of a setting, for messages. */
const char *cfg_where(const config_setting_t *s, char *buf, size_t len);

#endif
