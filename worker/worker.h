/* mmlworker: the node (shared by the threads) and one thread per queue. */
#ifndef MML_WORKER_WORKER_H
#define MML_WORKER_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/flow_ctr.h"
#include "lib/pin.h"
#include "maps/ep.h"
#include "worker/gro.h"
#include "worker/netlink.h"
#include "worker/proto.h"
#include "worker/xsk.h"

enum ep_role { EP_ROLE_HA = 1, EP_ROLE_MH = 2 };

struct ep_node {
	enum ep_role role;
	struct mml_pin_dir pin; /* <root>/<node> */
	char tun_name[16];
	unsigned int tun_mtu;
	bool gro;	    /* coalesce TCP segments into the TUN device (gro.h); --no-gro */
	uint32_t home_addr; /* MH */
	int nqueues;
	struct ep_port ports[MML_XSK_PORTS];
	int nports;
	int csa_fd, binding_fd, flow_fd, xsks_fd, slot_fd, hwm_fd, gen_fd, wstats_fd, rx_mark_fd;
	int flow_shapes_fd, flow_ctr_fd, flow_dscp_fd;
	int rekey_fd;
	const volatile uint64_t *gen;
	struct mml_rx_mark *rx_marks; /* mml_rx_mark through mmap */
	uint32_t nmarks;
	volatile uint64_t *wstats;
	struct ep_seqstore seqs;
	struct mml_flow_ctrs flowctr; /* mml_flow_ctr through mmap */
	atomic_bool stop;
};

/* The next hop of the tunnel toward one peer (MH: its FA; HA, TUN path:
 * a care-of address), resolved through rtnetlink. */
struct ep_hop {
	uint32_t dst;
	int port; /* index in node->ports, -1 = unresolved */
	uint8_t mac[6];
	uint64_t next_try_ns;
};

#define EP_HOPS 8

struct ep_thread {
	struct ep_node *node;
	int idx;
	uint32_t queue;
	pthread_t tid;
	struct ep_umem umem;
	int tun_fd;
	struct ep_tables tab;
	struct ep_nl nl;
	struct ep_hop hops[EP_HOPS];
	uint64_t seen_gen;
	uint64_t next_refresh_ns;
	uint32_t *routed; /* HA, thread 0: the home addresses routed into the TUN device */
	uint32_t n_routed;
	uint64_t seen_node[3]; /* the store's counters thread 0 published */
	volatile uint64_t *stats;
	uint8_t scratch[65536 + 64]; /* a TUN read: virtio_net_hdr + up to 64 KB */
	uint8_t segment[2048];	     /* one segment cut from it */
	struct ep_gro gro;	     /* segments on their way to the TUN device */
};

static inline void ep_count(struct ep_thread *t, unsigned int stat)
{
	t->stats[stat]++;
}

void *ep_thread_main(void *arg);
/* ep_tables.learn of a worker thread (ctx): the learned entry into mml_flow. */
void ep_flow_learned(void *ctx, const struct mml_flow_key *k, const struct mml_flow *f);
/* Reload SA cache, flows, bindings (exposed for tests). */
int ep_thread_refresh(struct ep_thread *t);

#endif
