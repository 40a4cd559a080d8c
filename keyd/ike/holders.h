/* The HA's record of which FAs hold a mobile's zone-1 CSA pair, and whether
 * each uses it (active) or keeps it for a handoff (PKD, inactive). Every FA
 * that was sent the keys is here until they are revoked or its IKE SA
 * ends, so a rekey or a revocation reaches all of them. */
#ifndef MML_KEYD_IKE_HOLDERS_H
#define MML_KEYD_IKE_HOLDERS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* Room for every FA: more than the FA peers an HA can have (IKE_PEERS_MAX,
 * checked in keyd_ike.h) and than the simulator's grid of 100 FAs, whose
 * PKD copies reach 35 FAs per CSA (docs/results.md). A full set refuses:
 * the HA never sends keys to an FA it could not record. */
#define HOLDERS_MAX 128

enum holder_state {
	HOLDER_SENDING = 1, /* KEY_DISTRIBUTE out, not answered yet */
	HOLDER_HELD = 2,    /* the FA acknowledged the keys */
};

struct csa_holder {
	uint32_t fa; /* network order */
	uint8_t state;
	bool active; /* the FA verifies with it (its MH registered there) */
};

struct csa_holders {
	unsigned int n;
	struct csa_holder h[HOLDERS_MAX];
};

#define holders_for_each(hs, it) for ((it) = (hs)->h; (it) < (hs)->h + (hs)->n; (it)++)

struct csa_holder *holders_find(struct csa_holders *hs, uint32_t fa);
/* Adds the FA, or updates it when present; NULL when the set is full. */
struct csa_holder *holders_set(struct csa_holders *hs, uint32_t fa, enum holder_state state,
			       bool active);
/* -ENOENT when the FA holds nothing. */
int holders_activate(struct csa_holders *hs, uint32_t fa, bool active);
int holders_remove(struct csa_holders *hs, uint32_t fa);
void holders_clear(struct csa_holders *hs);
/* [ { "fa": "A.B.C.D", "state": "held"|"sending", "active": bool }, ... ] */
json_object *holders_json(const struct csa_holders *hs);

#endif
