/* The exchange handlers, called by the dispatcher (ike_engine.c) for a
 * message that passed its checks (header, message ID, integrity). Each
 * builds on the SA layer (ike_sa.h) only. Requests return once answered
 * (or dropped); responses once handled. */
#ifndef MML_KEYD_IKE_XCHG_H
#define MML_KEYD_IKE_XCHG_H

#include "keyd/ike/ike_sa.h"

/* ike_init.c: IKE_SA_INIT and IKE_AUTH. */
void ike_init_request(struct ike_engine *eng, uint8_t *msg, size_t len, const struct ike_hdr *h,
		      uint32_t addr, uint16_t port);
void ike_init_response(struct ike_sa *sa, uint8_t *msg, size_t len, const struct ike_hdr *h);
/* The retransmission timer of our IKE_SA_INIT is due: a COOKIE received
 * since goes into the request (ike_engine_tick then sends it); the SA is
 * dead if that failed. */
void ike_init_retransmit(struct ike_sa *sa);
void ike_auth_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c);
void ike_auth_response(struct ike_sa *sa, const struct ike_chain *c);

/* ike_child.c: the peer's CREATE_CHILD_SA for a CHILD_SA. */
void ike_create_child_request(struct ike_sa *sa, const struct ike_hdr *h,
			      const struct ike_chain *c);

/* ike_create.c: our CREATE_CHILD_SA for a CHILD_SA (sent again after
 * INVALID_KE_PAYLOAD or a TEMPORARY_FAILURE wait, answered), and the
 * refusal of either kind of ours. */
int ike_create_send(struct ike_sa *sa);
void ike_create_answer(struct ike_sa *sa, const struct ike_chain *c);
void ike_create_refused(struct ike_sa *sa, const struct ike_chain *c, uint16_t error);

/* ike_rekey.c: rekeying the IKE SA by CREATE_CHILD_SA: the peer's request,
 * and ours (sent, answered). */
void ike_rekey_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c);
int ike_rekey_send(struct ike_sa *sa);
void ike_rekey_answer(struct ike_sa *sa, const struct ike_chain *c);

/* ike_info.c: INFORMATIONAL. */
void ike_info_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c);
void ike_info_response(struct ike_sa *sa, const struct ike_chain *c);

/* mlike.c: MLIKE_AUTH_SA and KEY_DISTRIBUTE. */
void mlike_auth_sa_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c);
void mlike_auth_sa_response(struct ike_sa *sa, const struct ike_chain *c);
/* mlike.c: the CSA negotiation MLIKE_AUTH_SA and MLIKE_CREATE_CHILD_SA
 * share. The offer (with N(REKEY_SA, rekey_spi) unless 0); the responder's
 * answer (0, and *csa, not installed; else the refusal was sent); the
 * initiator's pair from the answer. lo (may be NULL) gets the exchange's
 * lower nonce. */
int mlike_csa_offer_send(struct ike_sa *sa, uint8_t exchange, enum ike_req_kind kind,
			 uint32_t rekey_spi);
int mlike_csa_answer(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c,
		     struct mlike_csa *csa, struct ike_nonce_lo *lo);
int mlike_csa_from_answer(struct ike_sa *sa, const struct ike_chain *c, struct mlike_csa *csa,
			  struct ike_nonce_lo *lo);
/* mlike_rekey.c: MLIKE_CREATE_CHILD_SA, the CSA rekey. */
void mlike_rekey_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c);
void mlike_rekey_response(struct ike_sa *sa, const struct ike_chain *c);
void mlike_key_distribute_request(struct ike_sa *sa, const struct ike_hdr *h,
				  const struct ike_chain *c);
void mlike_key_distribute_response(struct ike_sa *sa, const struct ike_chain *c);
/* mlike.c: the FA's share of a CSA pair as payloads (binding notify, zone
 * map, SECRETs), built and validated; KEY_DISTRIBUTE's request and DKM's
 * answer carry the same. parse returns the refusal notify, or 0. */
void mlike_put_fa_keys(struct ike_wbuf *wb, const struct mlike_fa_keys *keys);
uint16_t mlike_fa_keys_parse(const struct ike_chain *c, struct mlike_fa_keys *keys);
/* Zone 1 only (every other zone a null SA): what an FA may hold. */
bool mlike_fa_keys_zone1_only(const struct mlike_fa_keys *keys);

/* dkm.c: DKM_CSA_REQUEST, a CSA request (previous FA) or an install report
 * (HA); the answers to ours. */
void dkm_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c);
void dkm_response(struct ike_sa *sa, const struct ike_chain *c, enum ike_req_kind kind);

/* neighbor.c: NEIGHBOR_NOTIFY (PKD). */
void mlike_neighbor_notify_request(struct ike_sa *sa, const struct ike_hdr *h,
				   const struct ike_chain *c);
void mlike_neighbor_notify_response(struct ike_sa *sa, const struct ike_chain *c);

#endif
