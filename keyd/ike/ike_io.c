/* The SA layer's messages: the engine's sockets, counters and clock, the
 * header and SK payload of outgoing messages, and the retransmission of our
 * outstanding request (RFC 7296 2.1, 2.4). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "keyd/ike/ike_sa.h"
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
	[IKE_C_DKM_REFUSED] = "dkm_refused",
	[IKE_C_INIT_IGNORED] = "init_ignored",
	[IKE_C_COOKIE_STALE] = "cookie_stale",
	[IKE_C_CSA_REKEYS] = "csa_rekeys",
	[IKE_C_CSA_REKEY_COLLISIONS] = "csa_rekey_collisions",
	[IKE_C_CSA_REKEY_REFUSED] = "csa_rekey_refused",
	[IKE_C_CHILD_REKEY_COLLISIONS] = "child_rekey_collisions",
	[IKE_C_FLOW_MODE_REFUSED] = "flow_mode_refused",
	[IKE_C_FLOW_MODE_AGREED] = "flow_mode_agreed",
	[IKE_C_LINK_STATE_REFUSED] = "link_state_refused",
	[IKE_C_LINK_STATE_TAKEN] = "link_state_taken",
};

const char *ike_counter_name(enum ike_counter c)
{
	return c < IKE_C_MAX ? counter_names[c] : "unknown";
}

static uint64_t (*clock_now_ms)(void);

void ike_clock_set(uint64_t (*now_ms)(void))
{
	clock_now_ms = now_ms;
}

uint64_t ike_now_ms(void)
{
	struct timespec ts;

	if (clock_now_ms)
		return clock_now_ms();

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t ike_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
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

int ike_socket_open(uint32_t addr, uint16_t port)
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

int ike_send_raw(struct ike_engine *eng, const uint8_t *buf, size_t len, uint32_t addr,
		 uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port ? port : IKE_PORT),
		.sin_addr.s_addr = addr,
	};
	const struct ike_transport *tp = eng->cfg.transport;

	if (tp) {
		int err = tp->send(tp->ctx, buf, len, addr, port ? port : IKE_PORT);

		if (err)
			return err;
		eng->counters[IKE_C_TX]++;
		return 0;
	}
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
	ike_deadline(sa->eng, sa->req_deadline_ms);
	sa->req_sent_ns = ike_now_ns();
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
		ike_deadline(sa->eng, sa->req_deadline_ms);
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

bool ike_chain_has_notify(const struct ike_chain *c, uint16_t type)
{
	struct ike_notify_pl n;

	for (unsigned int i = 0; i < c->n; i++)
		if (c->pl[i].type == IKE_PL_NOTIFY &&
		    !ike_notify_parse(c->pl[i].body, c->pl[i].len, &n) && n.type == type)
			return true;
	return false;
}

int ike_answer_result(struct ike_sa *sa, const struct ike_chain *c, uint16_t ack,
		      const char *exchange)
{
	uint16_t error = ike_chain_error(c);

	if (error) {
		log_err("peer %s refused %s (notify %u)", sa->cfg->name, exchange, error);
		return -EPERM;
	}
	if (!ike_chain_has_notify(c, ack)) {
		ike_count(sa->eng, IKE_C_MALFORMED, "peer %s: %s answer without acknowledgement",
			  sa->cfg->name, exchange);
		return -EPROTO;
	}
	return 0;
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

int ike_request_expired(struct ike_sa *sa, uint64_t now)
{
	if (sa->req_unreachable && sa->req_unreachable < UNREACHABLE_RESENDS &&
	    sa->req_tries == 0) {
		sa->req_deadline_ms = now + request_timeout(sa, 0);
		ike_deadline(sa->eng, sa->req_deadline_ms);
		send_request_now(sa);
		return 0;
	}
	if (sa->req_tries + 1 >= request_tries(sa))
		return -ETIMEDOUT;
	/* Exponential back-off (RFC 7296 2.4). */
	sa->req_tries++;
	sa->req_deadline_ms = now + request_timeout(sa, sa->req_tries);
	ike_deadline(sa->eng, sa->req_deadline_ms);
	ike_count(sa->eng, IKE_C_RETRANSMITS, NULL);
	ike_sa_send(sa, sa->req, sa->req_len);
	return 0;
}
