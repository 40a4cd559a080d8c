/* Proposals and traffic selectors (ike_proposal.c), shared by the
 * exchanges that negotiate an IKE SA (ike_init.c, ike_rekey.c) or a
 * CHILD_SA (ike_init.c, ike_child.c, ike_create.c). */
#ifndef MML_KEYD_IKE_PROPOSAL_H
#define MML_KEYD_IKE_PROPOSAL_H

#include <stdbool.h>
#include <stdint.h>

#include "keyd/ike/ike.h"

/* Our IKE proposal: both AEADs (cfg's first), PRF_HMAC_SHA2_256, group 31. */
void ike_offer(const struct ike_peer_cfg *cfg, struct ike_sa_pl *sa);
/* One ENCR, PRF and DH picked from p, or false. */
bool ike_proposal_pick(const struct ike_proposal *p, uint16_t prefer, uint16_t *encr,
		       bool *have_dh31);
/* The one-proposal answer naming them. */
void ike_accepted_proposal(struct ike_sa_pl *out, uint8_t num, uint16_t encr);
/* IKE_SA_INIT: our pick among the initiator's proposals (0, *encr and *num
 * set), or the notify that explains why none fits, negated. */
int ike_proposal_choose(const struct ike_peer_cfg *cfg, const struct ike_sa_pl *offer,
			uint16_t ke_group, uint16_t *encr, uint8_t *num);

/* Our ESP proposal for a CHILD_SA with inbound SPI spi. */
void ike_child_offer(const struct ike_peer_cfg *cfg, uint32_t spi, struct ike_sa_pl *sa);
/* Picks the peer's acceptable ESP proposal; returns its index or -1. */
int ike_child_select(const struct ike_peer_cfg *cfg, const struct ike_sa_pl *offer, uint16_t *encr);
bool ike_ts_narrow(const struct ike_ts_pl *ours, const struct ike_ts_pl *offer,
		   struct ike_ts_pl *out);

#endif
