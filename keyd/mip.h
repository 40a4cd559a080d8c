/* The Mobile IPv4 module of mmlkeyd: what the three roles (mip_ha.c,
 * mip_fa.c, mip_mh.c) share: counters, rate-limited rejection logging, the
 * pinned maps they fill (mip_maps.c) and the socket helpers (mip_io.c). */
#ifndef MML_KEYD_MIP_H
#define MML_KEYD_MIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libconfig.h>

#include "keyd/loop.h"
#include "keyd/mip_auth.h"
#include "keyd/mip_wire.h"
#include "lib/pin.h"

/* X(ID, "name"): one list gives the enum and the names `mmlctl mip show`
 * prints. */
#define MIP_CTR_LIST(X)                             \
	X(RX_REQUEST, "rx_request")                 \
	X(RX_REPLY, "rx_reply")                     \
	X(RX_ADVERT, "rx_advert")                   \
	X(RX_SOLICIT, "rx_solicit")                 \
	X(TX_REQUEST, "tx_request")                 \
	X(TX_REPLY, "tx_reply")                     \
	X(TX_ADVERT, "tx_advert")                   \
	X(TX_SOLICIT, "tx_solicit")                 \
	X(RELAYED_REQUEST, "relayed_request")       \
	X(RELAYED_REPLY, "relayed_reply")           \
	X(DENIED, "denied")                         \
	X(DISCARDED, "discarded")                   \
	X(MALFORMED, "malformed")                   \
	X(AUTH_FAILED, "auth_failed")               \
	X(IDENT_STALE, "ident_stale")               \
	X(IDENT_REPLAY, "ident_replay")             \
	X(UNKNOWN_HA, "unknown_ha")                 \
	X(UNKNOWN_HOME, "unknown_home")             \
	X(UNKNOWN_SPI, "unknown_spi")               \
	X(EXT_SKIPPED, "ext_skipped")               \
	X(NO_PENDING, "no_pending")                 \
	X(REPLY_WRONG_SOURCE, "reply_wrong_source") \
	X(FH_AUTH_FAILED, "fh_auth_failed")         \
	X(PENDING_TIMEOUT, "pending_timeout")       \
	X(BINDING_ADD, "binding_add")               \
	X(BINDING_RENEW, "binding_renew")           \
	X(BINDING_MOVE, "binding_move")             \
	X(BINDING_DEREG, "binding_dereg")           \
	X(BINDING_EXPIRE, "binding_expire")         \
	X(BINDING_RECOVERED, "binding_recovered")   \
	X(VISITOR_ADD, "visitor_add")               \
	X(VISITOR_RENEW, "visitor_renew")           \
	X(VISITOR_DEREG, "visitor_dereg")           \
	X(VISITOR_EXPIRE, "visitor_expire")         \
	X(REGISTERED, "registered")                 \
	X(HANDOFF, "handoff")                       \
	X(RETRANSMIT, "retransmit")                 \
	X(LINK_CHANGE, "link_change")               \
	X(AGENT_LOST, "agent_lost")                 \
	X(CLOCK_RESYNC, "clock_resync")             \
	X(MAP_ERROR, "map_error")                   \
	X(SEND_ERROR, "send_error")                 \
	X(ROUTE_ERROR, "route_error")               \
	X(MAP_FULL, "map_full")

enum mip_ctr {
#define MIP_CTR_ENUM(id, name) MIP_C_##id,
	MIP_CTR_LIST(MIP_CTR_ENUM)
#undef MIP_CTR_ENUM
		MIP_C_MAX
};

struct mip_stats {
	uint64_t ctr[MIP_C_MAX];
	uint64_t reason[MIP_R_MAX]; /* parse failures by reason */
	uint64_t code_tx[256];	    /* replies sent (or relayed) by code */
	uint64_t code_rx[256];	    /* replies received by code */
	/* Rejection log rate limit: MIP_LOG_BURST lines per second. */
	uint64_t log_window;
	uint32_t log_lines, log_suppressed;
};

#define MIP_LOG_BURST 20

/* One log line for one refused or discarded message, rate limited so that
 * a flood cannot fill the log; the count of suppressed lines is reported
 * when the next second opens. */
void mip_log_reject(struct mip_stats *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

json_object *mip_stats_json(const struct mip_stats *st);

/* Pinned maps of the node (maps/ep.h mml_binding, maps/visitor.h
 * mml_visitor). A map that is not pinned yet (the data plane is attached
 * after the daemon starts) is looked for again on the next write. */
struct mip_maps {
	const struct mml_pin_dir *pin;
	int binding_fd, visitor_fd, gen_fd;
	void *gen; /* mmap of mml_gen, NULL if absent */
	uint64_t next_try;
	uint32_t cap[2]; /* enum mip_map: max_entries once known, 0 = not yet */
};

struct mml_visitor;
struct mml_binding;

void mip_maps_init(struct mip_maps *m, const struct mml_pin_dir *pin);
void mip_maps_close(struct mip_maps *m);
/* Binding of home: keeps the SPIs of an existing entry (ML-IKE's), sets
 * the addresses and the expiry, bumps mml_gen. -ENOENT when mml_binding is
 * not pinned. */
int mip_maps_binding_put(struct mip_maps *m, uint32_t home, uint32_t ha_addr, uint32_t coa,
			 uint64_t expires_ns);
int mip_maps_binding_del(struct mip_maps *m, uint32_t home);
/* ML-IKE: the CSA SPIs of mode (enum mml_mode) in the binding of home, which
 * must exist (-ENOENT otherwise); 0 clears them. Bumps mml_gen. */
int mip_maps_binding_spis(struct mip_maps *m, uint32_t home, unsigned int mode, uint32_t spi_out,
			  uint32_t spi_in);
/* The CSA SPIs of mode in the binding of home (0 when none); -ENOENT when
 * there is no such binding. */
/* HA: the inbound SPI a CSA rekey retires, accepted beside the current
 * ones until it goes (0: none). */
int mip_maps_binding_spi_prev(struct mip_maps *m, uint32_t home, uint32_t spi_in_prev);
int mip_maps_binding_get_spis(struct mip_maps *m, uint32_t home, unsigned int mode,
			      uint32_t *spi_out, uint32_t *spi_in);
/* After a change to mml_csa by another writer (ML-IKE). */
void mip_maps_gen_bump(struct mip_maps *m);
/* Calls fn for every entry of mml_binding (restart recovery). */
int mip_maps_binding_each(struct mip_maps *m,
			  void (*fn)(void *arg, uint32_t home, const struct mml_binding *b),
			  void *arg);
/* The capacity (max_entries) of a pinned map, 0 when it is not pinned:
 * what a full map refuses beyond (E2BIG on a new key). */
enum mip_map { MIP_MAP_BINDING, MIP_MAP_VISITOR };
uint32_t mip_maps_capacity(struct mip_maps *m, enum mip_map which);
int mip_maps_visitor_put(struct mip_maps *m, uint32_t home, const struct mml_visitor *v);
int mip_maps_visitor_del(struct mip_maps *m, uint32_t home);
/* The entry of home as the data plane has it now (its first_mlesp_ns). */
int mip_maps_visitor_get(struct mip_maps *m, uint32_t home, struct mml_visitor *v);

/* A u32-keyed hash table of pointers (home address -> record). */
struct u32map {
	uint32_t *keys;
	void **vals; /* NULL = empty slot, U32MAP_TOMB = deleted */
	size_t cap, len, used;
};

int u32map_init(struct u32map *m, size_t hint);
void u32map_free(struct u32map *m);
void *u32map_get(const struct u32map *m, uint32_t key);
int u32map_put(struct u32map *m, uint32_t key, void *val);
void *u32map_del(struct u32map *m, uint32_t key);
/* Iteration: for (i = 0; (v = u32map_next(m, &i, &key)); ) */
void *u32map_next(const struct u32map *m, size_t *iter, uint32_t *key);

/* Roles. Each role's state is opaque to the module glue (mip.c). */
enum mip_role { MIP_ROLE_HA, MIP_ROLE_FA, MIP_ROLE_MH };

struct mip_ha;
struct mip_fa;
struct mip_mh;

int mip_ha_start(struct loop *loop, const struct mml_pin_dir *pin, const config_setting_t *sec,
		 struct mip_stats *st, struct mip_ha **out);
void mip_ha_stop(struct mip_ha *ha);
json_object *mip_ha_show(struct mip_ha *ha);
json_object *mip_ha_bindings(struct mip_ha *ha);
/* SIGHUP (keyd/reload.c): reads the section again; with apply, takes its
 * max_lifetime, replay_window and max_bindings. */
int mip_ha_reload(struct mip_ha *ha, const config_setting_t *sec, bool apply);

int mip_fa_start(struct loop *loop, const struct mml_pin_dir *pin, const config_setting_t *sec,
		 struct mip_stats *st, struct mip_fa **out);
void mip_fa_stop(struct mip_fa *fa);
json_object *mip_fa_show(struct mip_fa *fa);
json_object *mip_fa_visitors(struct mip_fa *fa);
/* SIGHUP: as mip_ha_reload; max_lifetime, max_visitors, advert_interval_ms. */
int mip_fa_reload(struct mip_fa *fa, const config_setting_t *sec, bool apply);

int mip_mh_start(struct loop *loop, const struct mml_pin_dir *pin, const config_setting_t *sec,
		 struct mip_stats *st, struct mip_mh **out);
void mip_mh_stop(struct mip_mh *mh);
json_object *mip_mh_show(struct mip_mh *mh);
/* Control: re-register now, or deregister (lifetime 0) through the
 * current agent. */
int mip_mh_register(struct mip_mh *mh);
int mip_mh_deregister(struct mip_mh *mh);

/* Mobility security associations from a config list:
 *   ( { spi = 256; algorithm = "hmac-md5"; key = "00112233..."; }, ... )
 * key as hex, or key_file = "path" holding the hex (mode 0600). */
#define MIP_MAX_KEYS 4
int mip_keys_from_config(const config_setting_t *list, struct mip_key *keys, size_t max, size_t *n);
const struct mip_key *mip_key_find(const struct mip_key *keys, size_t n, uint32_t spi);

/* JSON helpers. */
json_object *mip_json_addr(uint32_t addr_be);
/* Seconds (rounded down, never negative) from now to a CLOCK_BOOTTIME
 * deadline. */
int64_t mip_secs_left(uint64_t deadline, uint64_t now);

#endif
