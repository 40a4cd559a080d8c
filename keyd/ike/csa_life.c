/* The CSA lifecycle between MH and HA (issue 17, paper Fig. 7): rekeys at
 * the soft lifetime, started by either end (jittered so that both rarely
 * start together; a collision keeps one pair, mlike_rekey.c), and the
 * move to the new pair without loss: make before break.
 *
 * 1. MLIKE_CREATE_CHILD_SA agrees the new pair; both ends install it and
 *    keep sending with the old one.
 * 2. HA: the new pair's zone 1 goes to the serving FA (KEY_DISTRIBUTE) and,
 *    with PKD, to its neighbours; every FA that held the old pair is noted.
 * 3. HA, once the serving FA holds it (or it has no FA, or after a bound):
 *    accepts both pairs (the binding's spi_in_prev) and deletes the old
 *    pair at the MH (INFORMATIONAL Delete, protocol 201).
 * 4. MH, on that Delete: sends with the new pair; keeps the old inbound
 *    CSA for the packets still in flight. It acknowledges the old pair
 *    only once it holds the new one (the Delete may overtake the answer to
 *    its own rekey request); an answer without it makes the HA ask again.
 * 5. HA, on the answer: sends with the new pair.
 * 6. After the grace period each end deletes the old pair (zeroed, then
 *    deleted), and the HA revokes it at every FA that held it.
 * Nothing changes the receivers' accept set before the sender moves, so
 * no packet meets a receiver or FA without its key. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "keyd/ike/keyd_ike.h"
#include "lib/args.h"
#include "lib/log.h"
#include "maps/ep.h"

#define LIFE_TICK_NS (50 * NS_PER_MS)
#define RK_NEGOTIATE_NS (5 * NS_PER_SEC)  /* our rekey exchange, at most */
#define RK_DISTRIBUTE_NS (2 * NS_PER_SEC) /* the serving FA's answer, at most */
#define RK_TELL_NS (3 * NS_PER_SEC)	  /* the MH's answer to the Delete, at most */
#define RK_GRACE_NS (500 * NS_PER_MS)	  /* packets of the old pair in flight */
#define RK_RETRY_NS (1 * NS_PER_SEC)	  /* after a refused or failed rekey */
/* MH: the HA's Delete of the old pair, at most. The HA accepts both
 * pairs from the end of DISTRIBUTING (RK_DISTRIBUTE_NS at most) until the
 * grace after TELL_MH (at least RK_TELL_NS + RK_GRACE_NS later): moving
 * inside that window is what the Delete would have said. */
#define RK_PENDING_NS (RK_DISTRIBUTE_NS + RK_GRACE_NS)

/* The next rekey: the soft lifetime from now, 0-10 % earlier at random so
 * that MH and HA seldom start together (RFC 7296 2.8.1). */
static uint64_t next_rekey_ns(uint32_t soft_s)
{
	uint16_t r = 0;
	uint64_t soft = (uint64_t)soft_s * NS_PER_SEC;

	if (!soft_s)
		return 0;
	RAND_bytes((uint8_t *)&r, sizeof(r));
	return loop_now() + soft - soft / 10 * r / 65535;
}

#define mobile_of ike_mobile_of_sa

void ike_life_csa_up(struct ike_mod *m, struct ike_sa *sa, const struct mlike_csa *csa)
{
	struct mobile *mb;

	if (m->role == ROLE_MH) {
		m->mh_sa = sa;
		m->mh_spi_out = csa->spi_out;
		m->mh_rk = (struct csa_rekey){ .next_at_ns = next_rekey_ns(
						       ike_sa_peer(sa)->csa_soft_lifetime_s) };
	} else if (m->role == ROLE_HA && (mb = mobile_of(m, sa))) {
		mb->rk = (struct csa_rekey){ .next_at_ns = next_rekey_ns(
						     ike_sa_peer(sa)->csa_soft_lifetime_s) };
	}
	loop_timer_in(m->loop, &m->life_timer, LIFE_TICK_NS);
}

/* --------------------------------------------------------------- HA */

/* Step 6 at the HA: the old pair goes here and at every FA that held it. */
static void ha_retire(struct ike_mod *m, struct mobile *mb)
{
	const uint32_t spi[2] = { mb->rk.old_out, mb->rk.old_in };
	char a[16];

	mip_maps_binding_spi_prev(&m->maps, mb->home, 0);
	ike_mod_remove_csa(m, spi[0], mb->rk.owner);
	ike_mod_remove_csa(m, spi[1], mb->rk.owner);
	mip_maps_gen_bump(&m->maps);
	for (unsigned int i = 0; i < mb->rk.old_holders.n; i++)
		ike_mod_revoke_spis(m, mb->home, mb->rk.old_holders.h[i].fa, spi);
	m->rekeys_retired++;
	log_info("CSA rekey of %s: old pair %08x/%08x retired (%u FAs)", mml_ipv4_str(mb->home, a),
		 spi[0], spi[1], mb->rk.old_holders.n);
	holders_clear(&mb->rk.old_holders);
	mb->rk.state = RK_NONE;
	mb->rk.done++;
	if (mb->rk.again) {
		mb->rk.again = false;
		mb->rk.next_at_ns = loop_now();
	}
}

void ike_life_rekey_soon(struct ike_mod *m, struct mobile *mb)
{
	if (mb->rk.state == RK_NONE)
		mb->rk.next_at_ns = loop_now();
	else
		mb->rk.again = true;
	loop_timer_in(m->loop, &m->life_timer, 1);
}

static void ha_binding(struct ike_mod *m, struct mobile *mb, uint32_t out)
{
	char a[16];
	int err;

	err = mip_maps_binding_spis(&m->maps, mb->home, MML_MODE_MLESP, out, mb->csa.spi_in);
	if (!err)
		err = mip_maps_binding_spi_prev(&m->maps, mb->home, mb->rk.old_in);
	if (err)
		log_warn("CSA rekey of %s: binding not updated: %s", mml_ipv4_str(mb->home, a),
			 strerror(-err));
}

/* Step 5: the HA sends with the new pair. */
static void ha_send_new(struct ike_mod *m, struct mobile *mb)
{
	ha_binding(m, mb, mb->csa.spi_out);
	m->rekeys_switched++;
	mb->rk.state = RK_DRAINING;
	mb->rk.deadline_ns = loop_now() + RK_GRACE_NS;
}

/* Step 3: the MH learns it may move when the old pair's Delete arrives. */
static void ha_tell_mh(struct ike_mod *m, struct mobile *mb)
{
	const uint32_t spi[2] = { mb->rk.old_out, mb->rk.old_in };
	int err = mb->mh_sa ? mlike_csa_delete(mb->mh_sa, spi, 2) : -ENOTCONN;

	if (err == -EBUSY)
		return; /* the next tick */
	if (err) {
		ha_send_new(m, mb);
		return;
	}
	mb->rk.state = RK_TELL_MH;
	mb->rk.delete_out = true;
}

static void ha_switch(struct ike_mod *m, struct mobile *mb)
{
	ha_binding(m, mb, mb->rk.old_out); /* both inbound pairs accepted */
	mb->rk.state = RK_TELL_MH;
	mb->rk.delete_out = false;
	mb->rk.tell_until_ns = loop_now() + RK_TELL_NS;
	ha_tell_mh(m, mb);
}

/* The MH acknowledges the old pair's Delete only once it holds the new
 * pair and sends with it (ike_life_mh_deleted); an answer without them
 * (the Delete overtook the rekey's answer, lost on the air and sent
 * again) means: not yet, ask again shortly. */
void ike_life_mh_answered(struct ike_mod *m, struct ike_sa *sa, const uint32_t *acked,
			  unsigned int n)
{
	struct mobile *mb = m->role == ROLE_HA ? mobile_of(m, sa) : NULL;
	bool out = false, in = false;

	if (!mb || mb->rk.state != RK_TELL_MH || !mb->rk.delete_out)
		return;
	mb->rk.delete_out = false;
	for (unsigned int i = 0; i < n; i++) {
		out |= acked[i] == mb->rk.old_out;
		in |= acked[i] == mb->rk.old_in;
	}
	if (out && in) {
		ha_send_new(m, mb);
		return;
	}
	m->rekeys_mh_not_ready++; /* the next tick asks again, within RK_TELL_NS */
}

static void ha_rekeyed(struct ike_mod *m, struct mobile *mb, const struct mlike_csa *old,
		       const struct mlike_csa *csa)
{
	char a[16];

	if (mb->rk.state == RK_DRAINING)
		ha_retire(m, mb); /* the rekey before: its grace cut short */
	if (ike_mod_install_pair(m, csa, mb->csa_owner) == -EPERM) {
		/* An SPI of the new pair is another owner's here: start over. */
		log_err("CSA rekey of %s: new pair refused here: IKE SA deleted",
			mml_ipv4_str(mb->home, a));
		ike_sa_delete(mb->mh_sa);
		return;
	}
	mb->rk.owner = mb->csa_owner;
	mb->rk.state = RK_DISTRIBUTING;
	mb->rk.deadline_ns = loop_now() + RK_DISTRIBUTE_NS;
	mb->rk.old_out = old->spi_out;
	mb->rk.old_in = old->spi_in;
	mb->rk.old_holders = mb->holders;
	mb->rk.next_at_ns = next_rekey_ns(csa->soft_lifetime_s);
	OPENSSL_cleanse(&mb->csa, sizeof(mb->csa));
	mb->csa = *csa;
	/* Every FA lacks the new pair: the serving FA gets it now (its answer
	 * to a KEY_DISTRIBUTE of the old pair, if one is out, is ignored),
	 * PKD's neighbours once it holds it. */
	holders_clear(&mb->holders);
	mb->fa_with_keys = 0;
	mb->distributing = 0;
	ike_mod_want_keys(m, mb);
	ike_mod_distribute(m);
	if (!fa_of_addr(m, mb->coa, false))
		ha_switch(m, mb); /* no FA: nothing to wait for */
}

void ike_life_drop(struct ike_mod *m, struct mobile *mb)
{
	if (mb->rk.state >= RK_DISTRIBUTING)
		ha_retire(m, mb);
	mb->rk = (struct csa_rekey){ 0 };
}

void ike_life_keys_done(struct ike_mod *m, struct mobile *mb)
{
	if (mb->rk.state == RK_DISTRIBUTING && mb->fa_with_keys == mb->coa)
		ha_switch(m, mb);
}

static void ha_tick(struct ike_mod *m, struct mobile *mb, uint64_t now, bool rekey_pending)
{
	char a[16], c[16];
	int err;

	switch (mb->rk.state) {
	case RK_NONE:
		if (rekey_pending && mb->have_csa && ike_mod_rekey_wanted(m, mb->csa.spi_out)) {
			m->rekeys_packets++;
			mb->rk.next_at_ns = now; /* the soft limit in packets */
		}
		if (mb->have_csa && ike_pkd_over_threshold(m, mb) &&
		    (!mb->rk.next_at_ns || mb->rk.next_at_ns > now)) {
			log_info(
				"CSA rekey of %s: %u FAs hold its pair, more than pkd_threshold %u",
				mml_ipv4_str(mb->home, a), mb->holders.n, m->pkd_threshold);
			m->rekeys_threshold++;
			mb->rk.next_at_ns = now;
		}
		if (!mb->have_csa || !mb->rk.next_at_ns || now < mb->rk.next_at_ns || !mb->mh_sa)
			return;
		err = mlike_csa_rekey(mb->mh_sa);
		if (err == -EBUSY)
			return;
		if (err) {
			log_warn("CSA rekey of %s: %s", mml_ipv4_str(mb->home, a), strerror(-err));
			mb->rk.next_at_ns = now + RK_RETRY_NS;
			return;
		}
		m->rekeys_started++;
		mb->rk.state = RK_STARTED;
		mb->rk.deadline_ns = now + RK_NEGOTIATE_NS;
		return;
	case RK_STARTED:
		if (now >= mb->rk.deadline_ns) {
			mb->rk.state = RK_NONE;
			mb->rk.next_at_ns = now + RK_RETRY_NS;
		}
		return;
	case RK_DISTRIBUTING:
		if (now >= mb->rk.deadline_ns) {
			log_warn("CSA rekey of %s: %s has not taken the new pair: switching anyway",
				 mml_ipv4_str(mb->home, a), mml_ipv4_str(mb->coa, c));
			ha_switch(m, mb);
		}
		return;
	case RK_TELL_MH:
		if (now >= mb->rk.tell_until_ns) {
			/* No answer that says so: the MH has it, or is gone. */
			log_warn("CSA rekey of %s: the MH did not confirm the new pair: sending "
				 "with it anyway",
				 mml_ipv4_str(mb->home, a));
			ha_send_new(m, mb);
		} else if (!mb->rk.delete_out) {
			ha_tell_mh(m, mb);
		}
		return;
	case RK_DRAINING:
		if (now >= mb->rk.deadline_ns)
			ha_retire(m, mb);
		return;
	default:
		return;
	}
}

/* --------------------------------------------------------------- MH */

static void mh_rekeyed(struct ike_mod *m, struct ike_sa *sa, const struct mlike_csa *old,
		       const struct mlike_csa *csa)
{
	struct installed *in;

	if (m->mh_rk.state == RK_DRAINING)
		ike_mod_remove_csa(m, m->mh_rk.old_in, m->mh_rk.owner);
	if (ike_mod_install_pair(m, csa, ike_sa_peer(sa)->addr) == -EPERM) {
		log_err("CSA rekey: new pair refused here (an SPI is another's): IKE SA deleted");
		ike_sa_delete(sa);
		return;
	}
	m->mh_sa = sa;
	m->mh_rk.owner = ike_sa_peer(sa)->addr;
	m->mh_rk.state = RK_PENDING;
	m->mh_rk.old_out = old->spi_out;
	m->mh_rk.old_in = old->spi_in;
	m->mh_rk.new_out = csa->spi_out;
	m->mh_rk.new_in = csa->spi_in;
	m->mh_rk.deadline_ns = loop_now() + RK_PENDING_NS;
	m->mh_rk.next_at_ns = next_rekey_ns(ike_sa_peer(sa)->csa_soft_lifetime_s);
	in = ike_mod_inst_of(m, sa, true);
	if (in) {
		installed_add(in, csa->spi_out);
		installed_add(in, csa->spi_in);
	}
}

/* PENDING -> DRAINING: send with the new pair, keep the old inbound CSA
 * for packets in flight (the binding's update keeps it). */
static void mh_send_new(struct ike_mod *m)
{
	m->mh_rk.state = RK_DRAINING;
	m->mh_rk.deadline_ns = loop_now() + RK_GRACE_NS;
	ike_mod_own_binding_spis(m, m->mh_rk.new_out, m->mh_rk.new_in, m->mh_rk.owner);
	m->mh_spi_out = m->mh_rk.new_out;
	ike_mod_remove_csa(m, m->mh_rk.old_out, m->mh_rk.owner);
	ike_mod_inst_forget(m, m->mh_rk.old_out);
	mip_maps_gen_bump(&m->maps);
	m->rekeys_switched++;
}

int ike_life_mh_deleted(struct ike_mod *m, const uint32_t *spis, unsigned int n)
{
	bool out = false, in = false, current = false;

	if (m->role != ROLE_MH)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		current |= m->mh_spi_out && spis[i] == m->mh_spi_out;
	/* Our rekey is out and the HA already retires the pair we send with:
	 * its answer, lost on the air, is on its way again. Nothing goes and
	 * nothing is acknowledged until we hold the new pair. */
	if (current && m->mh_rk.state == RK_STARTED)
		return 0;
	if (m->mh_rk.state != RK_PENDING && m->mh_rk.state != RK_DRAINING)
		return -1;
	/* The HA names its view of the pair: its out is our in. */
	for (unsigned int i = 0; i < n; i++) {
		out |= spis[i] == m->mh_rk.old_out;
		in |= spis[i] == m->mh_rk.old_in;
	}
	if (!out || !in)
		return -1;
	/* Draining already (we moved without it): acknowledged, the old
	 * inbound CSA kept to the end of its grace all the same. */
	if (m->mh_rk.state == RK_PENDING)
		mh_send_new(m);
	return (int)n;
}

static void mh_tick(struct ike_mod *m, uint64_t now)
{
	struct csa_rekey *rk = &m->mh_rk;
	int err;

	switch (rk->state) {
	case RK_NONE:
		if (m->mh_sa && ike_mod_rekey_wanted(m, m->mh_spi_out)) {
			m->rekeys_packets++;
			rk->next_at_ns = now; /* the soft limit in packets */
		}
		if (!m->mh_sa || !rk->next_at_ns || now < rk->next_at_ns)
			return;
		err = mlike_csa_rekey(m->mh_sa);
		if (err == -EBUSY)
			return;
		if (err) {
			rk->next_at_ns = now + RK_RETRY_NS;
			return;
		}
		m->rekeys_started++;
		rk->state = RK_STARTED;
		rk->deadline_ns = now + RK_NEGOTIATE_NS;
		return;
	case RK_STARTED:
		if (now >= rk->deadline_ns) {
			rk->state = RK_NONE;
			rk->next_at_ns = now + RK_RETRY_NS;
		}
		return;
	case RK_PENDING:
		/* The HA's Delete lost (its retransmissions too) or answered
		 * while we were not ready: the HA sends with the new pair by
		 * now, and retires the old one soon. */
		if (now < rk->deadline_ns)
			return;
		log_warn("CSA rekey: no Delete of the old pair from the HA: sending with the new "
			 "one anyway");
		m->rekeys_unconfirmed++;
		mh_send_new(m);
		return;
	case RK_DRAINING:
		if (now < rk->deadline_ns)
			return;
		ike_mod_remove_csa(m, rk->old_in, rk->owner);
		ike_mod_inst_forget(m, rk->old_in);
		mip_maps_gen_bump(&m->maps);
		m->rekeys_retired++;
		rk->state = RK_NONE;
		rk->done++;
		return;
	default:
		return;
	}
}

/* ----------------------------------------------------------- shared */

void ike_life_rekeyed(void *ctx, struct ike_sa *sa, const struct mlike_csa *old,
		      const struct mlike_csa *csa)
{
	struct ike_mod *m = ctx;
	struct mobile *mb = m->role == ROLE_HA ? mobile_of(m, sa) : NULL;
	struct csa_rekey *rk = m->role == ROLE_MH ? &m->mh_rk : mb ? &mb->rk : NULL;

	if (!rk)
		return;
	if (!csa) { /* ours refused or failed: try again later */
		if (rk->state == RK_STARTED)
			rk->state = RK_NONE;
		rk->next_at_ns = loop_now() + RK_RETRY_NS;
		return;
	}
	if (m->role == ROLE_MH)
		mh_rekeyed(m, sa, old, csa);
	else
		ha_rekeyed(m, mb, old, csa);
	loop_timer_in(m->loop, &m->life_timer, LIFE_TICK_NS);
}

bool ike_life_rekey_busy(void *ctx, struct ike_sa *sa)
{
	struct ike_mod *m = ctx;
	struct mobile *mb;

	if (m->role == ROLE_MH)
		return m->mh_rk.state == RK_PENDING;
	mb = m->role == ROLE_HA ? mobile_of(m, sa) : NULL;
	return mb && (mb->rk.state == RK_DISTRIBUTING || mb->rk.state == RK_TELL_MH);
}

void ike_life_on_timer(void *arg)
{
	struct ike_mod *m = arg;
	uint64_t now = loop_now();
	bool any = false;

	if (m->role == ROLE_MH) {
		mh_tick(m, now);
		any = m->mh_sa != NULL;
	} else if (m->role == ROLE_HA) {
		/* Every 50 ms over every mobile: no system call per mobile (the
		 * worker's rekey requests are looked for once). */
		bool pending = ike_mod_rekey_pending(m);

		for (unsigned int i = 0; i < m->mobiles_max; i++) {
			struct mobile *mb = &m->mobiles[i];

			if (!mb->used || !mb->have_csa)
				continue;
			ha_tick(m, mb, now, pending);
			any = true;
		}
		ike_mod_revoke_pump(m);
		if (!(m->life_ticks++ % 20))
			ike_mod_distribute_sweep(m);
	}
	if (any)
		loop_timer_in(m->loop, &m->life_timer, LIFE_TICK_NS);
	ike_mod_rearm(m);
}

static const char *const rk_state_names[] = {
	[RK_NONE] = "none",	  [RK_STARTED] = "started", [RK_DISTRIBUTING] = "distributing",
	[RK_TELL_MH] = "tell-mh", [RK_PENDING] = "pending", [RK_DRAINING] = "draining",
};

static json_object *rk_json(const struct csa_rekey *rk)
{
	json_object *o = json_object_new_object();
	uint64_t now = loop_now();

	json_object_object_add(o, "state", json_object_new_string(rk_state_names[rk->state]));
	json_object_object_add(o, "generation", json_object_new_uint64(rk->done));
	if (rk->next_at_ns)
		json_object_object_add(
			o, "next_rekey_s",
			json_object_new_double(
				rk->next_at_ns > now ? (double)(rk->next_at_ns - now) / 1e9 : 0));
	if (rk->state != RK_NONE && rk->state != RK_STARTED) {
		json_object_object_add(o, "old_out", json_object_new_uint64(rk->old_out));
		json_object_object_add(o, "old_in", json_object_new_uint64(rk->old_in));
	}
	return o;
}

void ike_life_show(const struct ike_mod *m, json_object *o)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "started", json_object_new_uint64(m->rekeys_started));
	json_object_object_add(c, "switched", json_object_new_uint64(m->rekeys_switched));
	json_object_object_add(c, "retired", json_object_new_uint64(m->rekeys_retired));
	json_object_object_add(c, "soft_packets", json_object_new_uint64(m->rekeys_packets));
	if (m->role == ROLE_HA) {
		json_object_object_add(c, "pkd_threshold",
				       json_object_new_uint64(m->rekeys_threshold));
		json_object_object_add(c, "after_dkm", json_object_new_uint64(m->rekeys_dkm));
		json_object_object_add(c, "mh_not_ready",
				       json_object_new_uint64(m->rekeys_mh_not_ready));
	}
	if (m->role == ROLE_MH) {
		json_object_object_add(c, "unconfirmed",
				       json_object_new_uint64(m->rekeys_unconfirmed));
		json_object_object_add(c, "rekey", rk_json(&m->mh_rk));
	}
	json_object_object_add(o, "csa_rekeys", c);
}

json_object *ike_life_mobile_json(const struct mobile *mb)
{
	return rk_json(&mb->rk);
}
