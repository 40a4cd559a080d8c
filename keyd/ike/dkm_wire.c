/* The DKM payload (docs/protocol.md §8): which mobile host, and which of
 * its CSAs, a DKM_CSA_REQUEST is about. */
#include <string.h>

#include "keyd/ike/ike_wire.h"
#include "lib/bytes.h"

int dkm_mh_parse(const uint8_t *body, size_t len, struct dkm_mh_pl *m)
{
	memset(m, 0, sizeof(*m));
	if (len < DKM_MH_FIXED)
		return IKE_PERR_TRUNCATED;
	memcpy(&m->mh_home, body, 4);
	memcpy(&m->ha_addr, body + 4, 4);
	m->n_spis = body[8];
	if (body[9] || body[10] || body[11] || m->n_spis > DKM_SPIS_MAX || !m->mh_home)
		return IKE_PERR_SYNTAX;
	if (len != DKM_MH_FIXED + 4u * m->n_spis)
		return len < DKM_MH_FIXED + 4u * m->n_spis ? IKE_PERR_TRUNCATED : IKE_PERR_SYNTAX;
	for (unsigned int i = 0; i < m->n_spis; i++) {
		m->spi[i] = get_be32(body + DKM_MH_FIXED + 4 * i);
		if (!m->spi[i])
			return IKE_PERR_SYNTAX;
	}
	return 0;
}

void dkm_put_mh(struct ike_wbuf *wb, const struct dkm_mh_pl *m)
{
	/* Critical: a peer that does not know DKM must refuse, not answer an
	 * empty success. */
	size_t start = ike_wb_pl_begin(wb, DKM_PL_MH, true);

	ike_wb_put(wb, &m->mh_home, 4);
	ike_wb_put(wb, &m->ha_addr, 4);
	ike_wb_put8(wb, m->n_spis);
	ike_wb_put8(wb, 0);
	ike_wb_put16(wb, 0);
	for (unsigned int i = 0; i < m->n_spis && i < DKM_SPIS_MAX; i++)
		ike_wb_put32(wb, m->spi[i]);
	ike_wb_pl_end(wb, start);
}
