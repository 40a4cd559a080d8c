/* A pcapng writer for mmlctl fa capture: a section header, an interface
 * block per interface seen, an enhanced packet block per frame with a
 * comment (tshark shows it as frame.comment). Nothing else of the format:
 * Debian has no pcapng writing library short of DPDK's (libpcap writes
 * pcap, which has no comments). */
#ifndef MML_LOADER_PCAPNG_H
#define MML_LOADER_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

#define PCAPNG_IFACES_MAX 16
#define PCAPNG_FRAME_MAX 4096 /* bytes of one frame, at most */

struct pcapng {
	FILE *f;
	uint32_t n_ifaces;
	uint32_t ifindex[PCAPNG_IFACES_MAX];
	uint32_t snaplen;
};

/* Creates path (mode 0600: frames carry payload) with the section header.
 * 0 or -errno. */
int pcapng_open(struct pcapng *p, const char *path, uint32_t snaplen);
/* One Ethernet frame seen on ifindex at ts_ns (CLOCK_REALTIME), caplen
 * (at most PCAPNG_FRAME_MAX) of its len bytes in data; comment (NULL for
 * none) up to 256 bytes. 0 or -errno. Not thread-safe. */
int pcapng_frame(struct pcapng *p, uint32_t ifindex, uint64_t ts_ns, const void *data,
		 uint32_t caplen, uint32_t len, const char *comment);
/* Flushes and closes; 0 or -errno. */
int pcapng_close(struct pcapng *p);

#endif
