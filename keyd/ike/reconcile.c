/* After a restart (issue 17): the pinned maps outlive mmlkeyd, so the CSAs
 * a previous instance installed by IKE are still there, and the data plane
 * still uses them. Those a peer grants again (KEY_DISTRIBUTE to an FA,
 * a new pair between MH and HA) are recorded as this instance's; every
 * other one no live IKE SA vouches for is wiped reconcile_grace seconds
 * after the start (zeroed, then deleted). Static CSAs (owner 0, mmlctl)
 * are the operator's and stay. The same happens at an FA to what an HA
 * installed over an IKE SA that HA has lost (its own restart): the new SA
 * supersedes the old one. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "keyd/ike/keyd_ike.h"
#include "keyd/keyd.h"
#include "lib/args.h"
#include "lib/log.h"

/* A peer may need its dead peer detection and a new IKE SA to grant the
 * keys again (HA: dpd_s, 30 s, and the retransmissions): 90 s by default. */
#define RECONCILE_GRACE_DEFAULT_S 90

int ike_reconcile_config(struct ike_mod *m, const config_setting_t *sec)
{
	m->rec.grace_s = RECONCILE_GRACE_DEFAULT_S;
	return cfg_u32(sec, "reconcile_grace", false, 0, 86400, &m->rec.grace_s);
}

/* This instance holds spi for a live IKE SA, or means to (a rekey's pairs). */
static bool vouched(const struct ike_mod *m, uint32_t spi)
{
	for (unsigned int k = 0; k < IKE_PEERS_MAX; k++)
		if (m->inst[k].sa && idx_find(&m->inst[k].spis, spi) != IDX_NONE)
			return true;
	/* Once per CSA left from before a start, at the grace's end. */
	for (unsigned int i = 0; i < m->mobiles_max; i++) {
		const struct mobile *mb = &m->mobiles[i];

		if (mb->used && mb->have_csa &&
		    (mb->csa.spi_out == spi || mb->csa.spi_in == spi ||
		     (mb->rk.state != RK_NONE && (mb->rk.old_out == spi || mb->rk.old_in == spi))))
			return true;
	}
	for (unsigned int i = 0; i < m->esp_max; i++)
		if (m->esp[i].sa && (m->esp[i].spi_in == spi || m->esp[i].spi_out == spi))
			return true;
	return false;
}

/* The arrays grow with what is found; out of memory, a CSA is left in
 * place (logged once), as a static one would be. */
static void rec_push(struct ike_mod *m, uint32_t spi, uint32_t owner)
{
	if (m->rec.n == m->rec.cap) {
		unsigned int cap = m->rec.cap ? 2 * m->rec.cap : 256;
		uint32_t *s = realloc(m->rec.spi, cap * sizeof(*s));
		uint32_t *o = s ? realloc(m->rec.owner, cap * sizeof(*o)) : NULL;

		if (s)
			m->rec.spi = s;
		if (o)
			m->rec.owner = o;
		if (!s || !o) {
			log_err("ike: reconcile: %s: CSA %08x left", strerror(ENOMEM), spi);
			return;
		}
		m->rec.cap = cap;
	}
	m->rec.spi[m->rec.n] = spi;
	m->rec.owner[m->rec.n++] = owner;
}

static void rec_add(struct ike_mod *m, uint32_t spi, uint32_t owner);

void ike_reconcile_start(struct ike_mod *m)
{
	uint32_t spi, next, *prev = NULL;
	struct mml_csa csa;
	int fd;

	m->rec.n = 0;
	if (mml_csa_store_open(&m->store))
		return; /* no data plane yet: nothing left over */
	fd = m->store.fd;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		spi = next;
		prev = &spi;
		if (bpf_map_lookup_elem(fd, &spi, &csa))
			continue;
		if (csa.owner)
			rec_push(m, spi, csa.owner);
		memset(&csa, 0, sizeof(csa));
	}
	if (!m->rec.n)
		return;
	log_info("ike: %u CSAs from before this start; those no peer grants again go in %u s",
		 m->rec.n, m->rec.grace_s);
	loop_timer_in(m->loop, &m->rec.timer, (uint64_t)m->rec.grace_s * NS_PER_SEC + 1);
}

static void rec_add(struct ike_mod *m, uint32_t spi, uint32_t owner)
{
	for (unsigned int i = 0; i < m->rec.n; i++)
		if (m->rec.spi[i] == spi)
			return;
	rec_push(m, spi, owner);
}

void ike_reconcile_superseded(struct ike_mod *m, struct ike_sa *sa)
{
	uint32_t peer = ike_sa_peer(sa)->addr;
	unsigned int moved = 0;
	char a[16];

	/* Only SAs the peer opened: two SAs with a peer may also be a
	 * simultaneous open (FA peers for DKM), where neither is lost. */
	if (m->role != ROLE_FA || ike_sa_is_initiator(sa))
		return;
	for (unsigned int k = 0; k < IKE_PEERS_MAX; k++) {
		struct installed *in = &m->inst[k];
		struct ike_sa *old = in->sa;

		if (!old || old == sa || in->owner != peer || ike_sa_is_initiator(old))
			continue;
		for (uint32_t s = 0; s < in->spis.cap; s++)
			if (idx_used(&in->spis, s))
				rec_add(m, (uint32_t)in->spis.key[s], in->owner);
		moved += in->spis.n;
		/* Detached first: the old SA's end must not wipe at once what
		 * the data plane may still use during the grace time. */
		idx_free(&in->spis);
		*in = (struct installed){ 0 };
		m->rec.superseded++;
		ike_sa_delete(old);
	}
	if (!moved)
		return;
	log_info("ike: %s opened a new IKE SA: the %u CSAs its old one installed go in %u s "
		 "unless granted again",
		 mml_ipv4_str(peer, a), moved, m->rec.grace_s);
	loop_timer_in(m->loop, &m->rec.timer, (uint64_t)m->rec.grace_s * NS_PER_SEC + 1);
}

void ike_reconcile_on_timer(void *arg)
{
	struct ike_mod *m = arg;
	unsigned int wiped = 0;

	for (unsigned int i = 0; i < m->rec.n; i++) {
		if (vouched(m, m->rec.spi[i]))
			continue;
		if (ike_mod_remove_csa(m, m->rec.spi[i], m->rec.owner[i]) == 0)
			wiped++;
	}
	m->rec.kept += m->rec.n - wiped;
	m->rec.wiped += wiped;
	m->rec.n = 0;
	if (wiped)
		mip_maps_gen_bump(&m->maps);
	log_info("ike: reconciled: %u CSAs no peer granted again wiped, %" PRIu64 " kept", wiped,
		 m->rec.kept);
}
