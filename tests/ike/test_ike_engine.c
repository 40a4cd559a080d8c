/* The IKE engine end to end over loopback UDP (and once over an embedder's
 * transport on a set clock, the simulator's seam): whole ML-IKE initialisation
 * between three engines (HA, MH, FA), CHILD_SAs, CREATE_CHILD_SA and the IKE
 * SA rekey in both roles (with every answer the initiator may get, and soft
 * lifetimes), deletes; and every way a peer can misbehave
 * (wrong PSK or identity, no proposal, wrong group, unknown critical
 * payloads and exchange types, truncation, tampering, replay, stale message
 * IDs, cookies, a silent peer, unusable zone maps and CSA proposals, zone-2
 * keys towards the FA, an FA whose installer fails), each answered with the
 * RFC's notify (read back with the requester's keys) or a counted silent
 * drop while the engine keeps serving. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/crypto.h>

#include "keyd/ike/csa_map.h"
#include "keyd/ike/dkm_cache.h"
#include "keyd/ike/ike.h"
#include "keyd/ike/ike_sa.h"
#include "keyd/ike/ike_xchg.h"
#include "lib/bytes.h"
#include "lib/csa.h"

#define HA_ADDR "127.0.0.1"
#define MH_ADDR "127.0.0.2"
#define FA_ADDR "127.0.0.3"
#define RAW_ADDR "127.0.0.4"
#define DEAD_ADDR "127.0.0.9"

static uint16_t port;

struct node {
	const char *name;
	struct ike_engine *eng;
	struct ike_engine_cfg cfg;
	struct ike_peer_cfg peers[4];
	/* what the callbacks saw */
	struct ike_sa *up[4];
	unsigned int n_up, n_down, n_child;
	enum ike_down_reason last_down;
	struct ike_child child;
	bool have_csa;
	struct mlike_csa csa;
	bool have_fa_keys;
	struct mlike_fa_keys fa_keys;
	unsigned int n_fa_keys; /* installer calls */
	int fa_keys_err;	/* what the installer returns */
	int fa_keys_done;	/* 1 = not yet */
	uint32_t csa_deleted;
	unsigned int n_rekeyed;
	struct ike_sa *rekeyed_old, *rekeyed_new;
	unsigned int n_child_down, n_failed;
	uint32_t child_down_spi; /* spi_in of the last CHILD_SA gone */
	uint16_t failed_notify;
	/* NEIGHBOR_NOTIFY: the list taken (HA), the answer (FA; 1 = none) */
	struct mlike_neighbors_pl nb;
	int neighbors_err, neighbors_done;
	/* HA orchestration */
	bool orchestrate;
	struct ike_sa *mh_sa, *fa_sa;
	/* DKM: the previous FA's cache (with its clock), a lookup that leaks a
	 * zone-2 key, what the new FA was answered, what the HA was told */
	struct dkm_cache *dkm;
	uint64_t dkm_now;
	bool dkm_leak;
	unsigned int n_dkm;
	uint32_t dkm_home; /* the MH the answer is for */
	uint16_t dkm_notify;
	bool have_dkm_keys;
	struct mlike_fa_keys dkm_keys;
	uint16_t dkm_report_ret;
	struct dkm_mh_pl dkm_report;
	uint16_t dkm_missing_ret;
	struct dkm_mh_pl dkm_missing;
	unsigned int n_missing;
	bool dkm_other_home; /* the lookup finds another MH's keys */
	/* DKM, new FA: the HA's answers to our install reports */
	unsigned int n_reported;
	uint32_t reported_home;
	uint16_t reported_notify;
	/* CSA rekeys: agreed (the old pair passed along) or failed */
	unsigned int n_csa_rekeyed, n_csa_rekey_failed;
	struct mlike_csa csa_old;
};

static uint32_t addr(const char *a)
{
	uint32_t v;

	inet_pton(AF_INET, a, &v);
	return v;
}

static void peer(struct node *n, unsigned int i, const char *name, const char *a,
		 const char *local_id, const char *peer_id, const char *psk)
{
	struct ike_peer_cfg *p = &n->peers[i];

	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->addr = addr(a);
	p->port = port;
	p->local_id.type = IKE_ID_FQDN;
	p->local_id.len = (uint8_t)strlen(local_id);
	memcpy(p->local_id.data, local_id, p->local_id.len);
	p->peer_id.type = IKE_ID_FQDN;
	p->peer_id.len = (uint8_t)strlen(peer_id);
	memcpy(p->peer_id.data, peer_id, p->peer_id.len);
	p->psk_len = strlen(psk);
	memcpy(p->psk, psk, p->psk_len);
	p->ike_encr = IKE_ENCR_AES_GCM_16;
	p->esp_encr = IKE_ENCR_AES_GCM_16;
	p->zone2_encr = IKE_ENCR_AES_GCM_16;
	p->z1_len = 40;
	if (i + 1 > n->cfg.n_peers)
		n->cfg.n_peers = i + 1;
}

static void ev_up(void *ctx, struct ike_sa *sa)
{
	struct node *n = ctx;

	n->up[n->n_up++ % 4] = sa;
	if (n->orchestrate && sa == n->mh_sa)
		assert_int_equal(mlike_auth_sa_start(sa), 0);
}

static void ev_down(void *ctx, struct ike_sa *sa, enum ike_down_reason why)
{
	struct node *n = ctx;

	n->n_down++;
	n->last_down = why;
}

static void ev_child(void *ctx, struct ike_sa *sa, const struct ike_child *c)
{
	struct node *n = ctx;

	n->n_child++;
	n->child = *c;
}

static void ev_child_down(void *ctx, struct ike_sa *sa, const struct ike_child *c)
{
	struct node *n = ctx;

	n->n_child_down++;
	n->child_down_spi = c->spi_in;
}

static void ev_create_failed(void *ctx, struct ike_sa *sa, uint16_t notify)
{
	struct node *n = ctx;

	n->n_failed++;
	n->failed_notify = notify;
}

static void ev_csa_rekeyed(void *ctx, struct ike_sa *sa, const struct mlike_csa *old,
			   const struct mlike_csa *csa)
{
	struct node *n = ctx;

	if (!csa) {
		n->n_csa_rekey_failed++;
		return;
	}
	n->n_csa_rekeyed++;
	n->csa_old = *old;
	n->csa = *csa;
}

static void ev_csa(void *ctx, struct ike_sa *sa, const struct mlike_csa *csa)
{
	struct node *n = ctx;

	n->have_csa = true;
	n->csa = *csa;
	if (n->orchestrate) {
		struct mlike_fa_keys k;

		mlike_fa_keys_from_csa(csa, true, addr(MH_ADDR), addr(HA_ADDR), &k);
		assert_int_equal(mlike_key_distribute(n->fa_sa, &k), 0);
	}
}

static int ev_fa_keys(void *ctx, struct ike_sa *sa, const struct mlike_fa_keys *k)
{
	struct node *n = ctx;

	n->n_fa_keys++;
	if (n->fa_keys_err)
		return n->fa_keys_err;
	n->have_fa_keys = true;
	n->fa_keys = *k;
	return 0;
}

static void ev_fa_done(void *ctx, struct ike_sa *sa, int result)
{
	struct node *n = ctx;

	n->fa_keys_done = result;
}

static unsigned int ev_csa_deleted(void *ctx, struct ike_sa *sa, uint32_t *spis, unsigned int cnt)
{
	struct node *n = ctx;

	n->csa_deleted = cnt ? spis[0] : 0;
	return cnt;
}

static void ev_rekeyed(void *ctx, struct ike_sa *old_sa, struct ike_sa *new_sa)
{
	struct node *n = ctx;

	n->n_rekeyed++;
	n->rekeyed_old = old_sa;
	n->rekeyed_new = new_sa;
}

static uint16_t ev_dkm_lookup(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *req,
			      struct mlike_fa_keys *k)
{
	struct node *n = ctx;
	uint16_t refuse;

	if (!n->dkm)
		return DKM_N_NOT_VISITOR;
	refuse = dkm_cache_take(n->dkm, req, ike_sa_peer(sa)->addr, n->dkm_now, k);
	if (!refuse && n->dkm_other_home)
		k->mh_home = addr(DEAD_ADDR);
	if (!refuse && n->dkm_leak) {
		k->secret[1].transform = IKE_ENCR_AES_GCM_16;
		memset(k->secret[1].key, 0x5a, sizeof(k->secret[1].key));
	}
	return refuse;
}

static void ev_dkm_answer(void *ctx, struct ike_sa *sa, uint32_t home,
			  const struct mlike_fa_keys *k, uint16_t notify)
{
	struct node *n = ctx;

	n->n_dkm++;
	n->dkm_notify = notify;
	n->have_dkm_keys = k != NULL;
	if (k)
		n->dkm_keys = *k;
	n->dkm_home = home;
}

static uint16_t ev_dkm_installed(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	struct node *n = ctx;

	n->dkm_report = *rep;
	return n->dkm_report_ret;
}

static uint16_t ev_dkm_missing(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	struct node *n = ctx;

	n->n_missing++;
	n->dkm_missing = *rep;
	return n->dkm_missing_ret;
}

static void ev_dkm_reported(void *ctx, struct ike_sa *sa, uint32_t home, uint16_t notify)
{
	struct node *n = ctx;

	n->n_reported++;
	n->reported_home = home;
	n->reported_notify = notify;
}

static int ev_neighbors(void *ctx, struct ike_sa *sa, const uint32_t *a, unsigned int cnt)
{
	struct node *n = ctx;

	(void)sa;
	if (n->neighbors_err)
		return n->neighbors_err;
	n->nb.n = (uint8_t)cnt;
	memcpy(n->nb.addr, a, 4 * (size_t)cnt);
	return 0;
}

static void ev_neighbors_done(void *ctx, struct ike_sa *sa, int result)
{
	(void)sa;
	((struct node *)ctx)->neighbors_done = result;
}

static const struct ike_events events = {
	.dkm_lookup = ev_dkm_lookup,
	.dkm_answer = ev_dkm_answer,
	.dkm_installed = ev_dkm_installed,
	.dkm_missing = ev_dkm_missing,
	.dkm_reported = ev_dkm_reported,
	.neighbors = ev_neighbors,
	.neighbors_done = ev_neighbors_done,
	.ike_up = ev_up,
	.ike_down = ev_down,
	.child_up = ev_child,
	.child_down = ev_child_down,
	.ike_rekeyed = ev_rekeyed,
	.create_failed = ev_create_failed,
	.csa_up = ev_csa,
	.csa_rekeyed = ev_csa_rekeyed,
	.fa_keys = ev_fa_keys,
	.fa_keys_done = ev_fa_done,
	.csa_deleted = ev_csa_deleted,
};

/* A node that runs neither DKM nor PKD (an MH's, or a daemon without
 * them): the engine alone decides. */
static const struct ike_events bare_events = {
	.ike_up = ev_up,
	.ike_down = ev_down,
};

static void start(struct node *n, const char *a)
{
	n->cfg.local_addr = addr(a);
	n->cfg.port = port;
	n->cfg.peers = n->peers;
	n->cfg.retransmit_base_ms = 50;
	n->cfg.retransmit_tries = 3;
	n->fa_keys_done = 1;
	n->eng = ike_engine_new(&n->cfg, &events, n);
	assert_non_null(n->eng);
}

static void stop(struct node *n)
{
	ike_engine_free(n->eng);
	n->eng = NULL;
}

/* Runs the engines until cond() holds or ms pass; returns cond(). */
static bool pump(struct node **nodes, unsigned int cnt, unsigned int ms, bool (*cond)(void *),
		 void *arg)
{
	for (unsigned int t = 0; t < ms; t += 5) {
		struct pollfd pfd[8];

		if (cond && cond(arg))
			return true;
		for (unsigned int i = 0; i < cnt; i++)
			pfd[i] = (struct pollfd){ .fd = ike_engine_fd(nodes[i]->eng),
						  .events = POLLIN };
		poll(pfd, cnt, 5);
		for (unsigned int i = 0; i < cnt; i++) {
			ike_engine_input(nodes[i]->eng);
			ike_engine_tick(nodes[i]->eng);
		}
	}
	return cond && cond(arg);
}

static bool two_up(void *arg)
{
	struct node **n = arg;

	return n[0]->n_up >= 1 && n[1]->n_up >= 1;
}

static bool fa_done(void *arg)
{
	return ((struct node *)arg)->fa_keys_done != 1;
}

static bool downs(void *arg)
{
	struct node **n = arg;

	return n[0]->n_down >= 1 && n[1]->n_down >= 1;
}

static bool one_down(void *arg)
{
	return ((struct node *)arg)->n_down >= 1;
}

/* A pair A (initiator, 127.0.0.1) and B (responder, 127.0.0.2). */
static void pair(struct node *a, struct node *b, const char *psk_a, const char *psk_b)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	peer(a, 0, "b", MH_ADDR, "a.test", "b.test", psk_a);
	peer(b, 0, "a", HA_ADDR, "b.test", "a.test", psk_b);
	peer(b, 1, "raw", RAW_ADDR, "b.test", "raw.test", psk_b);
	a->cfg.cookie_threshold = b->cfg.cookie_threshold = 16;
	start(a, HA_ADDR);
	start(b, MH_ADDR);
}

/* The pair with its IKE SA up on both sides; A's SA. */
static struct ike_sa *up_pair(struct node *a, struct node *b)
{
	struct node *n[] = { a, b };

	pair(a, b, "psk", "psk");
	ike_initiate(a->eng, &a->peers[0]);
	assert_true(pump(n, 2, 2000, two_up, n));
	return a->up[0];
}

/* Zone 1 of a ChaCha20/AES-GCM composite SA with fixed keys, as the HA
 * hands it to an FA. */
static void fa_keys_of(struct mlike_csa *csa, struct mlike_fa_keys *k)
{
	csa->zone_encr[0] = IKE_ENCR_CHACHA20_POLY1305;
	csa->zone_encr[1] = IKE_ENCR_AES_GCM_16;
	memset(csa->key_out, 0x11, sizeof(csa->key_out));
	memset(csa->key_in, 0x22, sizeof(csa->key_in));
	mlike_fa_keys_from_csa(csa, true, addr(MH_ADDR), addr(HA_ADDR), k);
}

static void initialisation(void **state)
{
	struct node ha = { 0 }, mh = { 0 }, fa = { 0 };
	struct node *all[] = { &ha, &mh, &fa }, *hm[] = { &ha, &mh };
	struct mml_csa out, in, fwd[2];
	unsigned int n_fwd;
	char why[128];

	peer(&ha, 0, "mh", MH_ADDR, "ha.test", "mh.test", "mh-secret");
	peer(&ha, 1, "fa", FA_ADDR, "ha.test", "fa.test", "fa-secret");
	peer(&mh, 0, "ha", HA_ADDR, "mh.test", "ha.test", "mh-secret");
	peer(&fa, 0, "ha", HA_ADDR, "fa.test", "ha.test", "fa-secret");
	ha.peers[0].zone2_encr = IKE_ENCR_AES_GCM_16;
	mh.peers[0].zone2_encr = IKE_ENCR_CHACHA20_POLY1305; /* responder's pick wins */
	start(&ha, HA_ADDR);
	start(&mh, MH_ADDR);
	start(&fa, FA_ADDR);
	ha.orchestrate = true;
	ha.mh_sa = ike_initiate(ha.eng, &ha.peers[0]);
	ha.fa_sa = ike_initiate(ha.eng, &ha.peers[1]);
	assert_true(pump(all, 3, 3000, fa_done, &ha));
	assert_int_equal(ha.fa_keys_done, 0);
	assert_true(ha.have_csa && mh.have_csa && fa.have_fa_keys);

	/* MH and HA hold mirror images of the same CSA pair. */
	assert_int_equal(ha.csa.spi_out, mh.csa.spi_in);
	assert_int_equal(ha.csa.spi_in, mh.csa.spi_out);
	assert_int_equal(ha.csa.z1_len, 40);
	assert_int_equal(mh.csa.zone_encr[0], IKE_ENCR_CHACHA20_POLY1305);
	assert_int_equal(mh.csa.zone_encr[1], IKE_ENCR_CHACHA20_POLY1305);
	for (unsigned int z = 0; z < 2; z++) {
		assert_memory_equal(ha.csa.key_out[z], mh.csa.key_in[z], 36);
		assert_memory_equal(ha.csa.key_in[z], mh.csa.key_out[z], 36);
	}
	assert_memory_not_equal(ha.csa.key_out[0], ha.csa.key_out[1], 36);
	assert_memory_not_equal(ha.csa.key_out[0], ha.csa.key_in[0], 36);

	/* Both nodes' map entries pass the shared validator. */
	mlike_csa_to_map(&mh.csa, 0, 1, &out, &in);
	assert_int_equal(mml_csa_validate(&out, why, sizeof(why)), 0);
	assert_int_equal(mml_csa_validate(&in, why, sizeof(why)), 0);
	assert_int_equal(out.dir, MML_DIR_OUT);
	assert_int_equal(out.spi, mh.csa.spi_out);

	/* The FA: zone 1 of both directions, null SAs for zone 2, nothing else. */
	assert_int_equal(fa.fa_keys.n_secrets, 4);
	assert_int_equal(fa.fa_keys.mh_home, addr(MH_ADDR));
	for (unsigned int i = 0; i < fa.fa_keys.n_secrets; i++) {
		const struct mlike_secret_pl *s = &fa.fa_keys.secret[i];
		bool to_mh = s->dir == MLIKE_DIR_TO_MH;

		assert_int_equal(s->spi, to_mh ? ha.csa.spi_out : ha.csa.spi_in);
		if (s->zone == 1) {
			assert_memory_equal(s->key, to_mh ? ha.csa.key_out[0] : ha.csa.key_in[0],
					    32);
		} else {
			assert_int_equal(s->transform, 0);
			assert_memory_equal(s->key, (uint8_t[32]){ 0 }, 32);
		}
	}
	assert_int_equal(mlike_fa_keys_to_map(&fa.fa_keys, 0, 1, fwd, &n_fwd), 0);
	assert_int_equal(n_fwd, 2);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(fwd[i].dir, MML_DIR_FWD);
		assert_int_equal(fwd[i].zone[1].alg, MML_ALG_NULL);
		assert_int_equal(mml_csa_validate(&fwd[i], why, sizeof(why)), 0);
	}

	/* Revocation at the FA, then the MH's IKE SA goes. */
	assert_int_equal(mlike_csa_delete(ha.fa_sa, &ha.csa.spi_out, 1), 0);
	pump(all, 3, 300, NULL, NULL);
	assert_int_equal(fa.csa_deleted, ha.csa.spi_out);
	assert_int_equal(ike_sa_delete(ha.mh_sa), 0);
	assert_true(pump(hm, 2, 1000, downs, hm));
	assert_int_equal(mh.last_down, IKE_DOWN_DELETED);
	stop(&ha);
	stop(&mh);
	stop(&fa);
}

static void child_sa_both_algs(void **state)
{
	static const uint16_t algs[] = { IKE_ENCR_AES_GCM_16, IKE_ENCR_CHACHA20_POLY1305 };

	for (size_t i = 0; i < 2; i++) {
		struct node a, b;
		struct node *n[] = { &a, &b };

		pair(&a, &b, "psk", "psk");
		for (unsigned int k = 0; k < 2; k++) {
			struct ike_peer_cfg *p = k ? &b.peers[0] : &a.peers[0];

			p->child = true;
			p->ike_encr = p->esp_encr = algs[i];
			p->ts_local.n = p->ts_remote.n = 1;
			p->ts_local.ts[0] =
				(struct ike_ts){ 0, 0, 0xffff, 0x0a000001 + k, 0x0a000001 + k };
			p->ts_remote.ts[0] =
				(struct ike_ts){ 0, 0, 0xffff, 0x0a000002 - k, 0x0a000002 - k };
		}
		ike_initiate(a.eng, &a.peers[0]);
		assert_true(pump(n, 2, 2000, two_up, n));
		pump(n, 2, 50, NULL, NULL);
		assert_int_equal(a.n_child, 1);
		assert_int_equal(b.n_child, 1);
		assert_int_equal(a.child.encr, algs[i]);
		assert_int_equal(a.child.spi_out, b.child.spi_in);
		assert_memory_equal(a.child.key_out, b.child.key_in, 36);
		assert_memory_equal(a.child.key_in, b.child.key_out, 36);
		assert_int_equal(a.child.ts_local.ts[0].addr_lo, 0x0a000001);
		/* Liveness, then the responder deletes. */
		assert_int_equal(ike_sa_liveness(a.up[0]), 0);
		pump(n, 2, 100, NULL, NULL);
		assert_int_equal(ike_sa_delete(b.up[0]), 0);
		assert_true(pump(n, 2, 1000, downs, n));
		stop(&a);
		stop(&b);
	}
}

static void wrong_psk(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };

	pair(&a, &b, "right", "wrong");
	ike_initiate(a.eng, &a.peers[0]);
	assert_true(pump(n, 2, 2000, one_down, &a));
	assert_int_equal(a.last_down, IKE_DOWN_FAILED);
	assert_int_equal(a.n_up, 0);
	assert_int_equal(b.n_up, 0);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_AUTH_FAILED), 1);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_AUTH_FAILED), 1);
	stop(&a);
	stop(&b);
}

static void silent_peer(void **state)
{
	struct node a = { 0 };
	struct node *n[] = { &a };

	peer(&a, 0, "dead", DEAD_ADDR, "a.test", "dead.test", "psk");
	start(&a, HA_ADDR);
	ike_initiate(a.eng, &a.peers[0]);
	/* 50 + 100 + 200 ms of back-off, three transmissions. */
	assert_true(pump(n, 1, 2000, one_down, &a));
	assert_int_equal(a.last_down, IKE_DOWN_TIMEOUT);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_RETRANSMITS), 2);
	stop(&a);

	/* IKE_SA_INIT's short first timeouts: 10, 20, 40 ms below the 50 ms
	 * base add three transmissions, then 50 and 100 ms as before. */
	memset(&a, 0, sizeof(a));
	peer(&a, 0, "dead", DEAD_ADDR, "a.test", "dead.test", "psk");
	a.cfg.init_retransmit_ms = 10;
	start(&a, HA_ADDR);
	ike_initiate(a.eng, &a.peers[0]);
	assert_true(pump(n, 1, 2000, one_down, &a));
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_RETRANSMITS), 5);
	stop(&a);
}

/* --- an embedder's transport and clock (the handoff simulator's seam) --- */

/* Datagrams the transport took, delivered by hand; a virtual clock. */
static struct {
	uint8_t buf[IKE_MSG_MAX];
	size_t len;
	uint32_t from, to;
} wire[16];
static unsigned int n_wire;
static uint64_t fake_ms;

static uint64_t fake_now(void)
{
	return fake_ms;
}

static int wire_send(void *ctx, const uint8_t *buf, size_t len, uint32_t to, uint16_t to_port)
{
	const struct node *n = ctx;

	assert_int_equal(to_port, port);
	if (n_wire == 16)
		return -ENOBUFS;
	memcpy(wire[n_wire].buf, buf, len);
	wire[n_wire].len = len;
	wire[n_wire].from = n->cfg.local_addr;
	wire[n_wire++].to = to;
	return 0;
}

static void start_on_wire(struct node *n, const char *a, const struct ike_transport *tp)
{
	n->cfg.local_addr = addr(a);
	n->cfg.peers = n->peers;
	n->cfg.transport = tp;
	n->eng = ike_engine_new(&n->cfg, &events, n);
	assert_non_null(n->eng);
	assert_int_equal(ike_engine_fd(n->eng), -1); /* no socket */
}

/* Delivers what is on the wire, and what that sends, until it is empty. */
static void wire_run(struct node *a, struct node *b)
{
	for (unsigned int i = 0; i < n_wire; i++) {
		struct node *to = wire[i].to == a->cfg.local_addr ? a : b;

		ike_engine_process(to->eng, wire[i].buf, wire[i].len, wire[i].from, port);
	}
	n_wire = 0;
}

/* The real clock again, whatever the test did. */
static int real_clock(void **state)
{
	ike_clock_set(NULL);
	return 0;
}

static void transport_and_clock(void **state)
{
	struct node a = { 0 }, b = { 0 }, c = { 0 };
	struct ike_transport ta = { .send = wire_send, .ctx = &a },
			     tb = { .send = wire_send, .ctx = &b };

	n_wire = 0;
	fake_ms = 1000;
	ike_clock_set(fake_now);
	peer(&a, 0, "b", MH_ADDR, "a.test", "b.test", "psk");
	peer(&b, 0, "a", HA_ADDR, "b.test", "a.test", "psk");
	a.cfg.cookie_threshold = b.cfg.cookie_threshold = 16;
	start_on_wire(&a, HA_ADDR, &ta);
	start_on_wire(&b, MH_ADDR, &tb);
	/* A whole IKE SA over the embedder's wire; nothing arrives by socket. */
	assert_non_null(ike_initiate(a.eng, &a.peers[0]));
	assert_int_equal(n_wire, 1);
	ike_engine_input(a.eng);
	wire_run(&a, &b);
	assert_int_equal(a.n_up, 1);
	assert_int_equal(b.n_up, 1);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_TX), 2);
	/* Retransmission follows the set clock: a lost request goes again
	 * when fake time passes its deadline, not before. */
	assert_int_equal(ike_sa_liveness(a.up[0]), 0);
	n_wire = 0; /* lost */
	ike_engine_tick(a.eng);
	assert_int_equal(n_wire, 0);
	fake_ms += 501;
	ike_engine_tick(a.eng);
	assert_int_equal(n_wire, 1);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_RETRANSMITS), 1);
	wire_run(&a, &b);
	stop(&a);
	stop(&b);
	/* NAT-T needs a socket: refused with a transport. */
	c.cfg.local_addr = addr(FA_ADDR);
	c.cfg.nat_detection = true;
	c.cfg.transport = &ta;
	assert_null(ike_engine_new(&c.cfg, &events, &c));
}

/* --- a raw peer that sends hand-made messages to B --- */

struct raw {
	int fd;
	struct sockaddr_in to;
};

static void raw_open(struct raw *r)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };

	me.sin_addr.s_addr = addr(RAW_ADDR);
	r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&me, sizeof(me)), 0);
	r->to = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port) };
	r->to.sin_addr.s_addr = addr(MH_ADDR);
}

/* Sends msg to B, lets B process it, returns the answer's length (0 = none). */
static ssize_t raw_ask(struct raw *r, struct node *b, const uint8_t *msg, size_t len, uint8_t *ans)
{
	struct node *n[] = { b };

	sendto(r->fd, msg, len, 0, (struct sockaddr *)&r->to, sizeof(r->to));
	pump(n, 1, 20, NULL, NULL);
	ssize_t got = recv(r->fd, ans, IKE_MSG_MAX, 0);
	return got < 0 ? 0 : got;
}

/* The notify type of an unprotected answer (first payload), or -1. */
static int answer_notify(const uint8_t *ans, ssize_t len, uint8_t *data, size_t *data_len)
{
	struct ike_hdr h;
	struct ike_chain c;
	struct ike_notify_pl nt;
	uint8_t bad;

	if (len <= 0 || ike_hdr_parse(ans, (size_t)len, &h) ||
	    ike_chain_parse(h.next_payload, ans + 28, (size_t)len - 28, &c, &bad) || c.n == 0 ||
	    c.pl[0].type != IKE_PL_NOTIFY || ike_notify_parse(c.pl[0].body, c.pl[0].len, &nt))
		return -1;
	if (data) {
		memcpy(data, nt.data, nt.data_len);
		*data_len = nt.data_len;
	}
	return nt.type;
}

struct init_opts {
	uint16_t encr, group;
	bool no_nonce, critical;
	const uint8_t *cookie;
	size_t cookie_len;
};

static size_t build_init(uint8_t *buf, const struct init_opts *o)
{
	struct ike_hdr h = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR };
	struct ike_sa_pl sa = { .n_props = 1 };
	struct ike_dh dh = { 0 };
	uint8_t nonce[32] = { 7 };
	struct ike_wbuf wb;

	memset(h.spi_i, 0x5a, 8);
	sa.p[0] = (struct ike_proposal){ .num = 1, .proto = IKE_PROTO_IKE, .n_trans = 3 };
	sa.p[0].t[0] = ike_xform(IKE_TRANS_ENCR, o->encr);
	sa.p[0].t[1] = ike_xform(IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256);
	sa.p[0].t[2] = ike_xform(IKE_TRANS_DH, IKE_DH_CURVE25519);
	assert_int_equal(ike_dh_generate(&dh), 0);
	ike_wb_init(&wb, buf, IKE_MSG_MAX);
	ike_wb_hdr(&wb, &h);
	if (o->cookie)
		ike_put_notify(&wb, 0, NULL, 0, IKE_N_COOKIE, o->cookie, o->cookie_len);
	ike_put_sa(&wb, &sa);
	ike_put_ke(&wb, o->group, dh.pub, 32);
	if (!o->no_nonce)
		ike_put_nonce(&wb, nonce, sizeof(nonce));
	if (o->critical) {
		size_t s = ike_wb_pl_begin(&wb, 250, true);

		ike_wb_put32(&wb, 0);
		ike_wb_pl_end(&wb, s);
	}
	assert_int_equal(ike_wb_finish_msg(&wb), 0);
	ike_dh_free(&dh);
	return wb.len;
}

static void init_rejections(void **state)
{
	struct node a, b;
	struct raw r;
	uint8_t msg[IKE_MSG_MAX], ans[IKE_MSG_MAX], data[64];
	size_t len, dlen;
	ssize_t got;

	pair(&a, &b, "psk", "psk");
	raw_open(&r);
	/* AES-CBC only: NO_PROPOSAL_CHOSEN. */
	len = build_init(msg, &(struct init_opts){ .encr = 12, .group = 31 });
	got = raw_ask(&r, &b, msg, len, ans);
	assert_int_equal(answer_notify(ans, got, NULL, NULL), IKE_N_NO_PROPOSAL_CHOSEN);
	/* KE for group 19 while 31 is proposed: INVALID_KE_PAYLOAD naming 31. */
	len = build_init(msg, &(struct init_opts){ .encr = 20, .group = 19 });
	got = raw_ask(&r, &b, msg, len, ans);
	assert_int_equal(answer_notify(ans, got, data, &dlen), IKE_N_INVALID_KE_PAYLOAD);
	assert_int_equal(dlen, 2);
	assert_int_equal(get_be16(data), 31);
	/* No nonce: INVALID_SYNTAX. */
	len = build_init(msg, &(struct init_opts){ .encr = 20, .group = 31, .no_nonce = true });
	got = raw_ask(&r, &b, msg, len, ans);
	assert_int_equal(answer_notify(ans, got, NULL, NULL), IKE_N_INVALID_SYNTAX);
	/* Unknown critical payload: UNSUPPORTED_CRITICAL_PAYLOAD naming it. */
	len = build_init(msg, &(struct init_opts){ .encr = 20, .group = 31, .critical = true });
	got = raw_ask(&r, &b, msg, len, ans);
	assert_int_equal(answer_notify(ans, got, data, &dlen), IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	assert_int_equal(data[0], 250);
	/* Major version 3: INVALID_MAJOR_VERSION. */
	len = build_init(msg, &(struct init_opts){ .encr = 20, .group = 31 });
	msg[17] = 0x30;
	got = raw_ask(&r, &b, msg, len, ans);
	assert_int_equal(answer_notify(ans, got, NULL, NULL), IKE_N_INVALID_MAJOR_VERSION);
	/* Truncations and garbage: silent, counted. */
	len = build_init(msg, &(struct init_opts){ .encr = 20, .group = 31 });
	for (size_t cut = 0; cut < len; cut += 7)
		assert_int_equal(raw_ask(&r, &b, msg, cut, ans), 0);
	assert_true(ike_engine_counter(b.eng, IKE_C_MALFORMED) >= len / 7);
	/* A message for an IKE SA that does not exist. */
	msg[18] = IKE_INFORMATIONAL;
	msg[8] = 1;
	put_be32(msg + 20, 1);
	assert_int_equal(raw_ask(&r, &b, msg, len, ans), 0);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_UNKNOWN_SPI), 1);
	/* A good request is still served: an SA comes back. */
	len = build_init(msg, &(struct init_opts){ .encr = 20, .group = 31 });
	got = raw_ask(&r, &b, msg, len, ans);
	assert_true(got > 28);
	assert_int_equal(ans[18], IKE_SA_INIT);
	assert_true(ans[19] & IKE_FLAG_RESPONSE);
	/* ...and its retransmission gets the same answer again. */
	{
		uint8_t again[IKE_MSG_MAX];

		assert_int_equal(raw_ask(&r, &b, msg, len, again), got);
		assert_memory_equal(again, ans, (size_t)got);
	}
	close(r.fd);
	stop(&a);
	stop(&b);
}

static void cookies(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };
	struct raw r;
	uint8_t msg[IKE_MSG_MAX], ans[IKE_MSG_MAX], cookie[64];
	size_t len, clen;
	ssize_t got;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	peer(&a, 0, "b", MH_ADDR, "a.test", "b.test", "psk");
	peer(&b, 0, "a", HA_ADDR, "b.test", "a.test", "psk");
	peer(&b, 1, "raw", RAW_ADDR, "b.test", "raw.test", "psk");
	b.cfg.cookie_threshold = 0; /* "under load" from the start */
	start(&a, HA_ADDR);
	start(&b, MH_ADDR);
	raw_open(&r);
	len = build_init(msg, &(struct init_opts){ .encr = 20, .group = 31 });
	got = raw_ask(&r, &b, msg, len, ans);
	assert_int_equal(answer_notify(ans, got, cookie, &clen), IKE_N_COOKIE);
	assert_int_equal(b.eng->half_open, 0); /* no state kept */
	/* A wrong cookie: a fresh cookie again, counted. */
	cookie[5] ^= 1;
	len = build_init(msg,
			 &(struct init_opts){
				 .encr = 20, .group = 31, .cookie = cookie, .cookie_len = clen });
	got = raw_ask(&r, &b, msg, len, ans);
	assert_int_equal(answer_notify(ans, got, NULL, NULL), IKE_N_COOKIE);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_BAD_COOKIE), 1);
	/* Our own initiator follows the cookie dance to the end. */
	ike_initiate(a.eng, &a.peers[0]);
	assert_true(pump(n, 2, 2000, two_up, n));
	assert_true(ike_engine_counter(b.eng, IKE_C_COOKIES_SENT) >= 3);
	close(r.fd);
	stop(&a);
	stop(&b);
}

/* Reads the next datagram B's socket holds without letting B see it. */
static ssize_t steal(struct node *b, uint8_t *buf)
{
	for (int i = 0; i < 100; i++) {
		ssize_t got = recv(ike_engine_fd(b->eng), buf, IKE_MSG_MAX, 0);

		if (got > 0)
			return got;
		usleep(2000);
	}
	return -1;
}

/* The first notify inside the protected answer waiting on A's socket, read
 * with A's keys (0: an answer without a notify, -1: no answer at all); A
 * then processes the answer as it would have. B is at MH_ADDR. */
static int protected_answer(struct node *a, struct ike_sa *sa, uint8_t *data, size_t *data_len)
{
	uint8_t msg[IKE_MSG_MAX], copy[IKE_MSG_MAX], *plain, bad;
	struct ike_chain outer, inner;
	const struct ike_pl *sk;
	struct ike_hdr h;
	size_t plain_len;
	ssize_t len = steal(a, msg);
	int type = 0;

	if (len <= 0)
		return -1;
	memcpy(copy, msg, (size_t)len);
	assert_int_equal(ike_hdr_parse(copy, (size_t)len, &h), 0);
	assert_true(h.flags & IKE_FLAG_RESPONSE);
	assert_int_equal(ike_chain_parse(h.next_payload, copy + IKE_HDR_LEN,
					 (size_t)len - IKE_HDR_LEN, &outer, &bad),
			 0);
	assert_true(outer.n > 0);
	sk = &outer.pl[outer.n - 1];
	assert_int_equal(sk->type, IKE_PL_SK);
	assert_int_equal(ike_sk_open(&sa->sk, copy, (size_t)len, sk, &plain, &plain_len), 0);
	assert_int_equal(
		ike_chain_parse(sk->body[-IKE_GEN_HDR_LEN], plain, plain_len, &inner, &bad), 0);
	for (unsigned int i = 0; i < inner.n && !type; i++) {
		struct ike_notify_pl nt;

		if (inner.pl[i].type != IKE_PL_NOTIFY)
			continue;
		assert_int_equal(ike_notify_parse(inner.pl[i].body, inner.pl[i].len, &nt), 0);
		type = nt.type;
		if (data) {
			memcpy(data, nt.data, nt.data_len);
			*data_len = nt.data_len;
		}
	}
	ike_engine_process(a->eng, msg, (size_t)len, addr(MH_ADDR), port);
	return type;
}

/* Lets B alone answer what A sent; returns the notify as above. */
static int b_answers(struct node *a, struct node *b, struct ike_sa *sa, uint8_t *data,
		     size_t *data_len)
{
	struct node *nb[] = { b };

	pump(nb, 1, 30, NULL, NULL);
	return protected_answer(a, sa, data, data_len);
}

static void protected_rejections(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };
	uint8_t msg[IKE_MSG_MAX], copy[IKE_MSG_MAX];
	uint32_t from = addr(HA_ADDR);
	struct ike_sa *sa;
	ssize_t len;

	sa = up_pair(&a, &b);

	/* A tampered liveness request: dropped silently, counted. */
	assert_int_equal(ike_sa_liveness(sa), 0);
	len = steal(&b, msg);
	assert_true(len > 0);
	for (ssize_t i = 28; i < len; i += 5) {
		memcpy(copy, msg, (size_t)len);
		copy[i] ^= 0x01;
		ike_engine_process(b.eng, copy, (size_t)len, from, port);
	}
	assert_true(ike_engine_counter(b.eng, IKE_C_BAD_ICV) >= (uint64_t)(len - 28) / 5 - 1);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_RESENT_RESPONSES), 0);
	/* The genuine one is answered; replaying it gets the same answer, and
	 * changes nothing. */
	memcpy(copy, msg, (size_t)len);
	ike_engine_process(b.eng, copy, (size_t)len, from, port);
	memcpy(copy, msg, (size_t)len);
	ike_engine_process(b.eng, copy, (size_t)len, from, port);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_RESENT_RESPONSES), 1);
	pump(n, 2, 50, NULL, NULL);
	assert_int_equal(sa->req_kind, IKE_REQ_NONE);
	/* An older message ID (two back) is dropped as stale. */
	put_be32(msg + 20, get_be32(msg + 20) - 1);
	ike_engine_process(b.eng, msg, (size_t)len, from, port);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_BAD_MSGID), 1);

	/* An authenticated request with an unknown critical payload inside:
	 * UNSUPPORTED_CRITICAL_PAYLOAD comes back, the SA stays. */
	{
		uint8_t inner[64];
		struct ike_wbuf in;
		size_t s;

		ike_wb_init(&in, inner, sizeof(inner));
		s = ike_wb_pl_begin(&in, 222, true);
		ike_wb_put32(&in, 0);
		ike_wb_pl_end(&in, s);
		uint8_t data[8];
		size_t dlen = 0;

		assert_int_equal(ike_send_protected(sa, IKE_INFORMATIONAL, false, sa->next_msg_id,
						    IKE_REQ_LIVENESS, &in),
				 0);
		assert_int_equal(b_answers(&a, &b, sa, data, &dlen),
				 IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
		assert_int_equal(dlen, 1);
		assert_int_equal(data[0], 222);
		assert_int_equal(ike_engine_counter(b.eng, IKE_C_CRITICAL), 1);
		assert_int_equal(sa->req_kind, IKE_REQ_NONE);
	}
	/* An ML-IKE request with a broken zone map gets INVALID_SYNTAX. */
	{
		uint8_t inner[64];
		struct ike_wbuf in;
		size_t s;

		ike_wb_init(&in, inner, sizeof(inner));
		s = ike_wb_pl_begin(&in, MLIKE_PL_ZONEMAP, true);
		ike_wb_put32(&in, 0x02010000);
		ike_wb_pl_end(&in, s);
		assert_int_equal(ike_send_protected(sa, MLIKE_AUTH_SA, false, sa->next_msg_id,
						    IKE_REQ_MLIKE_AUTH_SA, &in),
				 0);
		assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), IKE_N_INVALID_SYNTAX);
		assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL), 1);
		assert_false(a.have_csa || b.have_csa);
	}
	/* Still serving: a real MLIKE_AUTH_SA succeeds. */
	assert_int_equal(mlike_auth_sa_start(sa), 0);
	pump(n, 2, 100, NULL, NULL);
	assert_true(a.have_csa && b.have_csa);
	stop(&a);
	stop(&b);
}

/* MH and HA hold mirror images of the same CSA pair. */
static void assert_csa_mirror(const struct mlike_csa *x, const struct mlike_csa *y)
{
	assert_int_equal(x->spi_out, y->spi_in);
	assert_int_equal(x->spi_in, y->spi_out);
	for (unsigned int z = 0; z < 2; z++) {
		assert_memory_equal(x->key_out[z], y->key_in[z], 36);
		assert_memory_equal(x->key_in[z], y->key_out[z], 36);
	}
}

static bool rekeyed_both(void *arg)
{
	struct node **n = arg;

	return n[0]->n_csa_rekeyed >= 1 && n[1]->n_csa_rekeyed >= 1;
}

/* Issue 17, paper Fig. 7: MLIKE_CREATE_CHILD_SA from either end replaces
 * the pair with fresh keys and SPIs; both ends at once keep one pair
 * (RFC 7296 2.8.1); a rekey of a pair the peer does not hold is refused. */
static void csa_rekey(void **state)
{
	struct node a, b, *n[] = { &a, &b };
	struct ike_sa *sa_a, *sa_b;
	struct mlike_csa before;

	sa_a = up_pair(&a, &b);
	sa_b = b.up[0];
	assert_int_equal(mlike_csa_rekey(sa_a), -ENOENT); /* no pair yet */
	assert_int_equal(mlike_auth_sa_start(sa_a), 0);
	pump(n, 2, 200, NULL, NULL);
	assert_true(a.have_csa && b.have_csa);

	for (int round = 0; round < 3; round++) {
		before = a.csa;
		a.n_csa_rekeyed = b.n_csa_rekeyed = 0;
		if (round != 1)
			assert_int_equal(mlike_csa_rekey(sa_a), 0);
		if (round != 0)
			assert_int_equal(mlike_csa_rekey(sa_b), 0);
		assert_true(pump(n, 2, 1000, rekeyed_both, n));
		pump(n, 2, 50, NULL, NULL);
		/* One pair each, the same one, replacing the one before. */
		assert_int_equal(a.n_csa_rekeyed, 1);
		assert_int_equal(b.n_csa_rekeyed, 1);
		assert_csa_mirror(&a.csa, &b.csa);
		assert_int_equal(a.csa_old.spi_out, before.spi_out);
		assert_int_equal(a.csa_old.spi_in, before.spi_in);
		assert_int_not_equal(a.csa.spi_out, before.spi_out);
		assert_int_not_equal(a.csa.spi_in, before.spi_in);
		for (unsigned int z = 0; z < 2; z++)
			assert_memory_not_equal(a.csa.key_out[z], before.key_out[z], 36);
		assert_memory_equal(&sa_a->csa, &a.csa, sizeof(a.csa));
		assert_memory_equal(&sa_b->csa, &b.csa, sizeof(b.csa));
	}
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_CSA_REKEY_COLLISIONS), 1);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_CSA_REKEY_COLLISIONS), 1);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_CSA_REKEYS), 3);

	/* A rekey naming a pair the peer does not hold (a stale or forged
	 * SPI) is refused with CHILD_SA_NOT_FOUND and changes nothing. */
	before = b.csa;
	assert_int_equal(mlike_csa_offer_send(sa_a, MLIKE_CREATE_CHILD_SA, IKE_REQ_MLIKE_REKEY,
					      a.csa.spi_in ^ 1),
			 0);
	pump(n, 2, 200, NULL, NULL);
	assert_int_equal(a.n_csa_rekey_failed, 1);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_CSA_REKEY_REFUSED), 1);
	assert_memory_equal(&b.csa, &before, sizeof(before));
	assert_memory_equal(&sa_b->csa, &before, sizeof(before));
	stop(&a);
	stop(&b);
}

/* A zone map: two zones, zone 1 ending at z1. */
#define ZONEMAP2(z1)                                                                      \
	{                                                                                 \
		.n_zones = 2, .format = MLIKE_FMT_MLESP, .end = { (z1), MLIKE_ZONE_END }, \
		.start = {                                                                \
			0,                                                                \
			(z1)                                                              \
		}                                                                         \
	}

/* KEY_DISTRIBUTE built by hand, past mlike_key_distribute()'s own checks. */
static void send_key_distribute(struct ike_sa *sa, const struct mlike_fa_keys *k,
				const struct mlike_zonemap_pl *zm)
{
	uint8_t inner[512], binding[8];
	struct ike_wbuf in;

	memcpy(binding, &k->mh_home, 4);
	memcpy(binding + 4, &k->ha_addr, 4);
	ike_wb_init(&in, inner, sizeof(inner));
	ike_put_notify(&in, 0, NULL, 0, MLIKE_N_BINDING, binding, 8);
	mlike_put_zonemap(&in, zm);
	for (unsigned int i = 0; i < k->n_secrets; i++)
		mlike_put_secret(&in, &k->secret[i]);
	assert_int_equal(ike_send_protected(sa, MLIKE_KEY_DISTRIBUTE, false, sa->next_msg_id,
					    IKE_REQ_KEY_DISTRIBUTE, &in),
			 0);
}

/* MLIKE_AUTH_SA built by hand: any CSA proposal, any zone map. */
static void send_csa_request(struct ike_sa *sa, const struct ike_sa_pl *offer,
			     const struct mlike_zonemap_pl *zm)
{
	uint8_t inner[1024], nonce[32] = { 9 };
	struct ike_wbuf in;
	size_t s;

	ike_wb_init(&in, inner, sizeof(inner));
	s = ike_wb_pl_begin(&in, MLIKE_PL_CSA_PROPOSAL, true);
	ike_put_proposals(&in, offer);
	ike_wb_pl_end(&in, s);
	mlike_put_zonemap(&in, zm);
	ike_put_nonce(&in, nonce, sizeof(nonce));
	assert_int_equal(ike_send_protected(sa, MLIKE_AUTH_SA, false, sa->next_msg_id,
					    IKE_REQ_MLIKE_AUTH_SA, &in),
			 0);
}

/* A CSA proposal with one ENCR per zone (n_zones proposals, zone 1 with an
 * SPI). */
static void csa_offer(unsigned int n_zones, uint16_t z1, uint16_t z2, struct ike_sa_pl *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->n_props = (uint8_t)n_zones;
	for (unsigned int z = 0; z < n_zones; z++) {
		struct ike_proposal *p = &sa->p[z];

		p->num = (uint8_t)(z + 1);
		p->proto = MLIKE_PROTO_ZONE;
		p->spi_len = z ? 0 : 4;
		p->t[p->n_trans++] = ike_xform(IKE_TRANS_ENCR, z ? z2 : z1);
	}
	put_be32(sa->p[0].spi, 0x12345678);
}

/* MLIKE_AUTH_SA refusals: a zone map this build cannot run gets
 * MLIKE_ZONEMAP_UNACCEPTABLE, a CSA proposal without an acceptable AEAD in
 * some zone NO_PROPOSAL_CHOSEN; each counted, no CSA on either side, and a
 * real exchange afterwards succeeds. */
static void csa_rejections(void **state)
{
	static const struct {
		const char *what;
		unsigned int n_zones;
		uint16_t z1, z2;
		struct mlike_zonemap_pl zm;
		uint16_t notify;
	} cases[] = {
		{ "zone 1 not a multiple of 4", 2, IKE_ENCR_CHACHA20_POLY1305, IKE_ENCR_AES_GCM_16,
		  ZONEMAP2(42), MLIKE_N_ZONEMAP_UNACCEPTABLE },
		{ "zone 1 too long", 2, IKE_ENCR_CHACHA20_POLY1305, IKE_ENCR_AES_GCM_16,
		  ZONEMAP2(132), MLIKE_N_ZONEMAP_UNACCEPTABLE },
		{ "zone 1 too short", 2, IKE_ENCR_CHACHA20_POLY1305, IKE_ENCR_AES_GCM_16,
		  ZONEMAP2(16), MLIKE_N_ZONEMAP_UNACCEPTABLE },
		{ "three zones",
		  2,
		  IKE_ENCR_CHACHA20_POLY1305,
		  IKE_ENCR_AES_GCM_16,
		  { .n_zones = 3,
		    .format = MLIKE_FMT_MLESP,
		    .start = { 0, 40, 80 },
		    .end = { 40, 80, MLIKE_ZONE_END } },
		  MLIKE_N_ZONEMAP_UNACCEPTABLE },
		{ "unknown format",
		  2,
		  IKE_ENCR_CHACHA20_POLY1305,
		  IKE_ENCR_AES_GCM_16,
		  { .n_zones = 2, .format = 2, .start = { 0, 40 }, .end = { 40, MLIKE_ZONE_END } },
		  MLIKE_N_ZONEMAP_UNACCEPTABLE },
		{ "zone 1 AES-GCM (the FA verifies ChaCha20 only)", 2, IKE_ENCR_AES_GCM_16,
		  IKE_ENCR_AES_GCM_16, ZONEMAP2(40), IKE_N_NO_PROPOSAL_CHOSEN },
		{ "zone 2 AES-CBC", 2, IKE_ENCR_CHACHA20_POLY1305, 12, ZONEMAP2(40),
		  IKE_N_NO_PROPOSAL_CHOSEN },
		{ "one zone proposed for two", 1, IKE_ENCR_CHACHA20_POLY1305, 0, ZONEMAP2(40),
		  IKE_N_NO_PROPOSAL_CHOSEN },
	};
	struct node a, b;
	struct node *n[] = { &a, &b };
	struct ike_sa_pl offer;
	struct ike_sa *sa;

	sa = up_pair(&a, &b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("MLIKE_AUTH_SA: %s\n", cases[i].what);
		csa_offer(cases[i].n_zones, cases[i].z1, cases[i].z2, &offer);
		send_csa_request(sa, &offer, &cases[i].zm);
		assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), cases[i].notify);
		assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL), i + 1);
		assert_int_equal(sa->req_kind, IKE_REQ_NONE);
		assert_false(a.have_csa || b.have_csa);
	}
	/* The same request with a usable map and proposal is accepted. */
	csa_offer(2, IKE_ENCR_CHACHA20_POLY1305, IKE_ENCR_AES_GCM_16, &offer);
	send_csa_request(sa, &offer, &(struct mlike_zonemap_pl)ZONEMAP2(40));
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), 0);
	assert_true(b.have_csa);
	assert_int_equal(b.csa.spi_out, 0x12345678);
	/* Still serving: a real MLIKE_AUTH_SA succeeds on both sides. */
	b.have_csa = false;
	assert_int_equal(mlike_auth_sa_start(sa), 0);
	pump(n, 2, 100, NULL, NULL);
	assert_true(a.have_csa && b.have_csa);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL),
			 sizeof(cases) / sizeof(cases[0]));
	stop(&a);
	stop(&b);
}

/* KEY_DISTRIBUTE refusals at the FA: a zone map it cannot run
 * (MLIKE_ZONEMAP_UNACCEPTABLE, the installer never called) and an installer
 * that fails (MLIKE_KEYS_REJECTED); the HA learns -EPERM, and a good
 * distribution afterwards is acknowledged with the installed SPIs. */
static void key_distribute_rejections(void **state)
{
	struct node a, b;
	struct mlike_fa_keys k;
	struct mlike_csa csa = { .spi_out = 0x1111, .spi_in = 0x2222, .z1_len = 40, .n_zones = 2 };
	uint8_t data[16];
	size_t dlen = 0;
	struct ike_sa *sa;

	sa = up_pair(&a, &b);
	fa_keys_of(&csa, &k);

	a.fa_keys_done = 1;
	send_key_distribute(sa, &k, &(struct mlike_zonemap_pl)ZONEMAP2(42));
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), MLIKE_N_ZONEMAP_UNACCEPTABLE);
	assert_int_equal(a.fa_keys_done, -EPERM);
	assert_int_equal(b.n_fa_keys, 0);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL), 1);

	b.fa_keys_err = -EIO; /* the FA's map update fails */
	a.fa_keys_done = 1;
	assert_int_equal(mlike_key_distribute(sa, &k), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), MLIKE_N_KEYS_REJECTED);
	assert_int_equal(a.fa_keys_done, -EPERM);
	assert_int_equal(b.n_fa_keys, 1);
	assert_false(b.have_fa_keys);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL), 2);

	b.fa_keys_err = 0;
	a.fa_keys_done = 1;
	assert_int_equal(mlike_key_distribute(sa, &k), 0);
	assert_int_equal(b_answers(&a, &b, sa, data, &dlen), MLIKE_N_KEYS_INSTALLED);
	assert_int_equal(dlen, 8);
	assert_int_equal(get_be32(data), 0x1111);
	assert_int_equal(get_be32(data + 4), 0x2222);
	assert_int_equal(a.fa_keys_done, 0);
	assert_true(b.have_fa_keys);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL), 2);
	stop(&a);
	stop(&b);
}

/* NEIGHBOR_NOTIFY built by hand: payloads as given (raw bodies). */
static void send_neighbors_raw(struct ike_sa *sa, const uint8_t *body, size_t len, unsigned int n)
{
	uint8_t inner[512];
	struct ike_wbuf in;

	ike_wb_init(&in, inner, sizeof(inner));
	for (unsigned int i = 0; i < n; i++) {
		size_t start = ike_wb_pl_begin(&in, MLIKE_PL_NEIGHBORS, true);

		ike_wb_put(&in, body, len);
		ike_wb_pl_end(&in, start);
	}
	assert_int_equal(ike_send_protected(sa, MLIKE_NEIGHBOR_NOTIFY, false, sa->next_msg_id,
					    IKE_REQ_NEIGHBOR_NOTIFY, &in),
			 0);
}

/* NEIGHBOR_NOTIFY (A = the FA, B = the HA): taken and acknowledged; every
 * refusal with its notify, the HA's list unchanged and the FA told -EPERM;
 * and the PKD mark of KEY_DISTRIBUTE reaches the FA's installer. */
static void neighbor_notify(void **state)
{
	static const uint8_t two[] = { 2, 0, 0, 0, 10, 0, 0, 3, 10, 0, 0, 4 };
	static const uint8_t dup[] = { 2, 0, 0, 0, 10, 0, 0, 3, 10, 0, 0, 3 };
	static const uint8_t cut[] = { 2, 0, 0, 0, 10, 0, 0, 3 };
	static const uint8_t big[] = { MLIKE_NEIGHBORS_MAX + 1, 0, 0, 0 };
	static const uint8_t rsv[] = { 0, 1, 0, 0 };
	static const struct {
		const uint8_t *body;
		size_t len;
		unsigned int n_pl;
		int neighbors_err;
		uint16_t notify;
	} refusals[] = {
		{ two, sizeof(two), 0, 0, IKE_N_INVALID_SYNTAX },	     /* no list */
		{ two, sizeof(two), 2, 0, IKE_N_INVALID_SYNTAX },	     /* two lists */
		{ dup, sizeof(dup), 1, 0, IKE_N_INVALID_SYNTAX },	     /* listed twice */
		{ cut, sizeof(cut), 1, 0, IKE_N_INVALID_SYNTAX },	     /* truncated */
		{ big, sizeof(big), 1, 0, IKE_N_INVALID_SYNTAX },	     /* oversize */
		{ rsv, sizeof(rsv), 1, 0, IKE_N_INVALID_SYNTAX },	     /* reserved set */
		{ two, sizeof(two), 1, -EPERM, MLIKE_N_NEIGHBORS_REJECTED }, /* HA refuses */
	};
	uint32_t list[2] = { htonl(0x0a000003), htonl(0x0a000004) };
	struct mlike_csa csa = { .spi_out = 0x1111, .spi_in = 0x2222, .z1_len = 40, .n_zones = 2 };
	struct mlike_fa_keys k;
	struct ike_sa *sa;
	struct node a, b;
	uint64_t refused;

	sa = up_pair(&a, &b);
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		refused = ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL);
		b.neighbors_err = refusals[i].neighbors_err;
		a.neighbors_done = 1;
		send_neighbors_raw(sa, refusals[i].body, refusals[i].len, refusals[i].n_pl);
		assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), refusals[i].notify);
		assert_int_equal(a.neighbors_done, -EPERM);
		assert_int_equal(b.nb.n, 0);
		assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL), refused + 1);
	}
	b.neighbors_err = 0;
	a.neighbors_done = 1;
	assert_int_equal(mlike_neighbor_notify(sa, list, MLIKE_NEIGHBORS_MAX + 1), -E2BIG);
	assert_int_equal(mlike_neighbor_notify(sa, list, 2), 0);
	assert_int_equal(mlike_neighbor_notify(sa, list, 2), -EBUSY);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), MLIKE_N_NEIGHBORS_ACCEPTED);
	assert_true(ike_engine_proc_ns(b.eng, MLIKE_NEIGHBOR_NOTIFY, false) > 0);
	assert_true(ike_engine_rtt_ns(a.eng, MLIKE_NEIGHBOR_NOTIFY) >=
		    ike_engine_proc_ns(b.eng, MLIKE_NEIGHBOR_NOTIFY, false));
	assert_int_equal(a.neighbors_done, 0);
	assert_int_equal(b.nb.n, 2);
	assert_memory_equal(b.nb.addr, list, sizeof(list));

	/* PKD's KEY_DISTRIBUTE: the FA learns to hold the keys inactive. */
	fa_keys_of(&csa, &k);
	k.inactive = true;
	assert_int_equal(mlike_key_distribute(sa, &k), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), MLIKE_N_KEYS_INSTALLED);
	assert_true(b.have_fa_keys && b.fa_keys.inactive);
	k.inactive = false;
	assert_int_equal(mlike_key_distribute(sa, &k), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), MLIKE_N_KEYS_INSTALLED);
	assert_false(b.fa_keys.inactive);
	stop(&a);
	stop(&b);
}

static bool b_auth_failed(void *arg)
{
	return ike_engine_counter(((struct node *)arg)->eng, IKE_C_AUTH_FAILED) >= 1;
}

static bool a_up(void *arg)
{
	return ((struct node *)arg)->n_up >= 1;
}

static void set_id(struct ike_identity *id, const char *name)
{
	id->len = (uint8_t)strlen(name);
	memcpy(id->data, name, id->len);
}

/* IKE_AUTH with the right PSK but the wrong identity. The responder answers
 * AUTHENTICATION_FAILED and drops its half-open SA; an initiator that gets
 * the wrong responder identity drops its SA. Both count it, and the next
 * IKE_AUTH with the right identity succeeds. */
static void wrong_identity(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };
	struct ike_sa *sa;

	/* The initiator claims to be someone B does not expect from A. */
	pair(&a, &b, "psk", "psk");
	set_id(&a.peers[0].local_id, "mallory.test");
	sa = ike_initiate(a.eng, &a.peers[0]);
	assert_non_null(sa);
	assert_true(pump(n, 2, 2000, b_auth_failed, &b));
	assert_int_equal(protected_answer(&a, sa, NULL, NULL), IKE_N_AUTHENTICATION_FAILED);
	assert_int_equal(a.n_down, 1);
	assert_int_equal(a.last_down, IKE_DOWN_FAILED);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_AUTH_FAILED), 1);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_AUTH_FAILED), 1);
	assert_int_equal(a.n_up + b.n_up, 0);
	set_id(&a.peers[0].local_id, "a.test");
	ike_initiate(a.eng, &a.peers[0]);
	assert_true(pump(n, 2, 2000, two_up, n));
	stop(&a);
	stop(&b);

	/* The responder answers as someone A does not expect. */
	pair(&a, &b, "psk", "psk");
	set_id(&b.peers[0].local_id, "mallory.test");
	ike_initiate(a.eng, &a.peers[0]);
	assert_true(pump(n, 2, 2000, one_down, &a));
	assert_int_equal(a.last_down, IKE_DOWN_FAILED);
	assert_int_equal(a.n_up, 0);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_AUTH_FAILED), 1);
	set_id(&b.peers[0].local_id, "b.test");
	ike_initiate(a.eng, &a.peers[0]);
	assert_true(pump(n, 2, 2000, a_up, &a));
	stop(&a);
	stop(&b);
}

/* An authenticated request of an exchange type we do not implement is
 * dropped without an answer (RFC 7296 has no notify for it) and counted;
 * its message ID stays unused, so the next request with it is served. */
static void unknown_exchange(void **state)
{
	static const uint8_t types[] = { 43 /* IKE_INTERMEDIATE, RFC 9242 */, 250 };
	struct node a, b;
	uint8_t inner[16];
	struct ike_wbuf in;
	struct ike_sa *sa;

	sa = up_pair(&a, &b);
	for (size_t i = 0; i < sizeof(types); i++) {
		ike_wb_init(&in, inner, sizeof(inner));
		assert_int_equal(ike_send_protected(sa, types[i], false, sa->next_msg_id,
						    IKE_REQ_LIVENESS, &in),
				 0);
		assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), -1);
		assert_int_equal(ike_engine_counter(b.eng, IKE_C_UNEXPECTED), i + 1);
		/* Take the request back, as a peer giving up on it would. */
		sa->req_kind = IKE_REQ_NONE;
		sa->next_msg_id--;
	}
	assert_int_equal(ike_sa_liveness(sa), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), 0);
	assert_int_equal(sa->req_kind, IKE_REQ_NONE);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_BAD_MSGID), 0);
	assert_int_equal(b.n_down, 0);
	stop(&a);
	stop(&b);
}

/* KEY_DISTRIBUTE never carries a zone-2 key: refused locally, and an FA
 * refuses one it receives anyway (wiping it, never calling the installer). */
static void no_zone2_key_to_fa(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };
	struct mlike_fa_keys k;
	struct mlike_csa csa = { .spi_out = 0x1111, .spi_in = 0x2222, .z1_len = 40, .n_zones = 2 };
	struct ike_sa *sa;

	sa = up_pair(&a, &b);
	fa_keys_of(&csa, &k);
	k.secret[1].transform = IKE_ENCR_AES_GCM_16; /* zone 2 with a key */
	assert_int_equal(mlike_key_distribute(sa, &k), -EPERM);

	/* Bypass the local check: build the message by hand. */
	a.fa_keys_done = 1;
	send_key_distribute(sa, &k, &(struct mlike_zonemap_pl)ZONEMAP2(40));
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), MLIKE_N_KEYS_REJECTED);
	assert_int_equal(a.fa_keys_done, -EPERM);
	assert_int_equal(b.n_fa_keys, 0);
	assert_false(b.have_fa_keys);
	/* A proper one goes through. */
	mlike_fa_keys_from_csa(&csa, true, addr(MH_ADDR), addr(HA_ADDR), &k);
	a.fa_keys_done = 1;
	assert_int_equal(mlike_key_distribute(sa, &k), 0);
	assert_true(pump(n, 2, 500, fa_done, &a));
	assert_int_equal(a.fa_keys_done, 0);
	assert_true(b.have_fa_keys);
	stop(&a);
	stop(&b);
}

struct create_opts {
	uint8_t proto; /* IKE_PROTO_ESP: a CHILD_SA; IKE_PROTO_IKE: an IKE SA rekey */
	uint16_t encr, dh, ke_group;
	bool no_nonce;
	uint32_t tsi; /* the initiator's selector address (host order) */
};

#define TS_A 0x0a000001 /* A's and B's CHILD_SA selectors */
#define TS_B 0x0a000002
#define REKEY_SPI 0x77

/* CREATE_CHILD_SA built by hand. The request kind is LIVENESS so that A
 * takes whatever comes back as the end of the exchange without acting on
 * it: the test reads the answer itself (protected_answer). */
static void send_create(struct ike_sa *sa, const struct create_opts *o)
{
	struct ike_sa_pl offer = { .n_props = 1 };
	struct ike_proposal *p = &offer.p[0];
	struct ike_ts_pl tsi = { .n = 1 }, tsr = { .n = 1 };
	uint8_t inner[1024], nonce[32] = { 5 };
	struct ike_wbuf in;

	p->num = 1;
	p->proto = o->proto;
	p->t[p->n_trans++] = ike_xform(IKE_TRANS_ENCR, o->encr);
	if (o->proto == IKE_PROTO_IKE) {
		p->spi_len = IKE_SPI_LEN;
		memset(p->spi, REKEY_SPI, IKE_SPI_LEN);
		p->t[p->n_trans++] = ike_xform(IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256);
	} else {
		p->spi_len = 4;
		put_be32(p->spi, 0x4444);
		p->t[p->n_trans++] = ike_xform(IKE_TRANS_ESN, IKE_ESN_NONE);
	}
	if (o->dh)
		p->t[p->n_trans++] = ike_xform(IKE_TRANS_DH, o->dh);
	ike_wb_init(&in, inner, sizeof(inner));
	ike_put_sa(&in, &offer);
	if (!o->no_nonce)
		ike_put_nonce(&in, nonce, sizeof(nonce));
	if (o->ke_group) {
		struct ike_dh dh = { 0 };

		assert_int_equal(ike_dh_generate(&dh), 0);
		ike_put_ke(&in, o->ke_group, dh.pub, sizeof(dh.pub));
		ike_dh_free(&dh);
	}
	if (o->proto == IKE_PROTO_ESP) {
		tsi.ts[0] = (struct ike_ts){ 0, 0, 0xffff, o->tsi, o->tsi };
		tsr.ts[0] = (struct ike_ts){ 0, 0, 0xffff, TS_B, TS_B };
		ike_put_ts(&in, IKE_PL_TSI, &tsi);
		ike_put_ts(&in, IKE_PL_TSR, &tsr);
	}
	assert_int_equal(ike_send_protected(sa, IKE_CREATE_CHILD_SA, false, sa->next_msg_id,
					    IKE_REQ_LIVENESS, &in),
			 0);
}

/* CREATE_CHILD_SA at the responder (docs/protocol.md §5): every refusal
 * with its notify and counted, then a CHILD_SA and an IKE SA rekey that
 * moves it; the old IKE SA ends on the peer's Delete without an ike_down. */
static void create_child_sa(void **state)
{
	static const uint16_t gcm = IKE_ENCR_AES_GCM_16;
	static const struct {
		const char *what;
		struct create_opts o;
		uint16_t notify;
	} cases[] = {
		{ "ESP with AES-CBC only",
		  { IKE_PROTO_ESP, 12, 0, 0, false, TS_A },
		  IKE_N_NO_PROPOSAL_CHOSEN },
		{ "ESP with a KE of group 19",
		  { IKE_PROTO_ESP, gcm, 31, 19, false, TS_A },
		  IKE_N_INVALID_KE_PAYLOAD },
		{ "ESP without a nonce",
		  { IKE_PROTO_ESP, gcm, 0, 0, true, TS_A },
		  IKE_N_INVALID_SYNTAX },
		{ "ESP for selectors B does not allow",
		  { IKE_PROTO_ESP, gcm, 0, 0, false, 0x0a090909 },
		  IKE_N_TS_UNACCEPTABLE },
		{ "IKE rekey without a KE",
		  { IKE_PROTO_IKE, gcm, 31, 0, false, 0 },
		  IKE_N_INVALID_SYNTAX },
		{ "IKE rekey with group 19 only",
		  { IKE_PROTO_IKE, gcm, 19, 19, false, 0 },
		  IKE_N_NO_PROPOSAL_CHOSEN },
		{ "IKE rekey with a KE of group 19",
		  { IKE_PROTO_IKE, gcm, 31, 19, false, 0 },
		  IKE_N_INVALID_KE_PAYLOAD },
	};
	struct node a, b;
	struct node *n[] = { &a, &b };
	uint8_t data[8];
	size_t dlen;
	struct ike_sa *sa;

	pair(&a, &b, "psk", "psk");
	b.peers[0].ts_local.n = b.peers[0].ts_remote.n = 1;
	b.peers[0].ts_local.ts[0] = (struct ike_ts){ 0, 0, 0xffff, TS_B, TS_B };
	b.peers[0].ts_remote.ts[0] = (struct ike_ts){ 0, 0, 0xffff, TS_A, TS_A };
	ike_initiate(a.eng, &a.peers[0]);
	assert_true(pump(n, 2, 2000, two_up, n));
	sa = a.up[0];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("CREATE_CHILD_SA: %s\n", cases[i].what);
		send_create(sa, &cases[i].o);
		dlen = 0;
		assert_int_equal(b_answers(&a, &b, sa, data, &dlen), cases[i].notify);
		if (cases[i].notify == IKE_N_INVALID_KE_PAYLOAD) {
			assert_int_equal(dlen, 2);
			assert_int_equal(get_be16(data), IKE_DH_CURVE25519);
		}
		assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL), i + 1);
		assert_int_equal(b.n_child + b.n_rekeyed, 0);
	}
	/* A CHILD_SA with PFS. */
	send_create(sa, &(struct create_opts){ IKE_PROTO_ESP, gcm, 31, 31, false, TS_A });
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), 0);
	assert_int_equal(b.n_child, 1);
	assert_int_equal(b.child.spi_out, 0x4444);
	/* The IKE SA rekeyed: the new SA is B's as responder, message IDs from
	 * 0, the CHILD_SA moved over. */
	send_create(sa, &(struct create_opts){ IKE_PROTO_IKE, gcm, 31, 31, false, 0 });
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), 0);
	assert_int_equal(b.n_rekeyed, 1);
	assert_true(ike_sa_established(b.rekeyed_new));
	assert_false(ike_sa_is_initiator(b.rekeyed_new));
	for (unsigned int i = 0; i < IKE_SPI_LEN; i++)
		assert_int_equal(b.rekeyed_new->spi_i[i], REKEY_SPI);
	assert_int_equal(b.rekeyed_new->peer_msg_id, 0);
	assert_int_equal(b.rekeyed_new->next_msg_id, 0);
	assert_true(b.rekeyed_new->child[0].used);
	assert_int_equal(b.rekeyed_new->child[0].spi_out, 0x4444);
	assert_false(b.rekeyed_old->child[0].used);
	/* The peer deletes the old SA: answered, no ike_down at B. */
	assert_int_equal(ike_sa_delete(sa), 0);
	assert_true(pump(n, 2, 1000, one_down, &a));
	pump(n, 2, 50, NULL, NULL);
	assert_int_equal(b.n_down, 0);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_SA_DOWN), 0);
	assert_true(ike_sa_established(b.rekeyed_new));
	stop(&a);
	stop(&b);
}

/* --- CREATE_CHILD_SA as initiator --- */

static void child_cfg(struct node *a, struct node *b)
{
	pair(a, b, "psk", "psk");
	for (unsigned int k = 0; k < 2; k++) {
		struct ike_peer_cfg *p = k ? &b->peers[0] : &a->peers[0];
		uint32_t me = k ? TS_B : TS_A, them = k ? TS_A : TS_B;

		p->child = true;
		p->ts_local.n = p->ts_remote.n = 1;
		p->ts_local.ts[0] = (struct ike_ts){ 0, 0, 0xffff, me, me };
		p->ts_remote.ts[0] = (struct ike_ts){ 0, 0, 0xffff, them, them };
	}
}

static bool children_up(void *arg)
{
	struct node **n = arg;

	return n[0]->n_child >= 1 && n[1]->n_child >= 1;
}

/* A and B with an IKE SA and a CHILD_SA from IKE_AUTH, up on both sides. */
static void child_up_pair(struct node *a, struct node *b, struct ike_sa **sa_a,
			  struct ike_sa **sa_b)
{
	struct node *n[] = { a, b };

	ike_initiate(a->eng, &a->peers[0]);
	assert_true(pump(n, 2, 2000, children_up, n));
	*sa_a = a->up[0];
	*sa_b = b->up[0];
}

static struct ike_child *child_in(struct ike_sa *sa, uint32_t spi)
{
	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++)
		if (sa->child[i].used && sa->child[i].spi_in == spi)
			return &sa->child[i];
	return NULL;
}

static unsigned int n_children(const struct ike_sa *sa)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++)
		k += sa->child[i].used;
	return k;
}

/* A's CHILD_SA spi_in and its mirror image at B: SPIs and keys crosswise. */
static void assert_child_pair(struct ike_sa *sa_a, struct ike_sa *sa_b, uint32_t spi_in)
{
	struct ike_child *ca = child_in(sa_a, spi_in), *cb;

	assert_non_null(ca);
	cb = child_in(sa_b, ca->spi_out);
	assert_non_null(cb);
	assert_int_equal(cb->spi_out, ca->spi_in);
	assert_int_equal(ca->encr, cb->encr);
	assert_memory_equal(ca->key_out, cb->key_in, sizeof(ca->key_out));
	assert_memory_equal(ca->key_in, cb->key_out, sizeof(ca->key_in));
	assert_memory_not_equal(ca->key_out, ca->key_in, sizeof(ca->key_in));
}

static unsigned int live_sas(const struct node *n)
{
	unsigned int k = 0;

	for (struct ike_sa *sa = n->eng->sas; sa; sa = sa->next)
		k += sa->state != IKE_S_DEAD;
	return k;
}

static struct ike_sa *live_sa(const struct node *n)
{
	for (struct ike_sa *sa = n->eng->sas; sa; sa = sa->next)
		if (sa->state == IKE_S_ESTABLISHED)
			return sa;
	return NULL;
}

/* Issue 17: both ends rekey the same CHILD_SA in one round trip (RFC 7296
 * 2.8.1). Each answers the other's; the CHILD_SA made with the lowest of
 * the four nonces is deleted by its initiator, the old one by the other:
 * one CHILD_SA is left, the same at both ends. Before, both new ones
 * stayed. Repeated, so that either end's exchange loses now and then. */
static void child_rekey_collision(void **state)
{
	for (int round = 0; round < 4; round++) {
		struct node a, b, *n[] = { &a, &b };
		struct ike_sa *sa_a, *sa_b;
		uint32_t old_a, old_b;

		child_cfg(&a, &b);
		child_up_pair(&a, &b, &sa_a, &sa_b);
		old_a = a.child.spi_in;
		old_b = b.child.spi_in;
		assert_int_equal(ike_child_create(sa_a, old_a, false), 0);
		assert_int_equal(ike_child_create(sa_b, old_b, false), 0);
		pump(n, 2, 600, NULL, NULL);
		assert_int_equal(ike_engine_counter(a.eng, IKE_C_CHILD_REKEY_COLLISIONS), 1);
		assert_int_equal(ike_engine_counter(b.eng, IKE_C_CHILD_REKEY_COLLISIONS), 1);
		assert_int_equal(n_children(sa_a), 1);
		assert_int_equal(n_children(sa_b), 1);
		assert_null(child_in(sa_a, old_a));
		assert_null(child_in(sa_b, old_b));
		for (unsigned int i = 0; i < IKE_CHILD_MAX; i++)
			if (sa_a->child[i].used)
				assert_child_pair(sa_a, sa_b, sa_a->child[i].spi_in);
		stop(&a);
		stop(&b);
	}
}

/* A request of A's taken from B's socket before B sees it, opened with B's
 * keys: its header and inner chain (pointing into copy). */
struct stolen {
	uint8_t msg[IKE_MSG_MAX], copy[IKE_MSG_MAX];
	ssize_t len;
	struct ike_hdr h;
	struct ike_chain inner;
};

static void steal_request(struct node *b, struct ike_sa *sa_b, struct stolen *st)
{
	struct ike_chain outer;
	const struct ike_pl *sk;
	uint8_t *plain, bad;
	size_t plain_len;

	st->len = steal(b, st->msg);
	assert_true(st->len > 0);
	memcpy(st->copy, st->msg, (size_t)st->len);
	assert_int_equal(ike_hdr_parse(st->copy, (size_t)st->len, &st->h), 0);
	assert_false(st->h.flags & IKE_FLAG_RESPONSE);
	assert_int_equal(ike_chain_parse(st->h.next_payload, st->copy + IKE_HDR_LEN,
					 (size_t)st->len - IKE_HDR_LEN, &outer, &bad),
			 0);
	sk = &outer.pl[outer.n - 1];
	assert_int_equal(sk->type, IKE_PL_SK);
	assert_int_equal(ike_sk_open(&sa_b->sk, st->copy, (size_t)st->len, sk, &plain, &plain_len),
			 0);
	assert_int_equal(
		ike_chain_parse(sk->body[-IKE_GEN_HDR_LEN], plain, plain_len, &st->inner, &bad), 0);
}

/* B gets the stolen request after all (A is at HA_ADDR). */
static void deliver(struct node *b, struct stolen *st)
{
	ike_engine_process(b->eng, st->msg, (size_t)st->len, addr(HA_ADDR), port);
}

/* B refuses the stolen request with a notify of the test's choosing
 * (group: INVALID_KE_PAYLOAD's data, 0 for none), under its keys and the
 * request's message ID, as a peer that refuses it would. */
static void refuse_with(struct ike_sa *sa_b, const struct stolen *st, uint16_t type, uint16_t group)
{
	uint8_t data[2];

	put_be16(data, group);
	assert_int_equal(ike_send_error_notify(sa_b, IKE_CREATE_CHILD_SA, st->h.msg_id, type, data,
					       group ? sizeof(data) : 0),
			 0);
}

static bool chain_notify(const struct ike_chain *c, uint16_t type, struct ike_notify_pl *out)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->pl[i].type == IKE_PL_NOTIFY &&
		    !ike_notify_parse(c->pl[i].body, c->pl[i].len, out) && out->type == type)
			return true;
	return false;
}

/* The request's KE group, 0 without a KE. */
static uint16_t ke_group(const struct ike_chain *c)
{
	const struct ike_pl *pl = ike_chain_find(c, IKE_PL_KE, NULL);
	struct ike_ke_pl ke;

	if (!pl)
		return 0;
	assert_int_equal(ike_ke_parse(pl->body, pl->len, &ke), 0);
	return ke.group;
}

/* The D-H transform of the request's first proposal, 0 without one. */
static uint16_t proposal_group(const struct ike_chain *c, uint8_t *proto)
{
	const struct ike_pl *pl = ike_chain_find(c, IKE_PL_SA, NULL);
	struct ike_sa_pl sa;
	uint16_t group = 0;

	assert_non_null(pl);
	assert_int_equal(ike_sa_parse(pl->body, pl->len, &sa), 0);
	*proto = sa.p[0].proto;
	for (unsigned int i = 0; i < sa.p[0].n_trans; i++)
		if (sa.p[0].t[i].type == IKE_TRANS_DH)
			group = sa.p[0].t[i].id;
	return group;
}

static bool has_datagram(void *arg)
{
	uint8_t c;

	return recv(ike_engine_fd(((struct node *)arg)->eng), &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

/* A node and a count its callbacks must reach. */
struct fail_wait {
	struct node *n;
	unsigned int count;
};

static bool failed_n(void *arg)
{
	struct fail_wait *w = arg;

	return w->n->n_failed >= w->count;
}

static bool a_child_n(void *arg)
{
	struct fail_wait *w = arg;

	return w->n->n_child >= w->count;
}

static bool child_downs_n(void *arg)
{
	struct fail_wait *w = arg;

	return w->n->n_child_down >= w->count;
}

static bool child_downs(void *arg)
{
	struct node **n = arg;

	return n[0]->n_child_down >= 1 && n[1]->n_child_down >= 1;
}

static bool children_two(void *arg)
{
	struct node **n = arg;

	return n[0]->n_child >= 2 && n[1]->n_child >= 2;
}

static bool rekeyed_once(void *arg)
{
	struct node **n = arg;

	return n[0]->n_rekeyed >= 1 && n[1]->n_rekeyed >= 1 && live_sas(n[0]) == 1 &&
	       live_sas(n[1]) == 1;
}

static bool rekeyed_twice(void *arg)
{
	struct node **n = arg;

	return n[0]->n_rekeyed >= 2 && n[1]->n_rekeyed >= 2 && live_sas(n[0]) == 1 &&
	       live_sas(n[1]) == 1;
}

static bool both_idle(void *arg)
{
	struct ike_sa **sa = arg;

	return sa[0]->req_kind == IKE_REQ_NONE && sa[1]->req_kind == IKE_REQ_NONE;
}

/* Our CREATE_CHILD_SA for CHILD_SAs (docs/protocol.md §5): a second
 * CHILD_SA without PFS, then a rekey of the first with PFS (REKEY_SA with
 * its inbound SPI, a KE and D-H 31), the old pair deleted on both sides,
 * keys equal crosswise, message IDs in sequence. */
static void create_child_initiator(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };
	struct ike_sa *sa_a, *sa_b;
	struct ike_notify_pl nt;
	struct stolen st;
	uint32_t first, second, third;
	uint8_t old_key[IKE_AEAD_KEYMAT_LEN], proto;

	child_cfg(&a, &b);
	child_up_pair(&a, &b, &sa_a, &sa_b);
	first = a.child.spi_in;
	assert_child_pair(sa_a, sa_b, first);
	assert_int_equal(sa_a->next_msg_id, 2);

	/* SA, Ni, TSi, TSr: no KE, no REKEY_SA. */
	assert_int_equal(ike_child_create(sa_a, 0, false), 0);
	assert_int_equal(ike_child_create(sa_a, 0, false), -EBUSY);
	assert_int_equal(ike_sa_rekey(sa_a), -EBUSY);
	steal_request(&b, sa_b, &st);
	assert_int_equal(st.h.exchange, IKE_CREATE_CHILD_SA);
	assert_int_equal(st.h.msg_id, 2);
	assert_int_equal(ke_group(&st.inner), 0);
	assert_int_equal(proposal_group(&st.inner, &proto), 0);
	assert_int_equal(proto, IKE_PROTO_ESP);
	assert_false(chain_notify(&st.inner, IKE_N_REKEY_SA, &nt));
	deliver(&b, &st);
	assert_true(pump(n, 2, 1000, children_two, n));
	second = a.child.spi_in;
	assert_int_not_equal(second, first);
	assert_child_pair(sa_a, sa_b, second);
	assert_child_pair(sa_a, sa_b, first);

	/* The first one rekeyed with PFS. */
	memcpy(old_key, child_in(sa_a, first)->key_out, sizeof(old_key));
	assert_int_equal(ike_child_create(sa_a, first, true), 0);
	steal_request(&b, sa_b, &st);
	assert_int_equal(st.h.msg_id, 3);
	assert_true(chain_notify(&st.inner, IKE_N_REKEY_SA, &nt));
	assert_int_equal(nt.proto, IKE_PROTO_ESP);
	assert_int_equal(nt.spi_len, 4);
	assert_int_equal(get_be32(nt.spi), first);
	assert_int_equal(ke_group(&st.inner), IKE_DH_CURVE25519);
	assert_int_equal(proposal_group(&st.inner, &proto), IKE_DH_CURVE25519);
	deliver(&b, &st);
	assert_true(pump(n, 2, 1000, child_downs, n));
	third = a.child.spi_in;
	assert_child_pair(sa_a, sa_b, third);
	assert_child_pair(sa_a, sa_b, second);
	assert_memory_not_equal(child_in(sa_a, third)->key_out, old_key, sizeof(old_key));
	assert_null(child_in(sa_a, first));
	assert_int_equal(a.child_down_spi, first);
	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++)
		assert_false(sa_b->child[i].used && sa_b->child[i].spi_out == first);
	assert_int_equal(n_children(sa_a), 2);
	assert_int_equal(n_children(sa_b), 2);
	/* Requests 2 and 3, then the Delete as 4, each answered in turn. */
	assert_int_equal(sa_a->next_msg_id, 5);
	assert_int_equal(sa_b->peer_msg_id, 5);
	assert_int_equal(sa_a->req_kind, IKE_REQ_NONE);
	assert_int_equal(a.n_failed + b.n_failed, 0);
	assert_int_equal(ike_child_create(sa_a, 0x4242, false), -ENOENT);
	assert_int_equal(ike_child_delete(sa_a, 0x4242), -ENOENT);
	stop(&a);
	stop(&b);
}

/* One end's ESP CSA pair from its CHILD_SA, checked on its own. */
static void esp_pair(const struct ike_child *c, struct mml_csa *out, struct mml_csa *in)
{
	static const uint8_t zero[sizeof(struct mml_zone_sa)];
	const struct mml_csa *m[] = { out, in };
	char why[160];

	assert_int_equal(ike_child_to_map(c, 0, 7, out, in), 0);
	for (unsigned int k = 0; k < 2; k++) {
		assert_int_equal(mml_csa_validate(m[k], why, sizeof(why)), 0);
		assert_int_equal(m[k]->format, MML_FMT_ESP);
		assert_int_equal(m[k]->dir, k ? MML_DIR_IN : MML_DIR_OUT);
		assert_int_equal(m[k]->z1_len, 0);
		assert_int_equal(m[k]->zone[0].alg, ike_encr_to_alg(c->encr));
		assert_memory_equal(&m[k]->zone[1], zero, sizeof(zero));
	}
	assert_int_equal(out->spi, c->spi_out);
	assert_int_equal(in->spi, c->spi_in);
}

/* The CHILD_SA initiator's and responder's CSAs are mirror images (one's
 * outbound is the other's inbound byte for byte, the direction aside); with
 * KEYMAT known, the initiator's outbound key | salt is its first 36 bytes
 * (RFC 7296 2.17). */
static void assert_esp_mirror(const struct ike_child *ci, const struct ike_child *cr,
			      const uint8_t *keymat)
{
	struct mml_csa i_out, i_in, r_out, r_in;

	esp_pair(ci, &i_out, &i_in);
	esp_pair(cr, &r_out, &r_in);
	r_in.dir = i_in.dir = MML_DIR_OUT;
	assert_memory_equal(&i_out, &r_in, sizeof(i_out));
	assert_memory_equal(&r_out, &i_in, sizeof(r_out));
	assert_memory_not_equal(i_out.zone[0].key, r_out.zone[0].key, MML_KEY_LEN);
	if (!keymat)
		return;
	assert_memory_equal(i_out.zone[0].key, keymat, MML_KEY_LEN);
	assert_memory_equal(i_out.zone[0].salt, keymat + MML_KEY_LEN, MML_SALT_LEN);
	assert_memory_equal(r_out.zone[0].key, keymat + IKE_AEAD_KEYMAT_LEN, MML_KEY_LEN);
	assert_memory_equal(r_out.zone[0].salt, keymat + IKE_AEAD_KEYMAT_LEN + MML_KEY_LEN,
			    MML_SALT_LEN);
}

/* ESP mode keyed by IKE (keyd/ike/ike_esp.c): the ESP CSAs of a CHILD_SA
 * from IKE_AUTH (the IKE initiator is the CHILD_SA's) and of one the IKE
 * responder rekeys by CREATE_CHILD_SA (now it is the initiator), with both
 * AEADs; a transform the data plane does not run gives no CSA. */
static void esp_csa_from_child(void **state)
{
	static const uint16_t algs[] = { IKE_ENCR_AES_GCM_16, IKE_ENCR_CHACHA20_POLY1305 };
	struct ike_child bad = { .spi_in = 0x1000, .spi_out = 0x2000, .encr = 3 };
	struct mml_csa o, i;

	assert_int_equal(ike_child_to_map(&bad, 0, 7, &o, &i), -EINVAL);
	for (size_t k = 0; k < 2; k++) {
		struct node a, b;
		struct node *n[] = { &a, &b };
		struct ike_sa *sa_a, *sa_b;
		uint8_t keymat[2 * IKE_AEAD_KEYMAT_LEN];
		struct ike_iov seed[2];
		struct ike_child first_a;

		child_cfg(&a, &b);
		a.peers[0].esp_encr = b.peers[0].esp_encr = algs[k];
		child_up_pair(&a, &b, &sa_a, &sa_b);
		assert_int_equal(a.child.encr, algs[k]);
		seed[0] = (struct ike_iov){ sa_a->ni, sa_a->ni_len };
		seed[1] = (struct ike_iov){ sa_a->nr, sa_a->nr_len };
		assert_int_equal(
			ike_prf_plus(sa_a->keys.sk_d, IKE_PRF_LEN, seed, 2, keymat, sizeof(keymat)),
			0);
		assert_esp_mirror(&a.child, &b.child, keymat);
		first_a = a.child;

		/* B, the IKE responder, rekeys it: B's outbound key comes first. */
		assert_int_equal(ike_child_create(sa_b, b.child.spi_in, false), 0);
		assert_true(pump(n, 2, 1000, child_downs, n));
		assert_int_not_equal(b.child.spi_in, first_a.spi_out);
		assert_int_equal(a.child_down_spi, first_a.spi_in);
		assert_esp_mirror(&b.child, &a.child, NULL);
		assert_memory_not_equal(a.child.key_out, first_a.key_out, IKE_AEAD_KEYMAT_LEN);
		OPENSSL_cleanse(keymat, sizeof(keymat));
		stop(&a);
		stop(&b);
	}
}

/* Our IKE SA rekey: the new SA's SPIs and keys equal on both sides, A its
 * original initiator, message IDs from 0 both ways, the CHILD_SA moved and
 * still rekeyable, the old SA gone on both sides without an ike_down; then
 * B, the original responder, rekeys the new one. */
static void rekey_ike_initiator(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };
	struct ike_sa *sa_a, *sa_b, *na, *nb, *both[2];
	uint8_t old_spi_i[IKE_SPI_LEN], old_sk_d[IKE_PRF_LEN], proto;
	struct stolen st;
	uint32_t spi;

	child_cfg(&a, &b);
	child_up_pair(&a, &b, &sa_a, &sa_b);
	spi = a.child.spi_in;
	memcpy(old_spi_i, sa_a->spi_i, sizeof(old_spi_i));
	memcpy(old_sk_d, sa_a->keys.sk_d, sizeof(old_sk_d));
	assert_int_equal(ike_sa_rekey(sa_a), 0);
	assert_int_equal(ike_sa_rekey(sa_a), -EBUSY);
	steal_request(&b, sa_b, &st);
	assert_int_equal(st.h.msg_id, 2);
	assert_int_equal(proposal_group(&st.inner, &proto), IKE_DH_CURVE25519);
	assert_int_equal(proto, IKE_PROTO_IKE);
	assert_int_equal(ke_group(&st.inner), IKE_DH_CURVE25519);
	assert_non_null(ike_chain_find(&st.inner, IKE_PL_NONCE, NULL));
	assert_null(ike_chain_find(&st.inner, IKE_PL_TSI, NULL));
	deliver(&b, &st);
	assert_true(pump(n, 2, 1000, rekeyed_once, n));
	na = a.rekeyed_new;
	nb = b.rekeyed_new;
	assert_ptr_equal(live_sa(&a), na);
	assert_ptr_equal(live_sa(&b), nb);
	assert_true(ike_sa_is_initiator(na));
	assert_false(ike_sa_is_initiator(nb));
	assert_memory_equal(na->spi_i, nb->spi_i, IKE_SPI_LEN);
	assert_memory_equal(na->spi_r, nb->spi_r, IKE_SPI_LEN);
	assert_memory_not_equal(na->spi_i, old_spi_i, IKE_SPI_LEN);
	assert_memory_equal(na->keys.sk_d, nb->keys.sk_d, IKE_PRF_LEN);
	assert_memory_equal(na->keys.sk_ei, nb->keys.sk_ei, IKE_AEAD_KEYMAT_LEN);
	assert_memory_equal(na->keys.sk_er, nb->keys.sk_er, IKE_AEAD_KEYMAT_LEN);
	assert_memory_not_equal(na->keys.sk_d, old_sk_d, IKE_PRF_LEN);
	assert_child_pair(na, nb, spi);
	assert_int_equal(na->next_msg_id, 0);
	assert_int_equal(nb->next_msg_id, 0);
	assert_int_equal(na->peer_msg_id, 0);
	assert_int_equal(nb->peer_msg_id, 0);
	assert_int_equal(a.n_down + b.n_down, 0);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_SA_DOWN), 0);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_SA_DOWN), 0);

	/* Both directions on the new SA, from message ID 0. */
	both[0] = na;
	both[1] = nb;
	assert_int_equal(ike_sa_liveness(na), 0);
	assert_int_equal(ike_sa_liveness(nb), 0);
	assert_true(pump(n, 2, 1000, both_idle, both));
	assert_int_equal(na->next_msg_id, 1);
	assert_int_equal(nb->next_msg_id, 1);
	assert_int_equal(na->peer_msg_id, 1);
	assert_int_equal(nb->peer_msg_id, 1);
	assert_int_equal(ike_child_create(na, spi, false), 0);
	assert_true(pump(n, 2, 1000, child_downs, n));
	assert_child_pair(na, nb, a.child.spi_in);
	spi = a.child.spi_in;

	/* B rekeys: it becomes the new SA's original initiator. */
	assert_int_equal(ike_sa_rekey(nb), 0);
	assert_true(pump(n, 2, 1000, rekeyed_twice, n));
	assert_false(ike_sa_is_initiator(a.rekeyed_new));
	assert_true(ike_sa_is_initiator(b.rekeyed_new));
	assert_child_pair(a.rekeyed_new, b.rekeyed_new, spi);
	assert_int_equal(a.n_down + b.n_down + a.n_failed + b.n_failed, 0);
	assert_int_equal(ike_sa_delete(a.rekeyed_new), 0);
	assert_true(pump(n, 2, 1000, downs, n));
	assert_int_equal(b.last_down, IKE_DOWN_DELETED);
	stop(&a);
	stop(&b);
}

/* B answers the stolen CHILD_SA request with a CHILD_SA A did not ask for
 * (ChaCha20-Poly1305 where A offered AES-GCM). */
static void answer_other_transform(struct ike_sa *sa_b, const struct stolen *st)
{
	struct ike_sa_pl acc = { .n_props = 1 };
	struct ike_ts_pl tsi = { .n = 1 }, tsr = { .n = 1 };
	uint8_t inner[512], nonce[32] = { 9 };
	struct ike_wbuf out;

	acc.p[0] = (struct ike_proposal){ .num = 1, .proto = IKE_PROTO_ESP, .spi_len = 4 };
	put_be32(acc.p[0].spi, 0x5555);
	acc.p[0].t[acc.p[0].n_trans++] = ike_xform(IKE_TRANS_ENCR, IKE_ENCR_CHACHA20_POLY1305);
	acc.p[0].t[acc.p[0].n_trans++] = ike_xform(IKE_TRANS_ESN, IKE_ESN_NONE);
	tsi.ts[0] = (struct ike_ts){ 0, 0, 0xffff, TS_A, TS_A };
	tsr.ts[0] = (struct ike_ts){ 0, 0, 0xffff, TS_B, TS_B };
	ike_wb_init(&out, inner, sizeof(inner));
	ike_put_sa(&out, &acc);
	ike_put_nonce(&out, nonce, sizeof(nonce));
	ike_put_ts(&out, IKE_PL_TSI, &tsi);
	ike_put_ts(&out, IKE_PL_TSR, &tsr);
	assert_int_equal(ike_send_protected(sa_b, IKE_CREATE_CHILD_SA, true, st->h.msg_id,
					    IKE_REQ_NONE, &out),
			 0);
}

/* A refused: create_failed with the notify, nothing outstanding, no new
 * CHILD_SA, the IKE SA up and nothing sent again. */
static void assert_refused(struct node *a, struct node *b, struct ike_sa *sa_a,
			   unsigned int n_failed, uint16_t notify, unsigned int n_child)
{
	struct node *na[] = { a };

	assert_true(pump(na, 1, 500, failed_n, &(struct fail_wait){ a, n_failed }));
	assert_int_equal(a->failed_notify, notify);
	assert_int_equal(a->n_child, n_child);
	assert_int_equal(sa_a->req_kind, IKE_REQ_NONE);
	assert_false(sa_a->cc.active);
	assert_true(ike_sa_established(sa_a));
	assert_false(has_datagram(b));
}

/* Every answer to our CREATE_CHILD_SA that is not a new SA: TS_UNACCEPTABLE
 * and NO_PROPOSAL_CHOSEN end it; INVALID_KE_PAYLOAD is retried once with a
 * KE when it names group 31 and we had sent none, and ends it otherwise;
 * CHILD_SA_NOT_FOUND drops the old CHILD_SA and creates a new one;
 * TEMPORARY_FAILURE is retried after a random wait, at most four times; an
 * answer outside our offer ends it. And a collision: the peer's IKE SA rekey
 * while our request is out gets TEMPORARY_FAILURE, and both complete. */
static void create_child_refusals(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b }, *na[] = { &a };
	struct ike_sa *sa_a, *sa_b;
	struct stolen st, held;
	unsigned int fails = 0, children;
	uint64_t t0;
	uint32_t spi;

	child_cfg(&a, &b);
	child_up_pair(&a, &b, &sa_a, &sa_b);
	children = a.n_child;

	/* B's own refusal: selectors it does not allow. */
	a.peers[0].ts_remote.ts[0].addr_lo = a.peers[0].ts_remote.ts[0].addr_hi = 0x0a090909;
	assert_int_equal(ike_child_create(sa_a, 0, false), 0);
	pump(&n[1], 1, 30, NULL, NULL);
	assert_refused(&a, &b, sa_a, ++fails, IKE_N_TS_UNACCEPTABLE, children);
	a.peers[0].ts_remote.ts[0].addr_lo = a.peers[0].ts_remote.ts[0].addr_hi = TS_B;

	print_message("NO_PROPOSAL_CHOSEN\n");
	assert_int_equal(ike_child_create(sa_a, 0, false), 0);
	steal_request(&b, sa_b, &st);
	refuse_with(sa_b, &st, IKE_N_NO_PROPOSAL_CHOSEN, 0);
	assert_refused(&a, &b, sa_a, ++fails, IKE_N_NO_PROPOSAL_CHOSEN, children);

	print_message("INVALID_KE_PAYLOAD(19) to a request with a KE of 31\n");
	assert_int_equal(ike_child_create(sa_a, 0, true), 0);
	steal_request(&b, sa_b, &st);
	refuse_with(sa_b, &st, IKE_N_INVALID_KE_PAYLOAD, 19);
	assert_refused(&a, &b, sa_a, ++fails, IKE_N_INVALID_KE_PAYLOAD, children);

	print_message("INVALID_KE_PAYLOAD(31) to a request without a KE: resent with one\n");
	assert_int_equal(ike_child_create(sa_a, 0, false), 0);
	steal_request(&b, sa_b, &st);
	refuse_with(sa_b, &st, IKE_N_INVALID_KE_PAYLOAD, IKE_DH_CURVE25519);
	assert_true(pump(na, 1, 500, has_datagram, &b));
	steal_request(&b, sa_b, &held);
	assert_int_equal(held.h.msg_id, st.h.msg_id + 1);
	assert_int_equal(ke_group(&held.inner), IKE_DH_CURVE25519);
	deliver(&b, &held);
	assert_true(pump(n, 2, 1000, a_child_n, &(struct fail_wait){ &a, ++children }));
	assert_child_pair(sa_a, sa_b, a.child.spi_in);
	assert_int_equal(a.n_failed, fails);

	print_message("CHILD_SA_NOT_FOUND: a new CHILD_SA instead\n");
	spi = a.child.spi_in;
	OPENSSL_cleanse(child_in(sa_b, child_in(sa_a, spi)->spi_out), sizeof(struct ike_child));
	assert_int_equal(ike_child_create(sa_a, spi, false), 0);
	assert_true(pump(n, 2, 1000, a_child_n, &(struct fail_wait){ &a, ++children }));
	assert_int_equal(a.child_down_spi, spi);
	assert_null(child_in(sa_a, spi));
	assert_child_pair(sa_a, sa_b, a.child.spi_in);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL), 2);
	assert_int_equal(a.n_failed, fails);

	print_message("an answer outside the offer\n");
	assert_int_equal(ike_child_create(sa_a, 0, false), 0);
	steal_request(&b, sa_b, &st);
	answer_other_transform(sa_b, &st);
	assert_refused(&a, &b, sa_a, ++fails, 0, children);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_MALFORMED), 1);

	print_message("INVALID_KE_PAYLOAD(31) to an IKE SA rekey\n");
	assert_int_equal(ike_sa_rekey(sa_a), 0);
	steal_request(&b, sa_b, &st);
	refuse_with(sa_b, &st, IKE_N_INVALID_KE_PAYLOAD, IKE_DH_CURVE25519);
	assert_refused(&a, &b, sa_a, ++fails, IKE_N_INVALID_KE_PAYLOAD, children);

	print_message("TEMPORARY_FAILURE to an IKE SA rekey, then answered\n");
	assert_int_equal(ike_sa_rekey(sa_a), 0);
	steal_request(&b, sa_b, &st);
	t0 = ike_now_ms();
	refuse_with(sa_b, &st, IKE_N_TEMPORARY_FAILURE, 0);
	pump(na, 1, 20, NULL, NULL);
	assert_false(has_datagram(&b));
	assert_true(sa_a->cc.active);
	assert_true(pump(na, 1, 500, has_datagram, &b));
	assert_true(ike_now_ms() - t0 >= 50); /* one base timeout at least */
	steal_request(&b, sa_b, &st);
	deliver(&b, &st);
	assert_true(pump(n, 2, 1000, rekeyed_once, n));
	sa_a = a.rekeyed_new;
	sa_b = b.rekeyed_new;
	assert_int_equal(a.n_failed, fails);

	print_message("TEMPORARY_FAILURE four times\n");
	assert_int_equal(ike_child_create(sa_a, 0, true), 0);
	for (unsigned int i = 0; i < 4; i++) {
		if (i)
			assert_true(pump(na, 1, 1000, has_datagram, &b));
		steal_request(&b, sa_b, &st);
		refuse_with(sa_b, &st, IKE_N_TEMPORARY_FAILURE, 0);
	}
	assert_refused(&a, &b, sa_a, ++fails, IKE_N_TEMPORARY_FAILURE, children);

	print_message("the peer's IKE SA rekey while our request is out\n");
	assert_int_equal(ike_child_create(sa_a, 0, false), 0);
	steal_request(&b, sa_b, &held);
	assert_int_equal(ike_sa_rekey(sa_b), 0);
	pump(na, 1, 30, NULL, NULL);
	pump(&n[1], 1, 30, NULL, NULL);
	assert_true(sa_b->cc.active && sa_b->cc.retry_at_ms);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_NO_PROPOSAL), 1);
	deliver(&b, &held);
	assert_true(pump(n, 2, 1000, rekeyed_twice, n));
	assert_int_equal(a.n_child, ++children);
	assert_child_pair(a.rekeyed_new, b.rekeyed_new, a.child.spi_in);
	assert_int_equal(n_children(a.rekeyed_new), 3);
	assert_int_equal(a.n_failed, fails);
	assert_int_equal(a.n_down + b.n_down + b.n_failed, 0);
	stop(&a);
	stop(&b);
}

/* Soft lifetimes (A only, so no collisions): the CHILD_SA is rekeyed every
 * 60 ms and the IKE SA every 150 ms, each replacement in step on both
 * sides; once the lifetimes are off, one IKE SA and one CHILD_SA remain,
 * equal on both sides, and the engine has no timer left. */
static void soft_lifetimes(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };
	struct ike_sa *sa_a, *sa_b;
	int wait;

	child_cfg(&a, &b);
	a.peers[0].child_rekey_ms = 60;
	a.peers[0].ike_rekey_ms = 150;
	child_up_pair(&a, &b, &sa_a, &sa_b);
	wait = ike_engine_timeout_ms(a.eng);
	assert_true(wait >= 0 && wait <= 60);
	assert_int_equal(ike_engine_timeout_ms(b.eng), -1);
	assert_true(pump(n, 2, 3000, rekeyed_twice, n));
	assert_true(pump(n, 2, 3000, child_downs_n, &(struct fail_wait){ &a, 3 }));
	a.peers[0].child_rekey_ms = a.peers[0].ike_rekey_ms = 0;
	pump(n, 2, 400, NULL, NULL);
	assert_int_equal(live_sas(&a), 1);
	assert_int_equal(live_sas(&b), 1);
	sa_a = live_sa(&a);
	sa_b = live_sa(&b);
	assert_int_equal(n_children(sa_a), 1);
	assert_int_equal(n_children(sa_b), 1);
	assert_child_pair(sa_a, sa_b, a.child.spi_in);
	assert_memory_equal(sa_a->keys.sk_d, sa_b->keys.sk_d, IKE_PRF_LEN);
	assert_int_equal(ike_engine_timeout_ms(a.eng), -1);
	assert_int_equal(a.n_down + b.n_down + a.n_failed + b.n_failed, 0);
	stop(&a);
	stop(&b);
}

/* The DKM pair: A the new FA, B the previous FA (A a neighbour of B's)
 * holding the zone-1 CSAs of the MH in its cache, grace 10 s. */
static struct ike_sa *dkm_pair(struct node *a, struct node *b, struct dkm_cache *dc,
			       struct mlike_fa_keys *k)
{
	struct mlike_csa csa = { .spi_out = 0x1111, .spi_in = 0x2222, .z1_len = 40, .n_zones = 2 };
	struct ike_sa *sa = up_pair(a, b);

	memset(dc, 0, sizeof(*dc));
	dc->grace_ns = 10000000000ULL;
	b->dkm = dc;
	b->peers[0].neighbor = true;
	fa_keys_of(&csa, k);
	dkm_cache_put(dc, k);
	return sa;
}

/* A's request; returns the first notify of B's answer (read with A's keys),
 * A having processed it. */
static int dkm_ask(struct node *a, struct node *b, struct ike_sa *sa, uint32_t home, uint32_t spi)
{
	struct dkm_mh_pl req = { .mh_home = home, .ha_addr = addr(HA_ADDR) };

	if (spi) {
		req.n_spis = 1;
		req.spi[0] = spi;
	}
	a->n_dkm = 0;
	assert_int_equal(dkm_csa_request(sa, &req), 0);
	return b_answers(a, b, sa, NULL, NULL);
}

/* DKM_CSA_REQUEST: the previous FA hands over zone 1 of both CSAs exactly
 * as the HA distributed them, zone 2 null; the same request again is a
 * replay (DKM_REPLAYED, counted), for any FA. */
static void dkm_handover(void **state)
{
	static struct dkm_cache dc;
	struct mlike_fa_keys k;
	struct node a, b;
	struct ike_sa *sa = dkm_pair(&a, &b, &dc, &k);

	assert_true(ike_engine_rtt_ns(a.eng, DKM_CSA_REQUEST) == 0);
	assert_true(ike_engine_proc_ns(b.eng, DKM_CSA_REQUEST, false) == 0);
	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0x2222), MLIKE_N_BINDING);
	/* Table 2's DKM row: B's processing lies inside A's round trip. */
	assert_true(ike_engine_proc_ns(b.eng, DKM_CSA_REQUEST, false) > 0);
	assert_true(ike_engine_rtt_ns(a.eng, DKM_CSA_REQUEST) >=
		    ike_engine_proc_ns(b.eng, DKM_CSA_REQUEST, false));
	assert_int_equal(a.n_dkm, 1);
	assert_true(a.have_dkm_keys);
	assert_int_equal(a.dkm_home, addr(MH_ADDR));
	assert_int_equal(a.dkm_keys.mh_home, addr(MH_ADDR));
	assert_int_equal(a.dkm_keys.ha_addr, addr(HA_ADDR));
	assert_int_equal(a.dkm_keys.n_secrets, 4);
	for (unsigned int i = 0; i < 4; i++) {
		const struct mlike_secret_pl *s = &a.dkm_keys.secret[i];
		static const uint8_t zero[IKE_AEAD_KEY_LEN];

		assert_memory_equal(s, &k.secret[i], sizeof(*s));
		if (s->zone != 1)
			assert_true(s->transform == 0 && !memcmp(s->key, zero, sizeof(zero)));
	}
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), 0);

	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0), DKM_N_REPLAYED);
	assert_int_equal(a.n_dkm, 1);
	assert_false(a.have_dkm_keys);
	assert_int_equal(a.dkm_notify, DKM_N_REPLAYED);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), 1);
	/* Installed again (the MH came back): handed over once more. */
	dkm_cache_put(&dc, &k);
	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0), MLIKE_N_BINDING);
	assert_true(a.have_dkm_keys);
	stop(&a);
	stop(&b);
}

/* A DKM request built by hand: n DKM payloads with the given body. */
static void send_dkm_raw(struct ike_sa *sa, const uint8_t *body, size_t len, unsigned int n)
{
	uint8_t inner[256];
	struct ike_wbuf in;

	ike_wb_init(&in, inner, sizeof(inner));
	for (unsigned int i = 0; i < n; i++) {
		size_t s = ike_wb_pl_begin(&in, DKM_PL_MH, true);

		ike_wb_put(&in, body, len);
		ike_wb_pl_end(&in, s);
	}
	if (!n)
		ike_put_nonce(&in, body, 16);
	sa->dkm_home = addr(MH_ADDR);
	assert_int_equal(
		ike_send_protected(sa, DKM_CSA_REQUEST, false, sa->next_msg_id, IKE_REQ_DKM, &in),
		0);
}

/* Every refusal of a CSA request, each with its notify, counted, and the
 * cache entry untouched by all but the grace period: a peer that is not a
 * neighbour, an MH never served, SPIs it does not hold, the grace period
 * over; malformed requests; a lookup that would leak a zone-2 key. */
static void dkm_refusals(void **state)
{
	static struct dkm_cache dc;
	struct mlike_fa_keys k;
	struct node a, b;
	struct ike_sa *sa = dkm_pair(&a, &b, &dc, &k);
	uint8_t body[DKM_MH_FIXED + 4] = { 0 };
	uint64_t c = 0;

	b.peers[0].neighbor = false;
	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0), DKM_N_NOT_NEIGHBOR);
	assert_int_equal(a.dkm_notify, DKM_N_NOT_NEIGHBOR);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);
	b.peers[0].neighbor = true;
	assert_int_equal(dkm_ask(&a, &b, sa, addr(FA_ADDR), 0), DKM_N_NOT_VISITOR);
	assert_int_equal(a.dkm_home, addr(FA_ADDR));
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);
	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0x9999), DKM_N_NOT_VISITOR);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);

	b.dkm_leak = true; /* structural: zone 2 never leaves, whatever the lookup */
	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0), DKM_N_NOT_VISITOR);
	assert_false(a.have_dkm_keys);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);
	b.dkm_leak = false;

	/* Removed at t = 1000 ns: served within the grace period, not after. */
	dkm_cache_put(&dc, &k);
	dkm_cache_depart(&dc, 0x1111, 1000);
	b.dkm_now = 1000 + dc.grace_ns + 1;
	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0), DKM_N_NOT_VISITOR);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);
	assert_false(dc.e[0].used);
	dkm_cache_put(&dc, &k);
	dkm_cache_depart(&dc, 0x2222, 1000);
	b.dkm_now = 1000 + dc.grace_ns;
	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0x1111), MLIKE_N_BINDING);
	assert_true(a.have_dkm_keys);

	/* Malformed: no DKM payload, two, truncated, three SPIs. */
	memcpy(body, &(uint32_t){ addr(MH_ADDR) }, 4);
	a.n_dkm = 0;
	send_dkm_raw(sa, body, DKM_MH_FIXED, 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), IKE_N_INVALID_SYNTAX);
	send_dkm_raw(sa, body, DKM_MH_FIXED, 2);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), IKE_N_INVALID_SYNTAX);
	send_dkm_raw(sa, body, DKM_MH_FIXED - 1, 1);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), IKE_N_INVALID_SYNTAX);
	body[8] = 3;
	send_dkm_raw(sa, body, sizeof(body), 1);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), IKE_N_INVALID_SYNTAX);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), c + 4);
	assert_int_equal(a.n_dkm, 4); /* each refused: reported without keys */
	assert_false(a.have_dkm_keys);
	stop(&a);
	stop(&b);
}

/* The install report to the HA: acknowledged empty, or refused with the
 * HA's notify (DKM_UNKNOWN_CSA) and counted. */
static void dkm_report(void **state)
{
	struct dkm_mh_pl rep = { .mh_home = addr(MH_ADDR),
				 .ha_addr = addr(HA_ADDR),
				 .n_spis = 2,
				 .spi = { 0x1111, 0x2222 } };
	struct node a, b;
	struct ike_sa *sa = up_pair(&a, &b);

	assert_int_equal(dkm_report_installed(sa, &rep), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), 0);
	assert_int_equal(a.n_reported, 1);
	assert_int_equal(a.reported_home, rep.mh_home);
	assert_int_equal(a.reported_notify, 0);
	assert_int_equal(b.dkm_report.mh_home, rep.mh_home);
	assert_int_equal(b.dkm_report.ha_addr, rep.ha_addr);
	assert_int_equal(b.dkm_report.n_spis, 2);
	assert_memory_equal(b.dkm_report.spi, rep.spi, sizeof(rep.spi));
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), 0);
	b.dkm_report_ret = DKM_N_UNKNOWN_CSA;
	assert_int_equal(dkm_report_installed(sa, &rep), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), DKM_N_UNKNOWN_CSA);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), 1);
	/* The new FA hears the refusal (it removes the CSAs, ike_dkm.c). */
	assert_int_equal(a.n_reported, 2);
	assert_int_equal(a.reported_home, rep.mh_home);
	assert_int_equal(a.reported_notify, DKM_N_UNKNOWN_CSA);
	assert_int_equal(a.n_dkm, 0); /* a report is no CSA request */
	assert_int_equal(dkm_report_installed(sa, &rep), 0);
	assert_int_equal(dkm_report_installed(sa, &rep), -EBUSY);
	stop(&a);
	stop(&b);
}

/* The "no CSA by DKM" report (DKM_CSA_MISSING, docs/protocol.md §8.1):
 * reaches the HA's dkm_missing, not dkm_installed, acknowledged empty or
 * refused with its notify and counted; a request carrying both report
 * notifies is INVALID_SYNTAX; a daemon without DKM refuses it
 * (DKM_UNKNOWN_CSA). */
static void dkm_missing_report(void **state)
{
	const struct dkm_mh_pl miss = { .mh_home = addr(MH_ADDR), .ha_addr = addr(HA_ADDR) };
	struct node a, b;
	struct ike_sa *sa = up_pair(&a, &b);
	uint8_t inner[256];
	struct ike_wbuf in;

	assert_int_equal(dkm_report_missing(sa, &miss), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), 0);
	assert_int_equal(b.n_missing, 1);
	assert_int_equal(b.dkm_missing.mh_home, miss.mh_home);
	assert_int_equal(b.dkm_missing.ha_addr, miss.ha_addr);
	assert_int_equal(b.dkm_missing.n_spis, 0);
	assert_int_equal(b.dkm_report.mh_home, 0); /* not an install report */
	assert_int_equal(a.n_reported, 1);
	assert_int_equal(a.reported_home, miss.mh_home);
	assert_int_equal(a.reported_notify, 0);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), 0);

	b.dkm_missing_ret = DKM_N_UNKNOWN_CSA;
	assert_int_equal(dkm_report_missing(sa, &miss), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), DKM_N_UNKNOWN_CSA);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), 1);
	assert_int_equal(a.reported_notify, DKM_N_UNKNOWN_CSA);

	/* Installed and missing at once: nonsense. */
	ike_wb_init(&in, inner, sizeof(inner));
	ike_put_notify(&in, 0, NULL, 0, DKM_N_CSA_MISSING, NULL, 0);
	ike_put_notify(&in, 0, NULL, 0, DKM_N_CSA_INSTALLED, NULL, 0);
	dkm_put_mh(&in, &miss);
	assert_int_equal(ike_send_protected(sa, DKM_CSA_REQUEST, false, sa->next_msg_id,
					    IKE_REQ_DKM_REPORT, &in),
			 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), IKE_N_INVALID_SYNTAX);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), 2);
	assert_int_equal(b.n_missing, 2);

	b.eng->ev = &bare_events;
	assert_int_equal(dkm_report_missing(sa, &miss), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), DKM_N_UNKNOWN_CSA);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), 3);
	assert_int_equal(a.n_down + b.n_down, 0);
	stop(&a);
	stop(&b);
}

/* A report built by hand: the DKM_CSA_INSTALLED notify (body as given)
 * and, if mh, the DKM payload. */
static void send_report_raw(struct ike_sa *sa, const uint8_t *notify, size_t len,
			    const struct dkm_mh_pl *mh)
{
	uint8_t inner[256];
	struct ike_wbuf in;
	size_t s;

	ike_wb_init(&in, inner, sizeof(inner));
	s = ike_wb_pl_begin(&in, IKE_PL_NOTIFY, false);
	ike_wb_put(&in, notify, len);
	ike_wb_pl_end(&in, s);
	if (mh)
		dkm_put_mh(&in, mh);
	assert_int_equal(ike_send_protected(sa, DKM_CSA_REQUEST, false, sa->next_msg_id,
					    IKE_REQ_DKM_REPORT, &in),
			 0);
}

/* The DKM refusals the tests above leave out. Reports: a notify that does
 * not parse, a report without its DKM payload (INVALID_SYNTAX). Previous
 * FA: a lookup that finds another MH's keys (DKM_NOT_VISITOR, structural).
 * New FA: an answer with another MH's keys than asked for (dropped,
 * counted MALFORMED, no keys). A daemon without DKM: a CSA request gets
 * DKM_NOT_VISITOR, a report DKM_UNKNOWN_CSA. Each refusal counted. */
static void dkm_more_refusals(void **state)
{
	static const uint8_t installed[] = { 0, 0, DKM_N_CSA_INSTALLED >> 8,
					     DKM_N_CSA_INSTALLED & 0xff };
	static const uint8_t cut[] = { 0, 4, 0xa0 };
	struct dkm_mh_pl rep = { .mh_home = addr(MH_ADDR),
				 .ha_addr = addr(HA_ADDR),
				 .n_spis = 2,
				 .spi = { 0x1111, 0x2222 } };
	static struct dkm_cache dc;
	struct mlike_fa_keys k;
	struct node a, b;
	struct ike_sa *sa = dkm_pair(&a, &b, &dc, &k);
	uint64_t c = 0, malformed;

	send_report_raw(sa, cut, sizeof(cut), &rep);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), IKE_N_INVALID_SYNTAX);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);
	send_report_raw(sa, installed, sizeof(installed), NULL);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), IKE_N_INVALID_SYNTAX);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);
	assert_int_equal(a.n_reported, 2);
	assert_int_equal(a.reported_notify, IKE_N_INVALID_SYNTAX);
	assert_int_equal(b.dkm_report.mh_home, 0); /* never reached the HA's check */

	b.dkm_other_home = true;
	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0), DKM_N_NOT_VISITOR);
	assert_false(a.have_dkm_keys);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);
	b.dkm_other_home = false;

	/* Asked for the MH, answered with its keys, but A's request (as A
	 * recorded it) was for another: the answer is not used. */
	dkm_cache_put(&dc, &k);
	malformed = ike_engine_counter(a.eng, IKE_C_MALFORMED);
	a.n_dkm = 0;
	assert_int_equal(dkm_csa_request(sa, &(struct dkm_mh_pl){ .mh_home = addr(MH_ADDR) }), 0);
	sa->dkm_home = addr(DEAD_ADDR);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), MLIKE_N_BINDING);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_MALFORMED), malformed + 1);
	assert_int_equal(a.n_dkm, 1);
	assert_false(a.have_dkm_keys);
	assert_int_equal(a.dkm_notify, 0);

	b.eng->ev = &bare_events;
	assert_int_equal(dkm_ask(&a, &b, sa, addr(MH_ADDR), 0), DKM_N_NOT_VISITOR);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);
	assert_int_equal(dkm_report_installed(sa, &rep), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), DKM_N_UNKNOWN_CSA);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_DKM_REFUSED), ++c);
	assert_int_equal(a.n_down + b.n_down, 0);
	stop(&a);
	stop(&b);
}

/* NEIGHBOR_NOTIFY's refusals beyond the list's syntax: a daemon that does
 * not run PKD refuses every list (MLIKE_NEIGHBORS_REJECTED, counted); the
 * FA counts an answer without the acknowledgement as MALFORMED and is told
 * -EPROTO. */
static void neighbor_notify_more_refusals(void **state)
{
	uint32_t list[2] = { htonl(0x0a000003), htonl(0x0a000004) };
	struct ike_wbuf empty;
	uint8_t none[8];
	static struct stolen st;
	struct node a, b;
	struct ike_sa *sa = up_pair(&a, &b), *sa_b = live_sa(&b);
	uint64_t malformed = ike_engine_counter(a.eng, IKE_C_MALFORMED);

	b.eng->ev = &bare_events;
	a.neighbors_done = 1;
	assert_int_equal(mlike_neighbor_notify(sa, list, 2), 0);
	assert_int_equal(b_answers(&a, &b, sa, NULL, NULL), MLIKE_N_NEIGHBORS_REJECTED);
	assert_int_equal(a.neighbors_done, -EPERM);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_NO_PROPOSAL), 1);

	/* B answers with nothing in it. */
	a.neighbors_done = 1;
	assert_int_equal(mlike_neighbor_notify(sa, list, 2), 0);
	steal_request(&b, sa_b, &st);
	assert_int_equal(st.h.exchange, MLIKE_NEIGHBOR_NOTIFY);
	ike_wb_init(&empty, none, sizeof(none));
	assert_int_equal(ike_send_protected(sa_b, MLIKE_NEIGHBOR_NOTIFY, true, st.h.msg_id,
					    IKE_REQ_NONE, &empty),
			 0);
	assert_int_equal(protected_answer(&a, sa, NULL, NULL), 0);
	assert_int_equal(a.neighbors_done, -EPROTO);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_MALFORMED), malformed + 1);
	stop(&a);
	stop(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(initialisation),
		cmocka_unit_test(csa_rekey),
		cmocka_unit_test(child_rekey_collision),
		cmocka_unit_test(child_sa_both_algs),
		cmocka_unit_test(wrong_psk),
		cmocka_unit_test(silent_peer),
		cmocka_unit_test_teardown(transport_and_clock, real_clock),
		cmocka_unit_test(init_rejections),
		cmocka_unit_test(cookies),
		cmocka_unit_test(protected_rejections),
		cmocka_unit_test(no_zone2_key_to_fa),
		cmocka_unit_test(csa_rejections),
		cmocka_unit_test(key_distribute_rejections),
		cmocka_unit_test(neighbor_notify),
		cmocka_unit_test(wrong_identity),
		cmocka_unit_test(unknown_exchange),
		cmocka_unit_test(create_child_sa),
		cmocka_unit_test(create_child_initiator),
		cmocka_unit_test(rekey_ike_initiator),
		cmocka_unit_test(create_child_refusals),
		cmocka_unit_test(soft_lifetimes),
		cmocka_unit_test(dkm_handover),
		cmocka_unit_test(dkm_refusals),
		cmocka_unit_test(dkm_report),
		cmocka_unit_test(dkm_missing_report),
		cmocka_unit_test(dkm_more_refusals),
		cmocka_unit_test(neighbor_notify_more_refusals),
		cmocka_unit_test(esp_csa_from_child),
	};

	port = (uint16_t)(20000 + getpid() % 20000);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
