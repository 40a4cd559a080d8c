/* Composite security association (CSA): the one layout of a CSA, shared by the
 * XDP programs, the workers, mmlctl and mmlkeyd through the pinned map
 * mml_csa (SPI -> struct mml_csa). DESIGN.md sections 2.1-2.3 and 3. */
#ifndef MML_MAPS_CSA_H
#define MML_MAPS_CSA_H

#include "maps/types.h"

#define MML_KEY_LEN 32
#define MML_SALT_LEN 4
#define MML_TAG_LEN 16
#define MML_ZONES 2

/* Zone map limits: zone 1 = P[0, z1_len), zone 2 = the rest. */
#define MML_Z1_MIN 20
#define MML_Z1_MAX 128
#define MML_Z1_DEFAULT 40

/* Sequence-number limits: rekey wanted after SOFT, nothing sent after HARD;
 * the 32-bit counter never wraps. */
#define MML_SEQ_SOFT_DEFAULT 0x80000000ULL
#define MML_SEQ_HARD_DEFAULT 0xfffffffeULL

#define MML_REPLAY_WINDOW_MIN 1024
#define MML_REPLAY_WINDOW_DEFAULT 1024
#define MML_REPLAY_WINDOW_MAX 65536

enum mml_alg {
	MML_ALG_NULL = 0,	       /* this node may not read the zone */
	MML_ALG_CHACHA20_POLY1305 = 1, /* RFC 8439 / RFC 7634 */
	MML_ALG_AES256_GCM = 2,	       /* RFC 4106, 16-byte ICV */
};

enum mml_format {
	MML_FMT_MLESP = 1, /* two zones, DESIGN.md 2.1 */
	MML_FMT_ESP = 2,   /* RFC 4303 tunnel mode, zone[0] only, DESIGN.md 2.2 */
};

enum mml_dir {
	MML_DIR_IN = 1,	 /* this node decapsulates (MH, HA receive side) */
	MML_DIR_OUT = 2, /* this node encapsulates (MH, HA send side) */
	MML_DIR_FWD = 3, /* this node only forwards and reads zone 1 (FA) */
};

/* flags: a PKD CSA held by a neighbour FA before the MH arrives (issue 16,
 * docs/protocol.md "PKD"): the FA verifies and forwards nothing of it until
 * it relays the HA's registration reply for that MH. Only with MML_DIR_FWD. */
#define MML_CSA_F_INACTIVE 0x01

/* owner: who installed the CSA, and so who may replace or delete it
 * (docs/security.md, issue 18 item 3). 0: the operator (static keying,
 * mmlctl csa); else the IPv4 address, network order, of the IKE peer whose
 * exchange brought it (mmlkeyd: the HA for an FA's zone-1 CSAs, whether
 * they came by KEY_DISTRIBUTE or by DKM; the other end for an MH's or
 * HA's own pair). The data plane does not read it. */
#define MML_CSA_OWNER_STATIC 0u

struct mml_zone_sa {
	__u8 alg; /* enum mml_alg */
	__u8 pad[3];
	__u8 salt[MML_SALT_LEN];
	__u8 key[MML_KEY_LEN];
};

struct mml_csa {
	__u32 spi;	       /* on the wire; zone 1's SA is the designated SA */
	__u8 format;	       /* enum mml_format */
	__u8 dir;	       /* enum mml_dir */
	__u8 z1_len;	       /* zone map (ML-ESP only) */
	__u8 flags;	       /* MML_CSA_F_*, else 0 */
	__u32 replay_window;   /* packets; 0 = MML_REPLAY_WINDOW_DEFAULT */
	__u32 owner;	       /* MML_CSA_OWNER_STATIC or an IKE peer's address */
	__u64 soft_packets;    /* rekey wanted after this sequence number; 0 = default */
	__u64 hard_packets;    /* last sequence number that may be sent; 0 = default */
	__u64 soft_lifetime_s; /* seconds after add_time; 0 = none */
	__u64 hard_lifetime_s;
	__u64 add_time_ns; /* CLOCK_BOOTTIME when installed */
	struct mml_zone_sa zone[MML_ZONES];
};

/* Lifetimes (RFC 4301 4.4.2.1), shared by the FA's XDP program and the
 * endpoint workers so that every node ends a CSA at the same instant. A
 * CSA past its hard lifetime in seconds, or a sequence number above its
 * hard packet limit, protects and accepts nothing. now_ns is
 * CLOCK_BOOTTIME, the clock of add_time_ns (bpf_ktime_get_boot_ns in BPF). */
#define MML_NS_PER_S 1000000000ULL

static inline __attribute__((always_inline)) __u64 mml_csa_deadline_ns(const struct mml_csa *c,
								       __u64 lifetime_s)
{
	return lifetime_s ? c->add_time_ns + lifetime_s * MML_NS_PER_S : 0;
}

static inline __attribute__((always_inline)) int mml_csa_time_expired(const struct mml_csa *c,
								      __u64 now_ns)
{
	__u64 hard = mml_csa_deadline_ns(c, c->hard_lifetime_s);

	return hard && now_ns >= hard;
}

static inline __attribute__((always_inline)) int mml_csa_soft_passed(const struct mml_csa *c,
								     __u64 now_ns)
{
	__u64 soft = mml_csa_deadline_ns(c, c->soft_lifetime_s);

	return soft && now_ns >= soft;
}

/* An inbound sequence number the sender may not have used. */
static inline __attribute__((always_inline)) int mml_csa_seq_expired(const struct mml_csa *c,
								     __u64 seq)
{
	return seq > (c->hard_packets ? c->hard_packets : MML_SEQ_HARD_DEFAULT);
}

MML_STATIC_ASSERT(sizeof(struct mml_zone_sa) == 40, "mml_zone_sa layout");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_zone_sa, salt) == 4, "zone salt offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_zone_sa, key) == 8, "zone key offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_csa, format) == 4, "csa format offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_csa, replay_window) == 8, "csa window offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_csa, owner) == 12, "csa owner offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_csa, soft_packets) == 16, "csa limits offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_csa, add_time_ns) == 48, "csa time offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_csa, zone) == 56, "csa zone offset");
MML_STATIC_ASSERT(sizeof(struct mml_csa) == 136, "mml_csa layout");

#endif
