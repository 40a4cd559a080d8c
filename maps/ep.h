/* Endpoint (HA, MH) layouts shared by bpf/ep.bpf.c, mmlworker and mmlctl
 * (DESIGN.md sections 3 and 4, docs/endpoints.md): bindings, flow modes, the
 * metadata XDP hands the worker in front of each frame, the programs'
 * load-time configuration, and the maps through which the worker follows
 * changes and publishes its counters without a syscall per packet. */
#ifndef MML_MAPS_EP_H
#define MML_MAPS_EP_H

#include "maps/stats.h"
#include "maps/types.h"

#ifndef MML_BINDING_MAX
#define MML_BINDING_MAX 1024
#endif
#ifndef MML_FLOW_MAX
#define MML_FLOW_MAX 16384
#endif
/* xskmap index = port slot * MML_XSK_QUEUES + rx queue. */
#define MML_XSK_PORTS 16
#define MML_XSK_QUEUES 16
#define MML_XSK_MAX (MML_XSK_PORTS * MML_XSK_QUEUES)
/* Rows of mml_wstats: one per worker thread. */
#define MML_WORKER_THREADS_MAX 16

/* Security modes of a flow (DESIGN.md 2.1-2.3). Also the index of the
 * per-mode SPIs of a binding (MML_MODE_PLAIN has none). */
enum mml_mode { MML_MODE_PLAIN = 0, MML_MODE_ESP = 1, MML_MODE_MLESP = 2, MML_MODE_MAX };

/* Map mml_binding, key: the MH's home address (__u32, network order).
 * At the HA: one entry per registered MH, ha_addr = our tunnel address,
 * coa = the serving FA's care-of address. At the MH: one entry for itself,
 * ha_addr = its HA, coa = the FA it is registered through (its next hop).
 * SPIs in host order (= mml_csa keys), 0 = none for that mode. */
struct mml_binding {
	__u32 ha_addr;
	__u32 coa;
	__u32 spi_out[MML_MODE_MAX]; /* [PLAIN] unused */
	__u32 spi_in[MML_MODE_MAX];
	/* HA: the inbound SPI of the CSA a rekey is retiring, accepted beside
	 * spi_in until the old CSA is deleted (make before break); 0 = none */
	__u32 spi_in_prev;
	__u64 expires_ns; /* CLOCK_BOOTTIME; 0 = no lifetime */
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_binding, spi_out) == 8, "binding spi_out");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_binding, spi_in) == 20, "binding spi_in");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_binding, expires_ns) == 40, "binding expiry");
MML_STATIC_ASSERT(sizeof(struct mml_binding) == 48, "mml_binding layout");

/* Map mml_flow (LRU hash). The key is the inner 5-tuple seen from the MH,
 * the same at both ends whatever the direction: home = the MH's home
 * address and port, peer = the correspondent. Addresses network order,
 * ports host order, 0 = wildcard in any field; the matching entry with the
 * fewest wildcards wins, the all-zero default key last. */
struct mml_flow_key {
	__u32 home_addr;
	__u32 peer_addr;
	__u16 home_port;
	__u16 peer_port;
	__u8 proto;
	__u8 pad[3];
};

/* mml_flow.flags. ACCEPT_*: the receiver also takes this weaker mode
 * (configured, or set by the side that asked for a downgrade until its
 * peer agreed); LEARNED: written by a worker when the flow's first packet
 * in a stronger mode arrived (an implicit upgrade, docs/endpoints.md). */
enum mml_flow_flag {
	MML_FLOW_F_ACCEPT_ESP = 1,
	MML_FLOW_F_ACCEPT_PLAIN = 2,
	MML_FLOW_F_LEARNED = 4,
	MML_FLOW_F_ALL = 7,
	MML_FLOW_F_DSCP = 8, /* mml_flow_dscp only: this class has an entry */
};

struct mml_flow {
	__u8 mode;     /* enum mml_mode */
	__u8 flags;    /* enum mml_flow_flag */
	__u16 every_n; /* protect every n-th packet, plain in between; 0/1 = all */
	__u32 spi;     /* 0 = the binding's SPI for the mode */
};

MML_STATIC_ASSERT(sizeof(struct mml_flow_key) == 16, "mml_flow_key layout");
MML_STATIC_ASSERT(sizeof(struct mml_flow) == 8, "mml_flow layout");

/* Map mml_flow_dscp (array, index = the DSCP of the inner packet): a
 * policy by traffic class, below every mml_flow entry but the all-zero
 * default. A packet whose 5-tuple matches no mml_flow entry with a
 * non-zero field takes its class's entry if that has MML_FLOW_F_DSCP,
 * else the default. The sender looks up the DSCP of the inner packet it
 * protects, the receiver that of the inner packet it received (the XDP
 * plaintext policy and the worker alike): a reply the peer does not mark
 * falls to the default (docs/endpoints.md "Switching modes"). Learned
 * upgrades of a flow selected by its class are written to mml_flow under
 * the exact 5-tuple, as for any other entry. */
#define MML_FLOW_DSCPS 64

/* The weakest mode a receiver accepts for a flow whose entry is f (issue
 * 19): the entry's mode; plaintext too when only every n-th packet is
 * protected; and whatever the ACCEPT flags add. Shared by the endpoint XDP
 * programs (plaintext) and the workers (ESP under an ML-ESP policy). */
static inline __u8 mml_flow_rx_floor(const struct mml_flow *f)
{
	__u8 floor = f->mode < MML_MODE_MAX ? f->mode : MML_MODE_MLESP;

	if (f->every_n > 1 || (f->flags & MML_FLOW_F_ACCEPT_PLAIN))
		return MML_MODE_PLAIN;
	if ((f->flags & MML_FLOW_F_ACCEPT_ESP) && floor > MML_MODE_ESP)
		return MML_MODE_ESP;
	return floor;
}

/* Map mml_flow_ctr (mmapable array of struct mml_flow_ctr, issue 19): the
 * workers' counters per mml_flow key, a slot per key a worker has loaded,
 * shared by every thread of every worker of the node and kept until the
 * role is detached (a restarted worker continues the counts). Twice as
 * many slots as mml_flow has entries (flow-max at attach). Claimed and
 * read as lib/flow_ctr.h says: state FREE -> WRITING (compare-and-swap)
 * -> key written -> READY; readers take READY slots only. The counters are
 * added to with atomic adds through mmap; mmlctl flow list shows them. */
#define MML_FLOW_CTRS (2 * MML_FLOW_MAX)

enum mml_flow_ctr_state {
	MML_FLOW_CTR_FREE = 0,
	MML_FLOW_CTR_WRITING = 1,
	MML_FLOW_CTR_READY = 2,
};

struct mml_flow_ctr {
	struct mml_flow_key key;
	__u32 state; /* enum mml_flow_ctr_state */
	__u32 pad;
	__u64 every;		  /* packets through the every_n count: the i-th is
				   * protected when i % every_n == 0 */
	__u64 sent[MML_MODE_MAX]; /* packets sent under the entry, by mode */
	/* Protected packets the worker received and accepted under the entry,
	 * by mode. [MML_MODE_PLAIN]: only the plaintext of every-n entries,
	 * which the worker delivers (one receive path); other plaintext is
	 * judged by XDP and passed to the stack, not counted per flow. */
	__u64 recv[MML_MODE_MAX];
	__u64 refused; /* protected, weaker than the entry accepts: dropped */
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_flow_ctr, every) == 24, "flow ctr every");
MML_STATIC_ASSERT(sizeof(struct mml_flow_ctr) == 88, "mml_flow_ctr layout");

/* The key of DSCP class d's slot in mml_flow_ctr (userspace only): every
 * field a wildcard and pad[0] = 0x80 | d, a key no mml_flow entry has
 * (their padding is 0). */
static inline struct mml_flow_key mml_flow_dscp_ctr_key(__u32 d)
{
	struct mml_flow_key k = { 0 };

	k.pad[0] = (__u8)(0x80 | (d & (MML_FLOW_DSCPS - 1)));
	return k;
}

/* Wildcard shapes of a flow key, in the order a lookup tries them (fewest
 * wildcards first, then by number): bit 1 peer port, 2 home port, 4
 * protocol, 8 peer address, 16 home address set = that field is ignored.
 * bpf/flow_policy.h computes the same order. */
#define MML_FLOW_SHAPES 32
#define MML_FLOW_SHAPE_ORDER                                                                      \
	{                                                                                         \
		0, 1, 2, 4, 8, 16, 3, 5, 6, 9, 10, 12, 17, 18, 20, 24, 7, 11, 13, 14, 19, 21, 22, \
			25, 26, 28, 15, 23, 27, 29, 30, 31                                        \
	}

/* The key a lookup probes for shape s: k with the fields s ignores set to
 * 0 (the BPF receive policy, the workers and mmlkeyd's flow_ctl alike). */
static inline void mml_flow_key_mask(struct mml_flow_key *k, __u32 shape)
{
	if (shape & 1)
		k->peer_port = 0;
	if (shape & 2)
		k->home_port = 0;
	if (shape & 4)
		k->proto = 0;
	if (shape & 8)
		k->peer_addr = 0;
	if (shape & 16)
		k->home_addr = 0;
}

/* The inverse: the shape of a written key, its 0 fields. */
static inline __u32 mml_flow_key_shape(const struct mml_flow_key *k)
{
	return (k->peer_port ? 0 : 1u) | (k->home_port ? 0 : 2u) | (k->proto ? 0 : 4u) |
	       (k->peer_addr ? 0 : 8u) | (k->home_addr ? 0 : 16u);
}

/* mml_flow_shapes' one value: seen[s] = 1 once some mml_flow key of
 * wildcard shape s was written (lib/node_maps.h mml_flow_put, one byte
 * stored through mmap: writers never read-modify-write each other's). */
struct mml_flow_shapes {
	__u8 seen[MML_FLOW_SHAPES];
};

/* What an endpoint XDP program found, pushed in front of the frame with
 * bpf_xdp_adjust_head (xsk_record_push, bpf/xsk_maps.h): an AF_XDP
 * descriptor starts with this record and the frame follows it. */
#define MML_META_MAGIC 0x4d4d4c31 /* "MML1" */

enum mml_meta_kind {
	MML_META_HA_DOWN = 1, /* HA: plaintext from the CN side to a home address */
	MML_META_HA_UP = 2,   /* HA: IP-in-IP from an FA, inner protocol 50 to us */
	MML_META_MH_DOWN = 3, /* MH: protocol 50 to the home address */
	/* Plaintext of a flow whose entry protects only every n-th packet,
	 * given to the worker too so that all of the flow's packets reach the
	 * stack by one path, in the order they arrived (issue 19): */
	MML_META_MH_PLAIN = 4,	  /* MH: to the home address */
	MML_META_HA_UP_PLAIN = 5, /* HA: IP-in-IP from an FA, inner from a home address */
};

#define MML_META_NO_NEIGH 0x1 /* HA_DOWN: route found, next hop unresolved */

struct mml_xsk_meta {
	__u32 magic;
	__u8 kind;     /* enum mml_meta_kind */
	__u8 flags;    /* MML_META_* */
	__u16 l3_off;  /* offset of the (outer) IPv4 header in the frame */
	__u32 coa;     /* HA_DOWN: tunnel destination, network order */
	__u32 ifindex; /* HA_DOWN: egress interface toward coa */
	__u8 dmac[6];  /* HA_DOWN: next hop */
	__u8 smac[6];  /* HA_DOWN: egress interface's MAC */
	__u32 ha_addr; /* HA_DOWN: tunnel source */
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_xsk_meta, coa) == 8, "meta coa offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_xsk_meta, dmac) == 16, "meta dmac offset");
MML_STATIC_ASSERT(sizeof(struct mml_xsk_meta) == 32, "mml_xsk_meta layout");

/* Load-time knobs of bpf/ep.bpf.c, set between skeleton open and load. */
struct mml_ep_cfg {
	__u32 ha_addr;	 /* HA: our tunnel address, network order */
	__u32 home_addr; /* MH: our home address, network order */
};

MML_STATIC_ASSERT(sizeof(struct mml_ep_cfg) == 8, "mml_ep_cfg layout");

/* A key's fingerprint (worker/keyfp.c): the first 16 bytes of HMAC-SHA-256
 * keyed with the CSA's zone keys over a fixed label, so that the marks
 * below follow a key, not an SPI or an install time, and no key byte is
 * stored outside mml_csa. Keys, not salts: the same key with another salt
 * or under another SPI shares one sequence and one replay floor. */
#define MML_KEY_FP_LEN 16
struct mml_key_fp {
	__u8 b[MML_KEY_FP_LEN];
};

/* Map mml_seq_hwm: key fingerprint -> the highest sequence number a worker
 * may have used under that key (it reserves blocks ahead and persists the
 * block's end before sending from it). Whoever sends next under the key
 * (a restarted worker, a replaced or re-added CSA, another SPI) starts
 * above it: a nonce never repeats under one key. */
struct mml_seq_hwm {
	__u64 reserved;
	__u32 spi; /* the SPI that reserved last, for the operator */
	__u32 pad;
};

MML_STATIC_ASSERT(sizeof(struct mml_key_fp) == 16, "mml_key_fp layout");
MML_STATIC_ASSERT(sizeof(struct mml_seq_hwm) == 16, "mml_seq_hwm layout");

/* Map mml_rx_mark (mmapable array of __u64, MML_RX_MARKS slots of struct
 * mml_rx_mark): per inbound key, the highest sequence number accepted. The
 * worker stores it through mmap with every accepted packet that moves the
 * window (no syscall), and a restarted worker refuses everything at or
 * below it. */
#define MML_RX_MARKS 4096
struct mml_rx_mark {
	struct mml_key_fp fp;
	__u64 top;
	__u32 spi;  /* the SPI that accepted last, for the operator */
	__u32 used; /* 0 = free slot */
};

MML_STATIC_ASSERT(sizeof(struct mml_rx_mark) == 32, "mml_rx_mark layout");

/* Map mml_rekey: outbound SPI -> when the worker first handed out a
 * sequence number past the CSA's soft packet limit. The worker adds the
 * entry once per SA; mmlkeyd starts the CSA rekey and deletes it (issue
 * 17: the soft lifetime in packets, docs/protocol.md 2.6). */
#define MML_REKEY_ENTRIES 1024
struct mml_rekey {
	__u64 wanted_ns; /* CLOCK_BOOTTIME */
	__u64 seq;	 /* the first number past the limit */
};

MML_STATIC_ASSERT(sizeof(struct mml_rekey) == 16, "mml_rekey layout");
#define MML_RX_MARK_ENTRIES (MML_RX_MARKS * sizeof(struct mml_rx_mark) / 8)

/* Map mml_gen (mmapable array, one __u64): bumped by every writer of
 * mml_csa, mml_binding or mml_flow; the worker compares it once per batch
 * and reloads its caches when it moved. */
/* Map mml_wstats (mmapable array of __u64): row t (MML_STATS_CAP entries,
 * indexed by enum mml_stat) is worker thread t's counters. */
#define MML_WSTATS_ENTRIES (MML_WORKER_THREADS_MAX * MML_STATS_CAP)

#endif
