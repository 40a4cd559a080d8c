/* The FA data plane on the shared test bed (tests/bpf/fa-bed.sh): the
 * packets one direction sends through FA1, and what must come out.
 *
 * A plan is a list of frames, each with the bytes that must arrive (the
 * packet inside the Mobile IP tunnel) if the FA forwards it, the counter the
 * FA must add for it, and a marker: the IPv4 ID of that packet, unique in
 * the run (ML-ESP's outer-of-ESP header is not authenticated, so marking it
 * after sealing is what a sender may do). The plan travels between the
 * tool's subcommands as a manifest file, one line per packet:
 *
 *   ID EXPECT COUNTER GROUP FRAME-HEX ARRIVE-HEX
 *
 * Addresses are the bed's (docs/testbed.md). */
#ifndef MML_TESTS_BPF_FA_BED_H
#define MML_TESTS_BPF_FA_BED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/bpf/fa-packets.h"

#define BED_HA_ADDR "10.1.0.1"	    /* the visitor's HA (tunnel peer) */
#define BED_HA_LINK "10.0.2.1"	    /* the HA's address on FA1's link: not the visitor's HA */
#define BED_COA "10.0.2.2"	    /* FA1's care-of address */
#define BED_MH_HOME "10.1.0.10"	    /* the visitor */
#define BED_NOT_VISITOR "10.1.0.99" /* a home address FA1 has no visitor entry for */
#define BED_CN "10.0.1.1"

/* SPIs; FA1 holds zone 1 of the three CSAs, no key of the ESP SAs. */
#define BED_SPI_DOWN 0x1000u	 /* ML-ESP HA -> MH, z1_len 40 (keys file "down") */
#define BED_SPI_WIDE 0x1001u	 /* ML-ESP HA -> MH, z1_len 128 (keys file "wide") */
#define BED_SPI_UP 0x2000u	 /* ML-ESP MH -> HA, z1_len 40 (keys file "up") */
#define BED_SPI_ESP_DOWN 0x1100u /* ESP HA -> MH: unknown at the FA */
#define BED_SPI_ESP_UP 0x2100u	 /* ESP MH -> HA: unknown at the FA */

/* Markers: IPv4 IDs 0x5100.. downlink, 0x5200.. uplink. */
#define BED_ID_DOWN 0x5100u
#define BED_ID_UP 0x5200u

enum bed_dir { BED_DOWN, BED_UP };

enum bed_expect {
	BED_DELIVER, /* forwarded: arrives once, byte-identical */
	BED_DROP,    /* dropped by the FA */
	BED_PASS,    /* not the FA's to forward: to its own stack, never to the peer */
};

#define BED_NAME_MAX 48

struct bed_pkt {
	uint16_t id;
	enum bed_expect expect;
	char counter[BED_NAME_MAX]; /* besides rx_down / rx_up */
	char group[BED_NAME_MAX];   /* packets reported together */
	uint8_t frame[FRAME_MAX];   /* Ethernet frame as sent */
	size_t frame_len;
	uint8_t arrive[FRAME_MAX]; /* what must arrive (downlink: after decapsulation,
				      uplink: inside the reverse tunnel) */
	size_t arrive_len;
};

struct bed_plan {
	struct bed_pkt *pkt;
	size_t n, cap;
};

/* Ethernet addresses of the frames a plan sends. */
struct bed_link {
	uint8_t dst[6], src[6];
};

/* The frames of one direction; keys from KEYDIR/{down,wide,up} (the mmlctl
 * key file format, two lines: zone 1, zone 2). 0 or a negative errno. */
int bed_plan_build(struct bed_plan *p, enum bed_dir dir, const char *keydir,
		   const struct bed_link *link);
struct bed_pkt *bed_plan_add(struct bed_plan *p);
void bed_plan_free(struct bed_plan *p);

/* What arrived (CAPTURE, from `recv`) against the plan, FA1's counters
 * (mmlctl -j stats before and after) against the plan's; want: the Ethernet
 * addresses the forwarded frames must carry. Prints PASS/FAIL lines and
 * returns the number of FAILs (or 1 if the files cannot be read). */
int bed_check(enum bed_dir dir, const struct bed_plan *p, const char *capture, const char *before,
	      const char *after, const struct bed_link *want);

int bed_manifest_write(const struct bed_plan *p, const char *path);
int bed_manifest_read(struct bed_plan *p, const char *path);

const char *bed_expect_name(enum bed_expect e);
int bed_parse_mac(const char *s, uint8_t mac[6]);
/* Lowercase hex of n bytes into out (2n + 1 bytes); hex back into at most
 * cap bytes, returns the length or -1. */
void bed_hex(const uint8_t *p, size_t n, char *out);
long bed_unhex(const char *s, uint8_t *out, size_t cap);

#endif
