/* The worker's first look at a frame an endpoint XDP program steered to it:
 * the metadata right before the frame (struct mml_xsk_meta) and the headers
 * the program vouched for, checked again before anything acts on them (the
 * UMEM is shared with the kernel, the metadata is only as good as the
 * program that wrote it). loop.c acts on the result; the fuzzer
 * (tests/fuzz/fuzz_ep_rx.c) drives the same function on arbitrary frames. */
#ifndef MML_WORKER_RX_H
#define MML_WORKER_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/ep.h"
#include "worker/pkt.h"
#include "worker/proto.h"

enum ep_rx_kind {
	EP_RX_DROP,    /* stat says why */
	EP_RX_HA_DOWN, /* HA: plaintext to a home address; ip, hdr: the inner packet */
	EP_RX_DELIVER, /* protocol 50 for us: ip, len for ep_unprotect as side */
	EP_RX_PLAIN,   /* plaintext of an every-n flow: ip, len for ep_plain_in as side */
};

struct ep_rx {
	enum ep_rx_kind kind;
	enum ep_side side;   /* EP_RX_DELIVER, EP_RX_PLAIN */
	uint8_t *ip;	     /* an IPv4 header inside the frame */
	size_t len;	     /* bytes from ip to the frame's (or the tunnel's) end */
	uint32_t tunnel_src; /* HA, DELIVER and PLAIN: the Mobile IP tunnel's source */
	struct ep_ip hdr;    /* EP_RX_HA_DOWN: the inner header, validated */
	unsigned int stat;   /* EP_RX_DROP: enum mml_stat */
};

/* Classifies the frame pkt[0, len) whose metadata is m, at an HA (ha) or
 * an MH: a kind the node does not handle, a wrong magic or layer-3 offset,
 * or headers that do not parse are a drop (MML_STAT_EP_DROP_MALFORMED). */
void ep_rx_parse(bool ha, const struct mml_xsk_meta *m, uint8_t *pkt, size_t len, struct ep_rx *rx);

#endif
