/* bench-xsk-send: the worker's transmit, the counterpart of the paper's
 * ip_send (Table 6, 3 µs at the HA onto Fast Ethernet): worker/xsk.c's
 * ep_tx (a descriptor on the AF_XDP TX ring) and ep_umem_service (the
 * sendto() kick, the completion reaped, the fill ring kept up), until the
 * frame's completion is back. On the veth IFNAME that bench/functions-xsk.sh
 * makes in a namespace of its own (copy mode: the kernel copies the frame
 * into an skb and hands it to the peer, which drops it: nothing leaves the
 * namespace). One frame a kick, as the worker with one packet in its round,
 * and 64 a kick, its batch; a 1498-byte frame (a 1400-byte inner packet in
 * ML-ESP, outer IPv4, Ethernet). Output as bench-functions'. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bench/clock.h"
#include "worker/xsk.h"

#define FRAME_LEN 1498u
#define NBATCH 256 /* frames per timed batch */

static int rounds = 9;
static uint64_t round_ns = 20000000ull;

/* ns per frame of one round: n frames a kick, each batch until its last
 * completion; -1 if the ring or the device refused. */
static double one_round(struct ep_umem *u, uint32_t n)
{
	uint64_t spent = 0, frames = 0;

	while (spent < round_ns) {
		uint64_t t0 = bench_mono_ns();

		for (uint32_t b = 0; b < NBATCH; b += n) {
			for (uint32_t i = 0; i < n; i++) {
				uint64_t addr;

				if (!ep_frame_alloc(u, &addr) || !ep_tx(u, 0, addr, FRAME_LEN))
					return -1;
			}
			for (int k = 0; u->xsk[0].tx_outstanding; k++) {
				if (k == 1000)
					return -1;
				ep_umem_service(u);
			}
		}
		spent += bench_mono_ns() - t0;
		frames += NBATCH;
	}
	return (double)spent / (double)frames;
}

int main(int argc, char **argv)
{
	static struct ep_umem u;
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct ep_port port = { .slot = 0 };
	static const uint32_t per_kick[] = { 1, 64 };
	double best[2] = { 0, 0 };
	int xsks_fd, err, rc = 0;

	if (argc == 3 && !strcmp(argv[2], "-q")) {
		rounds = 3;
		round_ns = 2000000ull;
	} else if (argc != 2) {
		fprintf(stderr, "usage: bench-xsk-send IFNAME [-q] (bench/functions-xsk.sh)\n");
		return 2;
	}
	snprintf(port.name, sizeof(port.name), "%s", argv[1]);
	port.ifindex = (int)if_nametoindex(port.name);
	if (!port.ifindex) {
		fprintf(stderr, "bench-xsk-send: %s: %s\n", port.name, strerror(errno));
		return 1;
	}
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	/* A map of our own for the socket's registration (nothing redirects). */
	xsks_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "fn_xsks", 4, 4,
				 MML_XSK_PORTS * MML_XSK_QUEUES, NULL);
	if (xsks_fd < 0) {
		fprintf(stderr, "bench-xsk-send: XSKMAP: %s\n", strerror(errno));
		return 1;
	}
	err = ep_umem_open(&u, &port, 1, 0, xsks_fd);
	if (err) {
		fprintf(stderr, "bench-xsk-send: AF_XDP on %s: %s\n", port.name, strerror(-err));
		rc = 1;
		goto out;
	}
	/* Every frame of the pool a plausible Ethernet/IPv4 frame, once. */
	for (uint32_t i = 0; i < EP_NUM_FRAMES; i++) {
		uint8_t *f = ep_frame(&u, (uint64_t)i * EP_FRAME_SIZE);

		memset(f, 0xa5, FRAME_LEN);
		memset(f, 0xff, 6);
		f[12] = 0x08;
		f[13] = 0x00;
		f[14] = 0x45;
	}
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < 2; k++) {
			double ns = best[k] < 0 ? -1 : one_round(&u, per_kick[k]);

			if (ns < 0 || best[k] == 0 || ns < best[k])
				best[k] = ns;
		}
	}
	printf("bench-functions: AF_XDP transmit on %s, %u-byte frames, ns per frame, best of %d "
	       "rounds of %.0f ms; load average %.2f\n",
	       port.name, FRAME_LEN, rounds, round_ns / 1e6, bench_load());
	for (int k = 0; k < 2; k++) {
		if (best[k] < 0) {
			fprintf(stderr,
				"bench-xsk-send: %u a kick: the ring or the device refused\n",
				per_kick[k]);
			rc = 1;
			continue;
		}
		printf("ip_send_%-7u %9.1f ns  ep_tx + ep_umem_service, %u frame%s a kick, until "
		       "completed\n",
		       per_kick[k], best[k], per_kick[k], per_kick[k] > 1 ? "s" : "");
	}
out:
	ep_umem_close(&u, &port, 0, xsks_fd);
	close(xsks_fd);
	return rc;
}
