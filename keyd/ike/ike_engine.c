/* The engine: socket, SA table, message dispatch, retransmission timers and
 * counters. Exchange logic lives in ike_init.c, ike_child.c, ike_create.c,
 * ike_rekey.c, ike_info.c and mlike.c. */
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

#include "keyd/ike/ike_int.h"
#include "lib/bytes.h"
#include "lib/log.h"

static const char *const counter_names[IKE_C_MAX] = {
	[IKE_C_RX] = "rx",
	[IKE_C_TX] = "tx",
	[IKE_C_RETRANSMITS] = "retransmits",
	[IKE_C_RESENT_RESPONSES] = "resent_responses",
	[IKE_C_MALFORMED] = "malformed",
	[IKE_C_BAD_ICV] = "bad_icv",
	[IKE_C_UNKNOWN_SPI] = "unknown_spi",
	[IKE_C_BAD_MSGID] = "bad_msgid",
	[IKE_C_CRITICAL] = "unknown_critical",
	[IKE_C_NO_PROPOSAL] = "no_proposal",
	[IKE_C_AUTH_FAILED] = "auth_failed",
	[IKE_C_COOKIES_SENT] = "cookies_sent",
	[IKE_C_BAD_COOKIE] = "bad_cookie",
	[IKE_C_UNEXPECTED] = "unexpected",
	[IKE_C_SA_UP] = "sa_up",
	[IKE_C_SA_DOWN] = "sa_down",
};

const char *ike_counter_name(enum ike_counter c)
{
	return c < IKE_C_MAX ? counter_names[c] : "unknown";
}

uint64_t ike_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ike_count(struct ike_engine *eng, enum ike_counter c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	eng->counters[c]++;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A flood of one kind of bad packet must not flood the log. */
	if (!(eng->logged & (1u << c))) {
		eng->logged |= 1u << c;
		log_warn("%s (first of its kind; later ones counted as %s)", msg, counter_names[c]);
	} else {
		log_debug("%s", msg);
	}
}

uint64_t ike_engine_counter(const struct ike_engine *eng, enum ike_counter c)
{
	return c < IKE_C_MAX ? eng->counters[c] : 0;
}

static int open_socket(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_addr.s_addr = addr;
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		char a[INET_ADDRSTRLEN];

		log_err("bind %s:%u: %s", inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a)), port,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

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
	if (ike_random(eng->cookie_secret, sizeof(eng->cookie_secret)))
		goto fail;
	if (!eng->cfg.natt_port)
		eng->cfg.natt_port = IKE_NATT_PORT;
	eng->fd = open_socket(cfg->local_addr, eng->cfg.port);
	if (eng->fd < 0)
		goto fail;
	if (eng->cfg.nat_detection) {
		eng->fd_natt = open_socket(cfg->local_addr, eng->cfg.natt_port);
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

static void sa_free(struct ike_sa *sa)
{
	ike_dh_free(&sa->dh);
	ike_dh_free(&sa->cc.dh);
	ike_sk_free(&sa->sk);
	free(sa->init_msg_i);
	free(sa->init_msg_r);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

static void reap(struct ike_engine *eng)
{
	struct ike_sa **pp = &eng->sas;

	while (*pp) {
		struct ike_sa *sa = *pp;

		if (sa->state == IKE_S_DEAD) {
			*pp = sa->next;
			sa_free(sa);
		} else {
			pp = &sa->next;
		}
	}
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
	reap(eng);
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

uint32_t ike_new_spi32(void)
{
	uint32_t spi = 0;

	/* 0..255 are reserved (RFC 4303 2.1). */
	while (spi < 256)
		if (ike_random(&spi, sizeof(spi)))
			return 0;
	return spi;
}

struct ike_sa *ike_sa_new(struct ike_engine *eng, const struct ike_peer_cfg *cfg, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	uint8_t *own_spi;

	if (!sa)
		return NULL;
	sa->eng = eng;
	sa->cfg = cfg;
	sa->initiator = initiator;
	own_spi = initiator ? sa->spi_i : sa->spi_r;
	do {
		if (ike_random(own_spi, IKE_SPI_LEN)) {
			free(sa);
			return NULL;
		}
	} while (!memcmp(own_spi, (uint8_t[IKE_SPI_LEN]){ 0 }, IKE_SPI_LEN));
	sa->next = eng->sas;
	eng->sas = sa;
	return sa;
}

void ike_sa_kill(struct ike_sa *sa, enum ike_down_reason why)
{
	struct ike_engine *eng = sa->eng;
	bool was_up = sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING;

	if (sa->state == IKE_S_DEAD)
		return;
	if (sa->state == IKE_S_HALF_OPEN && eng->half_open)
		eng->half_open--;
	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++) {
		if (!sa->child[i].used)
			continue;
		if (eng->ev->child_down)
			eng->ev->child_down(eng->ev_ctx, sa, &sa->child[i]);
		OPENSSL_cleanse(&sa->child[i], sizeof(sa->child[i]));
	}
	sa->state = IKE_S_DEAD;
	if (sa->rekeyed)
		was_up = false; /* its successor carries on */
	if (was_up)
		ike_count(eng, IKE_C_SA_DOWN, NULL);
	/* Every SA we started, and every one that came up, reports its end. */
	if ((was_up || (sa->initiator && !sa->rekeyed)) && eng->ev->ike_down)
		eng->ev->ike_down(eng->ev_ctx, sa, why);
	OPENSSL_cleanse(&sa->keys, sizeof(sa->keys));
	OPENSSL_cleanse(&sa->csa, sizeof(sa->csa));
	ike_cc_wipe(sa);
	ike_sk_free(&sa->sk);
	ike_dh_free(&sa->dh);
}

struct ike_sa *ike_sa_find(struct ike_engine *eng, const struct ike_hdr *h, uint32_t addr)
{
	bool from_initiator = h->flags & IKE_FLAG_INITIATOR;

	for (struct ike_sa *sa = eng->sas; sa; sa = sa->next) {
		if (sa->state == IKE_S_DEAD || sa->initiator == from_initiator)
			continue;
		if (memcmp(sa->spi_i, h->spi_i, IKE_SPI_LEN) ||
		    memcmp(sa->spi_r, h->spi_r, IKE_SPI_LEN))
			continue;
		return sa;
	}
	return NULL;
}

const struct ike_peer_cfg *ike_peer_by_addr(const struct ike_engine *eng, uint32_t addr)
{
	for (unsigned int i = 0; i < eng->cfg.n_peers; i++)
		if (eng->cfg.peers[i].addr == addr)
			return &eng->cfg.peers[i];
	return NULL;
}

int ike_send_raw(struct ike_engine *eng, const uint8_t *buf, size_t len, uint32_t addr,
		 uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port ? port : IKE_PORT),
		.sin_addr.s_addr = addr,
	};

	if (sendto(eng->fd, buf, len, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		log_debug("sendto: %s", strerror(errno));
		return -errno;
	}
	eng->counters[IKE_C_TX]++;
	return 0;
}

int ike_sa_send(struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	static const uint8_t marker[4];
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(sa->peer_port),
		.sin_addr.s_addr = sa->peer_addr,
	};
	struct iovec iov[2] = { { (void *)marker, sizeof(marker) }, { (void *)buf, len } };
	struct msghdr mh = {
		.msg_name = &sin, .msg_namelen = sizeof(sin), .msg_iov = iov, .msg_iovlen = 2
	};

	if (!sa->natt || sa->eng->fd_natt < 0)
		return ike_send_raw(sa->eng, buf, len, sa->peer_addr, sa->peer_port);
	/* RFC 3948 2.2: IKE on the NAT-T port starts with four zero bytes. */
	if (sendmsg(sa->eng->fd_natt, &mh, 0) < 0) {
		log_debug("sendmsg: %s", strerror(errno));
		return -errno;
	}
	sa->eng->counters[IKE_C_TX]++;
	return 0;
}

int ike_natd_hash(const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN], uint32_t addr,
		  uint16_t port, uint8_t out[20])
{
	uint8_t in[2 * IKE_SPI_LEN + 6];
	unsigned int out_len = 0;

	memcpy(in, spi_i, IKE_SPI_LEN);
	memcpy(in + IKE_SPI_LEN, spi_r, IKE_SPI_LEN);
	memcpy(in + 2 * IKE_SPI_LEN, &addr, 4);
	put_be16(in + 2 * IKE_SPI_LEN + 4, port);
	return EVP_Digest(in, sizeof(in), out, &out_len, EVP_sha1(), NULL) && out_len == 20 ? 0 :
											      -EIO;
}

void ike_msg_begin(struct ike_sa *sa, struct ike_wbuf *wb, uint8_t exchange, bool response,
		   uint32_t msg_id)
{
	struct ike_hdr h = {
		.exchange = exchange,
		.flags = (uint8_t)((sa->initiator ? IKE_FLAG_INITIATOR : 0) |
				   (response ? IKE_FLAG_RESPONSE : 0)),
		.msg_id = msg_id,
	};

	memcpy(h.spi_i, sa->spi_i, IKE_SPI_LEN);
	memcpy(h.spi_r, sa->spi_r, IKE_SPI_LEN);
	ike_wb_hdr(wb, &h);
}

/* IKE_SA_INIT's short first timeouts: how many doublings of
 * init_retransmit_ms stay below retransmit_base_ms (0 when not in use). */
static unsigned int init_doublings(const struct ike_sa *sa)
{
	const struct ike_engine_cfg *cfg = &sa->eng->cfg;
	unsigned int n = 0;

	if (sa->req_kind != IKE_REQ_INIT || !cfg->init_retransmit_ms)
		return 0;
	for (uint64_t t = cfg->init_retransmit_ms; t < cfg->retransmit_base_ms; t <<= 1)
		n++;
	return n;
}

/* The timeout after transmission number tries + 1 of the outstanding
 * request: init_retransmit_ms doubling up to retransmit_base_ms for
 * IKE_SA_INIT, then retransmit_base_ms doubling (RFC 7296 2.4). */
static uint64_t request_timeout(const struct ike_sa *sa, unsigned int tries)
{
	unsigned int extra = init_doublings(sa);

	if (tries < extra)
		return (uint64_t)sa->eng->cfg.init_retransmit_ms << tries;
	return (uint64_t)sa->eng->cfg.retransmit_base_ms << (tries - extra);
}

/* Transmissions in all before the SA is given up. */
static unsigned int request_tries(const struct ike_sa *sa)
{
	return sa->eng->cfg.retransmit_tries + init_doublings(sa);
}

static void arm_request(struct ike_sa *sa, enum ike_req_kind kind)
{
	sa->req_kind = kind;
	sa->req_tries = 0;
	sa->req_unreachable = 0;
	sa->req_deadline_ms = ike_now_ms() + request_timeout(sa, 0);
}

#define UNREACHABLE_RESEND_MS 5
#define UNREACHABLE_RESENDS 100

/* Sends the outstanding request. No route to the peer yet (the MH's tunnel
 * route appears with its binding, a moment after the binding event) is not
 * a lost packet: the request goes again in a few milliseconds, without
 * counting as a retransmission, for at most half a second. */
static void send_request_now(struct ike_sa *sa)
{
	int err = ike_sa_send(sa, sa->req, sa->req_len);

	if ((err == -ENETUNREACH || err == -EHOSTUNREACH) &&
	    sa->req_unreachable < UNREACHABLE_RESENDS) {
		sa->req_unreachable++;
		sa->req_deadline_ms = ike_now_ms() + UNREACHABLE_RESEND_MS;
	}
}

int ike_send_request_plain(struct ike_sa *sa, const uint8_t *buf, size_t len,
			   enum ike_req_kind kind)
{
	if (buf != sa->req)
		memcpy(sa->req, buf, len);
	sa->req_len = len;
	arm_request(sa, kind);
	/* A send that fails is a lost packet: the timer sends it again. */
	send_request_now(sa);
	return 0;
}

int ike_send_protected(struct ike_sa *sa, uint8_t exchange, bool response, uint32_t msg_id,
		       enum ike_req_kind kind, const struct ike_wbuf *inner)
{
	struct ike_wbuf wb;
	uint8_t *buf = response ? sa->resp : sa->req;
	int err;

	if (inner->overflow)
		return -EMSGSIZE;
	ike_wb_init(&wb, buf, IKE_MSG_MAX);
	ike_msg_begin(sa, &wb, exchange, response, msg_id);
	err = ike_sk_seal(&sa->sk, &wb, inner->first_type, inner->buf, inner->len);
	if (err)
		return err;
	if (response) {
		sa->resp_len = wb.len;
		if (msg_id == sa->peer_msg_id)
			sa->peer_msg_id++;
		return ike_sa_send(sa, sa->resp, sa->resp_len);
	}
	sa->next_msg_id = msg_id + 1;
	return ike_send_request_plain(sa, buf, wb.len, kind);
}

int ike_send_error_notify(struct ike_sa *sa, uint8_t exchange, uint32_t msg_id, uint16_t type,
			  const uint8_t *data, size_t len)
{
	uint8_t buf[256];
	struct ike_wbuf in;

	ike_wb_init(&in, buf, sizeof(buf));
	ike_put_notify(&in, 0, NULL, 0, type, data, len);
	return ike_send_protected(sa, exchange, true, msg_id, IKE_REQ_NONE, &in);
}

uint16_t ike_chain_error(const struct ike_chain *c)
{
	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_notify_pl n;

		if (c->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(c->pl[i].body, c->pl[i].len, &n))
			return IKE_N_INVALID_SYNTAX;
		if (n.type <= IKE_N_ERROR_MAX)
			return n.type;
	}
	return 0;
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
	default:
		ike_count(sa->eng, IKE_C_UNEXPECTED, "exchange type %u not supported, dropped",
			  h->exchange);
		break;
	}
}

static void dispatch_response(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	enum ike_req_kind kind = sa->req_kind;

	sa->req_kind = IKE_REQ_NONE;
	switch (kind) {
	case IKE_REQ_AUTH:
		ike_auth_response(sa, c);
		break;
	case IKE_REQ_DELETE:
	case IKE_REQ_LIVENESS:
	case IKE_REQ_CSA_DELETE:
	case IKE_REQ_CHILD_DELETE:
		sa->req_kind = kind;
		ike_info_response(sa, c);
		break;
	case IKE_REQ_CREATE_CHILD:
	case IKE_REQ_REKEY_IKE:
		ike_create_response(sa, c);
		break;
	case IKE_REQ_MLIKE_AUTH_SA:
		mlike_auth_sa_response(sa, c);
		break;
	case IKE_REQ_KEY_DISTRIBUTE:
		mlike_key_distribute_response(sa, c);
		break;
	default:
		ike_count(sa->eng, IKE_C_UNEXPECTED, "response to exchange %u unexpected",
			  h->exchange);
		break;
	}
}

/* Message ID rules (RFC 7296 2.2-2.3): a response must answer our one
 * outstanding request; a request must be the next one expected, or the
 * previous one, which gets the same response again. */
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
	if (h->msg_id + 1 == sa->peer_msg_id && sa->resp_len) {
		ike_count(sa->eng, IKE_C_RESENT_RESPONSES, NULL);
		ike_sa_send(sa, sa->resp, sa->resp_len);
		return false;
	}
	if (h->msg_id != sa->peer_msg_id) {
		ike_count(sa->eng, IKE_C_BAD_MSGID,
			  "request with message ID %u, expected %u, dropped", h->msg_id,
			  sa->peer_msg_id);
		return false;
	}
	return true;
}

static void process_protected(struct ike_sa *sa, uint8_t *buf, size_t len, const struct ike_hdr *h,
			      bool natt, uint16_t from_port)
{
	bool response = h->flags & IKE_FLAG_RESPONSE;
	struct ike_chain outer, inner;
	uint8_t *plain;
	size_t plain_len;
	uint8_t bad_type = 0;
	int perr, err;

	if (!sa->have_keys || (!response && !request_allowed(sa, h->exchange))) {
		ike_count(sa->eng, IKE_C_UNEXPECTED, "exchange %u in state %d, dropped",
			  h->exchange, sa->state);
		return;
	}
	if (!msgid_ok(sa, h, response))
		return;
	perr = ike_chain_parse(h->next_payload, buf + IKE_HDR_LEN, len - IKE_HDR_LEN, &outer,
			       &bad_type);
	if (perr || outer.n == 0 || outer.pl[outer.n - 1].type != IKE_PL_SK) {
		ike_count(sa->eng, IKE_C_MALFORMED,
			  "exchange %u: no valid SK payload (%s), dropped", h->exchange,
			  perr ? ike_perr_name(perr) : "missing");
		return;
	}
	err = ike_sk_open(&sa->sk, buf, len, &outer.pl[outer.n - 1], &plain, &plain_len);
	if (err) {
		/* RFC 7296 2.21.2: a message that fails integrity is dropped
		 * without a word and changes no state. */
		ike_count(sa->eng, err == -EBADMSG ? IKE_C_BAD_ICV : IKE_C_MALFORMED,
			  "exchange %u message %u failed %s, dropped", h->exchange, h->msg_id,
			  err == -EBADMSG ? "authentication" : "decryption");
		return;
	}
	/* Authenticated: now the peer may move to the NAT-T port, or its NAT
	 * mapping may change (RFC 7296 2.23). */
	if (natt && (!sa->natt || sa->peer_port != from_port)) {
		sa->natt = true;
		sa->peer_port = from_port;
	}
	perr = ike_chain_parse(outer.pl[outer.n - 1].body[-IKE_GEN_HDR_LEN], plain, plain_len,
			       &inner, &bad_type);
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void process(struct ike_engine *eng, uint8_t *buf, size_t len, uint32_t from_addr,
		    uint16_t from_port, bool natt);

static void timed_process(struct ike_engine *eng, uint8_t *buf, size_t len, uint32_t from_addr,
			  uint16_t from_port, bool natt)
{
	uint64_t t0 = now_ns();
	int slot;

	process(eng, buf, len, from_addr, from_port, natt);
	if (len >= IKE_HDR_LEN && (slot = xchg_slot(buf[18])) >= 0)
		eng->proc_ns[slot][!!(buf[19] & IKE_FLAG_RESPONSE)] = now_ns() - t0;
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
		for (sa = eng->sas; sa; sa = sa->next)
			if (sa->initiator && sa->state == IKE_S_INIT_SENT &&
			    !memcmp(sa->spi_i, h.spi_i, IKE_SPI_LEN))
				break;
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
	reap(eng);
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
	input_from(eng, eng->fd, false);
	if (eng->fd_natt >= 0)
		input_from(eng, eng->fd_natt, true);
}

int ike_engine_timeout_ms(const struct ike_engine *eng)
{
	uint64_t now = ike_now_ms(), next = UINT64_MAX;

	for (const struct ike_sa *sa = eng->sas; sa; sa = sa->next) {
		if (sa->req_kind != IKE_REQ_NONE && sa->req_deadline_ms < next)
			next = sa->req_deadline_ms;
		if (sa->state == IKE_S_HALF_OPEN && sa->half_open_deadline_ms < next)
			next = sa->half_open_deadline_ms;
		if (ike_create_next(sa) < next)
			next = ike_create_next(sa);
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
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
			ike_create_tick(sa, now);
			continue;
		}
		if (now < sa->req_deadline_ms)
			continue;
		if (sa->req_unreachable && sa->req_unreachable < UNREACHABLE_RESENDS &&
		    sa->req_tries == 0) {
			sa->req_deadline_ms = now + request_timeout(sa, 0);
			send_request_now(sa);
			continue;
		}
		if (sa->req_tries + 1 >= request_tries(sa)) {
			log_info("peer %s: no answer after %u transmissions, IKE SA dropped",
				 sa->cfg ? sa->cfg->name : "?", sa->req_tries + 1);
			ike_sa_kill(sa, sa->req_kind == IKE_REQ_DELETE ? IKE_DOWN_DELETED :
									 IKE_DOWN_TIMEOUT);
			continue;
		}
		/* Exponential back-off (RFC 7296 2.4). */
		sa->req_tries++;
		sa->req_deadline_ms = now + request_timeout(sa, sa->req_tries);
		ike_count(eng, IKE_C_RETRANSMITS, NULL);
		ike_sa_send(sa, sa->req, sa->req_len);
	}
	reap(eng);
}

bool ike_sa_established(const struct ike_sa *sa)
{
	return sa->state == IKE_S_ESTABLISHED;
}

const struct ike_peer_cfg *ike_sa_peer(const struct ike_sa *sa)
{
	return sa->cfg;
}

bool ike_sa_is_initiator(const struct ike_sa *sa)
{
	return sa->initiator;
}

void ike_sa_spis(const struct ike_sa *sa, uint8_t spi_i[IKE_SPI_LEN], uint8_t spi_r[IKE_SPI_LEN])
{
	memcpy(spi_i, sa->spi_i, IKE_SPI_LEN);
	memcpy(spi_r, sa->spi_r, IKE_SPI_LEN);
}

void ike_sa_set_user(struct ike_sa *sa, void *user)
{
	sa->user = user;
}

void *ike_sa_user(const struct ike_sa *sa)
{
	return sa->user;
}

size_t ike_id_body(const struct ike_identity *id, uint8_t *buf, size_t cap)
{
	if (cap < 4 + (size_t)id->len)
		return 0;
	buf[0] = id->type;
	buf[1] = buf[2] = buf[3] = 0;
	memcpy(buf + 4, id->data, id->len);
	return 4 + (size_t)id->len;
}
