/* ML-IKE exchanges (docs/protocol.md): MLIKE_AUTH_SA builds a composite SA
 * pair between MH and HA inside their IKE SA; KEY_DISTRIBUTE hands the FA
 * zone 1's SAs (SECRET payloads) and nothing else. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_xchg.h"
#include "lib/bytes.h"
#include "lib/log.h"

#define MLIKE_N_ZONES 2 /* what the data plane implements (DESIGN.md 2.1) */

static bool z1_len_ok(unsigned int z1)
{
	return z1 >= MML_Z1_MIN && z1 <= MML_Z1_MAX && z1 % 4 == 0;
}

static void zonemap_of(uint8_t z1_len, struct mlike_zonemap_pl *zm)
{
	memset(zm, 0, sizeof(*zm));
	zm->n_zones = MLIKE_N_ZONES;
	zm->format = MLIKE_FMT_MLESP;
	zm->start[0] = 0;
	zm->end[0] = z1_len;
	zm->start[1] = z1_len;
	zm->end[1] = MLIKE_ZONE_END;
}

/* A zone map this build can run: two zones, zone 1 within the limits. */
static bool zonemap_usable(const struct mlike_zonemap_pl *zm)
{
	return zm->n_zones == MLIKE_N_ZONES && zm->format == MLIKE_FMT_MLESP &&
	       z1_len_ok(zm->end[0]);
}

static struct ike_transform encr_transform(uint16_t id)
{
	return ike_xform(IKE_TRANS_ENCR, id);
}

/* Zone proposals: zone 1 fixed to ChaCha20-Poly1305 (the FA verifies it in
 * XDP) and carrying the CSA's SPI; zone 2 offers both AEADs, ours first. */
static void csa_offer(const struct ike_peer_cfg *cfg, uint32_t spi, struct ike_sa_pl *sa)
{
	uint16_t z2 = cfg->zone2_encr ? cfg->zone2_encr : IKE_ENCR_CHACHA20_POLY1305;

	memset(sa, 0, sizeof(*sa));
	sa->n_props = MLIKE_N_ZONES;
	sa->p[0].num = 1;
	sa->p[0].proto = MLIKE_PROTO_ZONE;
	sa->p[0].spi_len = 4;
	put_be32(sa->p[0].spi, spi);
	sa->p[0].t[sa->p[0].n_trans++] = encr_transform(IKE_ENCR_CHACHA20_POLY1305);
	sa->p[1].num = 2;
	sa->p[1].proto = MLIKE_PROTO_ZONE;
	sa->p[1].t[sa->p[1].n_trans++] = encr_transform(z2);
	sa->p[1].t[sa->p[1].n_trans++] = encr_transform(
		z2 == IKE_ENCR_AES_GCM_16 ? IKE_ENCR_CHACHA20_POLY1305 : IKE_ENCR_AES_GCM_16);
}

/* Picks one AEAD per zone from the zone proposals; false if any zone has no
 * acceptable transform or the structure is not a CSA proposal. */
static bool csa_pick(const struct ike_peer_cfg *cfg, const struct ike_sa_pl *offer,
		     uint16_t encr[MLIKE_N_ZONES], uint32_t *spi)
{
	uint16_t prefer = cfg->zone2_encr ? cfg->zone2_encr : IKE_ENCR_CHACHA20_POLY1305;

	if (offer->n_props != MLIKE_N_ZONES)
		return false;
	for (unsigned int z = 0; z < MLIKE_N_ZONES; z++) {
		const struct ike_proposal *p = &offer->p[z];

		if (p->proto != MLIKE_PROTO_ZONE || p->num != z + 1 || p->spi_len != (z ? 0 : 4))
			return false;
		encr[z] = 0;
		for (unsigned int i = 0; i < p->n_trans; i++) {
			const struct ike_transform *t = &p->t[i];
			bool ok = t->type == IKE_TRANS_ENCR && !t->unknown_attr &&
				  ((t->id == IKE_ENCR_CHACHA20_POLY1305 && !t->key_len) ||
				   (z > 0 && t->id == IKE_ENCR_AES_GCM_16 && t->key_len == 256));

			if (t->type != IKE_TRANS_ENCR)
				return false;
			if (ok && (!encr[z] || t->id == prefer))
				encr[z] = t->id;
		}
		if (!encr[z])
			return false;
	}
	*spi = get_be32(offer->p[0].spi);
	return *spi >= 256;
}

/* KEYMAT = prf+(SK_d, Ni | Nr): for the initiator-to-responder CSA each zone
 * in order (key | salt), then the same for the responder-to-initiator CSA. */
static int csa_keys(struct ike_sa *sa, bool we_initiated, const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len, struct mlike_csa *csa)
{
	uint8_t keymat[2 * MLIKE_ZONES_MAX * IKE_AEAD_KEYMAT_LEN];
	struct ike_iov seed[] = { { ni, ni_len }, { nr, nr_len } };
	size_t per_dir = (size_t)csa->n_zones * IKE_AEAD_KEYMAT_LEN;
	int err;

	err = ike_prf_plus(sa->keys.sk_d, IKE_PRF_LEN, seed, 2, keymat, 2 * per_dir);
	if (!err) {
		for (unsigned int z = 0; z < csa->n_zones; z++) {
			const uint8_t *i2r = keymat + z * IKE_AEAD_KEYMAT_LEN;
			const uint8_t *r2i = keymat + per_dir + z * IKE_AEAD_KEYMAT_LEN;

			memcpy(csa->key_out[z], we_initiated ? i2r : r2i, IKE_AEAD_KEYMAT_LEN);
			memcpy(csa->key_in[z], we_initiated ? r2i : i2r, IKE_AEAD_KEYMAT_LEN);
		}
	}
	OPENSSL_cleanse(keymat, sizeof(keymat));
	return err;
}

/* The CSA offer of MLIKE_AUTH_SA, or of MLIKE_CREATE_CHILD_SA with
 * N(REKEY_SA) naming the CSA it replaces (rekey_spi, the SPI we receive it
 * with; 0 = none). */
int mlike_csa_offer_send(struct ike_sa *sa, uint8_t exchange, enum ike_req_kind kind,
			 uint32_t rekey_spi)
{
	const struct ike_peer_cfg *cfg = sa->cfg;
	uint8_t buf[1024], spi[4];
	struct mlike_zonemap_pl zm;
	struct ike_sa_pl offer;
	struct ike_wbuf in;

	if (sa->state != IKE_S_ESTABLISHED)
		return -ENOTCONN;
	if (sa->req_kind != IKE_REQ_NONE)
		return -EBUSY;
	sa->ml_z1_len = cfg->z1_len ? cfg->z1_len : MML_Z1_DEFAULT;
	if (!z1_len_ok(sa->ml_z1_len))
		return -EINVAL;
	sa->ml_spi_offer = ike_new_spi32();
	if (!sa->ml_spi_offer || ike_random(sa->ml_nonce, sizeof(sa->ml_nonce)))
		return -EIO;
	ike_wb_init(&in, buf, sizeof(buf));
	if (rekey_spi) {
		put_be32(spi, rekey_spi);
		ike_put_notify(&in, MLIKE_PROTO_ZONE, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	}
	csa_offer(cfg, sa->ml_spi_offer, &offer);
	{
		size_t start = ike_wb_pl_begin(&in, MLIKE_PL_CSA_PROPOSAL, true);

		ike_put_proposals(&in, &offer);
		ike_wb_pl_end(&in, start);
	}
	zonemap_of(sa->ml_z1_len, &zm);
	mlike_put_zonemap(&in, &zm);
	ike_put_nonce(&in, sa->ml_nonce, sizeof(sa->ml_nonce));
	return ike_send_protected(sa, exchange, false, sa->next_msg_id, kind, &in);
}

int mlike_auth_sa_start(struct ike_sa *sa)
{
	return mlike_csa_offer_send(sa, MLIKE_AUTH_SA, IKE_REQ_MLIKE_AUTH_SA, 0);
}

struct csa_msg {
	struct ike_sa_pl zones;
	struct mlike_zonemap_pl zm;
	const struct ike_pl *nonce;
};

static uint16_t csa_msg_parse(const struct ike_chain *c, struct csa_msg *m)
{
	unsigned int n_prop, n_zm, n_nonce;
	const struct ike_pl *prop = ike_chain_find(c, MLIKE_PL_CSA_PROPOSAL, &n_prop);
	const struct ike_pl *zm = ike_chain_find(c, MLIKE_PL_ZONEMAP, &n_zm);

	m->nonce = ike_chain_find(c, IKE_PL_NONCE, &n_nonce);
	if (n_prop != 1 || n_zm != 1 || n_nonce != 1 ||
	    ike_sa_parse(prop->body, prop->len, &m->zones) ||
	    mlike_zonemap_parse(zm->body, zm->len, &m->zm) ||
	    ike_nonce_parse(m->nonce->body, m->nonce->len))
		return IKE_N_INVALID_SYNTAX;
	if (!zonemap_usable(&m->zm))
		return MLIKE_N_ZONEMAP_UNACCEPTABLE;
	return 0;
}

static void csa_fill(struct ike_sa *sa, const uint16_t encr[MLIKE_N_ZONES], uint8_t z1_len,
		     struct mlike_csa *csa)
{
	memset(csa, 0, sizeof(*csa));
	csa->z1_len = z1_len;
	csa->n_zones = MLIKE_N_ZONES;
	for (unsigned int z = 0; z < MLIKE_N_ZONES; z++)
		csa->zone_encr[z] = encr[z];
	csa->soft_lifetime_s = sa->cfg->csa_soft_lifetime_s;
	csa->hard_lifetime_s = sa->cfg->csa_hard_lifetime_s;
	csa->soft_packets = sa->cfg->csa_soft_packets;
	csa->hard_packets = sa->cfg->csa_hard_packets;
}

int mlike_csa_answer(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c,
		     struct mlike_csa *csa, struct ike_nonce_lo *lo)
{
	uint8_t buf[1024], nr[IKE_NONCE_LEN];
	uint16_t encr[MLIKE_N_ZONES], refuse;
	struct ike_sa_pl acc;
	struct csa_msg m;
	struct ike_wbuf out;
	uint32_t peer_spi = 0;
	int err = -EINVAL;

	refuse = csa_msg_parse(c, &m);
	if (!refuse && !csa_pick(sa->cfg, &m.zones, encr, &peer_spi))
		refuse = IKE_N_NO_PROPOSAL_CHOSEN;
	if (!refuse && ike_random(nr, sizeof(nr)))
		refuse = IKE_N_TEMPORARY_FAILURE;
	if (refuse) {
		ike_count(sa->eng, IKE_C_NO_PROPOSAL,
			  "peer %s: CSA exchange %u refused (notify %u)", sa->cfg->name,
			  h->exchange, refuse);
		ike_send_error_notify(sa, h->exchange, h->msg_id, refuse, NULL, 0);
		return -EINVAL;
	}
	csa_fill(sa, encr, (uint8_t)m.zm.end[0], csa);
	csa->spi_out = peer_spi;
	csa->spi_in = ike_new_spi32();
	if (csa_keys(sa, false, m.nonce->body, m.nonce->len, nr, sizeof(nr), csa))
		goto out;
	ike_wb_init(&out, buf, sizeof(buf));
	csa_offer(sa->cfg, csa->spi_in, &acc);
	for (unsigned int z = 0; z < MLIKE_N_ZONES; z++) {
		acc.p[z].n_trans = 1;
		acc.p[z].t[0] = encr_transform(encr[z]);
	}
	{
		size_t start = ike_wb_pl_begin(&out, MLIKE_PL_CSA_PROPOSAL, true);

		ike_put_proposals(&out, &acc);
		ike_wb_pl_end(&out, start);
	}
	mlike_put_zonemap(&out, &m.zm);
	ike_put_nonce(&out, nr, sizeof(nr));
	err = ike_send_protected(sa, h->exchange, true, h->msg_id, IKE_REQ_NONE, &out);
	if (!err && lo)
		ike_nonce_low(m.nonce->body, m.nonce->len, nr, sizeof(nr), lo);
out:
	if (err)
		OPENSSL_cleanse(csa, sizeof(*csa));
	OPENSSL_cleanse(nr, sizeof(nr));
	return err;
}

int mlike_csa_from_answer(struct ike_sa *sa, const struct ike_chain *c, struct mlike_csa *csa,
			  struct ike_nonce_lo *lo)
{
	uint16_t encr[MLIKE_N_ZONES];
	struct csa_msg m;
	uint32_t peer_spi = 0;

	/* The answer: one transform per zone, among those we offered, and
	 * the zone map we sent, unchanged. */
	if (csa_msg_parse(c, &m) || !csa_pick(sa->cfg, &m.zones, encr, &peer_spi) ||
	    m.zones.p[0].n_trans != 1 || m.zones.p[1].n_trans != 1 ||
	    m.zm.end[0] != sa->ml_z1_len) {
		ike_count(sa->eng, IKE_C_MALFORMED, "peer %s: CSA answer not acceptable",
			  sa->cfg->name);
		return -EINVAL;
	}
	csa_fill(sa, encr, sa->ml_z1_len, csa);
	csa->spi_out = peer_spi;
	csa->spi_in = sa->ml_spi_offer;
	if (csa_keys(sa, true, sa->ml_nonce, sizeof(sa->ml_nonce), m.nonce->body, m.nonce->len,
		     csa)) {
		OPENSSL_cleanse(csa, sizeof(*csa));
		return -EIO;
	}
	if (lo)
		ike_nonce_low(sa->ml_nonce, sizeof(sa->ml_nonce), m.nonce->body, m.nonce->len, lo);
	return 0;
}

static void csa_established(struct ike_sa *sa, const struct mlike_csa *csa)
{
	OPENSSL_cleanse(&sa->csa, sizeof(sa->csa));
	sa->csa = *csa;
	sa->csa_valid = true;
	log_info("peer %s: CSA pair up (out %08x, in %08x, zone 1 %u bytes)", sa->cfg->name,
		 sa->csa.spi_out, sa->csa.spi_in, sa->csa.z1_len);
	if (sa->eng->ev->csa_up)
		sa->eng->ev->csa_up(sa->eng->ev_ctx, sa, &sa->csa);
}

void mlike_auth_sa_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	struct mlike_csa csa;

	if (!mlike_csa_answer(sa, h, c, &csa, NULL))
		csa_established(sa, &csa);
	OPENSSL_cleanse(&csa, sizeof(csa));
}

void mlike_auth_sa_response(struct ike_sa *sa, const struct ike_chain *c)
{
	uint16_t error = ike_chain_error(c);
	struct mlike_csa csa;

	if (error) {
		log_err("peer %s refused MLIKE_AUTH_SA (notify %u)", sa->cfg->name, error);
		return;
	}
	if (!mlike_csa_from_answer(sa, c, &csa, NULL))
		csa_established(sa, &csa);
	OPENSSL_cleanse(&csa, sizeof(csa));
}

/* --- KEY_DISTRIBUTE --- */

void mlike_fa_keys_from_csa(const struct mlike_csa *csa, bool out_is_to_mh, uint32_t mh_home,
			    uint32_t ha_addr, struct mlike_fa_keys *keys)
{
	const uint8_t(*to_mh)[IKE_AEAD_KEYMAT_LEN] = out_is_to_mh ? csa->key_out : csa->key_in;
	const uint8_t(*to_ha)[IKE_AEAD_KEYMAT_LEN] = out_is_to_mh ? csa->key_in : csa->key_out;

	memset(keys, 0, sizeof(*keys));
	keys->mh_home = mh_home;
	keys->ha_addr = ha_addr;
	keys->z1_len = csa->z1_len;
	for (unsigned int d = 0; d < 2; d++) {
		uint8_t dir = d ? MLIKE_DIR_TO_HA : MLIKE_DIR_TO_MH;
		uint32_t spi = (d == 0) == out_is_to_mh ? csa->spi_out : csa->spi_in;
		const uint8_t *z1 = d ? to_ha[0] : to_mh[0];

		for (unsigned int z = 0; z < csa->n_zones; z++) {
			struct mlike_secret_pl *s = &keys->secret[keys->n_secrets++];

			s->spi = spi;
			s->zone = (uint8_t)(z + 1);
			s->dir = dir;
			s->soft_lifetime_s = csa->soft_lifetime_s;
			s->hard_lifetime_s = csa->hard_lifetime_s;
			/* Only zone 1 travels with a key: the other zones
			 * are null SAs (the FA may not read them). */
			if (z == 0) {
				s->transform = csa->zone_encr[0];
				memcpy(s->key, z1, IKE_AEAD_KEY_LEN);
				memcpy(s->salt, z1 + IKE_AEAD_KEY_LEN, IKE_AEAD_SALT_LEN);
			}
		}
	}
}

bool mlike_fa_keys_zone1_only(const struct mlike_fa_keys *keys)
{
	for (unsigned int i = 0; i < keys->n_secrets; i++)
		if (keys->secret[i].zone != 1 && keys->secret[i].transform != 0)
			return false;
	return true;
}

void mlike_put_fa_keys(struct ike_wbuf *wb, const struct mlike_fa_keys *keys)
{
	struct mlike_zonemap_pl zm;
	uint8_t binding[8];

	memcpy(binding, &keys->mh_home, 4);
	memcpy(binding + 4, &keys->ha_addr, 4);
	ike_put_notify(wb, 0, NULL, 0, MLIKE_N_BINDING, binding, sizeof(binding));
	if (keys->inactive) /* PKD: hold them until the MH registers there */
		ike_put_notify(wb, 0, NULL, 0, MLIKE_N_PKD_INACTIVE, NULL, 0);
	zonemap_of(keys->z1_len, &zm);
	mlike_put_zonemap(wb, &zm);
	for (unsigned int i = 0; i < keys->n_secrets; i++)
		mlike_put_secret(wb, &keys->secret[i]);
}

int mlike_key_distribute(struct ike_sa *sa, const struct mlike_fa_keys *keys)
{
	uint8_t buf[1024];
	struct ike_wbuf in;
	int err;

	if (sa->state != IKE_S_ESTABLISHED)
		return -ENOTCONN;
	if (sa->req_kind != IKE_REQ_NONE)
		return -EBUSY;
	if (!mlike_fa_keys_zone1_only(keys))
		return -EPERM; /* never a key the FA may not hold */
	ike_wb_init(&in, buf, sizeof(buf));
	mlike_put_fa_keys(&in, keys);
	err = ike_send_protected(sa, MLIKE_KEY_DISTRIBUTE, false, sa->next_msg_id,
				 IKE_REQ_KEY_DISTRIBUTE, &in);
	OPENSSL_cleanse(buf, sizeof(buf));
	return err;
}

uint16_t mlike_fa_keys_parse(const struct ike_chain *c, struct mlike_fa_keys *keys)
{
	struct mlike_zonemap_pl zm;
	const struct ike_pl *zm_pl;
	unsigned int n_zm, seen = 0;
	bool binding = false;

	memset(keys, 0, sizeof(*keys));
	zm_pl = ike_chain_find(c, MLIKE_PL_ZONEMAP, &n_zm);
	if (n_zm != 1 || mlike_zonemap_parse(zm_pl->body, zm_pl->len, &zm))
		return IKE_N_INVALID_SYNTAX;
	if (!zonemap_usable(&zm))
		return MLIKE_N_ZONEMAP_UNACCEPTABLE;
	keys->z1_len = (uint8_t)zm.end[0];
	for (unsigned int i = 0; i < c->n; i++) {
		const struct ike_pl *pl = &c->pl[i];
		struct ike_notify_pl n;
		struct mlike_secret_pl *s;
		unsigned int bit;

		if (pl->type == IKE_PL_NOTIFY) {
			if (ike_notify_parse(pl->body, pl->len, &n))
				return IKE_N_INVALID_SYNTAX;
			if (n.type == MLIKE_N_PKD_INACTIVE) {
				/* PKD: hold until the MH registers here. */
				if (n.data_len || keys->inactive)
					return IKE_N_INVALID_SYNTAX;
				keys->inactive = true;
				continue;
			}
			if (n.type != MLIKE_N_BINDING)
				continue;
			if (n.data_len != 8 || binding)
				return IKE_N_INVALID_SYNTAX;
			memcpy(&keys->mh_home, n.data, 4);
			memcpy(&keys->ha_addr, n.data + 4, 4);
			binding = true;
			continue;
		}
		if (pl->type != MLIKE_PL_SECRET)
			continue;
		if (keys->n_secrets == 2 * MLIKE_N_ZONES)
			return IKE_N_INVALID_SYNTAX;
		s = &keys->secret[keys->n_secrets++];
		if (mlike_secret_parse(pl->body, pl->len, s) || s->zone > MLIKE_N_ZONES)
			return IKE_N_INVALID_SYNTAX;
		/* Zone 1 with a ChaCha20-Poly1305 key, every other zone a null SA;
		 * anything else is refused (and wiped) rather than stored. */
		if (s->zone == 1 ? s->transform != IKE_ENCR_CHACHA20_POLY1305 : s->transform != 0)
			return MLIKE_N_KEYS_REJECTED;
		bit = 1u << ((s->dir - 1) * MLIKE_N_ZONES + s->zone - 1);
		if (seen & bit)
			return IKE_N_INVALID_SYNTAX;
		seen |= bit;
	}
	if (!binding || seen != (1u << (2 * MLIKE_N_ZONES)) - 1)
		return IKE_N_INVALID_SYNTAX;
	if (keys->secret[0].spi == 0)
		return IKE_N_INVALID_SYNTAX;
	return 0;
}

void mlike_key_distribute_request(struct ike_sa *sa, const struct ike_hdr *h,
				  const struct ike_chain *c)
{
	struct ike_engine *eng = sa->eng;
	struct mlike_fa_keys keys;
	uint8_t buf[128], spis[4 * 2 * MLIKE_N_ZONES];
	struct ike_wbuf out;
	uint16_t refuse;
	size_t n_spis = 0;

	refuse = mlike_fa_keys_parse(c, &keys);
	if (!refuse && (!eng->ev->fa_keys || eng->ev->fa_keys(eng->ev_ctx, sa, &keys)))
		refuse = MLIKE_N_KEYS_REJECTED;
	if (refuse) {
		ike_count(eng, IKE_C_NO_PROPOSAL, "peer %s: KEY_DISTRIBUTE refused (notify %u)",
			  sa->cfg->name, refuse);
		ike_send_error_notify(sa, MLIKE_KEY_DISTRIBUTE, h->msg_id, refuse, NULL, 0);
		goto out;
	}
	for (unsigned int i = 0; i < keys.n_secrets; i++)
		if (keys.secret[i].zone == 1)
			put_be32(spis + 4 * n_spis++, keys.secret[i].spi);
	ike_wb_init(&out, buf, sizeof(buf));
	ike_put_notify(&out, 0, NULL, 0, MLIKE_N_KEYS_INSTALLED, spis, 4 * n_spis);
	ike_send_protected(sa, MLIKE_KEY_DISTRIBUTE, true, h->msg_id, IKE_REQ_NONE, &out);
	log_info("peer %s: zone-1 keys of %zu CSAs installed%s", sa->cfg->name, n_spis,
		 keys.inactive ? " (inactive, PKD)" : "");
out:
	OPENSSL_cleanse(&keys, sizeof(keys));
}

void mlike_key_distribute_response(struct ike_sa *sa, const struct ike_chain *c)
{
	int result = ike_answer_result(sa, c, MLIKE_N_KEYS_INSTALLED, "KEY_DISTRIBUTE");

	if (sa->eng->ev->fa_keys_done)
		sa->eng->ev->fa_keys_done(sa->eng->ev_ctx, sa, result);
}
