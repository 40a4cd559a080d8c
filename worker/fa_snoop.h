/* mmlworker --role fa: SNOOP's cache and local retransmissions at the
 * Foreign Agent (DESIGN.md sections 4 and 5, docs/snoop.md). The FA's XDP
 * programs (bpf/snoop.h) steer downlink data segments and uplink duplicate
 * ACKs of the connections they can read to this worker's AF_XDP sockets and
 * tell it about new ACKs through a ring buffer; the worker runs the state
 * machine of lib/snoop.h over them. One UMEM is shared by the sockets on
 * every port, so a frame received on the wired port is sent on the
 * wireless one, and cached, without a copy. */
#ifndef MML_WORKER_FA_SNOOP_H
#define MML_WORKER_FA_SNOOP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "lib/pin.h"
#include "lib/snoop.h"
#include "maps/snoop.h"
#include "worker/fa_frames.h"
#include "worker/xsk.h"

#define EP_ETH_HLEN_FA 14

struct fa_worker {
	struct mml_pin_dir pin; /* <root>/<node> */
	struct ep_port ports[MML_XSK_PORTS];
	int nports;
	struct ep_umem umem;
	struct fa_frames frames;
	struct snoop snoop;
	bool snoop_ready;
	struct mml_snoop_cfg cfg;
	int xsks_fd, slot_fd, cfg_fd, conn_fd, ack_fd, stats_fd, events_fd;
	int csa_fd;		  /* mml_csa: is a cached ML-ESP frame's CSA still here? */
	volatile uint64_t *stats; /* mml_snoop_stats, mmapped */
	uint64_t stats_base[MML_SNOOP_STAT_MAX]; /* of state machines replaced */
	struct ring_buffer *events;
	bool *dirty; /* per connection slot: mirror into mml_snoop */
	uint64_t next_mirror_ns, next_cfg_ns;
	atomic_bool stop;
};

/* The entry point of the role: argv as given to mmlworker (fa_main.c). */
int fa_main(int argc, char **argv);

/* After the UMEM is open and w->cfg read: the frame ledger, the state
 * machine, the completion hook. */
int fa_worker_start(struct fa_worker *w);
void fa_worker_stop(struct fa_worker *w);
/* Timers, the mirror into mml_snoop, configuration changes, counters;
 * returns when to call again (CLOCK_MONOTONIC ns). */
uint64_t fa_worker_housekeeping(struct fa_worker *w, uint64_t now);
uint64_t fa_now_ns(void);
/* ring_buffer__new's callback (ctx: the worker). */
int fa_event_cb(void *ctx, void *data, size_t size);

/* One descriptor from an AF_XDP socket at UMEM address addr (desc, len: the
 * metadata record XDP put in front of the frame, then the frame), exposed
 * for tests: returns true if the worker keeps the frame (sent or cached). */
bool fa_rx_frame(struct fa_worker *w, uint64_t addr, uint8_t *desc, uint32_t len, uint64_t now);
/* One ring-buffer event. */
void fa_event(struct fa_worker *w, const struct mml_snoop_event *ev);

#endif
