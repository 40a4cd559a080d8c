/* ESP mode keyed by IKE (the paper's "MIP with IPsec"): a plain CHILD_SA of
 * the IKE SA between MH and HA (`child = true;` on that peer) becomes an
 * ESP-format CSA pair in mml_csa at both ends, and its SPIs the binding's
 * ESP SPIs, so that flows in ESP mode need no key typed by hand. A rekey
 * installs the new pair and points the binding at it before the old pair
 * goes; a deleted CHILD_SA is zeroed, then deleted (lib/csa_store.c). The
 * FA never holds these keys: its ESP packets pass it opaque. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/keyd_ike.h"
#include "lib/args.h"
#include "lib/log.h"
#include "maps/ep.h"

/* The mobile's home address an ESP CHILD_SA of sa protects; 0 when sa is
 * not an IKE SA between MH and HA. */
static uint32_t esp_home(struct ike_mod *m, struct ike_sa *sa)
{
	if (m->role == ROLE_MH)
		return m->home;
	if (m->role != ROLE_HA)
		return 0;
	{
		const struct mobile *mb = ike_mobile_of_sa(m, sa);

		return mb ? mb->home : 0;
	}
}

static struct esp_child *esp_find(struct ike_mod *m, struct ike_sa *sa, uint32_t spi_in)
{
	for (unsigned int i = 0; i < m->esp_max; i++)
		if (m->esp[i].sa && m->esp[i].sa == sa && m->esp[i].spi_in == spi_in)
			return &m->esp[i];
	return NULL;
}

static bool esp_tracked(struct ike_mod *m, uint32_t spi)
{
	for (unsigned int i = 0; i < m->esp_max; i++)
		if (m->esp[i].sa && (m->esp[i].spi_in == spi || m->esp[i].spi_out == spi))
			return true;
	return false;
}

/* ESP CSAs the binding names that no live CHILD_SA of ours owns are a
 * previous daemon instance's (the maps outlive it): they go if the same
 * peer (owner) installed them. */
static void esp_drop_stale(struct ike_mod *m, uint32_t home, uint32_t owner)
{
	uint32_t old[2] = { 0, 0 };

	if (mip_maps_binding_get_spis(&m->maps, home, MML_MODE_ESP, &old[0], &old[1]))
		return;
	for (unsigned int i = 0; i < 2; i++)
		if (old[i] && !esp_tracked(m, old[i]))
			ike_mod_remove_csa(m, old[i], owner);
}

/* The binding's ESP SPIs (0, 0 clears them); owner: the peer (the MH's
 * HA, whose pair a stale binding names). */
static void esp_binding(struct ike_mod *m, uint32_t home, uint32_t out, uint32_t in, uint32_t owner)
{
	char a[16];
	int err;

	if (m->role == ROLE_MH) {
		m->pending_owner = owner;
		ike_mod_own_binding_esp(m, out, in);
		return;
	}
	err = mip_maps_binding_spis(&m->maps, home, MML_MODE_ESP, out, in);
	if (err && err != -ENOENT)
		log_warn("mml_binding %s: ESP SPIs not recorded: %s", mml_ipv4_str(home, a),
			 strerror(-err));
}

/* The pair as the peer's (owner), both or neither: a CSA under either SPI
 * that is another's stays (-EPERM, counted). */
static int esp_install(struct ike_mod *m, const struct ike_child *c, uint32_t owner)
{
	struct mml_csa out, in;
	int err;

	err = csa_map_may(&m->store, (uint32_t[2]){ c->spi_in, c->spi_out }, 2, owner);
	if (err == -EPERM)
		m->csas_refused_owner++;
	if (!err)
		err = ike_child_to_map(c, owner, loop_now(), &out, &in);
	if (!err)
		err = csa_map_put(&m->store, &in);
	if (!err) {
		err = csa_map_put(&m->store, &out);
		if (err)
			csa_map_del(&m->store, in.spi, owner);
	}
	OPENSSL_cleanse(&out, sizeof(out));
	OPENSSL_cleanse(&in, sizeof(in));
	if (!err)
		m->csas_installed += 2;
	return err;
}

void ike_mod_esp_child_up(void *ctx, struct ike_sa *sa, const struct ike_child *c)
{
	struct ike_mod *m = ctx;
	uint32_t home = esp_home(m, sa);
	struct esp_child *e = NULL;
	char a[16];

	for (unsigned int i = 0; i < m->esp_max && !e; i++)
		if (!m->esp[i].sa)
			e = &m->esp[i];
	if (!home) {
		log_warn("peer %s: CHILD_SA %08x/%08x not installed: ESP mode is for the IKE SA "
			 "between MH and HA",
			 ike_sa_peer(sa)->name, c->spi_in, c->spi_out);
		return;
	}
	if (!e) {
		log_err("peer %s: more than %u ESP CHILD_SAs: %08x/%08x not installed",
			ike_sa_peer(sa)->name, m->esp_max, c->spi_in, c->spi_out);
		return;
	}
	if (c->encap)
		log_warn("peer %s: CHILD_SA %08x/%08x wants UDP encapsulation, which ESP mode "
			 "does not do: installed as plain ESP",
			 ike_sa_peer(sa)->name, c->spi_in, c->spi_out);
	if (esp_install(m, c, ike_sa_peer(sa)->addr))
		return;
	*e = (struct esp_child){ .sa = sa,
				 .home = home,
				 .spi_in = c->spi_in,
				 .spi_out = c->spi_out,
				 .serial = ++m->esp_serial };
	/* A rekey's new pair is in place before the binding names it, and
	 * the old pair stays until its CHILD_SA is deleted. */
	esp_drop_stale(m, home, ike_sa_peer(sa)->addr);
	esp_binding(m, home, c->spi_out, c->spi_in, ike_sa_peer(sa)->addr);
	if (m->role == ROLE_MH)
		ike_mod_bypass(m, home, ike_sa_peer(sa)->addr, true);
	mip_maps_gen_bump(&m->maps);
	log_info("ESP mode for %s: CSAs %08x (out) / %08x (in) from the CHILD_SA",
		 mml_ipv4_str(home, a), c->spi_out, c->spi_in);
}

/* The newest ESP CHILD_SA left for home, NULL if none. */
static const struct esp_child *esp_newest(struct ike_mod *m, uint32_t home)
{
	const struct esp_child *best = NULL;

	for (unsigned int i = 0; i < m->esp_max; i++)
		if (m->esp[i].sa && m->esp[i].home == home &&
		    (!best || m->esp[i].serial > best->serial))
			best = &m->esp[i];
	return best;
}

/* The binding moves to the newest pair left (or 0) before the old pair
 * goes, so that it never names a CSA that is not there. */
void ike_mod_esp_child_down(void *ctx, struct ike_sa *sa, const struct ike_child *c)
{
	struct ike_mod *m = ctx;
	struct esp_child *e = esp_find(m, sa, c->spi_in);
	const struct esp_child *next;
	uint32_t home, out = 0, in = 0;

	if (!e)
		return;
	home = e->home;
	*e = (struct esp_child){ 0 };
	next = esp_newest(m, home);
	if ((!mip_maps_binding_get_spis(&m->maps, home, MML_MODE_ESP, &out, &in) &&
	     (out == c->spi_out || in == c->spi_in)) ||
	    (m->role == ROLE_MH && m->pending_esp_in == c->spi_in))
		esp_binding(m, home, next ? next->spi_out : 0, next ? next->spi_in : 0,
			    ike_sa_peer(sa)->addr);
	ike_mod_remove_csa(m, c->spi_out, ike_sa_peer(sa)->addr);
	ike_mod_remove_csa(m, c->spi_in, ike_sa_peer(sa)->addr);
	mip_maps_gen_bump(&m->maps);
}

/* The CHILD_SAs moved to the rekeyed IKE SA along with everything else. */
void ike_mod_esp_rekeyed(struct ike_mod *m, struct ike_sa *old_sa, struct ike_sa *new_sa)
{
	for (unsigned int i = 0; i < m->esp_max; i++)
		if (m->esp[i].sa == old_sa)
			m->esp[i].sa = new_sa;
}

unsigned int ike_mod_esp_count(const struct ike_mod *m)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < m->esp_max; i++)
		n += m->esp[i].sa != NULL;
	return n;
}
