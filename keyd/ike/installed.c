/* FA and MH: per IKE SA, every CSA it installed, so that the SA's end (or
 * a revocation) removes exactly those, as the SA's peer (their owner). The
 * record of one SA grows to 4 x mobiles_max SPIs: an FA refuses keys it
 * could not record (ike_mod_fa_install) rather than install them
 * unrecorded, where nothing would ever remove them. */
#include <errno.h>
#include <string.h>

#include "keyd/ike/keyd_ike.h"
#include "lib/log.h"

struct installed *ike_mod_inst_of(struct ike_mod *m, struct ike_sa *sa, bool create)
{
	uint32_t max = 4 * (m->mobiles_max ? m->mobiles_max : IKE_MOBILES_DEFAULT);

	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->inst[i].sa == sa)
			return &m->inst[i];
	if (!create)
		return NULL;
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (!m->inst[i].sa) {
			struct installed *in = &m->inst[i];

			if (idx_init(&in->spis, 16, max)) {
				log_err("installed CSAs: %s", strerror(ENOMEM));
				return NULL;
			}
			in->sa = sa;
			in->owner = ike_sa_peer(sa)->addr;
			return in;
		}
	return NULL;
}

void ike_mod_inst_remove_all(struct ike_mod *m, struct ike_sa *sa)
{
	struct installed *in = ike_mod_inst_of(m, sa, false);

	if (!in)
		return;
	for (uint32_t s = 0; s < in->spis.cap; s++)
		if (idx_used(&in->spis, s))
			ike_mod_remove_csa(m, (uint32_t)in->spis.key[s], in->owner);
	if (in->spis.n)
		mip_maps_gen_bump(&m->maps);
	idx_free(&in->spis);
	*in = (struct installed){ 0 };
}

int installed_add(struct installed *in, uint32_t spi)
{
	if (!spi || idx_find(&in->spis, spi) != IDX_NONE)
		return 0;
	return idx_take(&in->spis, spi) == IDX_NONE ? -ENOSPC : 0;
}

bool installed_room(const struct installed *in, const uint32_t *spis, unsigned int n)
{
	unsigned int fresh = 0;

	for (unsigned int i = 0; i < n; i++)
		fresh += spis[i] && idx_find(&in->spis, spis[i]) == IDX_NONE;
	return in->spis.n + fresh <= in->spis.max;
}

void ike_mod_inst_forget(struct ike_mod *m, uint32_t spi)
{
	for (unsigned int k = 0; k < IKE_PEERS_MAX; k++)
		if (m->inst[k].sa)
			idx_drop(&m->inst[k].spis, idx_find(&m->inst[k].spis, spi));
}
