/* IKE robustness against an attacker who sees the exchange and injects
 * (issue 18, item 8; docs/security.md): unauthenticated IKE_SA_INIT answers
 * (error notifies, unusable answers, COOKIEs) do not end the initiator's
 * SA, which keeps waiting for the genuine answer until its timeout; the
 * cookie secret rotates, the previous one taken for a grace time only; a
 * retransmitted request gets the stored response only once its integrity
 * check passes; a flow mode request (MLIKE_N_FLOW_MODE, issue 19) acts
 * only once authenticated, well formed and on a live IKE SA. Two engines over an in-memory wire on
 * a set clock: each packet is held, forged, tampered with or delivered by hand. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/ike/ike.h"
#include "keyd/ike/ike_proposal.h"
#include "keyd/ike/ike_sa.h"
#include "lib/bytes.h"

#define A_ADDR "10.18.8.1" /* the initiator */
#define B_ADDR "10.18.8.2" /* the responder */
#define PORT 500

struct pkt {
	uint8_t buf[IKE_MSG_MAX];
	size_t len;
	uint32_t from, to;
};

/* What the engines sent, oldest first, until delivered or dropped. */
static struct pkt q[32];
static unsigned int nq;
static uint64_t now_ms;

static uint64_t fake_now(void)
{
	return now_ms;
}

struct node {
	struct ike_engine *eng;
	struct ike_engine_cfg cfg;
	struct ike_peer_cfg peer;
	struct ike_transport tp;
	struct ike_sa *sa;
	unsigned int n_up, n_down;
	enum ike_down_reason why;
	/* Flow mode requests: what the policy answers, what arrived. */
	uint16_t flow_refuse;
	unsigned int n_flow, n_flow_done;
	struct mlike_flow_mode_pl flow;
	uint16_t flow_done;
	/* Link state reports (the auto policy). */
	uint16_t link_refuse, link_done;
	unsigned int n_link, n_link_done;
	struct mlike_link_state_pl link;
};

static uint32_t addr(const char *a)
{
	uint32_t v;

	inet_pton(AF_INET, a, &v);
	return v;
}

static int tx(void *ctx, const uint8_t *buf, size_t len, uint32_t to, uint16_t to_port)
{
	const struct node *n = ctx;

	assert_int_equal(to_port, PORT);
	assert_true(nq < 32);
	memcpy(q[nq].buf, buf, len);
	q[nq].len = len;
	q[nq].from = n->cfg.local_addr;
	q[nq++].to = to;
	return 0;
}

static void ev_up(void *ctx, struct ike_sa *sa)
{
	struct node *n = ctx;

	n->n_up++;
	n->sa = sa;
}

static void ev_down(void *ctx, struct ike_sa *sa, enum ike_down_reason why)
{
	struct node *n = ctx;

	n->n_down++;
	n->why = why;
}

static uint16_t ev_flow(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm)
{
	struct node *n = ctx;

	n->n_flow++;
	n->flow = *fm;
	return n->flow_refuse;
}

static void ev_flow_done(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm,
			 uint16_t notify)
{
	struct node *n = ctx;

	n->n_flow_done++;
	n->flow = *fm;
	n->flow_done = notify;
}

static uint16_t ev_link(void *ctx, struct ike_sa *sa, const struct mlike_link_state_pl *ls)
{
	struct node *n = ctx;

	n->n_link++;
	n->link = *ls;
	return n->link_refuse;
}

static void ev_link_done(void *ctx, struct ike_sa *sa, uint16_t notify)
{
	struct node *n = ctx;

	n->n_link_done++;
	n->link_done = notify;
}

static const struct ike_events events = { .ike_up = ev_up,
					  .ike_down = ev_down,
					  .flow_mode = ev_flow,
					  .flow_mode_done = ev_flow_done,
					  .link_state = ev_link,
					  .link_state_done = ev_link_done };

static void id(struct ike_identity *i, const char *name)
{
	i->type = IKE_ID_FQDN;
	i->len = (uint8_t)strlen(name);
	memcpy(i->data, name, i->len);
}

static void start(struct node *n, const char *me, const char *them, const char *me_id,
		  const char *them_id)
{
	struct ike_peer_cfg *p = &n->peer;

	p->addr = addr(them);
	strcpy(p->name, them_id);
	id(&p->local_id, me_id);
	id(&p->peer_id, them_id);
	p->psk_len = strlen("item-8-psk-0123456789");
	memcpy(p->psk, "item-8-psk-0123456789", p->psk_len);
	p->ike_encr = IKE_ENCR_AES_GCM_16;
	n->cfg.local_addr = addr(me);
	n->cfg.peers = p;
	n->cfg.n_peers = 1;
	n->tp = (struct ike_transport){ .send = tx, .ctx = n };
	n->cfg.transport = &n->tp;
	n->eng = ike_engine_new(&n->cfg, &events, n);
	assert_non_null(n->eng);
}

/* A (initiator) and B (responder) on the set clock; cfg_b tunes B. */
static void pair(struct node *a, struct node *b, const struct ike_engine_cfg *cfg_b)
{
	nq = 0;
	now_ms = 1000;
	ike_clock_set(fake_now);
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->cfg.cookie_threshold = 16;
	b->cfg = cfg_b ? *cfg_b : (struct ike_engine_cfg){ .cookie_threshold = 16 };
	start(a, A_ADDR, B_ADDR, "a.test", "b.test");
	start(b, B_ADDR, A_ADDR, "b.test", "a.test");
}

static void stop(struct node *a, struct node *b)
{
	ike_engine_free(a->eng);
	ike_engine_free(b->eng);
	nq = 0;
}

static int real_clock(void **state)
{
	ike_clock_set(NULL);
	return 0;
}

/* Takes the oldest packet off the wire (held back, or to deliver). */
static void pop(struct pkt *p)
{
	assert_true(nq > 0);
	*p = q[0];
	memmove(q, q + 1, (--nq) * sizeof(q[0]));
}

/* Hands a copy of buf to n as if from `from` (the engine decrypts in place). */
static void inject(struct node *n, const uint8_t *buf, size_t len, uint32_t from)
{
	uint8_t copy[IKE_MSG_MAX];

	memcpy(copy, buf, len);
	ike_engine_process(n->eng, copy, len, from, PORT);
}

static void deliver(struct node *a, struct node *b, const struct pkt *p)
{
	inject(p->to == a->cfg.local_addr ? a : b, p->buf, p->len, p->from);
}

/* Delivers everything on the wire, and what that sends, until it is empty. */
static void run(struct node *a, struct node *b)
{
	struct pkt p;

	while (nq) {
		pop(&p);
		deliver(a, b, &p);
	}
}

/* --- forged IKE_SA_INIT answers --- */

static void forged_hdr(struct ike_wbuf *wb, uint8_t *buf, const struct pkt *req, bool spi_r)
{
	struct ike_hdr h = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE };

	memcpy(h.spi_i, req->buf, IKE_SPI_LEN);
	if (spi_r)
		memset(h.spi_r, 0x66, IKE_SPI_LEN);
	ike_wb_init(wb, buf, IKE_MSG_MAX);
	ike_wb_hdr(wb, &h);
}

/* An unprotected answer to req carrying one notify, as a responder (or an
 * attacker who saw req) sends it. */
static size_t forge_notify(uint8_t *buf, const struct pkt *req, uint16_t type, const uint8_t *data,
			   size_t len)
{
	struct ike_wbuf wb;

	forged_hdr(&wb, buf, req, false);
	ike_put_notify(&wb, 0, NULL, 0, type, data, len);
	assert_int_equal(ike_wb_finish_msg(&wb), 0);
	return wb.len;
}

/* A whole answer: SA choosing encr, a KE (ke = NULL: a fresh X25519 value),
 * a nonce. */
static size_t forge_answer(uint8_t *buf, const struct pkt *req, uint16_t encr, const uint8_t *ke)
{
	uint8_t nonce[32] = { 9 };
	struct ike_sa_pl acc;
	struct ike_dh dh = { 0 };
	struct ike_wbuf wb;

	assert_int_equal(ike_dh_generate(&dh), 0);
	forged_hdr(&wb, buf, req, true);
	ike_accepted_proposal(&acc, 1, encr);
	ike_put_sa(&wb, &acc);
	ike_put_ke(&wb, IKE_DH_CURVE25519, ke ? ke : dh.pub, IKE_X25519_LEN);
	ike_put_nonce(&wb, nonce, sizeof(nonce));
	ike_dh_free(&dh);
	assert_int_equal(ike_wb_finish_msg(&wb), 0);
	return wb.len;
}

/* The attack: each unauthenticated refusal an attacker can send before the
 * responder answers. Before the fix the first one ended the SA. */
static void forged_init_notifies(void **state)
{
	static const uint8_t zero_ke[IKE_X25519_LEN];
	uint8_t msg[IKE_MSG_MAX], group[2];
	uint32_t from = addr(B_ADDR);
	struct node a, b;
	struct pkt req;
	size_t len;

	pair(&a, &b, NULL);
	assert_non_null(ike_initiate(a.eng, &a.peer));
	pop(&req); /* held back: the attacker answers first */

	len = forge_notify(msg, &req, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	inject(&a, msg, len, from);
	assert_int_equal(a.n_down, 0);
	put_be16(group, 14); /* a group we never offered */
	len = forge_notify(msg, &req, IKE_N_INVALID_KE_PAYLOAD, group, 2);
	inject(&a, msg, len, from);
	put_be16(group, IKE_DH_CURVE25519); /* the one we sent */
	len = forge_notify(msg, &req, IKE_N_INVALID_KE_PAYLOAD, group, 2);
	inject(&a, msg, len, from);
	len = forge_notify(msg, &req, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	inject(&a, msg, len, from);
	/* Whole answers we cannot use: a transform we did not offer, a
	 * low-order KE value (no shared secret). */
	len = forge_answer(msg, &req, 12 /* AES-CBC */, NULL);
	inject(&a, msg, len, from);
	len = forge_answer(msg, &req, IKE_ENCR_AES_GCM_16, zero_ke);
	inject(&a, msg, len, from);
	assert_int_equal(a.n_down, 0);
	assert_int_equal(nq, 0); /* nothing sent because of them */
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_INIT_IGNORED), 6);

	/* The genuine answer still sets the SA up. */
	deliver(&a, &b, &req);
	run(&a, &b);
	assert_int_equal(a.n_up, 1);
	assert_int_equal(b.n_up, 1);
	assert_int_equal(a.n_down + b.n_down, 0);
	stop(&a, &b);
}

/* A refusal that is genuine, or an attacker's with the responder silent:
 * the SA ends only when its transmissions are used up, as failed. */
static void forged_init_notify_then_timeout(void **state)
{
	uint8_t msg[IKE_MSG_MAX];
	struct node a, b;
	struct pkt req;
	size_t len;

	pair(&a, &b, NULL);
	assert_non_null(ike_initiate(a.eng, &a.peer));
	pop(&req);
	len = forge_notify(msg, &req, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	inject(&a, msg, len, addr(B_ADDR));
	assert_int_equal(a.n_down, 0);
	for (unsigned int i = 0; i < 40 && !a.n_down; i++) {
		now_ms += 1000;
		ike_engine_tick(a.eng);
		nq = 0; /* every retransmission lost */
	}
	assert_int_equal(a.n_down, 1);
	assert_int_equal(a.why, IKE_DOWN_FAILED);
	/* retransmit_tries = 5: four retransmissions first. */
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_RETRANSMITS), 4);
	stop(&a, &b);
}

/* The COOKIE (RFC 7296 2.6) carried by the IKE_SA_INIT request p, or 0. */
static size_t request_cookie(const struct pkt *p, uint8_t *out)
{
	struct ike_chain c;
	struct ike_notify_pl n;
	struct ike_hdr h;
	uint8_t bad;

	assert_int_equal(ike_hdr_parse(p->buf, p->len, &h), 0);
	assert_int_equal(ike_chain_parse(h.next_payload, p->buf + IKE_HDR_LEN, p->len - IKE_HDR_LEN,
					 &c, &bad),
			 0);
	if (c.pl[0].type != IKE_PL_NOTIFY || ike_notify_parse(c.pl[0].body, c.pl[0].len, &n) ||
	    n.type != IKE_N_COOKIE)
		return 0;
	memcpy(out, n.data, n.data_len);
	return n.data_len;
}

/* A forged COOKIE that beats the genuine answer: before the fix the
 * initiator sent the request again with it at once and then signed that
 * request in IKE_AUTH, while the responder had answered the first: IKE_AUTH
 * failed. Now a COOKIE is used at the next retransmission, at most twice,
 * and COOKIEs beyond that are counted and ignored. */
static void forged_cookies(void **state)
{
	uint8_t msg[IKE_MSG_MAX], fake[20], got[64];
	uint32_t from = addr(B_ADDR);
	struct node a, b;
	struct pkt req, last;
	size_t len;

	pair(&a, &b, NULL);
	assert_non_null(ike_initiate(a.eng, &a.peer));
	pop(&req);
	memset(fake, 0xc0, sizeof(fake));
	len = forge_notify(msg, &req, IKE_N_COOKIE, fake, sizeof(fake));
	inject(&a, msg, len, from);
	deliver(&a, &b, &req);
	run(&a, &b);
	assert_int_equal(a.n_up, 1);
	assert_int_equal(b.n_up, 1);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_AUTH_FAILED), 0);
	stop(&a, &b);

	/* A stream of forged COOKIEs with the answers lost: two are followed,
	 * each at a retransmission; the rest are counted, ignored. */
	pair(&a, &b, NULL);
	assert_non_null(ike_initiate(a.eng, &a.peer));
	pop(&req);
	for (uint8_t i = 1; i <= 4; i++) {
		memset(fake, i, sizeof(fake));
		len = forge_notify(msg, &req, IKE_N_COOKIE, fake, sizeof(fake));
		inject(&a, msg, len, from);
		assert_int_equal(nq, 0); /* not at once */
		now_ms += 600u << i;
		ike_engine_tick(a.eng);
		assert_int_equal(nq, 1);
		pop(&last);
		memset(fake, i < 2 ? i : 2, sizeof(fake));
		assert_int_equal(request_cookie(&last, got), sizeof(fake));
		assert_memory_equal(got, fake, sizeof(fake));
	}
	assert_int_equal(a.n_down, 0);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_INIT_IGNORED), 2);
	/* The responder (no cookie needed) answers the last request. */
	deliver(&a, &b, &last);
	run(&a, &b);
	assert_int_equal(a.n_up, 1);
	assert_int_equal(b.n_up, 1);
	stop(&a, &b);
}

/* --- cookie secret rotation --- */

/* A hand-made IKE_SA_INIT request from A's address with SPIi spi and the
 * given cookie; B's answer: the COOKIE it asks for (returned, its data in
 * cookie), or 0 for a whole answer (a half-open SA). */
static int ask_b(struct node *b, uint8_t spi, const uint8_t *cookie, size_t cookie_len,
		 uint8_t *out, size_t *out_len)
{
	struct ike_hdr h = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR };
	uint8_t buf[IKE_MSG_MAX], nonce[32] = { spi };
	struct ike_sa_pl offer;
	struct ike_dh dh = { 0 };
	struct ike_chain c;
	struct ike_notify_pl n;
	struct ike_wbuf wb;
	struct pkt ans;
	uint8_t bad;

	memset(h.spi_i, spi, IKE_SPI_LEN);
	assert_int_equal(ike_dh_generate(&dh), 0);
	ike_wb_init(&wb, buf, sizeof(buf));
	ike_wb_hdr(&wb, &h);
	if (cookie)
		ike_put_notify(&wb, 0, NULL, 0, IKE_N_COOKIE, cookie, cookie_len);
	ike_offer(&b->peer, &offer);
	ike_put_sa(&wb, &offer);
	ike_put_ke(&wb, IKE_DH_CURVE25519, dh.pub, IKE_X25519_LEN);
	ike_put_nonce(&wb, nonce, sizeof(nonce));
	ike_dh_free(&dh);
	assert_int_equal(ike_wb_finish_msg(&wb), 0);
	nq = 0;
	inject(b, buf, wb.len, addr(A_ADDR));
	assert_int_equal(nq, 1);
	pop(&ans);
	assert_int_equal(ike_hdr_parse(ans.buf, ans.len, &h), 0);
	assert_int_equal(ike_chain_parse(h.next_payload, ans.buf + IKE_HDR_LEN,
					 ans.len - IKE_HDR_LEN, &c, &bad),
			 0);
	if (c.pl[0].type != IKE_PL_NOTIFY)
		return 0;
	assert_int_equal(ike_notify_parse(c.pl[0].body, c.pl[0].len, &n), 0);
	assert_int_equal(n.type, IKE_N_COOKIE);
	memcpy(out, n.data, n.data_len);
	*out_len = n.data_len;
	return IKE_N_COOKIE;
}

static void cookie_secret_rotates(void **state)
{
	struct ike_engine_cfg cb = { .cookie_threshold = 0, /* always */
				     .cookie_rotate_ms = 1000,
				     .cookie_grace_ms = 300 };
	uint8_t c1[64], c2[64], c3[64], c4[64], x[64];
	size_t l1, l2, l3, l4, lx;
	struct node a, b;

	pair(&a, &b, &cb);
	/* t = 1000: cookies for SPIs 0x11 and 0x33, secret version v. */
	assert_int_equal(ask_b(&b, 0x11, NULL, 0, c1, &l1), IKE_N_COOKIE);
	assert_int_equal(ask_b(&b, 0x33, NULL, 0, c3, &l3), IKE_N_COOKIE);
	assert_int_equal(l1, IKE_COOKIE_LEN);
	/* t = 2100: the secret changed at 2000; v's cookie within the grace. */
	now_ms = 2100;
	assert_int_equal(ask_b(&b, 0x11, c1, l1, x, &lx), 0);
	assert_int_equal(b.eng->half_open, 1);
	assert_int_equal(ask_b(&b, 0x22, NULL, 0, c2, &l2), IKE_N_COOKIE);
	assert_int_equal(get_be32(c2), get_be32(c1) + 1); /* a new version */
	/* t = 2400: the grace is over, v's cookie is refused and counted. */
	now_ms = 2400;
	assert_int_equal(ask_b(&b, 0x33, c3, l3, x, &lx), IKE_N_COOKIE);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_COOKIE_STALE), 1);
	assert_int_equal(b.eng->half_open, 1);
	/* t = 3100: another change; v+1's cookie within its grace. */
	now_ms = 3100;
	assert_int_equal(ask_b(&b, 0x22, c2, l2, x, &lx), 0);
	assert_int_equal(b.eng->half_open, 2);
	/* The current version with a wrong value: bad_cookie. */
	assert_int_equal(ask_b(&b, 0x44, NULL, 0, c4, &l4), IKE_N_COOKIE);
	memcpy(x, c4, l4);
	x[l4 - 1] ^= 1;
	assert_int_equal(ask_b(&b, 0x44, x, l4, x, &lx), IKE_N_COOKIE);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_BAD_COOKIE), 1);
	/* t = 10000, nothing in between: the cookie made at 3100 is two
	 * secrets old however late the change happens. */
	now_ms = 10000;
	assert_int_equal(ask_b(&b, 0x44, c4, l4, x, &lx), IKE_N_COOKIE);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_COOKIE_STALE), 2);
	assert_int_equal(b.eng->half_open, 2);
	/* A version from the future is no better. */
	memcpy(x, c4, l4);
	put_be32(x, get_be32(c4) + 7);
	assert_int_equal(ask_b(&b, 0x55, x, l4, x, &lx), IKE_N_COOKIE);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_COOKIE_STALE), 3);
	stop(&a, &b);

	/* Our initiator against a responder that always asks: it follows the
	 * genuine COOKIE (at its next retransmission) to an SA. */
	pair(&a, &b, &cb);
	assert_non_null(ike_initiate(a.eng, &a.peer));
	run(&a, &b);
	assert_int_equal(a.n_up, 0);
	now_ms += 501;
	ike_engine_tick(a.eng);
	run(&a, &b);
	assert_int_equal(a.n_up, 1);
	assert_int_equal(b.n_up, 1);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_COOKIES_SENT), 1);
	stop(&a, &b);
}

/* --- retransmitted requests --- */

/* Flips one bit of p at i, hands it to B: B must send nothing. */
static void tampered(struct node *a, struct node *b, const struct pkt *p, size_t i)
{
	struct pkt t = *p;

	t.buf[i] ^= 0x20;
	deliver(a, b, &t);
	assert_int_equal(nq, 0);
}

/* The attack: copies of an answered request with the right SPIs and
 * message ID but a broken integrity check. Before the fix each one made
 * B send its stored response again (an amplifier and an oracle), and a
 * genuine IKE_AUTH retransmission got nothing once B was established. */
static void forged_retransmissions(void **state)
{
	struct pkt p, auth_req, auth_resp, live, live_resp;
	struct node a, b;
	uint64_t bad_icv;

	pair(&a, &b, NULL);
	assert_non_null(ike_initiate(a.eng, &a.peer));
	pop(&p);
	deliver(&a, &b, &p); /* B half-open, its IKE_SA_INIT answer out */
	pop(&p);
	deliver(&a, &b, &p);
	pop(&auth_req);
	/* Half-open: IKE_AUTH "message 0" would be the IKE_SA_INIT's
	 * retransmission; with the ID rewritten its check fails. */
	{
		struct pkt t = auth_req;

		put_be32(t.buf + 20, 0);
		deliver(&a, &b, &t);
		assert_int_equal(nq, 0);
	}
	deliver(&a, &b, &auth_req);
	assert_int_equal(b.n_up, 1);
	pop(&auth_resp);
	deliver(&a, &b, &auth_resp);
	assert_int_equal(a.n_up, 1);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_RESENT_RESPONSES), 0);

	/* IKE_AUTH again: tampered copies get nothing; the genuine one (its
	 * answer lost) gets the same answer again. */
	bad_icv = ike_engine_counter(b.eng, IKE_C_BAD_ICV);
	tampered(&a, &b, &auth_req, auth_req.len - 1);
	tampered(&a, &b, &auth_req, auth_req.len / 2);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_BAD_ICV), bad_icv + 2);
	deliver(&a, &b, &auth_req);
	assert_int_equal(nq, 1);
	pop(&p);
	assert_int_equal(p.len, auth_resp.len);
	assert_memory_equal(p.buf, auth_resp.buf, p.len);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_RESENT_RESPONSES), 1);

	/* An INFORMATIONAL answered, then its copies with every byte of the
	 * SK payload and of the header's exchange type and flags damaged in
	 * turn. */
	assert_int_equal(ike_sa_liveness(a.sa), 0);
	pop(&live);
	deliver(&a, &b, &live);
	pop(&live_resp);
	deliver(&a, &b, &live_resp);
	bad_icv = ike_engine_counter(b.eng, IKE_C_BAD_ICV);
	tampered(&a, &b, &live, 18);
	for (size_t i = IKE_HDR_LEN + IKE_GEN_HDR_LEN; i < live.len; i++)
		tampered(&a, &b, &live, i);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_BAD_ICV),
			 bad_icv + 1 + live.len - IKE_HDR_LEN - IKE_GEN_HDR_LEN);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_RESENT_RESPONSES), 1);
	deliver(&a, &b, &live);
	assert_int_equal(nq, 1);
	pop(&p);
	assert_memory_equal(p.buf, live_resp.buf, live_resp.len);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_RESENT_RESPONSES), 2);
	/* Nothing changed: the SA still works both ways. */
	assert_int_equal(ike_sa_liveness(a.sa), 0);
	run(&a, &b);
	assert_int_equal(a.sa->req_kind, IKE_REQ_NONE);
	assert_int_equal(a.n_down + b.n_down, 0);
	stop(&a, &b);
}

/* A's INFORMATIONAL with one notify of type MLIKE_N_FLOW_MODE carrying
 * data (len bytes), as if asking for fm. */
static void flow_raw(struct node *a, const struct mlike_flow_mode_pl *fm, const uint8_t *data,
		     size_t len)
{
	uint8_t buf[128];
	struct ike_wbuf in;

	ike_wb_init(&in, buf, sizeof(buf));
	ike_put_notify(&in, 0, NULL, 0, MLIKE_N_FLOW_MODE, data, len);
	assert_int_equal(ike_info_send(a->sa, &in, IKE_REQ_FLOW_MODE), 0);
	a->sa->flow_asked = *fm;
}

static void flow_mode_exchange(void **state)
{
	const struct mlike_flow_mode_pl fm = { .home_addr = addr("10.10.10.10"),
					       .peer_addr = addr("192.168.2.1"),
					       .home_port = 9001,
					       .proto = 6,
					       .mode = 1,
					       .duration_s = 60 };
	uint8_t data[MLIKE_FLOW_MODE_LEN];
	struct pkt req;
	struct node a, b;
	uint64_t bad_icv;

	pair(&a, &b, NULL);
	assert_non_null(ike_initiate(a.eng, &a.peer));
	run(&a, &b);
	assert_int_equal(a.n_up + b.n_up, 2);

	/* Agreed: the request acts once, only when its integrity holds. */
	assert_int_equal(mlike_flow_mode(a.sa, &fm), 0);
	assert_int_equal(mlike_flow_mode(a.sa, &fm), -EBUSY);
	pop(&req);
	bad_icv = ike_engine_counter(b.eng, IKE_C_BAD_ICV);
	for (size_t i = IKE_HDR_LEN + IKE_GEN_HDR_LEN; i < req.len; i++)
		tampered(&a, &b, &req, i);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_BAD_ICV),
			 bad_icv + req.len - IKE_HDR_LEN - IKE_GEN_HDR_LEN);
	assert_int_equal(b.n_flow, 0);
	deliver(&a, &b, &req);
	assert_int_equal(b.n_flow, 1);
	assert_memory_equal(&b.flow, &fm, sizeof(fm));
	run(&a, &b);
	assert_int_equal(a.n_flow_done, 1);
	assert_int_equal(a.flow_done, 0);
	assert_int_equal(ike_engine_counter(a.eng, IKE_C_FLOW_MODE_AGREED), 1);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_FLOW_MODE_AGREED), 1);
	/* Its retransmission gets the stored answer, not a second change. */
	deliver(&a, &b, &req);
	assert_int_equal(b.n_flow, 1);
	nq = 0;

	/* Refused by the policy: the error notify, counted. */
	b.flow_refuse = MLIKE_N_FLOW_MODE_REFUSED;
	assert_int_equal(mlike_flow_mode(a.sa, &fm), 0);
	run(&a, &b);
	assert_int_equal(b.n_flow, 2);
	assert_int_equal(a.n_flow_done, 2);
	assert_int_equal(a.flow_done, MLIKE_N_FLOW_MODE_REFUSED);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_FLOW_MODE_REFUSED), 1);

	/* Malformed (truncated, an unknown mode, trailing bytes): refused
	 * with INVALID_SYNTAX before the policy sees it. */
	mlike_flow_mode_encode(&fm, data);
	flow_raw(&a, &fm, data, sizeof(data) - 1);
	run(&a, &b);
	assert_int_equal(a.flow_done, IKE_N_INVALID_SYNTAX);
	data[16] = 7;
	flow_raw(&a, &fm, data, sizeof(data));
	run(&a, &b);
	assert_int_equal(a.flow_done, IKE_N_INVALID_SYNTAX);
	assert_int_equal(b.n_flow, 2);
	assert_int_equal(a.n_flow_done, 4);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_FLOW_MODE_REFUSED), 3);

	/* An answer that does not repeat the request is no agreement. */
	b.flow_refuse = 0;
	mlike_flow_mode_encode(&fm, data);
	flow_raw(&a, &(struct mlike_flow_mode_pl){ .home_addr = fm.home_addr, .mode = 0 }, data,
		 sizeof(data));
	run(&a, &b);
	assert_int_equal(b.n_flow, 3);
	assert_int_equal(a.flow_done, IKE_N_INVALID_SYNTAX);

	/* The IKE SA gone: its request replayed finds no SA. */
	assert_int_equal(mlike_flow_mode(a.sa, &fm), 0);
	pop(&req);
	assert_int_equal(ike_sa_delete(b.sa), 0);
	run(&a, &b);
	assert_int_equal(a.n_down + b.n_down, 2);
	deliver(&a, &b, &req);
	assert_int_equal(b.n_flow, 3);
	assert_true(ike_engine_counter(b.eng, IKE_C_UNKNOWN_SPI) >= 1);
	stop(&a, &b);
}

/* MLIKE_N_LINK_STATE (the auto policy, docs/protocol.md §2.7.1): taken
 * only with its integrity intact, refused by the embedder's policy (an FA
 * serving none of the HA's mobiles), malformed data refused before it. */
static void link_state_exchange(void **state)
{
	const struct mlike_link_state_pl ls = { .state = 1, .loss_ppm = 1200 };
	uint8_t data[MLIKE_LINK_STATE_LEN], buf[64];
	struct ike_wbuf in;
	struct pkt req;
	struct node a, b;

	pair(&a, &b, NULL);
	assert_non_null(ike_initiate(a.eng, &a.peer));
	run(&a, &b);
	assert_int_equal(a.n_up + b.n_up, 2);

	assert_int_equal(mlike_link_state(a.sa, &ls), 0);
	assert_int_equal(mlike_link_state(a.sa, &ls), -EBUSY);
	pop(&req);
	for (size_t i = IKE_HDR_LEN + IKE_GEN_HDR_LEN; i < req.len; i++)
		tampered(&a, &b, &req, i);
	assert_int_equal(b.n_link, 0);
	deliver(&a, &b, &req);
	run(&a, &b);
	assert_int_equal(b.n_link, 1);
	assert_int_equal(b.link.state, 1);
	assert_int_equal(b.link.loss_ppm, 1200);
	assert_int_equal(a.n_link_done, 1);
	assert_int_equal(a.link_done, 0);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_LINK_STATE_TAKEN), 1);
	nq = 0;

	/* Not from an FA the HA would take it from: refused, counted. */
	b.link_refuse = MLIKE_N_LINK_STATE_REFUSED;
	assert_int_equal(mlike_link_state(a.sa, &ls), 0);
	run(&a, &b);
	assert_int_equal(b.n_link, 2);
	assert_int_equal(a.link_done, MLIKE_N_LINK_STATE_REFUSED);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_LINK_STATE_REFUSED), 1);

	/* A state out of range: INVALID_SYNTAX, the policy never asked. */
	mlike_link_state_encode(&ls, data);
	data[0] = 3;
	ike_wb_init(&in, buf, sizeof(buf));
	ike_put_notify(&in, 0, NULL, 0, MLIKE_N_LINK_STATE, data, sizeof(data));
	assert_int_equal(ike_info_send(a.sa, &in, IKE_REQ_LINK_STATE), 0);
	run(&a, &b);
	assert_int_equal(b.n_link, 2);
	assert_int_equal(a.link_done, IKE_N_INVALID_SYNTAX);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_LINK_STATE_REFUSED), 2);
	assert_int_equal(ike_engine_counter(b.eng, IKE_C_LINK_STATE_TAKEN), 1);
	stop(&a, &b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(forged_init_notifies, real_clock),
		cmocka_unit_test_teardown(forged_init_notify_then_timeout, real_clock),
		cmocka_unit_test_teardown(forged_cookies, real_clock),
		cmocka_unit_test_teardown(cookie_secret_rotates, real_clock),
		cmocka_unit_test_teardown(forged_retransmissions, real_clock),
		cmocka_unit_test_teardown(flow_mode_exchange, real_clock),
		cmocka_unit_test_teardown(link_state_exchange, real_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
