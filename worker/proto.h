/* The endpoint's packet transformations on buffers, independent of how the
 * packets arrive (AF_XDP, TUN) so that the unit tests drive them directly:
 * protect an inner IPv4 packet according to its flow's mode, and unprotect
 * a protocol-50 packet in place. Verdicts are enum mml_stat counters. */
#ifndef MML_WORKER_PROTO_H
#define MML_WORKER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "maps/stats.h"
#include "worker/sacache.h"
#include "worker/tables.h"

/* The longest tunnel payload protect() produces for an inner packet. */
#define EP_PROTECT_OVERHEAD (20 + 8 + 8 + 2 * 16 + 5)

struct ep_tables {
	struct ep_sacache sas;
	struct ep_flowtab flows;
	struct ep_bindtab binds;
	uint16_t ip_id; /* outer IPv4 identification */
	/* CLOCK_BOOTTIME (the clock of a CSA's add_time_ns), set by the
	 * worker's loop once per round: lifetimes are whole seconds. */
	uint64_t now_ns;
	/* An implicit upgrade (ep_flow_rx_check) is already in flows; learn,
	 * when set, makes it the node's too (the worker writes mml_flow). */
	void (*learn)(void *ctx, const struct mml_flow_key *k, const struct mml_flow *f);
	void *learn_ctx;
};

enum ep_side {
	EP_SIDE_HA, /* inner destination is the home address */
	EP_SIDE_MH, /* inner source is the home address */
};

/* Protect the inner packet for binding b: writes the tunnel payload to out
 * (plaintext: the inner packet as it is; ESP/ML-ESP: an outer IPv4 header,
 * home address <-> HA, protocol 50, then the ESP bytes). Returns its
 * length and sets *stat to the EP_ENCAP_* counter, or returns -1 with
 * *stat the drop reason. An SA past its hard lifetime protects nothing
 * (ep_drop_expired); past its soft lifetime it raises rekey_wanted. */
ssize_t ep_protect(struct ep_tables *t, enum ep_side side, const struct mml_binding *b,
		   const uint8_t *inner, size_t len, uint8_t *out, size_t cap, unsigned int *stat);

/* Authenticate, decrypt and replay-check the IPv4 protocol-50 packet at ip
 * (len bytes) in place. On success *inner points at the inner packet,
 * its length is returned and *stat is the EP_DELIVER_* counter; else -1 and
 * *stat the drop reason. The SA is tied to its outer source before any
 * crypto (ep_drop_outer_src): at the MH (home != 0) the packet comes from
 * the binding's HA; at the HA from a home address whose binding lists the
 * SPI, through the Mobile IP tunnel from that binding's care-of address
 * (tunnel_src, the tunnel header's source; unused at the MH). The inner
 * packet must belong to that binding too: at the MH its destination is
 * home, at the HA its source is the home address. An SA past its hard
 * lifetime, or a sequence number above its hard packet limit, is refused
 * before the AEAD (ep_drop_expired). Last, the flow's receive policy
 * (ep_flow_rx_check): ESP where ML-ESP is required is refused
 * (ep_drop_downgrade); a mode stronger than the flow's is learned. */
ssize_t ep_unprotect(struct ep_tables *t, enum ep_side side, uint32_t home, uint32_t tunnel_src,
		     uint8_t *ip, size_t len, uint8_t **inner, unsigned int *stat);

/* A plaintext packet at ip (len bytes up to the frame's or tunnel's end)
 * that XDP gave the worker because its flow is protected every n-th
 * packet only (issue 19: all of the flow's packets take one path, in
 * arrival order). Checked again as XDP did: at the MH it is to home; at
 * the HA it comes from a home address through the Mobile IP tunnel from
 * that binding's care-of address (tunnel_src), else ep_drop_outer_src;
 * and the flow's entry takes plaintext (ep_drop_downgrade: a switch may
 * have come between XDP and here). Returns the packet's length (from its
 * header) and *stat = ep_deliver_plain, or -1 and *stat the drop reason. */
ssize_t ep_plain_in(struct ep_tables *t, enum ep_side side, uint32_t home, uint32_t tunnel_src,
		    const uint8_t *ip, size_t len, unsigned int *stat);

/* A codec error (lib/err.h) as a drop counter. */
unsigned int ep_err_stat(int err);

#endif
