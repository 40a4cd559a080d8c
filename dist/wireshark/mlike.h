/* ML-IKE's numbers (keyd/ike/ike_const.h, docs/protocol.md 2-3, 8) and the
 * payload body dissectors the postdissector (mlike.c) calls. */
#ifndef MML_WS_MLIKE_H
#define MML_WS_MLIKE_H

#include <epan/packet.h>

#define MLIKE_PL_ZONEMAP 128
#define MLIKE_PL_SECRET 129
#define MLIKE_PL_CSA_PROPOSAL 130
#define MLIKE_PL_NEIGHBORS 131
#define DKM_PL_MH 135
#define IKE_PL_NOTIFY 41
#define IKE_PL_DELETE 42
#define MLIKE_PROTO_ZONE 201

extern const value_string mlike_exchange_vals[];
extern const value_string mlike_payload_vals[];
extern const value_string mlike_notify_vals[];

/* hf and ett registration of the payload fields (mlike_pl.c). */
void mlike_pl_register(int proto);

/* Whether a payload body is ML-IKE's: a private type, a private notify, a
 * Delete of protocol 201. */
bool mlike_pl_ours(tvbuff_t *tvb, uint8_t type, int off, int len);

/* One payload's body [off, off+len) of tvb (the generic header before it),
 * of type type, under tree. Returns false when the body is not ML-IKE's
 * (a standard notify or delete): nothing added. */
bool mlike_pl_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, uint8_t type, int off,
		      int len);

#endif
