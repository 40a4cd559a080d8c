/* The dispatcher: the engine's life, datagrams in, the checks every
 * message passes (header, SA, message ID, integrity), the routing of
 * requests and answers to the exchange handlers (ike_xchg.h), and the
 * timers: retransmission, half-open expiry, and the soft lifetimes and
 * retries that start our CREATE_CHILD_SA. The SA table, sockets and
 * sending are the SA layer's (ike_sa.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_xchg.h"
#include "lib/bytes.h"
#include "lib/log.h"

struct ike_engine *ike_engine_new(const struct ike_engine_cfg *cfg, const struct ike_events *ev,
				  void *ev_ctx)
{
	struct ike_engine *eng = calloc(1, sizeof(*eng));

	if (!eng)
		return NULL;
	eng->fd_natt = -1;
	eng->cfg = *cfg;
	if (!eng->cfg.port)
		eng->cfg.port = IKE_PORT;
	if (!eng->cfg.retransmit_base_ms)
		eng->cfg.retransmit_base_ms = 500;
	if (!eng->cfg.retransmit_tries)
		eng->cfg.retransmit_tries = 5;
	if (!eng->cfg.half_open_timeout_ms)
		eng->cfg.half_open_timeout_ms = 30000;
	eng->ev = ev;
	eng->ev_ctx = ev_ctx;
	if (ike_cookie_init(eng))
		goto fail;
	if (!eng->cfg.natt_port)
		eng->cfg.natt_port = IKE_NATT_PORT;
	eng->fd = -1;
	if (eng->cfg.transport) {
		if (eng->cfg.nat_detection)
			goto fail;
		return eng;
	}
	eng->fd = ike_socket_open(cfg->local_addr, eng->cfg.port);
	if (eng->fd < 0)
		goto fail;
	if (eng->cfg.nat_detection) {
		eng->fd_natt = ike_socket_open(cfg->local_addr, eng->cfg.natt_port);
		if (eng->fd_natt < 0) {
			close(eng->fd);
			goto fail;
		}
	}
	return eng;
fail:
	OPENSSL_cleanse(eng, sizeof(*eng));
	free(eng);
	return NULL;
}

void ike_engine_free(struct ike_engine *eng)
{
	if (!eng)
		return;
	for (struct ike_sa *sa = eng->sas; sa; sa = sa->next) {
		if (sa->state == IKE_S_ESTABLISHED)
			ike_sa_delete(sa);
		ike_sa_kill(sa, IKE_DOWN_SHUTDOWN);
	}
	ike_sa_reap_all(eng);
	if (eng->fd >= 0)
		close(eng->fd);
	if (eng->fd_natt >= 0)
		close(eng->fd_natt);
	OPENSSL_cleanse(eng, sizeof(*eng));
	free(eng);
}

int ike_engine_fd(const struct ike_engine *eng)
{
	return eng->fd;
}

unsigned int ike_engine_fds(const struct ike_engine *eng, int fds[2])
{
	fds[0] = eng->fd;
	fds[1] = eng->fd_natt;
	return eng->fd_natt >= 0 ? 2 : 1;
}

/* An IKE_SA_INIT with a major version we do not speak gets one unprotected
 * INVALID_MAJOR_VERSION (RFC 7296 2.5). */
static void answer_version(struct ike_engine *eng, const uint8_t *buf, uint32_t addr, uint16_t port)
{
	struct ike_hdr h = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE };
	uint8_t out[64];
	struct ike_wbuf wb;

	memcpy(h.spi_i, buf, IKE_SPI_LEN);
	h.msg_id = get_be32(buf + 20);
	ike_wb_init(&wb, out, sizeof(out));
	ike_wb_hdr(&wb, &h);
	ike_put_notify(&wb, 0, NULL, 0, IKE_N_INVALID_MAJOR_VERSION, NULL, 0);
	if (!ike_wb_finish_msg(&wb))
		ike_send_raw(eng, out, wb.len, addr, port);
}

/* A request whose SA payload's first proposal is for IKE rekeys the IKE SA. */
static bool is_ike_rekey(const struct ike_chain *c)
{
	const struct ike_pl *sa_pl = ike_chain_find(c, IKE_PL_SA, NULL);
	struct ike_sa_pl probe;

	return sa_pl && !ike_sa_parse(sa_pl->body, sa_pl->len, &probe) &&
	       probe.p[0].proto == IKE_PROTO_IKE;
}

/* The answer to our CREATE_CHILD_SA: a refusal of either kind, a new IKE
 * SA, or a new CHILD_SA. */
static void create_response(struct ike_sa *sa, const struct ike_chain *c)
{
	uint16_t error = ike_chain_error(c);

	if (!sa->cc.active)
		return;
	if (error)
		ike_create_refused(sa, c, error);
	else if (sa->cc.ike)
		ike_rekey_answer(sa, c);
	else
		ike_create_answer(sa, c);
}

static bool request_allowed(const struct ike_sa *sa, uint8_t exchange)
{
	if (exchange == IKE_AUTH)
		return !sa->initiator && sa->state == IKE_S_HALF_OPEN;
	return sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING;
}

static void dispatch_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	switch (h->exchange) {
	case IKE_AUTH:
		ike_auth_request(sa, h, c);
		break;
	case IKE_CREATE_CHILD_SA:
		/* The state check and its refusal are the CHILD_SA side's. */
		if (sa->state == IKE_S_ESTABLISHED && !sa->rekeyed && is_ike_rekey(c))
			ike_rekey_request(sa, h, c);
		else
			ike_create_child_request(sa, h, c);
		break;
	case IKE_INFORMATIONAL:
		ike_info_request(sa, h, c);
		break;
	case MLIKE_AUTH_SA:
		mlike_auth_sa_request(sa, h, c);
		break;
	case MLIKE_KEY_DISTRIBUTE:
		mlike_key_distribute_request(sa, h, c);
		break;
	case DKM_CSA_REQUEST:
		dkm_request(sa, h, c);
		break;
	case MLIKE_NEIGHBOR_NOTIFY:
		mlike_neighbor_notify_request(sa, h, c);
		break;
	case MLIKE_CREATE_CHILD_SA:
		mlike_rekey_request(sa, h, c);
		break;
	default:
		ike_count(sa->eng, IKE_C_UNEXPECTED, "exchange type %u not supported, dropped",
			  h->exchange);
		break;
	}
}

static int xchg_slot(uint8_t exchange);

static void dispatch_response(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	enum ike_req_kind kind = sa->req_kind;
	/* Read first: a handler may send the next request or free the SA. */
	struct ike_engine *eng = sa->eng;
	uint64_t sent_ns = sa->req_sent_ns;
	int slot;

	eng->resp_kind = kind;

	sa->req_kind = IKE_REQ_NONE;
	switch (kind) {
	case IKE_REQ_AUTH:
		ike_auth_response(sa, c);
		break;
	case IKE_REQ_DELETE:
	case IKE_REQ_LIVENESS:
	case IKE_REQ_CSA_DELETE:
	case IKE_REQ_CHILD_DELETE:
	case IKE_REQ_FLOW_MODE:
	case IKE_REQ_LINK_STATE:
		sa->req_kind = kind;
		ike_info_response(sa, c);
		break;
	case IKE_REQ_CREATE_CHILD:
	case IKE_REQ_REKEY_IKE:
		create_response(sa, c);
		break;
	case IKE_REQ_MLIKE_AUTH_SA:
		mlike_auth_sa_response(sa, c);
		break;
	case IKE_REQ_KEY_DISTRIBUTE:
		mlike_key_distribute_response(sa, c);
		break;
	case IKE_REQ_DKM:
	case IKE_REQ_DKM_REPORT:
		dkm_response(sa, c, kind);
		break;
	case IKE_REQ_NEIGHBOR_NOTIFY:
		mlike_neighbor_notify_response(sa, c);
		break;
	case IKE_REQ_MLIKE_REKEY:
		mlike_rekey_response(sa, c);
		break;
	default:
		ike_count(sa->eng, IKE_C_UNEXPECTED, "response to exchange %u unexpected",
			  h->exchange);
		return;
	}
	/* A DKM report to the HA shares the exchange type: the FA-FA
	 * request's time is the one worth keeping. */
	if (kind != IKE_REQ_DKM_REPORT && (slot = xchg_slot(h->exchange)) >= 0)
		eng->rtt_ns[slot] = ike_now_ns() - sent_ns;
}

/* The peer's previous request again (RFC 7296 2.1: a retransmission, or a
 * replay): it gets the response we stored, whatever our state now, but
 * only once it passes the integrity check. */
static bool request_again(const struct ike_sa *sa, const struct ike_hdr *h, bool response)
{
	return !response && h->msg_id + 1 == sa->peer_msg_id && sa->resp_len;
}

/* Message ID rules (RFC 7296 2.2-2.3), the previous request aside: a
 * response must answer our one outstanding request; a request must be the
 * next one expected. */
static bool msgid_ok(struct ike_sa *sa, const struct ike_hdr *h, bool response)
{
	if (response) {
		if (sa->req_kind == IKE_REQ_NONE || h->msg_id != sa->next_msg_id - 1) {
			ike_count(sa->eng, IKE_C_BAD_MSGID,
				  "response with message ID %u not outstanding, dropped",
				  h->msg_id);
			return false;
		}
		return true;
	}
	if (h->msg_id != sa->peer_msg_id) {
		ike_count(sa->eng, IKE_C_BAD_MSGID,
			  "request with message ID %u, expected %u, dropped", h->msg_id,
			  sa->peer_msg_id);
		return false;
	}
	return true;
}

/* The SK payload opened in place: its inner chain's first type, the
 * plaintext; false (counted) when it is missing or fails. */
static bool open_sk(struct ike_sa *sa, uint8_t *buf, size_t len, const struct ike_hdr *h,
		    uint8_t *first, uint8_t **plain, size_t *plain_len)
{
	struct ike_chain outer;
	uint8_t bad_type = 0;
	int perr, err;

	perr = ike_chain_parse(h->next_payload, buf + IKE_HDR_LEN, len - IKE_HDR_LEN, &outer,
			       &bad_type);
	if (perr || outer.n == 0 || outer.pl[outer.n - 1].type != IKE_PL_SK) {
		ike_count(sa->eng, IKE_C_MALFORMED,
			  "exchange %u: no valid SK payload (%s), dropped", h->exchange,
			  perr ? ike_perr_name(perr) : "missing");
		return false;
	}
	err = ike_sk_open(&sa->sk, buf, len, &outer.pl[outer.n - 1], plain, plain_len);
	if (err) {
		/* RFC 7296 2.21.2: a message that fails integrity is dropped
		 * without a word and changes no state. */
		ike_count(sa->eng, err == -EBADMSG ? IKE_C_BAD_ICV : IKE_C_MALFORMED,
			  "exchange %u message %u failed %s, dropped", h->exchange, h->msg_id,
			  err == -EBADMSG ? "authentication" : "decryption");
		return false;
	}
	*first = outer.pl[outer.n - 1].body[-IKE_GEN_HDR_LEN];
	return true;
}

static void process_protected(struct ike_sa *sa, uint8_t *buf, size_t len, const struct ike_hdr *h,
			      bool natt, uint16_t from_port)
{
	bool response = h->flags & IKE_FLAG_RESPONSE;
	bool again = request_again(sa, h, response);
	struct ike_chain inner;
	uint8_t *plain, first;
	size_t plain_len;
	uint8_t bad_type = 0;
	int perr;

	if (!sa->have_keys || (!response && !again && !request_allowed(sa, h->exchange))) {
		ike_count(sa->eng, IKE_C_UNEXPECTED, "exchange %u in state %d, dropped",
			  h->exchange, sa->state);
		return;
	}
	if (!again && !msgid_ok(sa, h, response))
		return;
	if (!open_sk(sa, buf, len, h, &first, &plain, &plain_len))
		return;
	if (again) {
		/* Authentic: the peer lost our answer. A copy with the right
		 * SPIs and ID but a broken check got nothing above, so we
		 * neither amplify a forger's packets nor tell him which IDs
		 * we answered. */
		ike_count(sa->eng, IKE_C_RESENT_RESPONSES, NULL);
		ike_sa_send(sa, sa->resp, sa->resp_len);
		return;
	}
	/* Authenticated: now the peer may move to the NAT-T port, or its NAT
	 * mapping may change (RFC 7296 2.23). */
	if (natt && (!sa->natt || sa->peer_port != from_port)) {
		sa->natt = true;
		sa->peer_port = from_port;
	}
	perr = ike_chain_parse(first, plain, plain_len, &inner, &bad_type);
	if (perr) {
		ike_count(sa->eng, perr == IKE_PERR_CRITICAL ? IKE_C_CRITICAL : IKE_C_MALFORMED,
			  "exchange %u message %u: %s (payload %u)", h->exchange, h->msg_id,
			  ike_perr_name(perr), bad_type);
		if (response) {
			/* A broken answer ends what it answered. */
			sa->req_kind = IKE_REQ_NONE;
			if (sa->state != IKE_S_ESTABLISHED)
				ike_sa_kill(sa, IKE_DOWN_FAILED);
			return;
		}
		if (perr == IKE_PERR_CRITICAL)
			ike_send_error_notify(sa, h->exchange, h->msg_id,
					      IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &bad_type, 1);
		else
			ike_send_error_notify(sa, h->exchange, h->msg_id, IKE_N_INVALID_SYNTAX,
					      NULL, 0);
		if (sa->state == IKE_S_HALF_OPEN)
			ike_sa_kill(sa, IKE_DOWN_FAILED);
		return;
	}
	if (!response) {
		dispatch_request(sa, h, &inner);
		return;
	}
	dispatch_response(sa, h, &inner);
	if (sa->delete_pending && sa->state == IKE_S_ESTABLISHED && sa->req_kind == IKE_REQ_NONE) {
		sa->delete_pending = false;
		ike_sa_delete(sa);
	}
}

static int xchg_slot(uint8_t exchange)
{
	switch (exchange) {
	case IKE_SA_INIT:
	case IKE_AUTH:
	case IKE_CREATE_CHILD_SA:
	case IKE_INFORMATIONAL:
		return exchange - IKE_SA_INIT;
	case MLIKE_AUTH_SA:
	case MLIKE_KEY_DISTRIBUTE:
	case MLIKE_NEIGHBOR_NOTIFY:
	case DKM_CSA_REQUEST:
	case MLIKE_CREATE_CHILD_SA:
		return 4 + exchange - MLIKE_AUTH_SA;
	default:
		return -1;
	}
}

uint64_t ike_engine_proc_ns(const struct ike_engine *eng, uint8_t exchange, bool response)
{
	int slot = xchg_slot(exchange);

	return slot < 0 ? 0 : eng->proc_ns[slot][response];
}

uint64_t ike_engine_rtt_ns(const struct ike_engine *eng, uint8_t exchange)
{
	int slot = xchg_slot(exchange);

	return slot < 0 ? 0 : eng->rtt_ns[slot];
}

static void process(struct ike_engine *eng, uint8_t *buf, size_t len, uint32_t from_addr,
		    uint16_t from_port, bool natt);

static void timed_process(struct ike_engine *eng, uint8_t *buf, size_t len, uint32_t from_addr,
			  uint16_t from_port, bool natt)
{
	uint64_t t0 = ike_now_ns();
	int slot;

	eng->resp_kind = IKE_REQ_NONE;
	process(eng, buf, len, from_addr, from_port, natt);
	if (len >= IKE_HDR_LEN && (slot = xchg_slot(buf[18])) >= 0 &&
	    eng->resp_kind != IKE_REQ_DKM_REPORT)
		eng->proc_ns[slot][!!(buf[19] & IKE_FLAG_RESPONSE)] = ike_now_ns() - t0;
}

void ike_engine_process(struct ike_engine *eng, uint8_t *buf, size_t len, uint32_t from_addr,
			uint16_t from_port)
{
	timed_process(eng, buf, len, from_addr, from_port, false);
}

void ike_engine_process_natt(struct ike_engine *eng, uint8_t *buf, size_t len, uint32_t from_addr,
			     uint16_t from_port)
{
	/* A NAT keepalive (RFC 3948 2.3) is one 0xff byte: nothing to do. */
	if (len == 1 && buf[0] == 0xff)
		return;
	/* Without the non-ESP marker it is ESP in UDP, not for us. */
	if (len < 4 || buf[0] || buf[1] || buf[2] || buf[3]) {
		ike_count(eng, IKE_C_MALFORMED, "NAT-T port: %zu bytes without non-ESP marker",
			  len);
		return;
	}
	timed_process(eng, buf + 4, len - 4, from_addr, from_port, true);
}

static void process(struct ike_engine *eng, uint8_t *buf, size_t len, uint32_t from_addr,
		    uint16_t from_port, bool natt)
{
	struct ike_hdr h;
	struct ike_sa *sa;
	int perr;

	eng->counters[IKE_C_RX]++;
	perr = ike_hdr_parse(buf, len, &h);
	if (perr) {
		ike_count(eng, IKE_C_MALFORMED, "%zu-byte datagram: bad IKE header (%s), dropped",
			  len, ike_perr_name(perr));
		if (perr == IKE_PERR_VERSION && buf[18] == IKE_SA_INIT &&
		    !(buf[19] & IKE_FLAG_RESPONSE))
			answer_version(eng, buf, from_addr, from_port);
		goto out;
	}
	if (h.exchange == IKE_SA_INIT) {
		if (!(h.flags & IKE_FLAG_RESPONSE)) {
			ike_init_request(eng, buf, len, &h, from_addr, from_port);
			goto out;
		}
		sa = ike_sa_find_init_sent(eng, h.spi_i);
		if (!sa || sa->peer_addr != from_addr) {
			ike_count(eng, IKE_C_UNKNOWN_SPI,
				  "IKE_SA_INIT response for no SA, dropped");
			goto out;
		}
		ike_init_response(sa, buf, len, &h);
		goto out;
	}
	sa = ike_sa_find(eng, &h, from_addr);
	if (!sa) {
		ike_count(eng, IKE_C_UNKNOWN_SPI, "exchange %u for an unknown IKE SA, dropped",
			  h.exchange);
		goto out;
	}
	process_protected(sa, buf, len, &h, natt, from_port);
out:
	ike_sa_reap(eng);
}

static void input_from(struct ike_engine *eng, int fd, bool natt)
{
	uint8_t buf[IKE_MSG_MAX + 5];

	for (;;) {
		struct sockaddr_in from;
		socklen_t from_len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("recvfrom: %s", strerror(errno));
			if (errno != EINTR)
				break;
			continue;
		}
		if (natt)
			ike_engine_process_natt(eng, buf, (size_t)n, from.sin_addr.s_addr,
						ntohs(from.sin_port));
		else
			ike_engine_process(eng, buf, (size_t)n, from.sin_addr.s_addr,
					   ntohs(from.sin_port));
	}
}

void ike_engine_input(struct ike_engine *eng)
{
	if (eng->fd < 0)
		return; /* a transport's engine: its embedder delivers */
	input_from(eng, eng->fd, false);
	if (eng->fd_natt >= 0)
		input_from(eng, eng->fd_natt, true);
}

/* With no request of ours outstanding: a retry that is due, else the IKE
 * SA's soft lifetime, else the first CHILD_SA's. */
static void create_tick(struct ike_sa *sa, uint64_t now)
{
	if (sa->state != IKE_S_ESTABLISHED || sa->rekeyed || sa->req_kind != IKE_REQ_NONE)
		return;
	if (sa->cc.active) {
		if (sa->cc.retry_at_ms && now >= sa->cc.retry_at_ms) {
			sa->cc.retry_at_ms = 0;
			if (sa->cc.ike ? ike_rekey_send(sa) : ike_create_send(sa))
				ike_cc_fail(sa, 0);
		}
		return;
	}
	if (sa->rekey_at_ms && now >= sa->rekey_at_ms) {
		sa->rekey_at_ms = 0;
		if (ike_sa_rekey(sa))
			log_warn("peer %s: cannot start the IKE SA rekey", sa->cfg->name);
		return;
	}
	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++) {
		struct ike_child *child = &sa->child[i];

		if (!child->used || !child->rekey_at_ms || now < child->rekey_at_ms)
			continue;
		child->rekey_at_ms = 0;
		if (ike_child_create(sa, child->spi_in, sa->cfg->pfs))
			log_warn("peer %s: cannot start the CHILD_SA rekey", sa->cfg->name);
		return;
	}
}

static uint64_t create_next(const struct ike_sa *sa)
{
	uint64_t next = UINT64_MAX;

	if (sa->state != IKE_S_ESTABLISHED || sa->rekeyed || sa->req_kind != IKE_REQ_NONE)
		return next;
	if (sa->cc.active)
		return sa->cc.retry_at_ms ? sa->cc.retry_at_ms : next;
	if (sa->rekey_at_ms)
		next = sa->rekey_at_ms;
	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++)
		if (sa->child[i].used && sa->child[i].rekey_at_ms &&
		    sa->child[i].rekey_at_ms < next)
			next = sa->child[i].rekey_at_ms;
	return next;
}

static uint64_t sa_next(const struct ike_sa *sa)
{
	uint64_t next = create_next(sa);

	if (sa->state == IKE_S_DEAD)
		return UINT64_MAX;
	if (sa->req_kind != IKE_REQ_NONE && sa->req_deadline_ms < next)
		next = sa->req_deadline_ms;
	if (sa->state == IKE_S_HALF_OPEN && sa->half_open_deadline_ms < next)
		next = sa->half_open_deadline_ms;
	return next;
}

static int ms_until(uint64_t next)
{
	uint64_t now = ike_now_ms();

	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

int ike_engine_timeout_ms(const struct ike_engine *eng)
{
	uint64_t next = UINT64_MAX;

	for (const struct ike_sa *sa = eng->sas; sa; sa = sa->next)
		if (sa_next(sa) < next)
			next = sa_next(sa);
	return ms_until(next);
}

int ike_engine_timeout_hint_ms(const struct ike_engine *eng)
{
	return ms_until(eng->hint_ms);
}

static void request_gave_up(struct ike_sa *sa)
{
	const char *name = sa->cfg ? sa->cfg->name : "?";

	/* Only refusals came for our IKE_SA_INIT: unauthenticated, so not
	 * believed at once (RFC 7296 2.21.1), but the likely reason now. */
	if (sa->state == IKE_S_INIT_SENT && sa->init_notify) {
		log_err("peer %s: IKE_SA_INIT failed: no usable answer after %u transmissions, "
			"the last one refused with notify %u",
			name, sa->req_tries + 1, sa->init_notify);
		ike_sa_kill(sa, IKE_DOWN_FAILED);
		return;
	}
	log_info("peer %s: no answer after %u transmissions, IKE SA dropped", name,
		 sa->req_tries + 1);
	ike_sa_kill(sa, sa->req_kind == IKE_REQ_DELETE ? IKE_DOWN_DELETED : IKE_DOWN_TIMEOUT);
}

void ike_engine_tick(struct ike_engine *eng)
{
	uint64_t now = ike_now_ms();

	for (struct ike_sa *sa = eng->sas; sa; sa = sa->next) {
		if (sa->state == IKE_S_DEAD)
			continue;
		if (sa->state == IKE_S_HALF_OPEN && now >= sa->half_open_deadline_ms) {
			log_info("half-open IKE SA from peer timed out");
			ike_sa_kill(sa, IKE_DOWN_TIMEOUT);
			continue;
		}
		if (sa->req_kind == IKE_REQ_NONE) {
			/* Soft lifetimes and retries start our CREATE_CHILD_SA. */
			create_tick(sa, now);
			continue;
		}
		if (now < sa->req_deadline_ms)
			continue;
		if (sa->state == IKE_S_INIT_SENT)
			ike_init_retransmit(sa);
		if (sa->state != IKE_S_DEAD && ike_request_expired(sa, now))
			request_gave_up(sa);
	}
	ike_sa_reap(eng);
	/* Exact again: what every SA left waits for. */
	eng->hint_ms = UINT64_MAX;
	for (const struct ike_sa *sa = eng->sas; sa; sa = sa->next)
		ike_deadline(eng, sa_next(sa));
}
