/* The IKE engine end to end over loopback UDP: whole ML-IKE initialisation
 * between three engines (HA, MH, FA), CHILD_SAs, deletes; and every way a
 * peer can misbehave (wrong PSK, no proposal, wrong group, unknown critical
 * payloads, truncation, tampering, replay, stale message IDs, cookies, a
 * silent peer, zone-2 keys towards the FA), each answered with the RFC's
 * notify or a counted silent drop while the engine keeps serving. */
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

#include "keyd/ike/ike.h"
#include "keyd/ike/ike_int.h"
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
	int fa_keys_done; /* 1 = not yet */
	uint32_t csa_deleted;
	/* HA orchestration */
	bool orchestrate;
	struct ike_sa *mh_sa, *fa_sa;
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

	n->have_fa_keys = true;
	n->fa_keys = *k;
	return 0;
}

static void ev_fa_done(void *ctx, struct ike_sa *sa, int result)
{
	struct node *n = ctx;

	n->fa_keys_done = result;
}

static void ev_csa_deleted(void *ctx, struct ike_sa *sa, const uint32_t *spis, unsigned int cnt)
{
	struct node *n = ctx;

	n->csa_deleted = cnt ? spis[0] : 0;
}

static const struct ike_events events = {
	.ike_up = ev_up,
	.ike_down = ev_down,
	.child_up = ev_child,
	.csa_up = ev_csa,
	.fa_keys = ev_fa_keys,
	.fa_keys_done = ev_fa_done,
	.csa_deleted = ev_csa_deleted,
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
	mlike_csa_to_map(&mh.csa, 1, &out, &in);
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
	assert_int_equal(mlike_fa_keys_to_map(&fa.fa_keys, 1, fwd, &n_fwd), 0);
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

static void protected_rejections(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };
	uint8_t msg[IKE_MSG_MAX], copy[IKE_MSG_MAX];
	uint32_t from = addr(HA_ADDR);
	struct ike_sa *sa;
	ssize_t len;

	pair(&a, &b, "psk", "psk");
	ike_initiate(a.eng, &a.peers[0]);
	assert_true(pump(n, 2, 2000, two_up, n));
	sa = a.up[0];

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
		assert_int_equal(ike_send_protected(sa, IKE_INFORMATIONAL, false, sa->next_msg_id,
						    IKE_REQ_LIVENESS, &in),
				 0);
		pump(n, 2, 100, NULL, NULL);
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
		pump(n, 2, 100, NULL, NULL);
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

/* KEY_DISTRIBUTE never carries a zone-2 key: refused locally, and an FA
 * refuses one it receives anyway (wiping it, never calling the installer). */
static void no_zone2_key_to_fa(void **state)
{
	struct node a, b;
	struct node *n[] = { &a, &b };
	struct mlike_fa_keys k;
	struct mlike_csa csa = { .spi_out = 0x1111, .spi_in = 0x2222, .z1_len = 40, .n_zones = 2 };
	struct ike_sa *sa;

	pair(&a, &b, "psk", "psk");
	ike_initiate(a.eng, &a.peers[0]);
	assert_true(pump(n, 2, 2000, two_up, n));
	sa = a.up[0];
	csa.zone_encr[0] = IKE_ENCR_CHACHA20_POLY1305;
	csa.zone_encr[1] = IKE_ENCR_AES_GCM_16;
	memset(csa.key_out, 0x11, sizeof(csa.key_out));
	memset(csa.key_in, 0x22, sizeof(csa.key_in));
	mlike_fa_keys_from_csa(&csa, true, addr(MH_ADDR), addr(HA_ADDR), &k);
	k.secret[1].transform = IKE_ENCR_AES_GCM_16; /* zone 2 with a key */
	assert_int_equal(mlike_key_distribute(sa, &k), -EPERM);

	/* Bypass the local check: build the message by hand. */
	{
		uint8_t inner[512], binding[8];
		struct ike_wbuf in;
		struct mlike_zonemap_pl zm = { .n_zones = 2, .format = 1 };

		zm.end[0] = 40;
		zm.start[1] = 40;
		zm.end[1] = MLIKE_ZONE_END;
		memcpy(binding, &k.mh_home, 4);
		memcpy(binding + 4, &k.ha_addr, 4);
		ike_wb_init(&in, inner, sizeof(inner));
		ike_put_notify(&in, 0, NULL, 0, MLIKE_N_BINDING, binding, 8);
		mlike_put_zonemap(&in, &zm);
		for (unsigned int i = 0; i < k.n_secrets; i++)
			mlike_put_secret(&in, &k.secret[i]);
		assert_int_equal(ike_send_protected(sa, MLIKE_KEY_DISTRIBUTE, false,
						    sa->next_msg_id, IKE_REQ_KEY_DISTRIBUTE, &in),
				 0);
	}
	a.fa_keys_done = 1;
	assert_true(pump(n, 2, 500, fa_done, &a));
	assert_int_equal(a.fa_keys_done, -EPERM);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(initialisation),
		cmocka_unit_test(child_sa_both_algs),
		cmocka_unit_test(wrong_psk),
		cmocka_unit_test(silent_peer),
		cmocka_unit_test(init_rejections),
		cmocka_unit_test(cookies),
		cmocka_unit_test(protected_rejections),
		cmocka_unit_test(no_zone2_key_to_fa),
	};

	port = (uint16_t)(20000 + getpid() % 20000);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
