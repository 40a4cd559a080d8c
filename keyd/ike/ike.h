/* The IKEv2 engine with the ML-IKE extensions: one UDP socket, a table of
 * IKE SAs, timers for retransmission and liveness, and callbacks to the
 * daemon that embeds it. Single-threaded: the embedding event loop polls
 * ike_engine_fd() and calls ike_engine_input() when it is readable and
 * ike_engine_tick() when ike_engine_timeout_ms() has passed.
 *
 * Protocol: RFC 7296 with X25519, PRF_HMAC_SHA2_256, AES-GCM-16-256 or
 * ChaCha20-Poly1305, PSK authentication; ML-IKE as in docs/protocol.md. */
#ifndef MML_KEYD_IKE_H
#define MML_KEYD_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyd/ike/ike_const.h"
#include "keyd/ike/ike_wire.h"
#include "maps/csa.h"

#define IKE_ID_MAX 64
#define IKE_PSK_MAX 128
/* 128 bits: a shorter PSK is guessable offline from one exchange. */
#define IKE_PSK_MIN 16
#define IKE_NAME_MAX 32

struct ike_identity {
	uint8_t type; /* IKE_ID_FQDN, IKE_ID_RFC822_ADDR, IKE_ID_IPV4_ADDR, IKE_ID_KEY_ID */
	uint8_t len;
	uint8_t data[IKE_ID_MAX];
};

/* One configured peer: who it is, how to prove who we are, what to offer. */
struct ike_peer_cfg {
	char name[IKE_NAME_MAX];
	uint32_t addr; /* network order */
	uint16_t port; /* host order; 0 = 500 */
	struct ike_identity local_id;
	struct ike_identity peer_id;
	uint8_t psk[IKE_PSK_MAX];
	size_t psk_len;
	uint16_t ike_encr; /* SK transform we prefer; the other one is offered too */
	uint16_t esp_encr; /* CHILD_SA transform */
	bool child;	   /* negotiate a CHILD_SA in IKE_AUTH */
	bool pfs;	   /* our CREATE_CHILD_SA for a CHILD_SA carries a KE (group 31) */
	bool encap;	   /* pretend a NAT (fake NAT_D): forces UDP encapsulation */
	bool neighbor;	   /* FA: this peer is a neighbour FA (NEIGHBOR_NOTIFY, DKM) */
	struct ike_ts_pl ts_local, ts_remote;
	uint32_t child_lifetime_s;
	/* Soft lifetimes: the engine rekeys the IKE SA, and each CHILD_SA, this
	 * long after it came up (less up to 10% at random, so that two peers
	 * with the same setting rarely start together); 0 = never. */
	uint32_t ike_rekey_ms, child_rekey_ms;
	/* ML-IKE: the zone map and zone-2 AEAD we offer or accept. */
	uint8_t z1_len;
	uint16_t zone2_encr;
	uint32_t csa_soft_lifetime_s, csa_hard_lifetime_s;
	/* Our outbound CSA's limits in packets (0 = the data plane's default):
	 * past the soft one the worker asks for a rekey (mml_rekey). */
	uint32_t csa_soft_packets, csa_hard_packets;
	/* A template (mmlkeyd's HA, mobiles = "A.B.C.D/LEN"): no peer of its
	 * own; each mobile host of the prefix gets a configuration derived
	 * from it (keyd/ike/mh_tmpl.c) whose identity is ipv4:<home> and whose
	 * PSK is derived from the master key held in psk. The engine never
	 * picks a template itself. */
	bool tmpl;
	uint32_t tmpl_net, tmpl_mask; /* network order */
	/* A derived configuration: refs counts who holds it (the mobile's
	 * record, each SA made with it); the engine hands an SA's back with
	 * ike_events.cfg_put when the SA is freed. */
	bool derived;
	uint32_t refs;
};

/* A CHILD_SA as negotiated (keys for a userspace or kernel ESP stack). */
struct ike_child {
	bool used;
	uint32_t spi_in;  /* we receive with it, host order */
	uint32_t spi_out; /* the peer receives with it */
	uint16_t encr;
	bool encap; /* ESP in UDP (RFC 3948): the IKE SA floated to the NAT-T port */
	uint8_t key_in[IKE_AEAD_KEY_LEN + IKE_AEAD_SALT_LEN];
	uint8_t key_out[IKE_AEAD_KEY_LEN + IKE_AEAD_SALT_LEN];
	struct ike_ts_pl ts_local, ts_remote;
	uint64_t rekey_at_ms; /* engine: soft lifetime ends (0 = none) */
};

/* A composite SA pair agreed in MLIKE_AUTH_SA: one CSA per direction, each
 * with a key and salt per zone. */
struct mlike_csa {
	uint32_t spi_out; /* the CSA we encapsulate with (the peer chose it) */
	uint32_t spi_in;  /* the CSA we decapsulate (we chose it) */
	uint8_t z1_len;
	uint8_t n_zones;
	uint16_t zone_encr[MLIKE_ZONES_MAX];
	uint8_t key_out[MLIKE_ZONES_MAX][IKE_AEAD_KEY_LEN + IKE_AEAD_SALT_LEN];
	uint8_t key_in[MLIKE_ZONES_MAX][IKE_AEAD_KEY_LEN + IKE_AEAD_SALT_LEN];
	uint32_t soft_lifetime_s, hard_lifetime_s;
	uint32_t soft_packets, hard_packets; /* the outbound CSA's, 0 = default */
};

/* What KEY_DISTRIBUTE carries to the FA: both directions' CSAs with zone 1's
 * key only (zone 2 and beyond are null SAs). */
struct mlike_fa_keys {
	uint32_t mh_home; /* network order */
	uint32_t ha_addr; /* network order */
	uint8_t z1_len;
	uint8_t n_secrets;
	struct mlike_secret_pl secret[2 * MLIKE_ZONES_MAX];
	bool inactive; /* PKD: a neighbour FA holds them until the MH registers */
};

struct ike_sa;
struct ike_engine;

enum ike_down_reason {
	IKE_DOWN_DELETED = 0,  /* a Delete exchange, either side */
	IKE_DOWN_TIMEOUT = 1,  /* retransmissions exhausted or half-open expiry */
	IKE_DOWN_FAILED = 2,   /* negotiation failed (notify, auth, proposal) */
	IKE_DOWN_SHUTDOWN = 3, /* engine closed */
};

struct ike_events {
	void (*ike_up)(void *ctx, struct ike_sa *sa);
	void (*ike_down)(void *ctx, struct ike_sa *sa, enum ike_down_reason why);
	void (*child_up)(void *ctx, struct ike_sa *sa, const struct ike_child *child);
	void (*child_down)(void *ctx, struct ike_sa *sa, const struct ike_child *child);
	/* The IKE SA was rekeyed (by either side): new replaces old (its
	 * CHILD_SAs and CSA moved along); old ends later without an ike_down. */
	void (*ike_rekeyed)(void *ctx, struct ike_sa *old_sa, struct ike_sa *new_sa);
	/* A CREATE_CHILD_SA we started (ike_child_create, ike_sa_rekey) ended
	 * without a new SA: the peer's error notify, or 0 for an answer we
	 * could not use. The IKE SA, and the CHILD_SA it was to rekey, stay. */
	void (*create_failed)(void *ctx, struct ike_sa *sa, uint16_t notify);
	/* ML-IKE, MH and HA: a CSA pair is agreed (either side). */
	void (*csa_up)(void *ctx, struct ike_sa *sa, const struct mlike_csa *csa);
	/* ML-IKE, MH and HA: a rekey agreed csa to replace old (either side
	 * started it; after a collision the survivor only). csa NULL: our
	 * rekey failed, old stays. Without the callback: csa_up(csa). */
	void (*csa_rekeyed)(void *ctx, struct ike_sa *sa, const struct mlike_csa *old,
			    const struct mlike_csa *csa);
	/* The peer asks to rekey the pair while the last rekey is not done
	 * here (its new pair not in use yet): true refuses it with
	 * TEMPORARY_FAILURE, and the peer tries again later. */
	bool (*csa_rekey_busy)(void *ctx, struct ike_sa *sa);
	/* FA: zone-1 keys arrived; return 0 after installing them, or a
	 * negative errno to refuse (the HA gets MLIKE_KEYS_REJECTED). */
	int (*fa_keys)(void *ctx, struct ike_sa *sa, const struct mlike_fa_keys *keys);
	/* HA: the FA answered KEY_DISTRIBUTE (0 = installed). */
	void (*fa_keys_done)(void *ctx, struct ike_sa *sa, int result);
	/* Any node: the peer revoked CSAs (Delete with the ML-ESP zone proto).
	 * Remove those it may remove (its own), move their SPIs to the front
	 * of spis and return how many: the answer acknowledges those. */
	unsigned int (*csa_deleted)(void *ctx, struct ike_sa *sa, uint32_t *spis, unsigned int n);
	/* The peer answered our CSA Delete (mlike_csa_delete). */
	void (*csa_revoked)(void *ctx, struct ike_sa *sa, const uint32_t *acked, unsigned int n);
	/* DKM, previous FA: a neighbour FA asks for an MH's zone-1 CSAs; fill
	 * keys and return 0, or return the refusal (DKM_N_*). */
	uint16_t (*dkm_lookup)(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *req,
			       struct mlike_fa_keys *keys);
	/* DKM, new FA: the answer to our DKM_CSA_REQUEST for mh_home: the keys,
	 * or NULL and the refusal (0: an answer we could not use, or none). */
	void (*dkm_answer)(void *ctx, struct ike_sa *sa, uint32_t mh_home,
			   const struct mlike_fa_keys *keys, uint16_t notify);
	/* DKM, HA: an FA reports the CSAs it installed by DKM; 0 to
	 * acknowledge, or the refusal. */
	uint16_t (*dkm_installed)(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep);
	/* DKM, HA: an FA could not get an MH's CSAs by DKM (refused, or its
	 * previous FA unreachable); 0 to acknowledge, or the refusal. */
	uint16_t (*dkm_missing)(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep);
	/* DKM, new FA: the HA answered our install report for mh_home: 0
	 * acknowledged, else its refusal (the CSAs are not ours to keep). */
	void (*dkm_reported)(void *ctx, struct ike_sa *sa, uint32_t mh_home, uint16_t notify);
	/* PKD, HA: an FA's neighbour FAs (NEIGHBOR_NOTIFY, network order);
	 * 0 takes them, a negative errno refuses (MLIKE_NEIGHBORS_REJECTED). */
	int (*neighbors)(void *ctx, struct ike_sa *sa, const uint32_t *addrs, unsigned int n);
	/* PKD, FA: the HA answered NEIGHBOR_NOTIFY (0 = accepted). */
	void (*neighbors_done)(void *ctx, struct ike_sa *sa, int result);
	/* MH and HA (issue 19): the peer asks for a flow's new mode (an
	 * INFORMATIONAL with MLIKE_N_FLOW_MODE). 0 agrees (the entry is
	 * written before the answer leaves), else the refusal's notify. */
	uint16_t (*flow_mode)(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm);
	/* The answer to our mlike_flow_mode: 0 agreed, else the peer's error
	 * notify, IKE_N_INVALID_SYNTAX for an answer that does not repeat
	 * what we asked. (A request never answered ends the IKE SA.) */
	void (*flow_mode_done)(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm,
			       uint16_t notify);
	/* HA (issue 19, auto policy): an FA reports its wireless link's
	 * state (MLIKE_N_LINK_STATE). 0 takes it, else the refusal's notify. */
	uint16_t (*link_state)(void *ctx, struct ike_sa *sa, const struct mlike_link_state_pl *ls);
	/* FA: the HA answered our report: 0 taken, else its error notify. */
	void (*link_state_done)(void *ctx, struct ike_sa *sa, uint16_t notify);
	/* An IKE_SA_INIT from addr, which no configured peer has: the
	 * embedder's configuration for it (a derived one), or NULL. */
	const struct ike_peer_cfg *(*peer_lookup)(void *ctx, uint32_t addr);
	/* An SA made with a derived configuration was freed: one reference
	 * fewer. */
	void (*cfg_put)(void *ctx, const struct ike_peer_cfg *cfg);
};

/* Where an engine's datagrams go instead of its UDP socket: an embedder
 * that carries them itself (the handoff simulator, sim/handoff/) and hands
 * what arrives to ike_engine_process. send returns 0 or a negative errno,
 * as sendto would. */
struct ike_transport {
	int (*send)(void *ctx, const uint8_t *buf, size_t len, uint32_t addr, uint16_t port);
	void *ctx;
};

struct ike_engine_cfg {
	uint32_t local_addr; /* network order; 0 = any */
	uint16_t port;	     /* host order; 0 = 500 */
	/* Half-open SAs above which IKE_SA_INIT requires a cookie (RFC 7296
	 * 2.6); 0 = always. */
	unsigned int cookie_threshold;
	/* The cookie secret is replaced this often (0 = 60 s); a cookie made
	 * with the one before is still taken for cookie_grace_ms after the
	 * change (0 = 10 s), older ones never (RFC 7296 2.6). */
	unsigned int cookie_rotate_ms;
	unsigned int cookie_grace_ms;
	unsigned int retransmit_base_ms; /* first timeout, doubled each time */
	/* First timeout of IKE_SA_INIT only (0 = retransmit_base_ms): the
	 * responder answers a repeated IKE_SA_INIT from its stored response, so
	 * a short one costs a packet, not state, and recovers at once from a
	 * first message lost to a route or binding not yet in place (ML-IKE
	 * starts in parallel with the registration reply, Fig. 4). Its
	 * doublings continue until they reach retransmit_base_ms, then the
	 * usual retransmit_tries apply. */
	unsigned int init_retransmit_ms;
	unsigned int retransmit_tries;
	unsigned int half_open_timeout_ms;
	/* NAT traversal (RFC 7296 2.23, RFC 3948): send and answer
	 * NAT_DETECTION_* payloads and float to natt_port when a NAT is
	 * detected. Off by default; needs local_addr. */
	bool nat_detection;
	uint16_t natt_port; /* host order; 0 = 4500 */
	const struct ike_peer_cfg *peers;
	unsigned int n_peers;
	/* NULL: a UDP socket (and ike_engine_fd); else no socket at all, and
	 * no NAT-T (nat_detection must be off). */
	const struct ike_transport *transport;
};

/* Counters: every drop has a reason, each reason is logged once. */
enum ike_counter {
	IKE_C_RX,
	IKE_C_TX,
	IKE_C_RETRANSMITS,
	IKE_C_RESENT_RESPONSES,
	IKE_C_MALFORMED,
	IKE_C_BAD_ICV,
	IKE_C_UNKNOWN_SPI,
	IKE_C_BAD_MSGID,
	IKE_C_CRITICAL,
	IKE_C_NO_PROPOSAL,
	IKE_C_AUTH_FAILED,
	IKE_C_COOKIES_SENT,
	IKE_C_BAD_COOKIE,
	IKE_C_UNEXPECTED,
	IKE_C_SA_UP,
	IKE_C_SA_DOWN,
	IKE_C_DKM_REFUSED, /* DKM requests and reports we refused */
	/* Unauthenticated IKE_SA_INIT answers not acted on: error notifies,
	 * COOKIEs beyond the bound, answers we cannot use (RFC 7296 2.21.1). */
	IKE_C_INIT_IGNORED,
	IKE_C_COOKIE_STALE,	      /* a cookie of a secret no longer accepted */
	IKE_C_CSA_REKEYS,	      /* CSA pairs replaced by MLIKE_CREATE_CHILD_SA */
	IKE_C_CSA_REKEY_COLLISIONS,   /* both ends rekeyed at once: one pair dropped */
	IKE_C_CSA_REKEY_REFUSED,      /* rekeys of a CSA we do not hold, refused */
	IKE_C_CHILD_REKEY_COLLISIONS, /* a CHILD_SA rekeyed by both ends at once */
	/* Flow mode changes (MLIKE_N_FLOW_MODE, issue 19): the peer's we
	 * refused (policy, malformed, not its flow), and those agreed (the
	 * peer's we took, and ours it took). */
	IKE_C_FLOW_MODE_REFUSED,
	IKE_C_FLOW_MODE_AGREED,
	/* FA link states (MLIKE_N_LINK_STATE, the auto policy): reports we
	 * refused (not from an FA serving one of our mobiles, malformed),
	 * and those taken. */
	IKE_C_LINK_STATE_REFUSED,
	IKE_C_LINK_STATE_TAKEN,
	IKE_C_MAX
};

const char *ike_counter_name(enum ike_counter c);

struct ike_engine *ike_engine_new(const struct ike_engine_cfg *cfg, const struct ike_events *ev,
				  void *ev_ctx);
/* Deletes every SA (best effort, no wait), closes the socket, wipes keys. */
void ike_engine_free(struct ike_engine *eng);
int ike_engine_fd(const struct ike_engine *eng);
/* Every socket to poll: the IKE port, and the NAT-T port if enabled. */
unsigned int ike_engine_fds(const struct ike_engine *eng, int fds[2]);
/* Reads every pending datagram. */
void ike_engine_input(struct ike_engine *eng);
/* Processes one datagram (what ike_engine_input does per packet; the fuzz
 * harness and the unit tests call it directly). */
void ike_engine_process(struct ike_engine *eng, uint8_t *buf, size_t len, uint32_t from_addr,
			uint16_t from_port);
/* The same for a datagram received on the NAT-T port (marker included). */
void ike_engine_process_natt(struct ike_engine *eng, uint8_t *buf, size_t len, uint32_t from_addr,
			     uint16_t from_port);
/* Milliseconds until ike_engine_tick has work, -1 for none: a walk over
 * every SA. */
int ike_engine_timeout_ms(const struct ike_engine *eng);
/* The same, at once, but possibly early (a deadline met since it was set
 * still counts until the next tick) and possibly late for a soft lifetime
 * whose exchange was busy (the embedder ticks at least once a second
 * anyway); -1 for none known. An HA with thousands of IKE SAs calls this
 * after every message. */
int ike_engine_timeout_hint_ms(const struct ike_engine *eng);
void ike_engine_tick(struct ike_engine *eng);
/* The engines' clock in milliseconds: CLOCK_MONOTONIC, or now_ms once set
 * (a simulator's virtual time; NULL restores the real clock). Process-wide:
 * every engine of the process reads it. */
void ike_clock_set(uint64_t (*now_ms)(void));
uint64_t ike_engine_counter(const struct ike_engine *eng, enum ike_counter c);
/* Nanoseconds the engine spent on the last received request (response =
 * false) or response of an exchange type, building its answer or next
 * request included (not the answer to a DKM install report: DKM's is the
 * FA-FA exchange's); 0 if none seen. */
uint64_t ike_engine_proc_ns(const struct ike_engine *eng, uint8_t exchange, bool response);
/* Nanoseconds from our last request of an exchange type first leaving to
 * its response processed (retransmissions included; DKM: the request to
 * a previous FA, not the report to the HA); 0 if none answered. */
uint64_t ike_engine_rtt_ns(const struct ike_engine *eng, uint8_t exchange);

/* Starts IKE_SA_INIT towards the configured peer. */
struct ike_sa *ike_initiate(struct ike_engine *eng, const struct ike_peer_cfg *peer);
/* Sends a Delete for the whole IKE SA; the SA goes when answered or timed out. */
int ike_sa_delete(struct ike_sa *sa);
/* CREATE_CHILD_SA as initiator (docs/protocol.md §5). A new CHILD_SA with
 * the peer's configured selectors, or, when rekey_spi_in names one of ours
 * (its inbound SPI), its replacement (REKEY_SA, the same selectors; the old
 * one is deleted once the new one is up). pfs adds a KE of group 31. The
 * result comes as child_up (and child_down for the old one), or
 * create_failed. -EBUSY while another request of ours is outstanding. */
int ike_child_create(struct ike_sa *sa, uint32_t rekey_spi_in, bool pfs);
/* Deletes one CHILD_SA (its inbound SPI); child_down when answered. */
int ike_child_delete(struct ike_sa *sa, uint32_t spi_in);
/* Rekeys the IKE SA (RFC 7296 1.3.2): ike_rekeyed(old, new) when answered,
 * then the old SA is deleted; or create_failed. -EBUSY as above. */
int ike_sa_rekey(struct ike_sa *sa);
/* Empty INFORMATIONAL (liveness check). */
int ike_sa_liveness(struct ike_sa *sa);
bool ike_sa_established(const struct ike_sa *sa);
const struct ike_peer_cfg *ike_sa_peer(const struct ike_sa *sa);
bool ike_sa_is_initiator(const struct ike_sa *sa);
/* Its SPIs as on the wire: the original initiator's, the responder's. */
void ike_sa_spis(const struct ike_sa *sa, uint8_t spi_i[IKE_SPI_LEN], uint8_t spi_r[IKE_SPI_LEN]);
/* Opaque pointer the embedding daemon may hang on an SA. */
void ike_sa_set_user(struct ike_sa *sa, void *user);
void *ike_sa_user(const struct ike_sa *sa);

/* ML-IKE (docs/protocol.md). */
int mlike_auth_sa_start(struct ike_sa *sa);
/* CSA rekey (MLIKE_CREATE_CHILD_SA, paper Fig. 7), MH or HA: a new pair
 * replacing the SA's current one; csa_rekeyed when it is agreed (either
 * side). -ENOENT without a CSA, -EBUSY with a request out. */
int mlike_csa_rekey(struct ike_sa *sa);
int mlike_key_distribute(struct ike_sa *sa, const struct mlike_fa_keys *keys);
/* PKD: tells the HA our neighbour FAs (network order); neighbors_done
 * when answered. */
int mlike_neighbor_notify(struct ike_sa *sa, const uint32_t *addrs, unsigned int n);
/* Asks the peer for a flow's new mode (INFORMATIONAL, MLIKE_N_FLOW_MODE;
 * docs/protocol.md "Flow mode"); flow_mode_done when answered. -ENOTCONN
 * unless established, -EBUSY while another request is out. */
int mlike_flow_mode(struct ike_sa *sa, const struct mlike_flow_mode_pl *fm);
/* FA: tells the HA its link's state (INFORMATIONAL, MLIKE_N_LINK_STATE);
 * link_state_done when answered. -ENOTCONN, -EBUSY (the window). */
int mlike_link_state(struct ike_sa *sa, const struct mlike_link_state_pl *ls);
/* Revokes CSAs at the peer (INFORMATIONAL Delete, ML-ESP zone protocol). */
int mlike_csa_delete(struct ike_sa *sa, const uint32_t *spis, unsigned int n);
/* The FA's share of a CSA pair: zone 1 of both directions, null SAs for the
 * other zones. dir_to_mh tells which CSA carries traffic towards the MH. */
void mlike_fa_keys_from_csa(const struct mlike_csa *csa, bool out_is_to_mh, uint32_t mh_home,
			    uint32_t ha_addr, struct mlike_fa_keys *keys);

/* DKM (docs/protocol.md §8). New FA: asks the previous FA for an MH's
 * zone-1 CSAs (answer: dkm_answer); then reports them to the HA. Both
 * -ENOTCONN unless established, -EBUSY while a request is out. */
int dkm_csa_request(struct ike_sa *sa, const struct dkm_mh_pl *req);
int dkm_report_installed(struct ike_sa *sa, const struct dkm_mh_pl *rep);
/* New FA -> HA: no CSA for rep->mh_home by DKM; redistribute now. */
int dkm_report_missing(struct ike_sa *sa, const struct dkm_mh_pl *rep);

#endif
