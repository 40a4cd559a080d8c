/* FA: when each mobile's zone-1 CSAs became active here, for the key part
 * of a handoff as the paper counts it (make bench-handoff): installed
 * active by KEY_DISTRIBUTE or DKM, or activated on relaying the
 * registration reply (PKD). Compared with the Mobile IP role's
 * reply_relayed_ns (mmlctl mip visitors): an activation after the reply
 * is what the keys add to the handoff, one before it adds nothing. */
#include <string.h>

#include "keyd/ike/keyd_ike.h"
#include "lib/args.h"

static struct z1_ready *slot_of(struct ike_mod *m, uint32_t home, bool create)
{
	struct z1_ready *free_slot = NULL;

	for (unsigned int i = 0; i < MOBILES_MAX; i++) {
		if (m->z1[i].home == home)
			return &m->z1[i];
		if (!m->z1[i].home && !free_slot)
			free_slot = &m->z1[i];
	}
	return create ? free_slot : NULL;
}

void ike_z1_active(struct ike_mod *m, uint32_t home, const uint32_t spi[2], enum z1_via via)
{
	struct z1_ready *r = slot_of(m, home, true);

	if (!r)
		return; /* a timestamp only: more mobiles than slots lose it */
	if (r->active_ns) {
		/* A rekey's new pair: zone 1 has been active all along. */
		r->spi[0] = spi[0];
		r->spi[1] = spi[1];
		return;
	}
	*r = (struct z1_ready){
		.home = home, .spi = { spi[0], spi[1] }, .active_ns = loop_now(), .via = via
	};
}

/* The record stays, with when its keys went: how long a previous FA held
 * a mobile's zone-1 key after a handoff (issue 17). A new activation for
 * the mobile takes the slot over. */
void ike_z1_removed(struct ike_mod *m, uint32_t spi)
{
	for (unsigned int i = 0; spi && i < MOBILES_MAX; i++)
		if (m->z1[i].home && (m->z1[i].spi[0] == spi || m->z1[i].spi[1] == spi))
			m->z1[i] = (struct z1_ready){ .home = m->z1[i].home,
						      .removed_ns = loop_now() };
}

json_object *ike_z1_json(const struct ike_mod *m)
{
	static const char *const via_names[] = { "key_distribute", "dkm", "pkd" };
	json_object *list = json_object_new_array();
	char a[16];

	for (unsigned int i = 0; i < MOBILES_MAX; i++) {
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
