/* FA and MH: per IKE SA, every CSA it installed, so that the SA's end (or
 * a revocation) removes exactly those, as the SA's peer (their owner). Fixed-size: an FA refuses
 * keys it could not record (ike_mod_fa_install) rather than install them unrecorded, where nothing
 * would ever remove them. */
#include <errno.h>

#include "keyd/ike/keyd_ike.h"

struct installed *ike_mod_inst_of(struct ike_mod *m, struct ike_sa *sa, bool create)
{
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->inst[i].sa == sa)
			return &m->inst[i];
	if (!create)
		return NULL;
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (!m->inst[i].sa) {
			m->inst[i] = (struct installed){ .sa = sa, .owner = ike_sa_peer(sa)->addr };
			return &m->inst[i];
		}
	return NULL;
}

void ike_mod_inst_remove_all(struct ike_mod *m, struct ike_sa *sa)
{
	struct installed *in = ike_mod_inst_of(m, sa, false);

	if (!in)
		return;
	for (unsigned int i = 0; i < in->n; i++)
		ike_mod_remove_csa(m, in->spi[i], in->owner);
	if (in->n)
		mip_maps_gen_bump(&m->maps);
	*in = (struct installed){ 0 };
}

static bool has(const struct installed *in, uint32_t spi)
{
	for (unsigned int i = 0; i < in->n; i++)
		if (in->spi[i] == spi)
			return true;
	return false;
}

int installed_add(struct installed *in, uint32_t spi)
{
	if (!spi || has(in, spi))
		return 0;
	if (in->n == INSTALLED_MAX)
		return -ENOSPC;
	in->spi[in->n++] = spi;
	return 0;
}

bool installed_room(const struct installed *in, const uint32_t *spis, unsigned int n)
{
	unsigned int fresh = 0;

	for (unsigned int i = 0; i < n; i++)
		fresh += spis[i] && !has(in, spis[i]);
	return in->n + fresh <= INSTALLED_MAX;
}

void ike_mod_inst_forget(struct ike_mod *m, uint32_t spi)
{
	for (unsigned int k = 0; k < IKE_PEERS_MAX; k++) {
		struct installed *in = &m->inst[k];

		for (unsigned int i = 0; i < in->n; i++)
			if (in->spi[i] == spi) {
				in->spi[i] = in->spi[--in->n]; /* order does not matter */
				break;
			}
	}
}
