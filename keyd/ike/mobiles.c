/* The ike module's tables sized by mobiles_max (keyd/ike/keyd_ike.h): the
 * HA's mobiles, found by home address and by IKE SA; the FA's visitors'
 * held CSAs, the homes it relayed a reply for, zone 1's timestamps; the
 * ESP CHILD_SAs; the revocation queue. calloc'd: pages nobody used cost
 * no memory, so a large mobiles_max costs what is used. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/keyd_ike.h"
#include "keyd/ike/mh_tmpl.h"
#include "lib/args.h"
#include "lib/log.h"

int ike_tables_init(struct ike_mod *m)
{
	uint32_t n;

	if (!m->mobiles_max)
		m->mobiles_max = IKE_MOBILES_DEFAULT;
	n = m->mobiles_max;
	m->esp_max = 2 * n;
	m->mobiles = calloc(n, sizeof(*m->mobiles));
	m->held = calloc(n, sizeof(*m->held));
	m->z1 = calloc(n, sizeof(*m->z1));
	m->esp = calloc(m->esp_max, sizeof(*m->esp));
	if (!m->mobiles || !m->held || !m->z1 || !m->esp || idx_init(&m->mob_home, n, n) ||
	    idx_init(&m->mob_sa, n, n) || idx_init(&m->held_ix, n, n) ||
	    idx_init(&m->here, 64, n) || idx_init(&m->z1_ix, n, n) ||
	    idx_init(&m->z1_spi, 2 * n, 2 * n)) {
		ike_tables_free(m);
		log_err("ike: tables for %u mobiles: %s", n, strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

void ike_tables_free(struct ike_mod *m)
{
	for (unsigned int i = 0; m->mobiles && i < m->mobiles_max; i++)
		mh_tmpl_put(m->mobiles[i].dcfg);
	if (m->mobiles)
		OPENSSL_cleanse(m->mobiles, (size_t)m->mobiles_max * sizeof(*m->mobiles));
	free(m->mobiles);
	free(m->held);
	free(m->z1);
	free(m->esp);
	free(m->revq);
	m->mobiles = NULL;
	m->held = NULL;
	m->z1 = NULL;
	m->esp = NULL;
	m->revq = NULL;
	m->n_revq = m->revq_cap = 0;
	idx_free(&m->mob_home);
	idx_free(&m->mob_sa);
	idx_free(&m->held_ix);
	idx_free(&m->here);
	idx_free(&m->z1_ix);
	idx_free(&m->z1_spi);
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		idx_free(&m->inst[i].spis);
	free(m->rec.spi);
	free(m->rec.owner);
	m->rec.spi = m->rec.owner = NULL;
	m->rec.n = m->rec.cap = 0;
}

struct mobile *ike_mobile_of_home(struct ike_mod *m, uint32_t home)
{
	uint32_t s = idx_find(&m->mob_home, home);

	return s == IDX_NONE ? NULL : &m->mobiles[s];
}

struct mobile *ike_mobile_of_sa(struct ike_mod *m, struct ike_sa *sa)
{
	uint32_t s = sa ? idx_find(&m->mob_sa, (uint64_t)(uintptr_t)sa) : IDX_NONE;

	return s == IDX_NONE ? NULL : &m->mobiles[s];
}

struct mobile *ike_mobile_new(struct ike_mod *m, uint32_t home)
{
	uint32_t s = m->mobiles ? idx_take(&m->mob_home, home) : IDX_NONE;
	char a[16];

	if (s == IDX_NONE) {
		/* At the 1st, 2nd, 4th, 8th ... refusal: a full table does not
		 * log a line per registration; the counter says how many. */
		if (!m->mobiles_full++ || !(m->mobiles_full & (m->mobiles_full - 1)))
			log_err("ike: mobiles_max (%u) mobiles have ML-IKE: none for %s "
				"(%llu refused so far; raise mobiles_max)",
				m->mobiles_max, mml_ipv4_str(home, a),
				(unsigned long long)m->mobiles_full);
		return NULL;
	}
	m->mobiles[s] = (struct mobile){ .used = true, .home = home };
	return &m->mobiles[s];
}

void ike_mobile_set_sa(struct ike_mod *m, struct mobile *mb, struct ike_sa *sa)
{
	uint32_t s = ike_mobile_slot(m, mb);

	idx_drop(&m->mob_sa, s);
	mb->mh_sa = sa;
	if (sa)
		idx_put(&m->mob_sa, s, (uint64_t)(uintptr_t)sa);
}

void ike_mobile_del(struct ike_mod *m, struct mobile *mb)
{
	uint32_t s = ike_mobile_slot(m, mb);

	if (mb->handoff == IKE_HANDOFF_PKD && m->n_pkd)
		m->n_pkd--;
	ike_mod_unqueue(m, mb);
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->fas[i].dist_slot == s + 1)
			m->fas[i].dist_slot = 0;
	idx_drop(&m->mob_sa, s);
	idx_drop(&m->mob_home, s);
	mh_tmpl_put(mb->dcfg); /* an SA still made with it holds its own */
	OPENSSL_cleanse(mb, sizeof(*mb));
}

bool ike_mobile_has_peer(const struct ike_mod *m, uint32_t home)
{
	for (unsigned int i = 0; i < m->ecfg.n_peers; i++)
		if (m->peers[i].addr == home && !m->peers[i].tmpl)
			return true;
	return mh_tmpl_match(m->peers, m->ecfg.n_peers, home) != NULL;
}

const struct ike_peer_cfg *ike_mobile_cfg(struct ike_mod *m, struct mobile *mb)
{
	const struct ike_peer_cfg *t;

	for (unsigned int i = 0; i < m->ecfg.n_peers; i++)
		if (m->peers[i].addr == mb->home && !m->peers[i].tmpl)
			return &m->peers[i];
	if (!mb->dcfg && (t = mh_tmpl_match(m->peers, m->ecfg.n_peers, mb->home)))
		mb->dcfg = mh_tmpl_derive(t, mb->home);
	return mb->dcfg;
}

const struct ike_peer_cfg *ike_mobile_peer_lookup(void *ctx, uint32_t addr)
{
	struct ike_mod *m = ctx;
	struct mobile *mb = m->role == ROLE_HA ? ike_mobile_of_home(m, addr) : NULL;

	/* Only a bound mobile: its registration named this home address. */
	return mb ? ike_mobile_cfg(m, mb) : NULL;
}

void ike_mobile_cfg_put(void *ctx, const struct ike_peer_cfg *cfg)
{
	(void)ctx;
	mh_tmpl_put(cfg);
}
