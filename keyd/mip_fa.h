/* Foreign agent core (RFC 5944 2.3, 3.7; RFC 3024): advertisements, the
 * relay of registrations between mobile nodes and their home agents, and
 * the visitor list it mirrors into mml_visitor. Sockets are behind struct
 * mip_fa_io so that the unit tests drive the core directly. */
#ifndef MML_KEYD_MIP_FA_H
#define MML_KEYD_MIP_FA_H

#include "keyd/mip.h"
#include "keyd/mip_ha.h"
#include "keyd/mip_io.h"

struct mip_fa_cfg {
	uint32_t coa;	    /* advertised care-of address (our tunnel end) */
	uint32_t addr;	    /* our address on the wireless link */
	uint8_t prefix_len; /* of addr, advertised for movement detection */
	uint32_t ifindex;   /* wireless interface */
	uint8_t mac[6];	    /* our MAC there */
	uint16_t max_lifetime;
	uint32_t advert_interval_ms;
	enum mip_rt_policy reverse;
	uint32_t pending_timeout_ms;
	uint32_t max_visitors;
};

/* Where a mobile node is: filled from the packet its request came in. */
struct mip_fa_link {
	uint32_t ifindex;
	uint8_t mac[6];
	uint32_t ip;   /* source address of the request (the home address) */
	uint16_t port; /* its UDP source port */
};

struct mip_fa_io {
	void *ctx;
	int (*to_mh)(void *ctx, const struct mip_fa_link *l, const uint8_t *msg, size_t len);
	int (*to_ha)(void *ctx, uint32_t ha, const uint8_t *msg, size_t len);
	/* ICMP to mac/dst on the wireless link, TTL 1. */
	int (*icmp)(void *ctx, const uint8_t mac[6], uint32_t dst, const uint8_t *msg, size_t len);
};

int mip_fa_core_new(struct loop *loop, struct mip_maps *maps, const struct mip_fa_cfg *cfg,
		    struct mip_stats *st, const struct mip_fa_io *io, struct mip_fa **out);
void mip_fa_core_free(struct mip_fa *fa);

/* Foreign-Home keys shared with the home agent ha (network order): from
 * then on, replies from it must carry a valid Foreign-Home Authentication
 * Extension and requests relayed to it get one. The key contexts move to
 * the FA (keys[] is zeroed). */
int mip_fa_add_ha_keys(struct mip_fa *fa, uint32_t ha, struct mip_key *keys, size_t n_keys);

/* A Registration Request from a mobile node on the wireless link. */
void mip_fa_from_mh(struct mip_fa *fa, const uint8_t *msg, size_t len, bool truncated,
		    const struct mip_fa_link *from);
/* A Registration Reply from a home agent. It changes a visitor only when
 * it comes from (src) and names the home agent the pending request went to
 * and, when keys are shared with that home agent, carries its valid
 * Foreign-Home Authentication Extension; anything else is discarded and
 * counted (reply_wrong_source, fh_auth_failed), the request still pending. */
void mip_fa_from_ha(struct mip_fa *fa, const uint8_t *msg, size_t len, bool truncated,
		    uint32_t src);
/* An Agent Solicitation: answer with an advertisement at once. */
void mip_fa_solicited(struct mip_fa *fa, const uint8_t mac[6], uint32_t src);
/* Sends an advertisement to the link (also done by the periodic timer). */
void mip_fa_advertise(struct mip_fa *fa, const uint8_t mac[6], uint32_t dst);

/* Visitor of home: registered (1), pending (2), unknown (-ENOENT). */
int mip_fa_visitor_state(struct mip_fa *fa, uint32_t home);

#endif
