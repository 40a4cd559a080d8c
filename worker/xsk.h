/* AF_XDP for one worker thread: one UMEM shared by the thread's sockets on
 * all the node's ports (xsk_socket__create_shared), a stack of free frames,
 * and per port the RX/TX rings and the fill/completion rings. The sockets
 * are entered into the pinned mml_xsks at port slot * MML_XSK_QUEUES +
 * queue, where the endpoint programs redirect to. */
#ifndef MML_WORKER_XSK_H
#define MML_WORKER_XSK_H

#include <stdbool.h>
#include <stdint.h>

#include <xdp/xsk.h>

#include "maps/ep.h"

#define EP_FRAME_SIZE 4096u
#define EP_NUM_FRAMES 8192u
#define EP_RING_SIZE 2048u
#define EP_BATCH 64u

struct ep_port {
	char name[16];
	int ifindex;
	uint32_t slot;
	unsigned int mtu;
	uint8_t mac[6];
};

struct ep_xsk {
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	uint32_t tx_outstanding; /* submitted, not completed */
	bool tx_kick;		 /* descriptors submitted since the last kick */
	int fd;
};

struct ep_umem {
	void *area;
	struct xsk_umem *umem;
	uint64_t free[EP_NUM_FRAMES];
	uint32_t nfree;
	struct ep_xsk xsk[MML_XSK_PORTS];
	int nports;
	/* Optional: who gets a frame back when its transmission completed
	 * (the FA keeps cached frames); NULL returns it to the free stack. */
	void (*tx_done)(void *ctx, uint64_t addr);
	void *tx_done_ctx;
};

/* Create the UMEM and one socket per port on queue, and register them in
 * xsks_fd. */
int ep_umem_open(struct ep_umem *u, const struct ep_port *ports, int nports, uint32_t queue,
		 int xsks_fd);
void ep_umem_close(struct ep_umem *u, const struct ep_port *ports, uint32_t queue, int xsks_fd);

static inline uint8_t *ep_frame(struct ep_umem *u, uint64_t addr)
{
	return xsk_umem__get_data(u->area, addr);
}

static inline bool ep_frame_alloc(struct ep_umem *u, uint64_t *addr)
{
	if (!u->nfree)
		return false;
	*addr = u->free[--u->nfree];
	return true;
}

static inline void ep_frame_free(struct ep_umem *u, uint64_t addr)
{
	u->free[u->nfree++] = addr & ~(uint64_t)(EP_FRAME_SIZE - 1);
}

/* Queue a frame for transmission on port p (the caller owns it until then);
 * false if the TX ring is full (the frame is still the caller's). */
bool ep_tx(struct ep_umem *u, int p, uint64_t addr, uint32_t len);
/* Wake the kernel for submitted TX, reap completions, refill fill rings. */
void ep_umem_service(struct ep_umem *u);

#endif
