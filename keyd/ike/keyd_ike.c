/* The "ike" module of mmlkeyd: the IKE engine on the daemon's event loop,
 * and the ML-IKE initialisation of the paper's Fig. 4 driven by Mobile IP.
 *
 *   ike = { role = "ha" | "mh" | "fa"; local = "A.B.C.D"; [home = "A.B.C.D";]
 *           [nat_detection = false; cookie_threshold = 16; retransmit_ms = 500;
 *            init_retransmit_ms = 20; dpd_s = 30;]
 *           peers = ( ...keyd/ike/ike_conf.h... ); };
 *
 * HA: a binding of home H to care-of address C (keyd_binding_changed, from
 * the Mobile IP role) starts IKE SAs with the peer whose address is H (the
 * MH, reached through its tunnel) and the peer whose address is C (the FA),
 * in parallel; MLIKE_AUTH_SA with the MH; KEY_DISTRIBUTE of zone 1 to the FA.
 * The CSAs go into mml_csa and their SPIs into the binding. A moved binding
 * hands the CSA to the new FA and revokes it at the old one; a binding that
 * goes away deletes the MH's IKE SA, revokes the FA's keys, and removes the
 * CSAs. MH: installs the CSA pair agreed with its HA (and the SPIs into its
 * own binding, home = its home address). FA: installs what KEY_DISTRIBUTE
 * brings, removes it on revocation or when the HA's IKE SA ends. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyd/ike/csa_store.h"
#include "keyd/ike/ike.h"
#include "keyd/ike/ike_conf.h"
#include "keyd/keyd.h"
#include "keyd/mip.h"
#include "lib/args.h"
#include "lib/log.h"
#include "maps/ep.h"

#define IKE_PEERS_MAX 16
#define MOBILES_MAX 64
#define RETRY_NS (2 * NS_PER_SEC)

enum ike_role { ROLE_HA, ROLE_MH, ROLE_FA };

/* HA: one mobile host's initialisation. */
struct mobile {
	bool used;
	uint32_t home, coa;   /* network order; coa = the serving FA */
	struct ike_sa *mh_sa; /* IKE SA with the MH */
	bool have_csa;
	struct mlike_csa csa;	  /* this HA's view (out = towards the MH) */
	uint32_t fa_with_keys;	  /* FA address holding zone 1, 0 = none */
	bool distributing;	  /* KEY_DISTRIBUTE out */
	uint64_t t_bound, t_done; /* CLOCK_BOOTTIME ns, for `ike show` */
};

/* HA: one FA and our IKE SA with it. */
struct fa_link {
	const struct ike_peer_cfg *peer;
	struct ike_sa *sa;
	bool up;
};

/* FA and MH: the CSAs installed because of one IKE SA. */
struct installed {
	struct ike_sa *sa;
	uint32_t spi[2];
	unsigned int n;
};

struct ike_mod {
	enum ike_role role;
	struct loop *loop;
	struct loop_timer timer, retry, dpd;
	uint32_t dpd_s; /* HA: liveness check period, 0 = off */
	struct ike_engine *eng;
	struct ike_engine_cfg ecfg;
	struct ike_peer_cfg peers[IKE_PEERS_MAX];
	struct csa_store store;
	struct mip_maps maps;
	struct mml_pin_dir pin;
	int flow_fd;
	uint32_t home; /* MH: its home address */
	/* MH: SPIs waiting for the Mobile IP role to write our binding (the HA
	 * starts ML-IKE in parallel with the registration reply, Fig. 4). */
	struct loop_timer spi_timer;
	uint32_t pending_out, pending_in;
	unsigned int spi_tries;
	struct mobile mobiles[MOBILES_MAX];
	struct fa_link fas[IKE_PEERS_MAX];
	struct installed inst[IKE_PEERS_MAX];
	uint64_t csas_installed, csas_removed, inits_done;
};

static const char *const role_names[] = { "ha", "mh", "fa", NULL };

static void rearm(struct ike_mod *m)
{
	int ms = ike_engine_timeout_ms(m->eng);

	if (ms < 0)
		loop_timer_cancel(m->loop, &m->timer);
	else
		loop_timer_in(m->loop, &m->timer, (uint64_t)ms * NS_PER_MS + 1);
}

static void on_timer(void *arg)
{
	struct ike_mod *m = arg;

	ike_engine_tick(m->eng);
	rearm(m);
}

static void on_readable(void *arg, uint32_t events)
{
	struct ike_mod *m = arg;

	(void)events;
	ike_engine_input(m->eng);
	rearm(m);
}

static const struct ike_peer_cfg *peer_at(struct ike_mod *m, uint32_t addr)
{
	for (unsigned int i = 0; i < m->ecfg.n_peers; i++)
		if (m->peers[i].addr == addr)
			return &m->peers[i];
	return NULL;
}

/* --- map writes --- */

/* IKE's own packets between MH and HA travel in plaintext (inside the
 * Mobile IP tunnel), never under the CSAs they manage: an exact mml_flow
 * entry for UDP 500 <-> 500 (and 4500 with NAT traversal) takes precedence
 * over the binding's strongest mode, like the IKE bypass policy of an
 * IPsec stack. */
static void ike_bypass(struct ike_mod *m, uint32_t home, uint32_t peer, bool add)
{
	static const uint16_t ports[] = { IKE_PORT, 4500 };
	struct mml_flow flow = { .mode = MML_MODE_PLAIN };

	if (m->flow_fd < 0)
		m->flow_fd = mml_pin_open_map(m->pin.path, MML_MAP_FLOW,
					      sizeof(struct mml_flow_key), sizeof(struct mml_flow));
	if (m->flow_fd < 0)
		return; /* no endpoint data plane on this node (yet) */
	for (unsigned int i = 0; i < (m->ecfg.nat_detection ? 2u : 1u); i++) {
		struct mml_flow_key key = { .home_addr = home,
					    .peer_addr = peer,
					    .home_port = ports[i],
					    .peer_port = ports[i],
					    .proto = 17 };

		if (add)
			bpf_map_update_elem(m->flow_fd, &key, &flow, BPF_ANY);
		else
			bpf_map_delete_elem(m->flow_fd, &key);
	}
	mip_maps_gen_bump(&m->maps);
}

static void install_csa(struct ike_mod *m, const struct mml_csa *c)
{
	if (csa_store_put(&m->store, c) == 0)
		m->csas_installed++;
}

static void remove_csa(struct ike_mod *m, uint32_t spi)
{
	if (spi && csa_store_del(&m->store, spi) == 0)
		m->csas_removed++;
}

static void install_pair(struct ike_mod *m, const struct mlike_csa *csa)
{
	struct mml_csa out, in;

	mlike_csa_to_map(csa, loop_now(), &out, &in);
	install_csa(m, &out);
	install_csa(m, &in);
	OPENSSL_cleanse(&out, sizeof(out));
	OPENSSL_cleanse(&in, sizeof(in));
	mip_maps_gen_bump(&m->maps);
}

/* CSAs a binding names that are no longer ours to keep: a previous daemon
 * instance's (the maps outlive it) or the pair being replaced. */
static void drop_stale(struct ike_mod *m, uint32_t home, uint32_t out, uint32_t in)
{
	uint32_t old_out = 0, old_in = 0;

	if (mip_maps_binding_get_spis(&m->maps, home, MML_MODE_MLESP, &old_out, &old_in))
		return;
	if (old_out && old_out != out && old_out != in)
		remove_csa(m, old_out);
	if (old_in && old_in != out && old_in != in)
		remove_csa(m, old_in);
}

static void binding_spis(struct ike_mod *m, uint32_t home, uint32_t out, uint32_t in)
{
	char a[16];
	int err;

	drop_stale(m, home, out, in);
	err = mip_maps_binding_spis(&m->maps, home, MML_MODE_MLESP, out, in);

	if (err && err != -ENOENT)
		log_warn("mml_binding %s: CSA SPIs not recorded: %s", mml_ipv4_str(home, a),
			 strerror(-err));
}

#define SPI_RETRY_NS (20 * NS_PER_MS)
#define SPI_RETRIES 500

static void on_spi_timer(void *arg)
{
	struct ike_mod *m = arg;
	int err;

	drop_stale(m, m->home, m->pending_out, m->pending_in);
	err = mip_maps_binding_spis(&m->maps, m->home, MML_MODE_MLESP, m->pending_out,
				    m->pending_in);

	/* Nothing to clear in a binding that is gone. */
	if (err == -ENOENT && !m->pending_out && !m->pending_in)
		return;
	if (err == -ENOENT && ++m->spi_tries < SPI_RETRIES) {
		loop_timer_in(m->loop, &m->spi_timer, SPI_RETRY_NS);
		return;
	}
	if (err)
		log_warn("own binding: CSA SPIs not recorded: %s", strerror(-err));
}

/* MH: our binding may not be written yet; keep trying for a while. */
static void own_binding_spis(struct ike_mod *m, uint32_t out, uint32_t in)
{
	m->pending_out = out;
	m->pending_in = in;
	m->spi_tries = 0;
	loop_timer_cancel(m->loop, &m->spi_timer);
	on_spi_timer(m);
}

static struct installed *inst_of(struct ike_mod *m, struct ike_sa *sa, bool create)
{
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->inst[i].sa == sa)
			return &m->inst[i];
	if (!create)
		return NULL;
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (!m->inst[i].sa) {
			m->inst[i] = (struct installed){ .sa = sa };
			return &m->inst[i];
		}
	return NULL;
}

static void inst_remove_all(struct ike_mod *m, struct ike_sa *sa)
{
	struct installed *in = inst_of(m, sa, false);

	if (!in)
		return;
	for (unsigned int i = 0; i < in->n; i++)
		remove_csa(m, in->spi[i]);
	if (in->n)
		mip_maps_gen_bump(&m->maps);
	*in = (struct installed){ 0 };
}

/* --- HA --- */

static struct mobile *mobile_of_home(struct ike_mod *m, uint32_t home)
{
	for (unsigned int i = 0; i < MOBILES_MAX; i++)
		if (m->mobiles[i].used && m->mobiles[i].home == home)
			return &m->mobiles[i];
	return NULL;
}

static struct mobile *mobile_of_sa(struct ike_mod *m, struct ike_sa *sa)
{
	for (unsigned int i = 0; i < MOBILES_MAX; i++)
		if (m->mobiles[i].used && m->mobiles[i].mh_sa == sa)
			return &m->mobiles[i];
	return NULL;
}

static struct fa_link *fa_of_addr(struct ike_mod *m, uint32_t addr, bool create)
{
	const struct ike_peer_cfg *peer;

	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->fas[i].peer && m->fas[i].peer->addr == addr)
			return &m->fas[i];
	peer = create ? peer_at(m, addr) : NULL;
	if (!peer)
		return NULL;
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (!m->fas[i].peer) {
			m->fas[i] = (struct fa_link){ .peer = peer };
			return &m->fas[i];
		}
	return NULL;
}

static struct fa_link *fa_of_sa(struct ike_mod *m, struct ike_sa *sa)
{
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->fas[i].peer && m->fas[i].sa == sa)
			return &m->fas[i];
	return NULL;
}

static void fa_connect(struct ike_mod *m, struct fa_link *fa)
{
	if (fa->sa)
		return;
	fa->sa = ike_initiate(m->eng, fa->peer);
	if (!fa->sa)
		loop_timer_in(m->loop, &m->retry, RETRY_NS);
}

/* KEY_DISTRIBUTE to each FA whose IKE SA is up, one exchange at a time. */
static void distribute(struct ike_mod *m)
{
	for (unsigned int i = 0; i < MOBILES_MAX; i++) {
		struct mobile *mb = &m->mobiles[i];
		struct mlike_fa_keys keys;
		struct fa_link *fa;
		char a[16];
		int err;

		if (!mb->used || !mb->have_csa || mb->distributing || mb->fa_with_keys == mb->coa)
			continue;
		fa = fa_of_addr(m, mb->coa, false);
		if (!fa || !fa->up)
			continue;
		mlike_fa_keys_from_csa(&mb->csa, true, mb->home, m->ecfg.local_addr, &keys);
		err = mlike_key_distribute(fa->sa, &keys);
		OPENSSL_cleanse(&keys, sizeof(keys));
		if (err == -EBUSY)
			continue; /* after the answer in flight */
		if (err) {
			log_err("KEY_DISTRIBUTE of %s to %s: %s", mml_ipv4_str(mb->home, a),
				fa->peer->name, strerror(-err));
			continue;
		}
		mb->distributing = true;
	}
}

/* Revokes a mobile's CSAs at the FA that holds them. With an exchange in
 * flight on that IKE SA (window of one) the whole IKE SA is deleted
 * instead, which revokes everything it carried and cannot be forgotten. */
static void revoke_at_fa(struct ike_mod *m, struct mobile *mb, uint32_t fa_addr)
{
	struct fa_link *fa = fa_of_addr(m, fa_addr, false);
	uint32_t spis[2] = { mb->csa.spi_out, mb->csa.spi_in };

	if (!fa || !fa->up || !fa->sa)
		return;
	if (mlike_csa_delete(fa->sa, spis, 2) == -EBUSY) {
		log_warn("revocation at %s: exchange in flight, deleting its IKE SA instead",
			 fa->peer->name);
		ike_sa_delete(fa->sa);
	}
}

static void mobile_drop_csa(struct ike_mod *m, struct mobile *mb)
{
	if (!mb->have_csa)
		return;
	if (mb->fa_with_keys)
		revoke_at_fa(m, mb, mb->fa_with_keys);
	remove_csa(m, mb->csa.spi_out);
	remove_csa(m, mb->csa.spi_in);
	mip_maps_gen_bump(&m->maps);
	binding_spis(m, mb->home, 0, 0);
	OPENSSL_cleanse(&mb->csa, sizeof(mb->csa));
	mb->have_csa = false;
	mb->fa_with_keys = 0;
	mb->distributing = false;
}

static void mobile_start(struct ike_mod *m, struct mobile *mb)
{
	const struct ike_peer_cfg *mh = peer_at(m, mb->home);
	struct fa_link *fa = fa_of_addr(m, mb->coa, true);
	char a[16];

	if (!mh) {
		log_warn("binding %s: no ike peer with that address: no ML-IKE for it",
			 mml_ipv4_str(mb->home, a));
		return;
	}
	if (!fa)
		log_warn("care-of address %s: no ike peer (FA) with that address: the CSA stays "
			 "between MH and HA",
			 mml_ipv4_str(mb->coa, a));
	/* Fig. 4 flows 5 and 6: both IKE SAs at once. */
	if (!mb->mh_sa) {
		mb->mh_sa = ike_initiate(m->eng, mh);
		if (!mb->mh_sa)
			loop_timer_in(m->loop, &m->retry, RETRY_NS);
	}
	if (fa)
		fa_connect(m, fa);
}

static void on_binding(void *arg, uint32_t home, uint32_t coa)
{
	struct ike_mod *m = arg;
	struct mobile *mb = mobile_of_home(m, home);

	if (!coa) {
		if (!mb)
			return;
		mobile_drop_csa(m, mb);
		if (mb->mh_sa)
			ike_sa_delete(mb->mh_sa);
		ike_bypass(m, home, m->ecfg.local_addr, false);
		*mb = (struct mobile){ 0 };
		rearm(m);
		return;
	}
	if (mb && mb->coa == coa) {
		/* A renewal. The MH may have restarted meanwhile (its IKE SA
		 * gone): a liveness check finds out at once, and a timeout
		 * starts over. */
		if (mb->mh_sa && ike_sa_established(mb->mh_sa))
			ike_sa_liveness(mb->mh_sa);
		rearm(m);
		return;
	}
	if (!mb) {
		for (unsigned int i = 0; i < MOBILES_MAX && !mb; i++)
			if (!m->mobiles[i].used)
				mb = &m->mobiles[i];
		if (!mb) {
			log_err("more than %d mobile hosts: no ML-IKE for the next", MOBILES_MAX);
			return;
		}
		*mb = (struct mobile){ .used = true, .home = home, .t_bound = loop_now() };
	} else {
		/* A new care-of address: its initialisation is timed from now. */
		mb->t_bound = loop_now();
		mb->t_done = 0;
		if (mb->fa_with_keys) {
			/* Handoff: the old FA loses the keys, the new one gets them. */
			revoke_at_fa(m, mb, mb->fa_with_keys);
			mb->fa_with_keys = 0;
		}
	}
	mb->coa = coa;
	ike_bypass(m, home, m->ecfg.local_addr, true);
	mobile_start(m, mb);
	distribute(m);
	rearm(m);
}

static void on_retry(void *arg)
{
	struct ike_mod *m = arg;

	for (unsigned int i = 0; i < MOBILES_MAX; i++)
		if (m->mobiles[i].used)
			mobile_start(m, &m->mobiles[i]);
	rearm(m);
}

/* Dead peer detection (RFC 7296 2.4): an empty INFORMATIONAL to every MH
 * and FA now and then; a peer that does not answer loses its IKE SA, and
 * the retry timer sets the initialisation up again. */
static void on_dpd(void *arg)
{
	struct ike_mod *m = arg;

	for (unsigned int i = 0; i < MOBILES_MAX; i++)
		if (m->mobiles[i].used && m->mobiles[i].mh_sa &&
		    ike_sa_established(m->mobiles[i].mh_sa))
			ike_sa_liveness(m->mobiles[i].mh_sa); /* -EBUSY: busy is alive */
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->fas[i].up && m->fas[i].sa)
			ike_sa_liveness(m->fas[i].sa);
	loop_timer_in(m->loop, &m->dpd, (uint64_t)m->dpd_s * NS_PER_SEC);
	rearm(m);
}

/* --- engine events --- */

static void ev_ike_up(void *ctx, struct ike_sa *sa)
{
	struct ike_mod *m = ctx;
	struct mobile *mb;
	struct fa_link *fa;
	int err;

	if (m->role != ROLE_HA)
		return;
	mb = mobile_of_sa(m, sa);
	if (mb) {
		/* Fig. 4 flow 7. */
		err = mlike_auth_sa_start(sa);
		if (err)
			log_err("MLIKE_AUTH_SA to %s: %s", ike_sa_peer(sa)->name, strerror(-err));
		return;
	}
	fa = fa_of_sa(m, sa);
	if (fa) {
		fa->up = true;
		distribute(m);
	}
}

static void ev_ike_down(void *ctx, struct ike_sa *sa, enum ike_down_reason why)
{
	struct ike_mod *m = ctx;
	struct mobile *mb;
	struct fa_link *fa;

	inst_remove_all(m, sa);
	if (m->role == ROLE_MH) {
		own_binding_spis(m, 0, 0);
		return;
	}
	if (m->role != ROLE_HA)
		return;
	mb = mobile_of_sa(m, sa);
	if (mb) {
		mb->mh_sa = NULL;
		mobile_drop_csa(m, mb);
		/* Still bound: try again (the MH may have been unreachable). */
		if (why != IKE_DOWN_SHUTDOWN)
			loop_timer_in(m->loop, &m->retry, RETRY_NS);
		return;
	}
	fa = fa_of_sa(m, sa);
	if (fa) {
		fa->sa = NULL;
		fa->up = false;
		for (unsigned int i = 0; i < MOBILES_MAX; i++) {
			struct mobile *x = &m->mobiles[i];

			if (x->used && x->fa_with_keys == fa->peer->addr)
				x->fa_with_keys = 0;
			if (x->used && x->coa == fa->peer->addr)
				x->distributing = false;
		}
		if (why != IKE_DOWN_SHUTDOWN)
			loop_timer_in(m->loop, &m->retry, RETRY_NS);
	}
}

/* Every pointer to the old IKE SA now means the new one. */
static void ev_ike_rekeyed(void *ctx, struct ike_sa *old_sa, struct ike_sa *new_sa)
{
	struct ike_mod *m = ctx;

	for (unsigned int i = 0; i < MOBILES_MAX; i++)
		if (m->mobiles[i].used && m->mobiles[i].mh_sa == old_sa)
			m->mobiles[i].mh_sa = new_sa;
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++) {
		if (m->fas[i].sa == old_sa)
			m->fas[i].sa = new_sa;
		if (m->inst[i].sa == old_sa)
			m->inst[i].sa = new_sa;
	}
}

static void ev_csa_up(void *ctx, struct ike_sa *sa, const struct mlike_csa *csa)
{
	struct ike_mod *m = ctx;
	struct installed *in;
	struct mobile *mb;

	if (m->role == ROLE_MH) {
		inst_remove_all(m, sa); /* a new pair replaces the previous one */
		install_pair(m, csa);
		in = inst_of(m, sa, true);
		if (in)
			*in = (struct installed){ .sa = sa,
						  .spi = { csa->spi_out, csa->spi_in },
						  .n = 2 };
		own_binding_spis(m, csa->spi_out, csa->spi_in);
		ike_bypass(m, m->home, ike_sa_peer(sa)->addr, true);
		return;
	}
	if (m->role != ROLE_HA)
		return;
	mb = mobile_of_sa(m, sa);
	if (!mb)
		return;
	mobile_drop_csa(m, mb);
	mb->csa = *csa;
	mb->have_csa = true;
	install_pair(m, csa);
	binding_spis(m, mb->home, csa->spi_out, csa->spi_in);
	distribute(m); /* Fig. 4 flow 8 */
}

static int ev_fa_keys(void *ctx, struct ike_sa *sa, const struct mlike_fa_keys *keys)
{
	struct ike_mod *m = ctx;
	struct mml_csa csas[2];
	struct installed *in;
	unsigned int n = 0;
	int err = 0;

	if (m->role != ROLE_FA)
		return -EPERM;
	in = inst_of(m, sa, true);
	if (!in || mlike_fa_keys_to_map(keys, loop_now(), csas, &n))
		return -EINVAL;
	for (unsigned int i = 0; i < n && !err; i++) {
		err = csa_store_put(&m->store, &csas[i]);
		if (!err && in->n < 2) {
			in->spi[in->n++] = csas[i].spi;
			m->csas_installed++;
		}
	}
	OPENSSL_cleanse(csas, sizeof(csas));
	return err;
}

static void ev_fa_keys_done(void *ctx, struct ike_sa *sa, int result)
{
	struct ike_mod *m = ctx;
	struct fa_link *fa = fa_of_sa(m, sa);
	char a[16];

	for (unsigned int i = 0; fa && i < MOBILES_MAX; i++) {
		struct mobile *mb = &m->mobiles[i];

		if (!mb->used || !mb->distributing || mb->coa != fa->peer->addr)
			continue;
		mb->distributing = false;
		if (result) {
			log_err("%s refused the zone-1 keys of %s", fa->peer->name,
				mml_ipv4_str(mb->home, a));
			continue;
		}
		mb->fa_with_keys = fa->peer->addr;
		mb->t_done = loop_now();
		m->inits_done++;
		log_info("ML-IKE initialisation of %s done in %.3f ms (binding to keys at %s)",
			 mml_ipv4_str(mb->home, a), (double)(mb->t_done - mb->t_bound) / 1e6,
			 fa->peer->name);
		break;
	}
	distribute(m);
}

static void ev_csa_deleted(void *ctx, struct ike_sa *sa, const uint32_t *spis, unsigned int n)
{
	struct ike_mod *m = ctx;
	struct installed *in = inst_of(m, sa, false);

	for (unsigned int i = 0; i < n; i++) {
		remove_csa(m, spis[i]);
		for (unsigned int k = 0; in && k < in->n; k++)
			if (in->spi[k] == spis[i])
				in->spi[k] = 0;
	}
	mip_maps_gen_bump(&m->maps);
}

static const struct ike_events events = {
	.ike_up = ev_ike_up,
	.ike_down = ev_ike_down,
	.ike_rekeyed = ev_ike_rekeyed,
	.csa_up = ev_csa_up,
	.fa_keys = ev_fa_keys,
	.fa_keys_done = ev_fa_keys_done,
	.csa_deleted = ev_csa_deleted,
};

/* --- module glue --- */

static int read_section(struct ike_mod *m, const config_setting_t *sec)
{
	const config_setting_t *peers = config_setting_lookup((config_setting_t *)sec, "peers");
	int role = -1, n;
	uint32_t v;
	bool b = false;

	if (cfg_choice(sec, "role", role_names, &role))
		return -EINVAL;
	if (role < 0) {
		log_err("%s: section \"ike\" needs role = \"ha\", \"mh\" or \"fa\"", cfg_path);
		return -EINVAL;
	}
	m->role = (enum ike_role)role;
	if (cfg_ipv4(sec, "local", true, &m->ecfg.local_addr) ||
	    cfg_ipv4(sec, "home", m->role == ROLE_MH, &m->home) ||
	    cfg_bool(sec, "nat_detection", &b))
		return -EINVAL;
	m->ecfg.nat_detection = b;
	m->ecfg.cookie_threshold = 16;
	if (cfg_u32(sec, "cookie_threshold", false, 0, 100000, &m->ecfg.cookie_threshold))
		return -EINVAL;
	v = 0;
	if (cfg_u32(sec, "retransmit_ms", false, 10, 60000, &v))
		return -EINVAL;
	m->ecfg.retransmit_base_ms = v;
	v = 20;
	if (cfg_u32(sec, "init_retransmit_ms", false, 0, 60000, &v))
		return -EINVAL;
	m->ecfg.init_retransmit_ms = v;
	m->dpd_s = 30;
	if (cfg_u32(sec, "dpd_s", false, 0, 86400, &m->dpd_s))
		return -EINVAL;
	n = peers ? config_setting_length(peers) : 0;
	if (n <= 0 || n > IKE_PEERS_MAX) {
		log_err("%s: ike: peers: 1..%d peers expected", cfg_path, IKE_PEERS_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++)
		if (ike_conf_peer(config_setting_get_elem(peers, (unsigned int)i), &m->peers[i]))
			return -EINVAL;
	m->ecfg.peers = m->peers;
	m->ecfg.n_peers = (unsigned int)n;
	return 0;
}

static void ike_stop(void *state)
{
	struct ike_mod *m = state;
	int fds[2];
	unsigned int n;

	if (!m)
		return;
	if (m->eng) {
		n = ike_engine_fds(m->eng, fds);
		for (unsigned int i = 0; i < n; i++)
			loop_del_fd(m->loop, fds[i]);
		/* Deletes every SA; the callbacks remove what was installed. */
		ike_engine_free(m->eng);
	}
	if (m->role == ROLE_HA)
		keyd_binding_subscribe(NULL, NULL);
	loop_timer_cancel(m->loop, &m->timer);
	loop_timer_cancel(m->loop, &m->retry);
	loop_timer_cancel(m->loop, &m->spi_timer);
	loop_timer_cancel(m->loop, &m->dpd);
	csa_store_close(&m->store);
	mip_maps_close(&m->maps);
	if (m->flow_fd >= 0)
		close(m->flow_fd);
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
}

static int ike_start(struct keyd *kd, const config_setting_t *sec, void **state)
{
	struct ike_mod *m = calloc(1, sizeof(*m));
	int fds[2], err;
	unsigned int n;

	if (!m)
		return -ENOMEM;
	m->loop = kd->loop;
	loop_timer_init(&m->timer, on_timer, m);
	loop_timer_init(&m->retry, on_retry, m);
	loop_timer_init(&m->spi_timer, on_spi_timer, m);
	loop_timer_init(&m->dpd, on_dpd, m);
	csa_store_init_dir(&m->store, &kd->pin);
	mip_maps_init(&m->maps, &kd->pin);
	m->pin = kd->pin;
	m->flow_fd = -1;
	err = read_section(m, sec);
	if (err)
		goto fail;
	m->eng = ike_engine_new(&m->ecfg, &events, m);
	if (!m->eng) {
		err = -EIO;
		goto fail;
	}
	n = ike_engine_fds(m->eng, fds);
	for (unsigned int i = 0; i < n; i++) {
		err = loop_add_fd(m->loop, fds[i], EPOLLIN, on_readable, m);
		if (err)
			goto fail;
	}
	if (m->role == ROLE_HA)
		keyd_binding_subscribe(on_binding, m);
	/* The MH's IKE traffic with its HA (the first peer) is exempt from
	 * the CSAs from the start. */
	if (m->role == ROLE_MH)
		ike_bypass(m, m->home, m->peers[0].addr, true);
	if (m->role == ROLE_HA && m->dpd_s)
		loop_timer_in(m->loop, &m->dpd, (uint64_t)m->dpd_s * NS_PER_SEC);
	log_info("ike: %s role, %u peers", role_names[m->role], m->ecfg.n_peers);
	*state = m;
	return 0;
fail:
	ike_stop(m);
	return err;
}

static json_object *show(struct ike_mod *m)
{
	json_object *o = json_object_new_object(), *ctr = json_object_new_object();
	json_object *mobiles = json_object_new_array();
	char a[16], c[16];

	json_object_object_add(o, "role", json_object_new_string(role_names[m->role]));
	for (int i = 0; i < IKE_C_MAX; i++)
		json_object_object_add(ctr, ike_counter_name((enum ike_counter)i),
				       json_object_new_uint64(ike_engine_counter(m->eng, i)));
	json_object_object_add(o, "counters", ctr);
	{
		/* Processing time of the last message of each exchange, µs
		 * (the paper's Table 2 per node). */
		static const struct {
			const char *name;
			uint8_t x;
		} xs[] = { { "ike_sa_init", IKE_SA_INIT },
			   { "ike_auth", IKE_AUTH },
			   { "create_child_sa", IKE_CREATE_CHILD_SA },
			   { "informational", IKE_INFORMATIONAL },
			   { "mlike_auth_sa", MLIKE_AUTH_SA },
			   { "key_distribute", MLIKE_KEY_DISTRIBUTE } };
		json_object *proc = json_object_new_object();

		for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(
				e, "request_us",
				json_object_new_double(
					(double)ike_engine_proc_ns(m->eng, xs[i].x, false) / 1e3));
			json_object_object_add(
				e, "response_us",
				json_object_new_double(
					(double)ike_engine_proc_ns(m->eng, xs[i].x, true) / 1e3));
			json_object_object_add(proc, xs[i].name, e);
		}
		json_object_object_add(o, "processing", proc);
	}
	json_object_object_add(o, "csas_installed", json_object_new_uint64(m->csas_installed));
	json_object_object_add(o, "csas_removed", json_object_new_uint64(m->csas_removed));
	json_object_object_add(o, "initialisations", json_object_new_uint64(m->inits_done));
	for (unsigned int i = 0; i < MOBILES_MAX; i++) {
		struct mobile *mb = &m->mobiles[i];
		json_object *e;

		if (!mb->used)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "home",
				       json_object_new_string(mml_ipv4_str(mb->home, a)));
		json_object_object_add(e, "coa", json_object_new_string(mml_ipv4_str(mb->coa, c)));
		json_object_object_add(
			e, "ike",
			json_object_new_boolean(mb->mh_sa && ike_sa_established(mb->mh_sa)));
		json_object_object_add(e, "csa", json_object_new_boolean(mb->have_csa));
		json_object_object_add(e, "fa_keys",
				       json_object_new_boolean(mb->fa_with_keys != 0));
		if (mb->have_csa) {
			json_object_object_add(e, "spi_out",
					       json_object_new_uint64(mb->csa.spi_out));
			json_object_object_add(e, "spi_in", json_object_new_uint64(mb->csa.spi_in));
		}
		if (mb->t_done)
			json_object_object_add(
				e, "init_ms",
				json_object_new_double((double)(mb->t_done - mb->t_bound) / 1e6));
		json_object_array_add(mobiles, e);
	}
	json_object_object_add(o, "mobiles", mobiles);
	return o;
}

static int ike_control(void *state, const char *verb, json_object *args, json_object **result,
		       char *err, size_t err_len)
{
	struct ike_mod *m = state;

	if (args && json_object_array_length(args)) {
		snprintf(err, err_len, "ike %s: unexpected argument", verb);
		return -EINVAL;
	}
	if (strcmp(verb, "show")) {
		snprintf(err, err_len, "ike %s: unknown command (show)", verb);
		return -EINVAL;
	}
	*result = show(m);
	return 0;
}

const struct keyd_module ike_module = {
	.name = "ike",
	.start = ike_start,
	.stop = ike_stop,
	.control = ike_control,
};
