/* IKE_SA_INIT and IKE_AUTH, both roles (RFC 7296 1.2, 2.6, 2.15). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_proposal.h"
#include "keyd/ike/ike_xchg.h"
#include "lib/bytes.h"
#include "lib/log.h"

#define COOKIE_TRIES 2
#define COOKIE_MAX 64 /* octets (RFC 7296 2.6) */

static int keep_copy(uint8_t **dst, size_t *dst_len, const uint8_t *src, size_t len)
{
	free(*dst);
	*dst = malloc(len);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, len);
	*dst_len = len;
	return 0;
}

/* The keys of the new SA from the exchanged values; wipes g^ir. A peer KE
 * value that gives no shared secret is -EBADMSG and leaves our key pair:
 * the initiator waits for another answer, that one may have been forged. */
static int derive(struct ike_sa *sa, const uint8_t *peer_ke, size_t peer_ke_len)
{
	uint8_t g_ir[IKE_X25519_LEN];
	int err;

	if (ike_dh_shared(&sa->dh, peer_ke, peer_ke_len, g_ir))
		return -EBADMSG;
	ike_dh_free(&sa->dh);
	err = ike_derive_keys(NULL, sa->ni, sa->ni_len, sa->nr, sa->nr_len, g_ir, sizeof(g_ir),
			      sa->spi_i, sa->spi_r, &sa->keys);
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	if (!err)
		err = ike_sk_init(&sa->sk, sa->encr,
				  sa->initiator ? sa->keys.sk_ei : sa->keys.sk_er,
				  sa->initiator ? sa->keys.sk_er : sa->keys.sk_ei);
	sa->have_keys = !err;
	return err;
}

/* --- NAT detection (RFC 7296 2.23) --- */

static void put_natd(struct ike_sa *sa, struct ike_wbuf *wb, uint32_t peer_addr, uint16_t peer_port)
{
	struct ike_engine *eng = sa->eng;
	uint8_t src[20], dst[20];

	ike_natd_hash(sa->spi_i, sa->spi_r, eng->cfg.local_addr, eng->cfg.port, src);
	/* Faking our own hash makes the peer see a NAT: ESP goes in UDP,
	 * which userspace ESP stacks need (strongSwan's encap = yes). */
	if (sa->cfg->encap)
		ike_random(src, sizeof(src));
	ike_natd_hash(sa->spi_i, sa->spi_r, peer_addr, peer_port, dst);
	ike_put_notify(wb, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, src, sizeof(src));
	ike_put_notify(wb, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, dst, sizeof(dst));
}

/* Compares the peer's NAT_D payloads with what we see; true when either
 * side is behind a NAT. *present tells whether the peer sent any. */
static bool natd_check(struct ike_sa *sa, const struct ike_chain *c, const struct ike_hdr *h,
		       uint32_t peer_addr, uint16_t peer_port, bool *present)
{
	uint8_t want_src[20], want_dst[20];
	bool src_seen = false, dst_seen = false, src_ok = false, dst_ok = false;

	ike_natd_hash(h->spi_i, h->spi_r, peer_addr, peer_port, want_src);
	ike_natd_hash(h->spi_i, h->spi_r, sa->eng->cfg.local_addr, sa->eng->cfg.port, want_dst);
	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_notify_pl n;

		if (c->pl[i].type != IKE_PL_NOTIFY ||
		    ike_notify_parse(c->pl[i].body, c->pl[i].len, &n))
			continue;
		if (n.type == IKE_N_NAT_DETECTION_SOURCE_IP) {
			src_seen = true;
			src_ok |= n.data_len == 20 && !memcmp(n.data, want_src, 20);
		} else if (n.type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
			dst_seen = true;
			dst_ok |= n.data_len == 20 && !memcmp(n.data, want_dst, 20);
		}
	}
	*present = src_seen && dst_seen;
	return *present && (!src_ok || !dst_ok);
}

/* --- initiator --- */

static void init_failed(struct ike_sa *sa, const char *why)
{
	log_err("peer %s: IKE_SA_INIT failed: %s", sa->cfg->name, why);
	ike_sa_kill(sa, IKE_DOWN_FAILED);
}

/* Our IKE_SA_INIT request into sa->req, kept for AUTH (RFC 7296 2.15). */
static int build_init(struct ike_sa *sa)
{
	struct ike_wbuf wb;
	struct ike_sa_pl offer;
	int err;

	ike_wb_init(&wb, sa->req, IKE_MSG_MAX);
	ike_msg_begin(sa, &wb, IKE_SA_INIT, false, 0);
	/* RFC 7296 2.6: a cookie goes first. */
	if (sa->cookie_len)
		ike_put_notify(&wb, 0, NULL, 0, IKE_N_COOKIE, sa->cookie, sa->cookie_len);
	ike_offer(sa->cfg, &offer);
	ike_put_sa(&wb, &offer);
	ike_put_ke(&wb, IKE_DH_CURVE25519, sa->dh.pub, sizeof(sa->dh.pub));
	ike_put_nonce(&wb, sa->ni, sa->ni_len);
	if (sa->eng->cfg.nat_detection)
		put_natd(sa, &wb, sa->peer_addr, sa->peer_port);
	if (ike_wb_finish_msg(&wb))
		return -EMSGSIZE;
	err = keep_copy(&sa->init_msg_i, &sa->init_msg_i_len, wb.buf, wb.len);
	if (err)
		return err;
	sa->req_len = wb.len;
	return 0;
}

static int send_init(struct ike_sa *sa)
{
	int err = build_init(sa);

	if (err)
		return err;
	sa->next_msg_id = 1;
	return ike_send_request_plain(sa, sa->req, sa->req_len, IKE_REQ_INIT);
}

void ike_init_retransmit(struct ike_sa *sa)
{
	if (!sa->cookie_next_len)
		return;
	memcpy(sa->cookie, sa->cookie_next, sa->cookie_next_len);
	sa->cookie_len = sa->cookie_next_len;
	sa->cookie_next_len = 0;
	sa->cookie_rounds++;
	/* Out of memory for the copy kept for AUTH: ours, not the peer's. */
	if (build_init(sa))
		init_failed(sa, "cannot add the cookie");
}

struct ike_sa *ike_initiate(struct ike_engine *eng, const struct ike_peer_cfg *peer)
{
	struct ike_sa *sa = ike_sa_new(eng, peer, true);

	if (!sa)
		return NULL;
	sa->peer_addr = peer->addr;
	sa->peer_port = peer->port ? peer->port : IKE_PORT;
	sa->state = IKE_S_INIT_SENT;
	sa->ni_len = IKE_NONCE_LEN;
	if (ike_random(sa->ni, sa->ni_len) || ike_dh_generate(&sa->dh) || send_init(sa)) {
		log_err("peer %s: cannot start IKE_SA_INIT", peer->name);
		sa->state = IKE_S_DEAD;
		return NULL;
	}
	log_debug("peer %s: IKE_SA_INIT sent", peer->name);
	return sa;
}

static int send_auth(struct ike_sa *sa)
{
	const struct ike_peer_cfg *cfg = sa->cfg;
	uint8_t inner_buf[1024], id_body[4 + IKE_ID_MAX], auth[IKE_PRF_LEN];
	struct ike_wbuf in;
	size_t id_len;
	int err;

	id_len = ike_id_body(&cfg->local_id, id_body, sizeof(id_body));
	err = ike_psk_auth(cfg->psk, cfg->psk_len, sa->init_msg_i, sa->init_msg_i_len, sa->nr,
			   sa->nr_len, sa->keys.sk_pi, id_body, id_len, auth);
	if (err)
		return err;
	ike_wb_init(&in, inner_buf, sizeof(inner_buf));
	ike_put_id(&in, IKE_PL_IDI, cfg->local_id.type, cfg->local_id.data, cfg->local_id.len);
	if (cfg->peer_id.len)
		ike_put_id(&in, IKE_PL_IDR, cfg->peer_id.type, cfg->peer_id.data, cfg->peer_id.len);
	ike_put_auth(&in, IKE_AUTH_PSK, auth, sizeof(auth));
	OPENSSL_cleanse(auth, sizeof(auth));
	if (cfg->child) {
		struct ike_sa_pl offer;

		sa->child_spi_offer = ike_new_spi32();
		ike_child_offer(cfg, sa->child_spi_offer, &offer);
		ike_put_sa(&in, &offer);
		ike_put_ts(&in, IKE_PL_TSI, &cfg->ts_local);
		ike_put_ts(&in, IKE_PL_TSR, &cfg->ts_remote);
	} else if (!sa->peer_childless) {
		log_err("peer %s: no CHILD_SA configured and the peer does not support "
			"childless IKE SAs (RFC 6023)",
			cfg->name);
		return -EPROTO;
	}
	sa->state = IKE_S_AUTH_SENT;
	return ike_send_protected(sa, IKE_AUTH, false, 1, IKE_REQ_AUTH, &in);
}

static bool notify_present(const struct ike_chain *c, uint16_t type, struct ike_notify_pl *out)
{
	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_notify_pl n;

		if (c->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(c->pl[i].body, c->pl[i].len, &n))
			continue;
		if (n.type == type) {
			if (out)
				*out = n;
			return true;
		}
	}
	return false;
}

/* An IKE_SA_INIT answer we do not act on (RFC 7296 2.21.1: it is
 * unauthenticated and may be an attacker's): the request goes on being
 * retransmitted until a usable answer comes or the transmissions run out. */
static void init_ignored(struct ike_sa *sa, const char *why)
{
	ike_count(sa->eng, IKE_C_INIT_IGNORED,
		  "peer %s: IKE_SA_INIT answer ignored (%s), waiting for another", sa->cfg->name,
		  why);
}

/* A COOKIE instead of an answer (RFC 7296 2.6): IKE_SA_INIT again with it,
 * at the next retransmission rather than at once: a forged COOKIE that
 * beats the genuine answer would otherwise make us sign a request the
 * responder never saw. At most COOKIE_TRIES are put in; the one we send
 * already (the answer to an earlier copy) changes nothing. False when the
 * response carries none. */
static bool init_cookie(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_notify_pl cookie;

	if (!notify_present(c, IKE_N_COOKIE, &cookie))
		return false;
	if (cookie.data_len < 1 || cookie.data_len > COOKIE_MAX) {
		init_ignored(sa, "COOKIE of unusable length");
		return true;
	}
	if (cookie.data_len == sa->cookie_len && !memcmp(cookie.data, sa->cookie, sa->cookie_len))
		return true;
	if (sa->cookie_rounds >= COOKIE_TRIES) {
		init_ignored(sa, "COOKIE beyond the bound");
		return true;
	}
	memcpy(sa->cookie_next, cookie.data, cookie.data_len);
	sa->cookie_next_len = cookie.data_len;
	return true;
}

/* The answer must carry one SA, KE and Nr, and be one of ours: one
 * transform per type (then sa->encr is set); otherwise counted, false. */
static bool init_answer_usable(struct ike_sa *sa, const struct ike_chain *c,
			       const struct ike_hdr *h, const struct ike_pl **nonce_pl,
			       struct ike_ke_pl *ke)
{
	const struct ike_pl *sa_pl, *ke_pl;
	unsigned int n_sa, n_ke, n_nonce;
	struct ike_sa_pl chosen;
	bool dh31;

	sa_pl = ike_chain_find(c, IKE_PL_SA, &n_sa);
	ke_pl = ike_chain_find(c, IKE_PL_KE, &n_ke);
	*nonce_pl = ike_chain_find(c, IKE_PL_NONCE, &n_nonce);
	if (n_sa != 1 || n_ke != 1 || n_nonce != 1 ||
	    ike_sa_parse(sa_pl->body, sa_pl->len, &chosen) || chosen.n_props != 1 ||
	    ike_ke_parse(ke_pl->body, ke_pl->len, ke) ||
	    ike_nonce_parse((*nonce_pl)->body, (*nonce_pl)->len)) {
		ike_count(sa->eng, IKE_C_MALFORMED, "IKE_SA_INIT response lacks SA, KE or Nr");
		return false;
	}
	if (chosen.p[0].num != 1 || chosen.p[0].n_trans != 3 ||
	    !ike_proposal_pick(&chosen.p[0], 0, &sa->encr, &dh31) || !dh31 ||
	    ke->group != IKE_DH_CURVE25519 || !memcmp(h->spi_r, (uint8_t[8]){ 0 }, 8)) {
		init_ignored(sa, "responder chose something we did not offer");
		return false;
	}
	return true;
}

/* Float to the NAT-T port for IKE_AUTH on (RFC 7296 2.23). */
static void init_float(struct ike_sa *sa, const struct ike_chain *c, const struct ike_hdr *h)
{
	struct ike_engine *eng = sa->eng;
	bool present, nat = natd_check(sa, c, h, sa->peer_addr, sa->peer_port, &present);

	if (present && (nat || sa->cfg->encap)) {
		log_info("peer %s: %s, moving to port %u", sa->cfg->name,
			 nat ? "NAT detected" : "UDP encapsulation forced", eng->cfg.natt_port);
		sa->natt = true;
		sa->peer_port = eng->cfg.natt_port;
	}
}

void ike_init_response(struct ike_sa *sa, uint8_t *msg, size_t len, const struct ike_hdr *h)
{
	struct ike_engine *eng = sa->eng;
	const struct ike_pl *nonce_pl;
	struct ike_chain c;
	struct ike_ke_pl ke;
	uint8_t bad_type;
	uint16_t error;
	int perr, err;

	if (h->msg_id != 0) {
		ike_count(eng, IKE_C_BAD_MSGID, "IKE_SA_INIT response with message ID %u",
			  h->msg_id);
		return;
	}
	perr = ike_chain_parse(h->next_payload, msg + IKE_HDR_LEN, len - IKE_HDR_LEN, &c,
			       &bad_type);
	if (perr) {
		/* Unauthenticated: could be forged, so keep waiting for a
		 * good answer (RFC 7296 2.4). */
		ike_count(eng, IKE_C_MALFORMED, "IKE_SA_INIT response: %s, ignored",
			  ike_perr_name(perr));
		return;
	}
	if (init_cookie(sa, &c))
		return;
	/* Every refusal here is unauthenticated (RFC 7296 2.21.1): kept for
	 * the log should no usable answer come, not acted on. We offer one
	 * group only, so INVALID_KE_PAYLOAD has no remedy either. */
	error = ike_chain_error(&c);
	if (error) {
		char why[32];

		snprintf(why, sizeof(why), "notify %u", error);
		sa->init_notify = error;
		init_ignored(sa, why);
		return;
	}
	if (!init_answer_usable(sa, &c, h, &nonce_pl, &ke))
		return;
	memcpy(sa->spi_r, h->spi_r, IKE_SPI_LEN);
	memcpy(sa->nr, nonce_pl->body, nonce_pl->len);
	sa->nr_len = nonce_pl->len;
	err = keep_copy(&sa->init_msg_r, &sa->init_msg_r_len, msg, len);
	if (!err)
		err = derive(sa, ke.data, ke.len);
	if (err == -EBADMSG) {
		memset(sa->spi_r, 0, IKE_SPI_LEN);
		init_ignored(sa, "KE value without a shared secret");
		return;
	}
	if (err) {
		init_failed(sa, "key derivation failed");
		return;
	}
	sa->peer_childless = notify_present(&c, IKE_N_CHILDLESS_IKEV2_SUPPORTED, NULL);
	if (eng->cfg.nat_detection)
		init_float(sa, &c, h);
	sa->req_kind = IKE_REQ_NONE;
	if (send_auth(sa))
		init_failed(sa, "cannot send IKE_AUTH");
}

/* --- responder --- */

static void send_plain_notify(struct ike_engine *eng, const struct ike_hdr *h, uint16_t type,
			      const uint8_t *data, size_t len, uint32_t addr, uint16_t port)
{
	struct ike_hdr r = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE };
	uint8_t out[128];
	struct ike_wbuf wb;

	memcpy(r.spi_i, h->spi_i, IKE_SPI_LEN);
	ike_wb_init(&wb, out, sizeof(out));
	ike_wb_hdr(&wb, &r);
	ike_put_notify(&wb, 0, NULL, 0, type, data, len);
	if (!ike_wb_finish_msg(&wb))
		ike_send_raw(eng, out, wb.len, addr, port);
}

/* Returns true when the request may proceed (no cookie needed, or a valid
 * one present); otherwise the cookie has been sent. */
static bool cookie_check(struct ike_engine *eng, const struct ike_hdr *h, const struct ike_chain *c,
			 const uint8_t *ni, size_t ni_len, uint32_t addr, uint16_t port)
{
	uint8_t want[IKE_COOKIE_LEN];
	struct ike_notify_pl n;

	if (eng->half_open < eng->cfg.cookie_threshold)
		return true;
	if (c->n && c->pl[0].type == IKE_PL_NOTIFY &&
	    !ike_notify_parse(c->pl[0].body, c->pl[0].len, &n) && n.type == IKE_N_COOKIE &&
	    !ike_cookie_check(eng, h->spi_i, ni, ni_len, addr, n.data, n.data_len))
		return true;
	ike_cookie_make(eng, h->spi_i, ni, ni_len, addr, want);
	ike_count(eng, IKE_C_COOKIES_SENT, NULL);
	send_plain_notify(eng, h, IKE_N_COOKIE, want, sizeof(want), addr, port);
	return false;
}

static struct ike_sa *find_half_open(struct ike_engine *eng, const struct ike_hdr *h, uint32_t addr)
{
	for (struct ike_sa *sa = eng->sas; sa; sa = sa->next)
		if (!sa->initiator && sa->state != IKE_S_DEAD && sa->peer_addr == addr &&
		    !memcmp(sa->spi_i, h->spi_i, IKE_SPI_LEN))
			return sa;
	return NULL;
}

static int send_init_response(struct ike_sa *sa, uint8_t num, bool natd)
{
	struct ike_wbuf wb;
	struct ike_sa_pl acc;

	ike_wb_init(&wb, sa->resp, IKE_MSG_MAX);
	ike_msg_begin(sa, &wb, IKE_SA_INIT, true, 0);
	ike_accepted_proposal(&acc, num, sa->encr);
	ike_put_sa(&wb, &acc);
	ike_put_ke(&wb, IKE_DH_CURVE25519, sa->dh.pub, sizeof(sa->dh.pub));
	ike_put_nonce(&wb, sa->nr, sa->nr_len);
	ike_put_notify(&wb, 0, NULL, 0, IKE_N_CHILDLESS_IKEV2_SUPPORTED, NULL, 0);
	if (natd)
		put_natd(sa, &wb, sa->peer_addr, sa->peer_port);
	if (ike_wb_finish_msg(&wb))
		return -EMSGSIZE;
	sa->resp_len = wb.len;
	sa->peer_msg_id = 1;
	return keep_copy(&sa->init_msg_r, &sa->init_msg_r_len, wb.buf, wb.len);
}

/* An IKE_SA_INIT request as received, and what was read from it. */
struct init_req {
	struct ike_engine *eng;
	const struct ike_hdr *h;
	uint8_t *msg;
	size_t len;
	uint32_t addr;
	uint16_t port;
	const struct ike_peer_cfg *cfg;
	struct ike_chain c;
	struct ike_sa_pl offer;
	struct ike_ke_pl ke;
	const struct ike_pl *nonce;
	uint16_t encr;
	uint8_t num;
};

/* A request from an initiator we answered already: a retransmission gets
 * the same answer again (RFC 7296 2.1). True when it was one. */
static bool init_known(const struct init_req *r)
{
	struct ike_sa *sa = find_half_open(r->eng, r->h, r->addr);

	if (!sa)
		return false;
	if (sa->state == IKE_S_HALF_OPEN && sa->init_msg_i_len == r->len &&
	    !memcmp(sa->init_msg_i, r->msg, r->len)) {
		ike_count(r->eng, IKE_C_RESENT_RESPONSES, NULL);
		ike_send_raw(r->eng, sa->init_msg_r, sa->init_msg_r_len, r->addr, r->port);
	}
	return true;
}

/* One SA, KE and Ni, valid; otherwise answered with the notify and false. */
static bool init_request_parse(struct init_req *r)
{
	const struct ike_pl *sa_pl, *ke_pl;
	unsigned int n_sa, n_ke, n_nonce;
	uint8_t bad_type = 0;
	int perr;

	perr = ike_chain_parse(r->h->next_payload, r->msg + IKE_HDR_LEN, r->len - IKE_HDR_LEN,
			       &r->c, &bad_type);
	if (perr == IKE_PERR_CRITICAL) {
		ike_count(r->eng, IKE_C_CRITICAL, "IKE_SA_INIT with unknown critical payload %u",
			  bad_type);
		send_plain_notify(r->eng, r->h, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &bad_type, 1,
				  r->addr, r->port);
		return false;
	}
	sa_pl = perr ? NULL : ike_chain_find(&r->c, IKE_PL_SA, &n_sa);
	ke_pl = perr ? NULL : ike_chain_find(&r->c, IKE_PL_KE, &n_ke);
	r->nonce = perr ? NULL : ike_chain_find(&r->c, IKE_PL_NONCE, &n_nonce);
	if (!sa_pl || !ke_pl || !r->nonce || n_sa != 1 || n_ke != 1 || n_nonce != 1 ||
	    ike_sa_parse(sa_pl->body, sa_pl->len, &r->offer) ||
	    ike_ke_parse(ke_pl->body, ke_pl->len, &r->ke) ||
	    ike_nonce_parse(r->nonce->body, r->nonce->len)) {
		ike_count(r->eng, IKE_C_MALFORMED, "IKE_SA_INIT request: %s",
			  perr ? ike_perr_name(perr) : "SA, KE or Ni missing or invalid");
		send_plain_notify(r->eng, r->h, IKE_N_INVALID_SYNTAX, NULL, 0, r->addr, r->port);
		return false;
	}
	return true;
}

/* Our proposal among the initiator's (r->encr, r->num); otherwise answered
 * with INVALID_KE_PAYLOAD or NO_PROPOSAL_CHOSEN and false. */
static bool init_request_choose(struct init_req *r)
{
	int err = ike_proposal_choose(r->cfg, &r->offer, r->ke.group, &r->encr, &r->num);

	if (err == -IKE_N_INVALID_KE_PAYLOAD) {
		uint8_t group[2];

		put_be16(group, IKE_DH_CURVE25519);
		ike_count(r->eng, IKE_C_NO_PROPOSAL, "IKE_SA_INIT: KE group %u, asking for 31",
			  r->ke.group);
		send_plain_notify(r->eng, r->h, IKE_N_INVALID_KE_PAYLOAD, group, 2, r->addr,
				  r->port);
		return false;
	}
	if (err) {
		ike_count(r->eng, IKE_C_NO_PROPOSAL,
			  "IKE_SA_INIT from peer %s: no acceptable proposal", r->cfg->name);
		send_plain_notify(r->eng, r->h, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, r->addr,
				  r->port);
		return false;
	}
	return true;
}

/* The responder's half-open SA, answered. */
static void init_half_open(const struct init_req *r)
{
	struct ike_engine *eng = r->eng;
	struct ike_sa *sa = ike_sa_new(eng, r->cfg, false);
	bool natd = false;
	int err;

	if (!sa)
		return;
	memcpy(sa->spi_i, r->h->spi_i, IKE_SPI_LEN);
	sa->peer_addr = r->addr;
	sa->peer_port = r->port;
	sa->encr = r->encr;
	memcpy(sa->ni, r->nonce->body, r->nonce->len);
	sa->ni_len = r->nonce->len;
	sa->nr_len = IKE_NONCE_LEN;
	if (ike_random(sa->nr, sa->nr_len) || ike_dh_generate(&sa->dh) ||
	    keep_copy(&sa->init_msg_i, &sa->init_msg_i_len, r->msg, r->len)) {
		sa->state = IKE_S_DEAD;
		return;
	}
	/* The response carries our public value: build it before deriving,
	 * which frees the private key. Answer NAT_D only when enabled and
	 * asked (RFC 7296 2.23). */
	if (eng->cfg.nat_detection)
		natd_check(sa, &r->c, r->h, r->addr, r->port, &natd);
	err = send_init_response(sa, r->num, natd);
	if (err || derive(sa, r->ke.data, r->ke.len)) {
		ike_count(eng, IKE_C_MALFORMED, "IKE_SA_INIT from peer %s: unusable KE value",
			  r->cfg->name);
		sa->state = IKE_S_DEAD;
		return;
	}
	sa->state = IKE_S_HALF_OPEN;
	sa->half_open_deadline_ms = ike_now_ms() + eng->cfg.half_open_timeout_ms;
	ike_deadline(eng, sa->half_open_deadline_ms);
	eng->half_open++;
	ike_send_raw(eng, sa->resp, sa->resp_len, r->addr, r->port);
}

void ike_init_request(struct ike_engine *eng, uint8_t *msg, size_t len, const struct ike_hdr *h,
		      uint32_t addr, uint16_t port)
{
	struct init_req r = {
		.eng = eng, .h = h, .msg = msg, .len = len, .addr = addr, .port = port
	};

	if (h->msg_id != 0 || memcmp(h->spi_r, (uint8_t[8]){ 0 }, 8) ||
	    !(h->flags & IKE_FLAG_INITIATOR)) {
		ike_count(eng, IKE_C_MALFORMED, "IKE_SA_INIT request with bad header fields");
		return;
	}
	if (init_known(&r))
		return;
	r.cfg = ike_peer_by_addr(eng, addr);
	if (!r.cfg) {
		char a[INET_ADDRSTRLEN];

		ike_count(eng, IKE_C_UNEXPECTED, "IKE_SA_INIT from %s, no peer configured, dropped",
			  inet_ntop(AF_INET, &addr, a, sizeof(a)));
		return;
	}
	if (!init_request_parse(&r) ||
	    !cookie_check(eng, h, &r.c, r.nonce->body, r.nonce->len, addr, port) ||
	    !init_request_choose(&r))
		return;
	init_half_open(&r);
}

/* --- IKE_AUTH --- */

static bool id_matches(const struct ike_identity *want, const struct ike_id_pl *got)
{
	/* An unconfigured peer identity accepts any (the PSK still binds). */
	if (!want->len)
		return true;
	return want->type == got->type && want->len == got->len &&
	       !memcmp(want->data, got->data, got->len);
}

static bool auth_verify(struct ike_sa *sa, const struct ike_pl *id_pl, const struct ike_pl *auth_pl,
			bool peer_is_initiator)
{
	const struct ike_peer_cfg *cfg = sa->cfg;
	struct ike_id_pl id;
	struct ike_auth_pl auth;
	uint8_t want[IKE_PRF_LEN];
	bool ok;

	if (!id_pl || !auth_pl || ike_id_parse(id_pl->body, id_pl->len, &id) ||
	    ike_auth_parse(auth_pl->body, auth_pl->len, &auth))
		return false;
	if (!id_matches(&cfg->peer_id, &id) || auth.method != IKE_AUTH_PSK ||
	    auth.len != IKE_PRF_LEN)
		return false;
	if (peer_is_initiator)
		ike_psk_auth(cfg->psk, cfg->psk_len, sa->init_msg_i, sa->init_msg_i_len, sa->nr,
			     sa->nr_len, sa->keys.sk_pi, id_pl->body, id_pl->len, want);
	else
		ike_psk_auth(cfg->psk, cfg->psk_len, sa->init_msg_r, sa->init_msg_r_len, sa->ni,
			     sa->ni_len, sa->keys.sk_pr, id_pl->body, id_pl->len, want);
	ok = ike_memeq(want, auth.data, IKE_PRF_LEN);
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

static void established(struct ike_sa *sa)
{
	struct ike_engine *eng = sa->eng;

	/* The INIT messages are no longer needed once both sides signed them. */
	free(sa->init_msg_i);
	free(sa->init_msg_r);
	sa->init_msg_i = sa->init_msg_r = NULL;
	sa->state = IKE_S_ESTABLISHED;
	sa->rekey_at_ms = ike_soft_deadline(sa->cfg->ike_rekey_ms);
	ike_deadline(sa->eng, sa->rekey_at_ms);
	ike_count(eng, IKE_C_SA_UP, NULL);
	log_info("peer %s: IKE SA established (%s, %s)", sa->cfg->name,
		 sa->initiator ? "initiator" : "responder",
		 sa->encr == IKE_ENCR_AES_GCM_16 ? "aes256gcm16" : "chacha20poly1305");
	if (eng->ev->ike_up)
		eng->ev->ike_up(eng->ev_ctx, sa);
}

/* Responder side of the CHILD_SA in IKE_AUTH: writes SA, TSi, TSr or the
 * notify that explains the refusal into the response. */
static struct ike_child *auth_child(struct ike_sa *sa, const struct ike_chain *c,
				    struct ike_wbuf *out)
{
	const struct ike_pl *sa_pl = ike_chain_find(c, IKE_PL_SA, NULL);
	const struct ike_pl *tsi_pl = ike_chain_find(c, IKE_PL_TSI, NULL);
	const struct ike_pl *tsr_pl = ike_chain_find(c, IKE_PL_TSR, NULL);
	struct ike_ts_pl tsi, tsr, our_i, our_r;
	struct ike_sa_pl offer, acc;
	struct ike_child *child;
	uint16_t encr;
	int idx;

	if (!sa_pl && !tsi_pl && !tsr_pl)
		return NULL; /* childless (RFC 6023) */
	if (!sa_pl || !tsi_pl || !tsr_pl || ike_sa_parse(sa_pl->body, sa_pl->len, &offer) ||
	    ike_ts_parse(tsi_pl->body, tsi_pl->len, &tsi) ||
	    ike_ts_parse(tsr_pl->body, tsr_pl->len, &tsr)) {
		ike_put_notify(out, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return NULL;
	}
	idx = ike_child_select(sa->cfg, &offer, &encr);
	if (idx < 0) {
		ike_count(sa->eng, IKE_C_NO_PROPOSAL, "peer %s: no acceptable CHILD_SA proposal",
			  sa->cfg->name);
		ike_put_notify(out, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return NULL;
	}
	/* TSi is the initiator's side: our remote selectors. */
	if (!ike_ts_narrow(&sa->cfg->ts_remote, &tsi, &our_i) ||
	    !ike_ts_narrow(&sa->cfg->ts_local, &tsr, &our_r)) {
		ike_put_notify(out, 0, NULL, 0, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return NULL;
	}
	child = ike_child_slot(sa);
	if (!child) {
		ike_put_notify(out, 0, NULL, 0, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
		return NULL;
	}
	child->encr = encr;
	child->encap = sa->natt;
	child->spi_out = get_be32(offer.p[idx].spi);
	child->spi_in = ike_new_spi32();
	child->ts_local = our_r;
	child->ts_remote = our_i;
	if (ike_child_keys(sa, child, sa->initiator, NULL, 0, sa->ni, sa->ni_len, sa->nr,
			   sa->nr_len)) {
		memset(child, 0, sizeof(*child));
		return NULL;
	}
	ike_child_offer(sa->cfg, child->spi_in, &acc);
	acc.p[0].num = offer.p[idx].num;
	acc.p[0].n_trans = 0;
	acc.p[0].t[acc.p[0].n_trans++] = ike_xform(IKE_TRANS_ENCR, encr);
	acc.p[0].t[acc.p[0].n_trans++] = ike_xform(IKE_TRANS_ESN, IKE_ESN_NONE);
	ike_put_sa(out, &acc);
	ike_put_ts(out, IKE_PL_TSI, &our_i);
	ike_put_ts(out, IKE_PL_TSR, &our_r);
	child->used = true;
	return child;
}

void ike_auth_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	struct ike_engine *eng = sa->eng;
	const struct ike_peer_cfg *cfg = sa->cfg;
	uint8_t buf[1024], id_body[4 + IKE_ID_MAX], auth[IKE_PRF_LEN];
	struct ike_child *child;
	struct ike_wbuf out;
	size_t id_len;

	if (!auth_verify(sa, ike_chain_find(c, IKE_PL_IDI, NULL),
			 ike_chain_find(c, IKE_PL_AUTH, NULL), true)) {
		ike_count(eng, IKE_C_AUTH_FAILED, "peer %s: IKE_AUTH failed (identity or PSK)",
			  cfg->name);
		ike_send_error_notify(sa, IKE_AUTH, h->msg_id, IKE_N_AUTHENTICATION_FAILED, NULL,
				      0);
		ike_sa_kill(sa, IKE_DOWN_FAILED);
		return;
	}
	id_len = ike_id_body(&cfg->local_id, id_body, sizeof(id_body));
	ike_psk_auth(cfg->psk, cfg->psk_len, sa->init_msg_r, sa->init_msg_r_len, sa->ni, sa->ni_len,
		     sa->keys.sk_pr, id_body, id_len, auth);
	ike_wb_init(&out, buf, sizeof(buf));
	ike_put_id(&out, IKE_PL_IDR, cfg->local_id.type, cfg->local_id.data, cfg->local_id.len);
	ike_put_auth(&out, IKE_AUTH_PSK, auth, sizeof(auth));
	OPENSSL_cleanse(auth, sizeof(auth));
	child = auth_child(sa, c, &out);
	if (ike_send_protected(sa, IKE_AUTH, true, h->msg_id, IKE_REQ_NONE, &out)) {
		ike_sa_kill(sa, IKE_DOWN_FAILED);
		return;
	}
	if (eng->half_open)
		eng->half_open--;
	established(sa);
	if (child && eng->ev->child_up)
		eng->ev->child_up(eng->ev_ctx, sa, child);
}

static void auth_response_child(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_pl *sa_pl = ike_chain_find(c, IKE_PL_SA, NULL);
	const struct ike_pl *tsi_pl = ike_chain_find(c, IKE_PL_TSI, NULL);
	const struct ike_pl *tsr_pl = ike_chain_find(c, IKE_PL_TSR, NULL);
	struct ike_ts_pl tsi, tsr, check;
	struct ike_sa_pl acc;
	struct ike_child *child;
	uint16_t encr, error;

	if (!sa->cfg->child)
		return;
	error = ike_chain_error(c);
	if (error || !sa_pl || !tsi_pl || !tsr_pl) {
		log_warn("peer %s: IKE SA up without CHILD_SA (notify %u)", sa->cfg->name, error);
		return;
	}
	if (ike_sa_parse(sa_pl->body, sa_pl->len, &acc) || acc.n_props != 1 ||
	    ike_ts_parse(tsi_pl->body, tsi_pl->len, &tsi) ||
	    ike_ts_parse(tsr_pl->body, tsr_pl->len, &tsr) ||
	    ike_child_select(sa->cfg, &acc, &encr) != 0 || acc.p[0].num != 1 ||
	    !ike_ts_narrow(&sa->cfg->ts_local, &tsi, &check) ||
	    !ike_ts_narrow(&sa->cfg->ts_remote, &tsr, &check)) {
		ike_count(sa->eng, IKE_C_MALFORMED,
			  "peer %s: CHILD_SA answer is not within our offer; not installed",
			  sa->cfg->name);
		return;
	}
	child = ike_child_slot(sa);
	if (!child)
		return;
	child->encr = encr;
	child->encap = sa->natt;
	child->spi_in = sa->child_spi_offer;
	child->spi_out = get_be32(acc.p[0].spi);
	child->ts_local = tsi;
	child->ts_remote = tsr;
	if (ike_child_keys(sa, child, sa->initiator, NULL, 0, sa->ni, sa->ni_len, sa->nr,
			   sa->nr_len))
		return;
	child->used = true;
	if (sa->eng->ev->child_up)
		sa->eng->ev->child_up(sa->eng->ev_ctx, sa, child);
}

void ike_auth_response(struct ike_sa *sa, const struct ike_chain *c)
{
	uint16_t error = ike_chain_error(c);

	if (error == IKE_N_AUTHENTICATION_FAILED || error == IKE_N_INVALID_SYNTAX ||
	    error == IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD) {
		ike_count(sa->eng, IKE_C_AUTH_FAILED, "peer %s refused IKE_AUTH (notify %u)",
			  sa->cfg->name, error);
		ike_sa_kill(sa, IKE_DOWN_FAILED);
		return;
	}
	if (!auth_verify(sa, ike_chain_find(c, IKE_PL_IDR, NULL),
			 ike_chain_find(c, IKE_PL_AUTH, NULL), false)) {
		ike_count(sa->eng, IKE_C_AUTH_FAILED,
			  "peer %s: responder's AUTH or identity does not verify", sa->cfg->name);
		ike_sa_kill(sa, IKE_DOWN_FAILED);
		return;
	}
	established(sa);
	auth_response_child(sa, c);
}
