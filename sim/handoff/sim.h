/* The handoff simulator (make sim-handoff, docs/results.md "The trade-off
 * at scale"): the product's ML-IKE engines, one per node, in one process,
 * exchanging their real encoded and encrypted messages through an
 * in-memory transport (ike_transport) on a virtual clock (ike_clock_set).
 * Each delivery runs on its node for the real CPU time it takes; a
 * message leaves when its sender's work is done and arrives after a
 * modelled network delay (hop_ns per wired hop).
 *
 * What is the product's: the engines (ike_engine.c and every exchange
 * handler: IKE_SA_INIT, IKE_AUTH, MLIKE_AUTH_SA, KEY_DISTRIBUTE, the CSA
 * Delete, NEIGHBOR_NOTIFY, DKM_CSA_REQUEST), OpenSSL crypto, the HA's
 * holder set (holders.c), the previous FA's DKM cache (dkm_cache.c) and
 * the FA's map conversion (csa_map.c). What is the simulator's: the
 * event loop, the network, the CSA map (an in-memory sink, sim_fa.c),
 * Mobile IP (reduced to the events key management consumes) and the
 * ike module's orchestration, re-expressed in sim_ha.c and sim_fa.c
 * from keyd/ike/ike_orch.c, pkd.c and ike_dkm.c (which are bound to
 * mmlkeyd's loop, pinned maps and tables of 64 mobiles and 16 peers). */
#ifndef MML_SIM_HANDOFF_SIM_H
#define MML_SIM_HANDOFF_SIM_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

#include "keyd/ike/dkm_cache.h"
#include "keyd/ike/holders.h"
#include "keyd/ike/ike.h"
#include "sim/handoff/sim_grid.h"

#define SIM_MH_SHARD 256

enum sim_scheme { SCHEME_REDISTRIBUTE, SCHEME_PKD, SCHEME_DKM, SCHEME_N };
extern const char *const sim_scheme_names[SCHEME_N];

struct sim_opts {
	unsigned int mhs, fas; /* fas: a square number */
	unsigned int duration_s, dwell_ms, warmup_s, sample_ms;
	unsigned int hop_us, dkm_timeout_ms;
	uint64_t seed;
	const char *out_dir; /* NULL: no data files */
};

/* --- sim_evq.c: the virtual clock and its events --- */

enum sim_ev_kind {
	EV_MSG,	    /* a datagram reaches node dst */
	EV_ATTACH,  /* MH a's registration request reaches FA b (t_req) */
	EV_BINDING, /* ... is relayed to the HA: its binding moves */
	EV_REPLY,   /* the HA's registration reply reaches FA b */
	EV_MOVE,    /* MH a leaves for a neighbour cell */
	EV_TICK,    /* engine timers, DKM bounds */
	EV_SAMPLE,  /* exposure and keys per FA */
	EV_INIT,    /* the HA starts MH a's initialisation */
};

struct sim_msg {
	uint32_t from_addr;
	uint16_t from_port;
	uint16_t len;
	uint8_t buf[];
};

struct sim_ev {
	uint64_t at, seq;
	uint8_t kind;
	uint32_t a, b;
	struct sim_msg *msg;
};

extern uint64_t sim_now; /* virtual ns */
void sim_evq_push(uint64_t at, uint8_t kind, uint32_t a, uint32_t b, struct sim_msg *msg);
bool sim_evq_pop(struct sim_ev *ev);
void sim_evq_clear(void);
uint64_t sim_now_ms(void);

/* --- sim_net.c: nodes, the transport, CPU time, the grid --- */

/* A request waiting for a link's window of one. */
enum sim_req_kind {
	REQ_KEYS,
	REQ_KEYS_INACTIVE,
	REQ_REVOKE,
	REQ_DKM_ASK,
	REQ_DKM_REPORT,
	REQ_DKM_MISSING,
};
struct sim_req {
	uint8_t kind;
	uint32_t mh;
};

struct sim_link {
	struct ike_sa *sa;
	bool up;
	unsigned int head, tail, cap; /* a FIFO of requests waiting for the window */
	struct sim_req *q;
	struct sim_req inflight; /* HA: the KEY_DISTRIBUTE or CSA Delete out */
};

struct sim_node {
	uint32_t addr;
	int idx; /* FA index, -1 HA, -2 MH */
	struct ike_engine *eng;
	struct ike_engine_cfg ecfg;
	struct ike_transport tp;
	struct ike_peer_cfg *peers;
	struct sim_link *links; /* one per peer */
	unsigned int n_peers;
	uint64_t busy_until, cpu_ns;
	bool dead; /* freed: what it sends and is sent is dropped */
};

struct sim_net {
	struct sim_grid g;
	unsigned int n_fas;
	/* The HA: its engine for the FAs, and its engines for the MHs, one
	 * per SIM_MH_SHARD of them (an engine walks its SA list on every
	 * message: 10,000 in one would make the initialisations quadratic). */
	struct sim_node ha, *ha_mh;
	unsigned int n_ha_mh;
	struct sim_node *fa;
	uint64_t tx_msgs, tx_bytes, ha_msgs, hop_ns;
	bool counting;
};

extern struct sim_net net;

uint32_t sim_fa_addr(unsigned int i);
uint32_t sim_mh_addr(unsigned int m);
int sim_fa_of_addr(uint32_t addr);
int sim_mh_of_addr(uint32_t addr);
struct sim_node *sim_node_of_addr(uint32_t addr);
unsigned int sim_hops(const struct sim_node *a, const struct sim_node *b);
void sim_peer_init(struct ike_peer_cfg *p, uint32_t addr, const char *local, const char *peer);
int sim_node_start(struct sim_node *n, uint32_t addr, int idx, const struct ike_events *ev);
/* Runs fn on node n at virtual time at (or when n is free), for the CPU
 * time it takes; its datagrams leave then. Returns that CPU time. */
uint64_t sim_node_run(struct sim_node *n, uint64_t at, void (*fn)(struct sim_node *, void *),
		      void *arg);
void sim_deliver(struct sim_node *n, struct sim_msg *msg);
/* Link FIFOs: queue a request, and send what the windows allow. */
void sim_link_push(struct sim_node *n, unsigned int peer, uint8_t kind, uint32_t mh);
void sim_link_pump(struct sim_node *n, unsigned int peer);
int sim_peer_index(const struct sim_node *n, uint32_t addr);
void sim_net_free(void);

/* --- sim_ha.c, sim_fa.c: the key management around the engines --- */

struct sim_mobile {
	uint32_t home;
	uint16_t cell, prev;	     /* FA indexes: where the MH is, where it was */
	uint16_t coa;		     /* the HA's binding */
	uint16_t ha_prev;	     /* the binding before it */
	int early_fa;		     /* DKM: reported before the binding moved, -1 none */
	int missed_fa;		     /* DKM: "no CSA" before the binding moved, -1 none */
	uint8_t state;		     /* 0 idle, 1 initialising, 2 ready */
	bool have_csa, distributing; /* distributing: KEY_DISTRIBUTE queued or out */
	int kd_out;		     /* the FA it is out to (the product's distributing), -1 */
	struct mlike_csa csa;
	int fa_with_keys; /* -1 none */
	struct csa_holders holders;
	uint64_t dkm_deadline, t_req, t_reply, t_key;
	bool counted; /* this handoff's key-ready time recorded */
	uint64_t rng; /* its walk's random stream */
	struct sim_node *mh_node;
	struct ike_sa *mh_sa;
	struct ike_peer_cfg mh_peer; /* the HA's peer entry for it */
};

/* The FA-side truth: which FAs hold each MH's zone-1 CSA (the sink). */
enum { SLOT_NONE, SLOT_INACTIVE, SLOT_ACTIVE };

struct sim_stats {
	uint64_t handoffs, keys_ready, ha_cpu_ns, msgs, bytes;
	uint64_t revoke_busy, holders_full, stale_answers, redundant_keys, superseded, dkm_refused,
		dkm_fallbacks, dkm_cache_miss, dkm_missing, revoke_raced;
	uint64_t zone2_at_fa, ha_record_missing, pkd_active_left;
	uint64_t *latency_ns, *keypart_ns; /* one per counted handoff */
	uint64_t n_lat, cap_lat;
	double exposure_sum, keys_sum;
	uint64_t samples, exposure_max, keys_max;
};

struct sim_world {
	struct sim_opts o;
	enum sim_scheme scheme;
	struct sim_mobile *mb;
	uint8_t *slot;	       /* [fa * mhs + mh] */
	uint16_t *holders_at;  /* per MH: FAs holding its CSA */
	uint32_t *keys_at;     /* per FA: CSAs held */
	bool *here;	       /* [fa * mhs + mh]: registered there */
	struct dkm_cache *dkm; /* per FA */
	struct sim_stats st;
	bool measuring;
	uint64_t t_measure, t_end, ha_cpu0;
	void *exposure_out; /* FILE * of the exposure time series, or NULL */
};

/* What one scheme's run came to (sim_stats.c). */
struct sim_result {
	uint64_t handoffs, keys_ready, superseded;
	double keys_mean, exposure_mean;
	uint64_t keys_max, exposure_max;
	double msgs_per_handoff, ha_msgs_per_handoff, bytes_per_handoff, ha_cpu_us_per_handoff;
	double lat_p50, lat_p90, lat_p99, lat_max;     /* ms, registration request -> key */
	double part_p50, part_p90, part_p99, part_max; /* ms, reply -> key (0: first) */
	uint64_t final_not_one, final_missing, ha_record_missing, active_left;
	uint64_t revoke_busy, holders_full, stale_answers, redundant_keys, dkm_refused,
		dkm_fallbacks, dkm_cache_miss, dkm_missing, revoke_raced, zone2_at_fa;
	double wall_s;
};

extern struct sim_world W;
extern const struct ike_events sim_ha_events, sim_fa_events, sim_mh_events;

void sim_ha_binding(struct sim_node *ha, void *arg);
void sim_ha_init_mobile(struct sim_node *ha, void *arg);
void sim_ha_dkm_bound(struct sim_node *ha, void *arg);
void sim_ha_req_send(struct sim_node *ha, unsigned int peer, const struct sim_req *r, int *err);
void sim_fa_attach(struct sim_node *fa, void *arg);
void sim_fa_reply(struct sim_node *fa, void *arg);
void sim_fa_req_send(struct sim_node *fa, unsigned int peer, const struct sim_req *r, int *err);
void sim_sink_set(unsigned int fa, unsigned int mh, uint8_t state);
uint32_t sim_mh_of_spi(uint32_t spi);
void sim_spi_index(uint32_t spi, uint32_t mh);
/* The zone-1 CSA of mh is usable at FA fa (its cell's: the handoff's
 * key-ready moment is the end of the work that made it so). */
void sim_key_ready(unsigned int mh, unsigned int fa);
void sim_ready_flush(uint64_t at);
/* A handoff whose key and reply are both there: its times recorded. */
void sim_handoff_done(struct sim_mobile *mb);

/* sim_init.c */
void sim_init_start(unsigned int m);
void sim_init_initiate(struct sim_node *ha_mh, void *arg);
void sim_spi_index_free(void);

/* sim_world.c: one scheme's run; sim_world_free after its results. */
int sim_world_run(const struct sim_opts *o, enum sim_scheme scheme, void *exposure_out);
void sim_world_free(void);

/* sim_stats.c */
void sim_sample(void);
void sim_result_of_run(struct sim_result *r);
void sim_write_latency(const char *dir, enum sim_scheme scheme);

static inline uint32_t htonl_ha(void)
{
	return htonl(0x0a000001u); /* 10.0.0.1 */
}

#endif
