#include "worker/xsk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "lib/log.h"

/* Frames kept in each fill ring; the rest of the pool serves TX. */
#define EP_FILL_TARGET (EP_RING_SIZE / 2)

static uint32_t fill_ring(struct ep_umem *u, struct ep_xsk *x, uint32_t max)
{
	uint32_t want = xsk_prod_nb_free(&x->fq, max), idx, i;

	if (want > max)
		want = max;
	if (want > u->nfree)
		want = u->nfree;
	if (!want || xsk_ring_prod__reserve(&x->fq, want, &idx) != want)
		return 0;
	for (i = 0; i < want; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = u->free[--u->nfree];
	xsk_ring_prod__submit(&x->fq, want);
	return want;
}

int ep_umem_open(struct ep_umem *u, const struct ep_port *ports, int nports, uint32_t queue,
		 int xsks_fd)
{
	struct xsk_umem_config ucfg = {
		.fill_size = EP_RING_SIZE,
		.comp_size = EP_RING_SIZE,
		.frame_size = EP_FRAME_SIZE,
		.frame_headroom = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = EP_RING_SIZE,
		.tx_size = EP_RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	size_t size = (size_t)EP_NUM_FRAMES * EP_FRAME_SIZE;
	int err, p;

	memset(u, 0, sizeof(*u));
	u->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->area == MAP_FAILED) {
		u->area = NULL;
		return -errno;
	}
	for (uint32_t i = 0; i < EP_NUM_FRAMES; i++)
		u->free[u->nfree++] = (uint64_t)(EP_NUM_FRAMES - 1 - i) * EP_FRAME_SIZE;
	err = xsk_umem__create(&u->umem, u->area, size, &u->xsk[0].fq, &u->xsk[0].cq, &ucfg);
	if (err) {
		log_err("create UMEM: %s", strerror(-err));
		return err;
	}
	for (p = 0; p < nports; p++) {
		struct ep_xsk *x = &u->xsk[p];
		uint32_t key = ports[p].slot * MML_XSK_QUEUES + queue;

		err = xsk_socket__create_shared(&x->xsk, ports[p].name, queue, u->umem, &x->rx,
						&x->tx, &x->fq, &x->cq, &scfg);
		if (err) {
			log_err("AF_XDP socket on %s queue %u: %s", ports[p].name, queue,
				strerror(-err));
			return err;
		}
		u->nports = p + 1;
		x->fd = xsk_socket__fd(x->xsk);
		fill_ring(u, x, EP_FILL_TARGET);
		if (bpf_map_update_elem(xsks_fd, &key, &x->fd, BPF_ANY)) {
			err = -errno;
			log_err("register socket of %s in mml_xsks: %s", ports[p].name,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

void ep_umem_close(struct ep_umem *u, const struct ep_port *ports, uint32_t queue, int xsks_fd)
{
	for (int p = 0; p < u->nports; p++) {
		uint32_t key = ports[p].slot * MML_XSK_QUEUES + queue;

		if (xsks_fd >= 0)
			bpf_map_delete_elem(xsks_fd, &key);
		xsk_socket__delete(u->xsk[p].xsk);
	}
	if (u->umem)
		xsk_umem__delete(u->umem);
	if (u->area)
		munmap(u->area, (size_t)EP_NUM_FRAMES * EP_FRAME_SIZE);
	memset(u, 0, sizeof(*u));
}

bool ep_tx(struct ep_umem *u, int p, uint64_t addr, uint32_t len)
{
	struct ep_xsk *x = &u->xsk[p];
	struct xdp_desc *d;
	uint32_t idx;

	if (xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1)
		return false;
	d = xsk_ring_prod__tx_desc(&x->tx, idx);
	d->addr = addr;
	d->len = len;
	d->options = 0;
	xsk_ring_prod__submit(&x->tx, 1);
	x->tx_outstanding++;
	x->tx_kick = true;
	return true;
}

static void complete_tx(struct ep_umem *u, struct ep_xsk *x)
{
	uint32_t idx, n = xsk_ring_cons__peek(&x->cq, EP_RING_SIZE, &idx);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&x->cq, idx + i);

		if (u->tx_done)
			u->tx_done(u->tx_done_ctx, addr);
		else
			ep_frame_free(u, addr);
	}
	xsk_ring_cons__release(&x->cq, n);
	x->tx_outstanding -= n;
}

/* Descriptors on the TX ring the kernel has not taken yet. */
static bool tx_pending(const struct ep_xsk *x)
{
	return __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE) != *x->tx.producer;
}

void ep_umem_service(struct ep_umem *u)
{
	for (int p = 0; p < u->nports; p++) {
		struct ep_xsk *x = &u->xsk[p];

		/* Copy mode sends a small budget per call (-EAGAIN: more to do);
		 * kick until the ring is drained or the device pushes back. */
		for (int k = 0; k < 16 && x->tx_kick; k++) {
			int r = (int)sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
			int e = errno;

			complete_tx(u, x);
			x->tx_kick = tx_pending(x);
			if (r < 0 && e != EAGAIN && e != EBUSY)
				break;
		}
		complete_tx(u, x);
		/* Keep the fill ring topped up in batches. */
		if (xsk_prod_nb_free(&x->fq, EP_BATCH) >= EP_BATCH &&
		    EP_RING_SIZE - xsk_prod_nb_free(&x->fq, EP_RING_SIZE) < EP_FILL_TARGET)
			fill_ring(u, x, EP_BATCH);
		if (xsk_ring_prod__needs_wakeup(&x->fq))
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}
