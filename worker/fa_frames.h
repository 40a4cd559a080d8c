/* The FA worker's frames (mmlworker --role fa, docs/snoop.md): SNOOP's cache
 * is the received frame itself, in the UMEM, still encrypted. This ledger
 * says per UMEM frame whether the cache holds it and how many of its
 * transmissions are in flight, so that a frame is
 *   - freed only when the cache released it and no transmission is pending,
 *   - never resubmitted while a previous copy is still in flight (a local
 *     retransmission asked for meanwhile waits for the completion).
 * Pure bookkeeping over callbacks: no rings, testable without a device. */
#ifndef MML_WORKER_FA_FRAMES_H
#define MML_WORKER_FA_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

struct fa_frame {
	uint64_t addr; /* descriptor address (frame base + packet offset) */
	uint32_t len;
	uint8_t port;	    /* where it is sent */
	uint8_t inflight;   /* submitted, not completed */
	bool cached;	    /* SNOOP holds it */
	bool rxmit_pending; /* a retransmission waits for the completion */
};

struct fa_frames_ops {
	/* Submit for transmission; false if the ring is full. */
	bool (*tx)(void *ctx, int port, uint64_t addr, uint32_t len);
	/* Back to the free frames. */
	void (*free)(void *ctx, uint64_t addr);
	/* Before a retransmission goes out (mark its priority). */
	void (*mark)(void *ctx, uint64_t addr, uint32_t len);
	void *ctx;
};

struct fa_frames {
	struct fa_frame *f;
	uint32_t nframes, frame_size;
	struct fa_frames_ops ops;
	uint64_t tx_full, deferred;
};

int fa_frames_init(struct fa_frames *fr, uint32_t nframes, uint32_t frame_size,
		   const struct fa_frames_ops *ops);
void fa_frames_free(struct fa_frames *fr);

/* First transmission of a received frame on port; cached: SNOOP keeps it.
 * An uncached frame that cannot be queued is freed (false returned); a
 * cached one stays in the cache for a local retransmission. */
bool fa_frames_send(struct fa_frames *fr, uint64_t addr, uint32_t len, int port, bool cached);
/* SNOOP's local retransmission: marked and sent now, or after the copy in
 * flight completes. */
void fa_frames_rxmit(struct fa_frames *fr, uint64_t addr);
/* SNOOP no longer needs it. */
void fa_frames_release(struct fa_frames *fr, uint64_t addr);
/* The completion ring returned addr. */
void fa_frames_tx_done(struct fa_frames *fr, uint64_t addr);
/* The record of the frame holding addr. */
struct fa_frame *fa_frames_get(struct fa_frames *fr, uint64_t addr);

/* Sets the DSCP of the IPv4 header at ip (ECN bits kept) and patches its
 * checksum incrementally (RFC 1624). Nothing else of the packet changes. */
void fa_ipv4_set_dscp(uint8_t *ip, uint8_t dscp);

#endif
