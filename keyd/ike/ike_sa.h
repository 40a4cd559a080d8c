/* The IKE engine's SA layer: the SA and engine structures and what every
 * exchange handler may use — the SA table (ike_sa.c), its CHILD_SAs
 * (ike_sa_child.c), sockets, counters, sending and retransmission
 * (ike_io.c). Handlers (ike_xchg.h) build on this layer and never call one
 * another; the dispatcher (ike_engine.c) calls them. */
#ifndef MML_KEYD_IKE_SA_H
#define MML_KEYD_IKE_SA_H

#include "keyd/ike/ike.h"
#include "keyd/ike/ike_crypto.h"

#define IKE_CHILD_MAX 4
#define IKE_COOKIE_LEN (4 + IKE_PRF_LEN)
#define IKE_XCHG_SLOTS 9

enum ike_state {
	IKE_S_INIT_SENT,   /* initiator: IKE_SA_INIT request out */
	IKE_S_AUTH_SENT,   /* initiator: IKE_AUTH request out */
	IKE_S_HALF_OPEN,   /* responder: IKE_SA_INIT answered, waiting for IKE_AUTH */
	IKE_S_ESTABLISHED, /* authenticated both ways */
	IKE_S_DELETING,	   /* our Delete is out */
	IKE_S_DEAD,	   /* to be freed at the next tick */
};

/* What our outstanding request is for, so its response finds its handler. */
enum ike_req_kind {
	IKE_REQ_NONE,
	IKE_REQ_INIT,
	IKE_REQ_AUTH,
	IKE_REQ_DELETE,
	IKE_REQ_LIVENESS,
	IKE_REQ_MLIKE_AUTH_SA,
	IKE_REQ_KEY_DISTRIBUTE,
	IKE_REQ_CSA_DELETE,
	IKE_REQ_CREATE_CHILD, /* CREATE_CHILD_SA for a CHILD_SA */
	IKE_REQ_REKEY_IKE,    /* CREATE_CHILD_SA rekeying this IKE SA */
	IKE_REQ_CHILD_DELETE, /* INFORMATIONAL Delete of one CHILD_SA */
	IKE_REQ_DKM,	      /* DKM_CSA_REQUEST for a CSA */
	IKE_REQ_DKM_REPORT,   /* DKM_CSA_REQUEST reporting an install */
	IKE_REQ_NEIGHBOR_NOTIFY,
	IKE_REQ_MLIKE_REKEY, /* MLIKE_CREATE_CHILD_SA replacing our CSA pair */
	IKE_REQ_FLOW_MODE,   /* INFORMATIONAL with MLIKE_N_FLOW_MODE (issue 19) */
	IKE_REQ_LINK_STATE,  /* INFORMATIONAL with MLIKE_N_LINK_STATE (FA -> HA) */
};

/* The lower nonce of one exchange (RFC 7296 2.8.1's collision rule). */
struct ike_nonce_lo {
	size_t len;
	uint8_t b[IKE_NONCE_MAX];
};

/* Our CREATE_CHILD_SA (ike_create.c, ike_rekey.c): what the request asked
 * for, kept until its answer and across TEMPORARY_FAILURE retries. */
struct ike_cc {
	bool active;		      /* started, neither done nor failed */
	bool ike;		      /* rekeying the IKE SA itself */
	bool pfs;		      /* a CHILD_SA request with a KE of group 31 */
	bool ke_retried;	      /* resent once with a KE after INVALID_KE_PAYLOAD */
	uint32_t rekey_spi;	      /* inbound SPI of the CHILD_SA being rekeyed; 0 = new */
	uint32_t spi;		      /* our inbound SPI of the new CHILD_SA */
	uint16_t encr;		      /* the one ESP transform we offered */
	uint8_t spi_ike[IKE_SPI_LEN]; /* the new IKE SA's SPIi */
	uint8_t ni[IKE_NONCE_LEN];
	struct ike_dh dh;
	unsigned int temp_failures;
	uint64_t retry_at_ms; /* after TEMPORARY_FAILURE: ask again then (0 = not waiting) */
};

struct ike_sa {
	struct ike_sa *next;
	struct ike_sa *hnext; /* the engine's by_spi chain */
	struct ike_engine *eng;
	const struct ike_peer_cfg *cfg;
	void *user;
	bool initiator;
	enum ike_state state;
	uint8_t spi_i[IKE_SPI_LEN];
	uint8_t spi_r[IKE_SPI_LEN];
	uint32_t peer_addr; /* network order */
	uint16_t peer_port; /* host order */
	uint16_t encr;	    /* SK transform chosen */
	bool natt;	    /* floated: port 4500 with the non-ESP marker */

	struct ike_dh dh;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;
	/* Initiator: the COOKIE our IKE_SA_INIT carries, one received since
	 * (put in at the next retransmission), and how many were put in. */
	uint8_t cookie[IKE_NONCE_MAX];
	size_t cookie_len;
	uint8_t cookie_next[IKE_NONCE_MAX];
	size_t cookie_next_len;
	unsigned int cookie_rounds;
	/* The last error notify an IKE_SA_INIT answer carried: unauthenticated,
	 * so only remembered for when no usable answer came (RFC 7296 2.21.1). */
	uint16_t init_notify;
	bool delete_pending; /* ike_sa_delete while a request was outstanding */
	bool rekeyed;	     /* replaced by a new IKE SA: ends without events */
	bool peer_childless; /* responder said CHILDLESS_IKEV2_SUPPORTED */
	/* The IKE_SA_INIT messages, signed in IKE_AUTH (RFC 7296 2.15). */
	uint8_t *init_msg_i, *init_msg_r;
	size_t init_msg_i_len, init_msg_r_len;
	struct ike_keys keys;
	struct ike_sk sk;
	bool have_keys;

	/* Our requests: window size 1 (RFC 7296 2.3). */
	uint32_t next_msg_id;
	enum ike_req_kind req_kind;
	/* IKE_REQ_FLOW_MODE: what we asked for (the answer must repeat it). */
	struct mlike_flow_mode_pl flow_asked;
	uint8_t req[IKE_MSG_MAX];
	size_t req_len;
	unsigned int req_tries;
	unsigned int req_unreachable; /* quick resends while there is no route */
	uint64_t req_deadline_ms;
	uint64_t req_sent_ns; /* ike_now_ns when the request was first sent */
	/* The peer's requests: the next expected ID, and our last response for
	 * a retransmitted request. */
	uint32_t peer_msg_id;
	uint8_t resp[IKE_MSG_MAX];
	size_t resp_len;
	uint64_t half_open_deadline_ms;

	/* Child SA proposal in flight (initiator, IKE_AUTH). */
	uint32_t child_spi_offer;
	struct ike_child child[IKE_CHILD_MAX];
	/* CREATE_CHILD_SA of ours, the CHILD_SA whose Delete is out, and when
	 * the IKE SA's soft lifetime ends (0 = none). */
	struct ike_cc cc;
	/* The peer's rekey of the CHILD_SA ours rekeys too, answered while
	 * ours was out (RFC 7296 2.8.1): its new CHILD_SA (our inbound SPI)
	 * and its exchange's lower nonce, until ours decides. */
	uint32_t cc_coll_spi;
	struct ike_nonce_lo cc_coll_lo;
	uint32_t child_deleting;
	uint64_t rekey_at_ms;

	/* ML-IKE exchange in flight (initiator). */
	uint8_t ml_nonce[IKE_NONCE_LEN];
	uint32_t ml_spi_offer;
	uint8_t ml_z1_len;
	bool csa_valid;
	struct mlike_csa csa;
	/* The peer's CSA rekey answered while ours was out (a collision):
	 * its pair waits until ours decides which one survives. */
	bool ml_coll;
	struct mlike_csa ml_coll_csa;
	struct ike_nonce_lo ml_coll_lo;
	uint32_t dkm_home; /* DKM_CSA_REQUEST in flight: for this MH */
};

#define IKE_SA_BUCKETS 4096

struct ike_engine {
	int fd;
	int fd_natt; /* -1 unless nat_detection */
	struct ike_engine_cfg cfg;
	const struct ike_events *ev;
	void *ev_ctx;
	struct ike_sa *sas;
	/* Every SA by its own SPI (ours: spi_i if we initiated, else spi_r,
	 * set once at creation), chained through hnext: a message finds its SA
	 * without a walk over all of them (issue 20: an HA with 10,000). */
	struct ike_sa *by_spi[IKE_SA_BUCKETS];
	/* ike_sa_reap walks the list once per reap_every calls (a dead SA is
	 * skipped by every lookup, its keys already wiped by ike_sa_kill). */
	unsigned int reap_calls, reap_every;
	unsigned int half_open;
	/* Cookie secrets (ike_cookie.c): the current one, and the one before
	 * it, taken until cookie_prev_until_ms. */
	uint8_t cookie_secret[IKE_PRF_LEN];
	uint8_t cookie_prev[IKE_PRF_LEN];
	uint32_t cookie_version;
	uint64_t cookie_rotate_at_ms, cookie_prev_until_ms;
	uint64_t counters[IKE_C_MAX];
	/* Time spent processing the last message of each exchange type,
	 * request and response (paper Table 2). */
	uint64_t proc_ns[IKE_XCHG_SLOTS][2];
	/* The last exchange of each type we started: our request first sent ->
	 * its response processed, retransmissions included (Table 2). */
	uint64_t rtt_ns[IKE_XCHG_SLOTS];
	/* The kind of request the response being processed answered: a DKM
	 * install report's answer is kept out of DKM_CSA_REQUEST's times. */
	enum ike_req_kind resp_kind;
	uint32_t logged; /* bit per counter: first occurrence logged */
	/* Scratch for building messages. */
	uint8_t scratch[IKE_MSG_MAX];
	/* No deadline of any SA is before this (ike_engine_timeout_hint_ms):
	 * lowered wherever a deadline is set, made exact by each tick. */
	uint64_t hint_ms;
};

/* --- ike_io.c: clock, counters, sockets, messages out, retransmission --- */

#define IKE_NATT_PORT 4500

uint64_t ike_now_ms(void);
/* CLOCK_MONOTONIC in ns, for the engine's own timings. */
uint64_t ike_now_ns(void);
/* Counts an event; logs its first occurrence (with detail) at warning level
 * and later ones at debug level. */
void ike_count(struct ike_engine *eng, enum ike_counter c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A non-blocking UDP socket bound to addr:port, or -1 (logged). */
int ike_socket_open(uint32_t addr, uint16_t port);

/* Message building: header for a request (next ID) or response (peer's ID). */
void ike_msg_begin(struct ike_sa *sa, struct ike_wbuf *wb, uint8_t exchange, bool response,
		   uint32_t msg_id);
/* Encrypts the inner chain into an SK payload and sends: a request is kept
 * for retransmission, a response for answering retransmitted requests. */
int ike_send_protected(struct ike_sa *sa, uint8_t exchange, bool response, uint32_t msg_id,
		       enum ike_req_kind kind, const struct ike_wbuf *inner);
int ike_send_raw(struct ike_engine *eng, const uint8_t *buf, size_t len, uint32_t addr,
		 uint16_t port);
/* To the SA's peer, through the NAT-T socket with the marker once floated. */
int ike_sa_send(struct ike_sa *sa, const uint8_t *buf, size_t len);
/* NAT_DETECTION hash: SHA-1(SPIi | SPIr | IPv4 | port) (RFC 7296 2.23). */
int ike_natd_hash(const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN], uint32_t addr,
		  uint16_t port, uint8_t out[20]);
int ike_send_request_plain(struct ike_sa *sa, const uint8_t *buf, size_t len,
			   enum ike_req_kind kind);
/* Protected error notify in a response. */
int ike_send_error_notify(struct ike_sa *sa, uint8_t exchange, uint32_t msg_id, uint16_t type,
			  const uint8_t *data, size_t len);
/* The outstanding request's deadline has passed: sent again (0), or
 * -ETIMEDOUT when its transmissions are used up. */
int ike_request_expired(struct ike_sa *sa, uint64_t now);
/* The first error notify of a chain (type < 16384), or 0. */
uint16_t ike_chain_error(const struct ike_chain *c);
/* A well-formed notify of this type is in the chain. */
bool ike_chain_has_notify(const struct ike_chain *c, uint16_t type);
/* The answer to an ML-IKE request acknowledged by a status notify: 0 with
 * the ack, -EPERM for an error notify (logged), -EPROTO without either
 * (counted malformed). */
int ike_answer_result(struct ike_sa *sa, const struct ike_chain *c, uint16_t ack,
		      const char *exchange);
/* Encoded ID payload body of an identity (type | 3 reserved | data). */
size_t ike_id_body(const struct ike_identity *id, uint8_t *buf, size_t cap);

/* --- ike_cookie.c: the responder's cookies (RFC 7296 2.6) --- */

/* Defaults the rotation settings and draws the first secret. */
int ike_cookie_init(struct ike_engine *eng);
/* The cookie for an IKE_SA_INIT request now (the secret may change first). */
void ike_cookie_make(struct ike_engine *eng, const uint8_t spi_i[IKE_SPI_LEN], const uint8_t *ni,
		     size_t ni_len, uint32_t addr, uint8_t out[IKE_COOKIE_LEN]);
/* 0 for a cookie we made for this request with the current secret, or with
 * the previous one within its grace; else counted and -ESTALE (a secret no
 * longer taken: cookie_stale) or -EINVAL (bad_cookie). */
int ike_cookie_check(struct ike_engine *eng, const uint8_t spi_i[IKE_SPI_LEN], const uint8_t *ni,
		     size_t ni_len, uint32_t addr, const uint8_t *cookie, size_t len);

/* --- ike_sa.c: the SA table, the end of SAs, our CREATE_CHILD_SA state --- */

struct ike_sa *ike_sa_new(struct ike_engine *eng, const struct ike_peer_cfg *cfg, bool initiator);
void ike_sa_kill(struct ike_sa *sa, enum ike_down_reason why);
/* Our SPI of sa replaced (an IKE SA rekey we initiated takes the SPI it
 * offered), the engine's index with it. */
void ike_sa_set_own_spi(struct ike_sa *sa, const uint8_t *spi);
/* Frees the SAs ike_sa_kill left dead: every reap_every-th call (about
 * 1/32 of the SA count), or now with force (the engine's end). */
void ike_sa_reap(struct ike_engine *eng);
void ike_sa_reap_all(struct ike_engine *eng);
struct ike_sa *ike_sa_find(struct ike_engine *eng, const struct ike_hdr *h, uint32_t addr);
/* Our SA waiting for the IKE_SA_INIT answer to spi_i (its own SPI): the
 * index, not a walk (an HA initiates one per mobile). */
struct ike_sa *ike_sa_find_init_sent(struct ike_engine *eng, const uint8_t *spi_i);
const struct ike_peer_cfg *ike_peer_by_addr(const struct ike_engine *eng, uint32_t addr);
/* An INFORMATIONAL request of ours: -ENOTCONN unless established, -EBUSY
 * while another request is out (window 1). */
int ike_info_send(struct ike_sa *sa, const struct ike_wbuf *in, enum ike_req_kind kind);
uint32_t ike_new_spi32(void);
/* A soft lifetime from now (ms less up to 10%), 0 when ms is 0. */
uint64_t ike_soft_deadline(uint32_t ms);
/* Our CREATE_CHILD_SA: whether one may start (0, -ENOTCONN, -EBUSY); a
 * fresh nonce and, with ke, key pair for a request; its end, silently
 * (wipe) or reported by create_failed (fail). */
int ike_cc_ready(const struct ike_sa *sa);
int ike_cc_fresh(struct ike_cc *cc, bool ke);
void ike_cc_wipe(struct ike_sa *sa);
/* RFC 7296 2.8.1's collision rule: the lower of an exchange's two nonces
 * (bytewise, a prefix lower than the longer nonce), and their order (<0,
 * 0, >0 as a is lower, equal, higher). */
void ike_nonce_low(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		   struct ike_nonce_lo *lo);
int ike_nonce_cmp(const struct ike_nonce_lo *a, const struct ike_nonce_lo *b);
void ike_cc_fail(struct ike_sa *sa, uint16_t notify);

/* --- ike_sa_child.c: the CHILD_SAs of an IKE SA --- */

int ike_child_keys(struct ike_sa *sa, struct ike_child *child, bool we_initiated,
		   const uint8_t *g_ir, size_t g_ir_len, const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len);
struct ike_child *ike_child_slot(struct ike_sa *sa);
struct ike_child *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi);
struct ike_child *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi);
/* A CHILD_SA goes: logged (why), child_down, wiped. */
void ike_child_remove(struct ike_sa *sa, struct ike_child *child, const char *why);

/* A deadline was set: the hint comes down to it. */
static inline void ike_deadline(struct ike_engine *eng, uint64_t at_ms)
{
	if (at_ms && at_ms < eng->hint_ms)
		eng->hint_ms = at_ms;
}

#endif
