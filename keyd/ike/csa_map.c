#include "keyd/ike/csa_map.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include "keyd/ike/ike_crypto.h"
#include "lib/log.h"

int csa_map_put(struct mml_csa_store *st, const struct mml_csa *csa)
{
	char why[160];
	int err;

	err = mml_csa_store_put(st, csa, BPF_ANY, why, sizeof(why));
	if (err && why[0])
		log_err("CSA %08x not installed: %s", csa->spi, why);
	else if (err && st->fd >= 0)
		log_err("CSA %08x: map update: %s", csa->spi, strerror(-err));
	return err;
}

int csa_map_may(struct mml_csa_store *st, const uint32_t *spis, unsigned int n, uint32_t owner)
{
	char why[160];
	int err = 0;

	for (unsigned int i = 0; i < n && !err; i++) {
		err = mml_csa_store_may(st, spis[i], owner, 0, why, sizeof(why));
		if (err && why[0])
			log_err("CSA %08x not installed: %s", spis[i], why);
	}
	return err;
}

int csa_map_del(struct mml_csa_store *st, uint32_t spi, uint32_t owner)
{
	char why[160];
	int err = mml_csa_store_del(st, spi, owner, 0, why, sizeof(why));

	if (err == -EPERM)
		log_err("CSA %08x not removed: %s", spi, why);
	/* With the map open, -ENOENT means the entry went before us. */
	return err == -ENOENT && st->fd >= 0 ? 0 : err;
}

static void zone_to_map(struct mml_zone_sa *z, uint16_t encr, const uint8_t *keymat)
{
	memset(z, 0, sizeof(*z));
	z->alg = ike_encr_to_alg(encr);
	if (!z->alg)
		return;
	memcpy(z->key, keymat, MML_KEY_LEN);
	memcpy(z->salt, keymat + MML_KEY_LEN, MML_SALT_LEN);
}

static void csa_base(struct mml_csa *m, uint32_t spi, uint8_t dir, uint8_t z1_len, uint32_t soft_s,
		     uint32_t hard_s, uint32_t owner, uint64_t now_ns)
{
	memset(m, 0, sizeof(*m));
	m->spi = spi;
	m->owner = owner;
	m->format = MML_FMT_MLESP;
	m->dir = dir;
	m->z1_len = z1_len;
	m->soft_lifetime_s = soft_s;
	m->hard_lifetime_s = hard_s;
	m->add_time_ns = now_ns;
}

void mlike_csa_to_map(const struct mlike_csa *csa, uint32_t owner, uint64_t now_ns,
		      struct mml_csa *out, struct mml_csa *in)
{
	csa_base(out, csa->spi_out, MML_DIR_OUT, csa->z1_len, csa->soft_lifetime_s,
		 csa->hard_lifetime_s, owner, now_ns);
	csa_base(in, csa->spi_in, MML_DIR_IN, csa->z1_len, csa->soft_lifetime_s,
		 csa->hard_lifetime_s, owner, now_ns);
	/* Packet limits on our sending side only: the peer's limits for its
	 * own may differ, and a receiver must not refuse what it may send. */
	out->soft_packets = csa->soft_packets;
	out->hard_packets = csa->hard_packets;
	for (unsigned int z = 0; z < MML_ZONES && z < csa->n_zones; z++) {
		zone_to_map(&out->zone[z], csa->zone_encr[z], csa->key_out[z]);
		zone_to_map(&in->zone[z], csa->zone_encr[z], csa->key_in[z]);
	}
}

/* ESP mode keyed by IKE: the engine split KEYMAT by role already
 * (ike_child_keys, RFC 7296 2.17), so key_out is what the peer has as
 * key_in; each is key | salt as RFC 4106 and RFC 7634 take it. */
int ike_child_to_map(const struct ike_child *c, uint32_t owner, uint64_t now_ns,
		     struct mml_csa *out, struct mml_csa *in)
{
	if (!ike_encr_to_alg(c->encr))
		return -EINVAL;
	csa_base(out, c->spi_out, MML_DIR_OUT, 0, 0, 0, owner, now_ns);
	csa_base(in, c->spi_in, MML_DIR_IN, 0, 0, 0, owner, now_ns);
	out->format = in->format = MML_FMT_ESP;
	zone_to_map(&out->zone[0], c->encr, c->key_out);
	zone_to_map(&in->zone[0], c->encr, c->key_in);
	return 0;
}

int mlike_fa_keys_to_map(const struct mlike_fa_keys *keys, uint32_t owner, uint64_t now_ns,
			 struct mml_csa *csas, unsigned int *n)
{
	*n = 0;
	for (unsigned int i = 0; i < keys->n_secrets; i++) {
		const struct mlike_secret_pl *s = &keys->secret[i];
		struct mml_csa *m;

		if (s->zone != 1)
			continue; /* the null SAs: zone[1] stays zeroed */
		if (*n == 2)
			return -EINVAL;
		m = &csas[(*n)++];
		csa_base(m, s->spi, MML_DIR_FWD, keys->z1_len, s->soft_lifetime_s,
			 s->hard_lifetime_s, owner, now_ns);
		m->zone[0].alg = ike_encr_to_alg(s->transform);
		memcpy(m->zone[0].key, s->key, MML_KEY_LEN);
		memcpy(m->zone[0].salt, s->salt, MML_SALT_LEN);
	}
	return 0;
}
