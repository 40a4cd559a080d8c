/* The ML-IKE initialisation of each mobile (paper Fig. 4), run for real
 * before the walk: an MH engine (responder) and the HA's engine for its
 * mobiles set up an IKE SA and agree the CSA pair in MLIKE_AUTH_SA; the HA
 * then hands zone 1 to the serving FA as in any handoff. The MH engine is
 * freed once the pair is agreed: nothing in a handoff's key management
 * talks to the MH (its registration is reduced to events). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/handoff/sim.h"

/* SPI -> mobile, open addressing (the FAs' CSA Delete names SPIs). */
static uint32_t *spi_key, *spi_val;
static size_t spi_cap;

void sim_spi_index(uint32_t spi, uint32_t mh)
{
	size_t i;

	if (!spi_cap) {
		spi_cap = 1;
		while (spi_cap < 4 * (size_t)W.o.mhs)
			spi_cap <<= 1;
		spi_key = calloc(spi_cap, sizeof(*spi_key));
		spi_val = calloc(spi_cap, sizeof(*spi_val));
		if (!spi_key || !spi_val) {
			fprintf(stderr, "sim: out of memory for the SPI index\n");
			exit(1);
		}
	}
	for (i = spi * 2654435761u & (spi_cap - 1); spi_key[i] && spi_key[i] != spi;
	     i = (i + 1) & (spi_cap - 1))
		;
	spi_key[i] = spi;
	spi_val[i] = mh;
}

uint32_t sim_mh_of_spi(uint32_t spi)
{
	for (size_t i = spi * 2654435761u & (spi_cap - 1); spi_cap && spi_key[i];
	     i = (i + 1) & (spi_cap - 1))
		if (spi_key[i] == spi)
			return spi_val[i];
	return UINT32_MAX;
}

void sim_spi_index_free(void)
{
	free(spi_key);
	free(spi_val);
	spi_key = spi_val = NULL;
	spi_cap = 0;
}

static struct sim_mobile *mobile_of_sa(struct ike_sa *sa)
{
	int m = sim_mh_of_addr(ike_sa_peer(sa)->addr);

	return m < 0 ? NULL : &W.mb[m];
}

static void ev_up(void *ctx, struct ike_sa *sa)
{
	(void)ctx;
	if (mlike_auth_sa_start(sa))
		fprintf(stderr, "sim: MLIKE_AUTH_SA could not start\n");
}

static void mh_free(struct sim_mobile *mb)
{
	struct sim_node *n = mb->mh_node;

	n->dead = true;
	ike_engine_free(n->eng);
	free(n->peers);
	free(n);
	mb->mh_node = NULL;
}

/* The HA's side agreed the pair (the MH's did first: it answered). */
static void ev_csa_up(void *ctx, struct ike_sa *sa, const struct mlike_csa *csa)
{
	struct sim_mobile *mb = mobile_of_sa(sa);

	(void)ctx;
	if (!mb || mb->have_csa)
		return;
	mb->csa = *csa;
	mb->have_csa = true;
	mb->state = 2;
	sim_spi_index(csa->spi_out, (uint32_t)(mb - W.mb));
	sim_spi_index(csa->spi_in, (uint32_t)(mb - W.mb));
	mh_free(mb);
	sim_evq_push(sim_now, EV_INIT, (uint32_t)(mb - W.mb), 1, NULL);
}

const struct ike_events sim_mh_events = {
	.ike_up = ev_up,
	.csa_up = ev_csa_up,
};

static const struct ike_events mh_side_events = { 0 };

/* EV_INIT: the MH's engine comes up and the HA starts its IKE SA. */
void sim_init_start(unsigned int m)
{
	struct sim_mobile *mb = &W.mb[m];
	struct sim_node *n = calloc(1, sizeof(*n));
	char name[16];

	if (!n || !(n->peers = calloc(1, sizeof(*n->peers)))) {
		fprintf(stderr, "sim: out of memory for MH %u\n", m);
		exit(1);
	}
	snprintf(name, sizeof(name), "mh%u", m);
	sim_peer_init(&n->peers[0], net.ha.addr, name, "ha");
	n->n_peers = 1;
	if (sim_node_start(n, mb->home, -2, &mh_side_events)) {
		fprintf(stderr, "sim: MH %u: no engine\n", m);
		exit(1);
	}
	mb->mh_node = n;
	sim_peer_init(&mb->mh_peer, mb->home, "ha", name);
	mb->state = 1;
}

void sim_init_initiate(struct sim_node *ha_mh, void *arg)
{
	struct sim_mobile *mb = &W.mb[*(const uint32_t *)arg];

	mb->mh_sa = ike_initiate(ha_mh->eng, &mb->mh_peer);
	if (!mb->mh_sa)
		fprintf(stderr, "sim: IKE SA with MH %u could not start\n",
			(unsigned int)(mb - W.mb));
}
