/* FA: when each mobile's zone-1 CSAs became active here, for the key part
 * of a handoff as the paper counts it (make bench-handoff): installed
 * active by KEY_DISTRIBUTE or DKM, or activated on relaying the
 * registration reply (PKD). Compared with the Mobile IP role's
 * reply_relayed_ns (mmlctl mip visitors): an activation after the reply
 * is what the keys add to the handoff, one before it adds nothing. */
#include <string.h>

#include "keyd/ike/keyd_ike.h"
#include "lib/args.h"

/* Records by home (z1_ix's slots); their SPIs in z1_spi, slot 2 x record
 * + which, so that a removal finds its record without a walk. */
static struct z1_ready *slot_of(struct ike_mod *m, uint32_t home, bool create)
{
	uint32_t s = idx_find(&m->z1_ix, home);

	if (s == IDX_NONE && create && (s = idx_take(&m->z1_ix, home)) != IDX_NONE)
		m->z1[s] = (struct z1_ready){ .home = home };
	return s == IDX_NONE ? NULL : &m->z1[s];
}

static void set_spis(struct ike_mod *m, struct z1_ready *r, const uint32_t spi[2])
{
	uint32_t s = (uint32_t)(r - m->z1);

	for (unsigned int i = 0; i < 2; i++) {
		idx_drop(&m->z1_spi, 2 * s + i);
		r->spi[i] = spi[i];
		if (spi[i])
			idx_put(&m->z1_spi, 2 * s + i, spi[i]);
	}
}

void ike_z1_active(struct ike_mod *m, uint32_t home, const uint32_t spi[2], enum z1_via via)
{
	struct z1_ready *r = slot_of(m, home, true);

	if (!r)
		return; /* a timestamp only: more mobiles than mobiles_max lose it */
	if (r->active_ns) {
		/* A rekey's new pair: zone 1 has been active all along. */
		set_spis(m, r, spi);
		return;
	}
	*r = (struct z1_ready){ .home = home, .active_ns = loop_now(), .via = via };
	set_spis(m, r, spi);
}

/* The record stays, with when its keys went: how long a previous FA held
 * a mobile's zone-1 key after a handoff (issue 17). A new activation for
 * the mobile takes the slot over. */
void ike_z1_removed(struct ike_mod *m, uint32_t spi)
{
	uint32_t s = spi ? idx_find(&m->z1_spi, spi) : IDX_NONE;
	struct z1_ready *r;

	if (s == IDX_NONE)
		return;
	r = &m->z1[s / 2];
	set_spis(m, r, (const uint32_t[2]){ 0, 0 });
	*r = (struct z1_ready){ .home = r->home, .removed_ns = loop_now() };
}

json_object *ike_z1_json(const struct ike_mod *m)
{
	static const char *const via_names[] = { "key_distribute", "dkm", "pkd" };
	json_object *list = json_object_new_array();
	char a[16];

	for (unsigned int i = 0; i < m->mobiles_max; i++) {
		const struct z1_ready *r = &m->z1[i];
		json_object *e;

		if (!r->home)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "home", json_object_new_string(mml_ipv4_str(r->home, a)));
		json_object_object_add(e, "spi_to_mh", json_object_new_uint64(r->spi[0]));
		json_object_object_add(e, "active_ns", json_object_new_uint64(r->active_ns));
		json_object_object_add(e, "via", json_object_new_string(via_names[r->via]));
		if (r->removed_ns)
			json_object_object_add(e, "removed_ns",
					       json_object_new_uint64(r->removed_ns));
		json_object_array_add(list, e);
	}
	return list;
}
