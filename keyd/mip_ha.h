/* Home agent core (RFC 5944 3.8, RFC 3024 4): registration processing
 * without sockets, so that the unit tests and the bench drive it directly.
 * mip_ha.c wraps it with the UDP socket and the config. */
#ifndef MML_KEYD_MIP_HA_H
#define MML_KEYD_MIP_HA_H

#include "keyd/mip.h"

enum mip_rt_policy { MIP_RT_OFF, MIP_RT_OPTIONAL, MIP_RT_REQUIRED };

struct mip_ha_cfg {
	uint32_t addr;		/* our home agent address, network order */
	uint16_t max_lifetime;	/* seconds; longer requests are granted this */
	uint32_t replay_window; /* seconds the Identification's clock may be off */
	enum mip_rt_policy reverse;
	uint32_t max_bindings;
};

/* maps may be NULL (tests, bench): bindings are then kept in memory only. */
int mip_ha_core_new(struct loop *loop, struct mip_maps *maps, const struct mip_ha_cfg *cfg,
		    struct mip_stats *st, struct mip_ha **out);
void mip_ha_core_free(struct mip_ha *ha);
/* A mobile node we serve: home address and its mobility security
 * associations (copied; the keys' contexts now belong to the HA). */
int mip_ha_add_mobile(struct mip_ha *ha, uint32_t home, struct mip_key *keys, size_t n_keys);
/* Foreign-Home keys shared with the foreign agent whose requests come from
 * fa (network order): its requests must carry a valid Foreign-Home
 * Authentication Extension (else 132) and our replies to it get one. The
 * key contexts move to the HA (keys[] is zeroed). */
int mip_ha_add_fa_keys(struct mip_ha *ha, uint32_t fa, struct mip_key *keys, size_t n_keys);
/* Adopt the bindings pinned in mml_binding by a previous instance. */
int mip_ha_recover(struct mip_ha *ha);

/* Processes one Registration Request from src. now is CLOCK_BOOTTIME ns,
 * ntp_now the NTP time of day. Writes the reply into out and returns its
 * length, or 0 when the request is silently discarded. */
int mip_ha_process(struct mip_ha *ha, const uint8_t *msg, size_t len, bool truncated, uint32_t src,
		   uint64_t now, uint64_t ntp_now, uint8_t *out, size_t size);

/* Binding of home: 0 and coa/expiry filled, or -ENOENT. */
int mip_ha_binding(struct mip_ha *ha, uint32_t home, uint32_t *coa, uint64_t *expires);

#endif
