/* SNOOP's classification in the FA's XDP programs (DESIGN.md section 5,
 * docs/snoop.md). fa.h calls the two hooks with the inner header the
 * classifier read (plaintext, or the verified zone-1 plaintext of ML-ESP),
 * once the frame is ready to leave: decapsulated with the MH's MACs
 * (downlink), reverse-tunnelled with the next hop's (uplink).
 *
 *   downlink TCP segment with payload      -> the FA worker's AF_XDP socket
 *   uplink ACK above the last one          -> forwarded now, event to the worker
 *   uplink duplicate ACK (same ack and
 *     window, no payload, no SYN/FIN/RST)  -> the worker's socket
 *   uplink pure ACK below the last one     -> dropped
 *   SYN or RST of a snooped connection     -> forwarded, state reset, event
 *   everything else (opaque ESP, UDP, ...) -> forwarded as without SNOOP
 *
 * A connection is snooped once the worker has put it into mml_snoop_ack
 * (on its first data segment); without a worker socket on the queue, or
 * with SNOOP off in mml_snoop_cfg, nothing changes. */
#ifndef MML_BPF_SNOOP_H
#define MML_BPF_SNOOP_H

#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "maps/snoop.h"
#include "parse.h"
#include "xsk_maps.h"

#define TCP_FL_FIN 0x01
#define TCP_FL_SYN 0x02
#define TCP_FL_RST 0x04
#define TCP_FL_ACK 0x10

/* Table 4 and the on/off switch. Written by mmlctl. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mml_snoop_cfg);
} mml_snoop_cfg SEC(".maps");

/* Classification state per snooped connection. Entries created and
 * deleted by the worker, last_ack/window moved by XDP. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MML_SNOOP_MAP_MAX);
	__type(key, struct mml_snoop_key);
	__type(value, struct mml_snoop_ack);
} mml_snoop_ack SEC(".maps");

/* The worker's view of each connection, for inspection only (written by
 * the worker; defined here so it is created and pinned with its BTF). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MML_SNOOP_MAP_MAX);
	__type(key, struct mml_snoop_key);
	__type(value, struct mml_snoop_conn);
} mml_snoop SEC(".maps");

/* The worker's counters (mmapable, written by the worker). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MML_SNOOP_STATS_CAP);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} mml_snoop_stats SEC(".maps");

/* XDP -> worker: ACKs forwarded at once, SYN/RST. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MML_SNOOP_EVENTS_BYTES);
} mml_snoop_events SEC(".maps");

static __always_inline bool snoop_seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static __always_inline bool snoop_enabled(void)
{
	__u32 zero = 0;
	const struct mml_snoop_cfg *cfg = bpf_map_lookup_elem(&mml_snoop_cfg, &zero);

	return cfg && cfg->enabled;
}

/* TCP payload bytes of the classified header (IPv4 total length minus both
 * headers), 0 if the lengths do not add up. */
static __always_inline __u32 snoop_payload_len(const struct mml_fa_seen *seen)
{
	const struct iphdr *iph = (const struct iphdr *)seen->hdr;
	__u32 hl = ipv4_hlen(iph), tot = bpf_ntohs(iph->tot_len), doff;

	if (hl < IPV4_MIN_HLEN || hl > IPV4_MAX_HLEN)
		return 0;
	doff = (__u32)(seen->hdr[hl + 12] >> 4) * 4;
	if (doff < 20 || tot < hl + doff)
		return 0;
	return tot - hl - doff;
}

/* The worker socket for a frame that arrived on this interface and queue,
 * as a key of mml_xsks, or -1 if no worker listens there or the worker
 * cannot send on out_ifindex (not one of its ports). */
static __always_inline int snoop_xsk_key(struct xdp_md *ctx, __u32 out_ifindex, __u32 *key)
{
	__u32 ifindex = ctx->ingress_ifindex, queue = ctx->rx_queue_index;
	const __u32 *slot = bpf_map_lookup_elem(&mml_xsk_slot, &ifindex);

	if (!slot || *slot >= MML_XSK_PORTS || queue >= MML_XSK_QUEUES ||
	    !bpf_map_lookup_elem(&mml_xsk_slot, &out_ifindex))
		return -1;
	*key = *slot * MML_XSK_QUEUES + queue;
	return bpf_map_lookup_elem(&mml_xsks, key) ? 0 : -1;
}

/* The metadata record in front of the frame, then the redirect to the worker. Written
 * field by field from scalars (a struct copy into metadata memory lost its
 * stores with clang 14, see bpf/ep.h). */
static __always_inline int snoop_to_worker(struct xdp_md *ctx, __u32 xsk_key, __u8 kind,
					   const struct mml_snoop_key *k, __u32 seq_ack,
					   __u32 payload_len, __u16 window, __u8 tcp_flags,
					   __u32 out_ifindex)
{
	struct mml_snoop_meta *meta = xsk_record_push(ctx, sizeof(*meta));

	if (!meta)
		return FA_CONTINUE;
	meta->magic = MML_SNOOP_META_MAGIC;
	meta->kind = kind;
	meta->tcp_flags = tcp_flags;
	meta->l3_off = ETH_HLEN;
	meta->key.saddr = k->saddr;
	meta->key.daddr = k->daddr;
	meta->key.sport = k->sport;
	meta->key.dport = k->dport;
	meta->seq_ack = seq_ack;
	meta->payload_len = (__u16)payload_len;
	meta->window = window;
	meta->out_ifindex = out_ifindex;
	return bpf_redirect_map(&mml_xsks, xsk_key, 0);
}

static __always_inline void snoop_event(__u8 kind, const struct mml_snoop_key *k, __u32 ack,
					__u16 window, __u8 tcp_flags)
{
	struct mml_snoop_event *ev = bpf_ringbuf_reserve(&mml_snoop_events, sizeof(*ev), 0);

	if (!ev) {
		mml_count(MML_STAT_SNOOP_EVENT_LOST);
		return;
	}
	ev->key.saddr = k->saddr;
	ev->key.daddr = k->daddr;
	ev->key.sport = k->sport;
	ev->key.dport = k->dport;
	ev->ack = ack;
	ev->window = window;
	ev->kind = kind;
	ev->tcp_flags = tcp_flags;
	ev->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, 0);
}

/* SYN or RST either way: a snooped connection starts again (SYN) or ends
 * (RST). The classification state goes now, so that a new incarnation of
 * the 4-tuple is never compared with the old one's ACKs. */
static __always_inline void snoop_reset(const struct mml_snoop_key *k, __u8 tcp_flags)
{
	if (!bpf_map_lookup_elem(&mml_snoop_ack, k))
		return;
	bpf_map_delete_elem(&mml_snoop_ack, k);
	mml_count(MML_STAT_SNOOP_RESET);
	snoop_event(tcp_flags & TCP_FL_RST ? MML_SNOOP_EV_RST : MML_SNOOP_EV_SYN, k, 0, 0,
		    tcp_flags);
}

/* Downlink, the frame decapsulated and addressed to the MH on out_ifindex.
 * Returns a verdict (to the worker) or FA_CONTINUE (forward as usual). */
static __always_inline int snoop_down(struct xdp_md *ctx, const struct mml_fa_seen *seen,
				      __u32 out_ifindex)
{
	struct mml_snoop_key k;
	__u32 len, xsk_key;

	if (!(seen->flags & MML_FA_SEEN_TCP) || !snoop_enabled())
		return FA_CONTINUE;
	k.saddr = seen->saddr;
	k.daddr = seen->daddr;
	k.sport = bpf_htons(seen->sport);
	k.dport = bpf_htons(seen->dport);
	if (seen->tcp_flags & (TCP_FL_SYN | TCP_FL_RST)) {
		snoop_reset(&k, seen->tcp_flags);
		return FA_CONTINUE;
	}
	len = snoop_payload_len(seen);
	if (!len)
		return FA_CONTINUE;
	if (snoop_xsk_key(ctx, out_ifindex, &xsk_key)) {
		mml_count(MML_STAT_SNOOP_NO_WORKER);
		return FA_CONTINUE;
	}
	mml_count(MML_STAT_SNOOP_DATA);
	return snoop_to_worker(ctx, xsk_key, MML_SNOOP_META_DATA, &k, seen->seq, len, 0,
			       seen->tcp_flags, out_ifindex);
}

/* Uplink, the frame reverse-tunnelled toward the HA through out_ifindex.
 * Returns a verdict (drop, to the worker) or FA_CONTINUE (forward). */
static __always_inline int snoop_up(struct xdp_md *ctx, const struct mml_fa_seen *seen,
				    __u32 out_ifindex)
{
	__u8 fl = seen->tcp_flags;
	struct mml_snoop_ack *st;
	struct mml_snoop_key k;
	__u32 len, xsk_key;

	if (!(seen->flags & MML_FA_SEEN_TCP) || !snoop_enabled())
		return FA_CONTINUE;
	/* The data direction's key: the MH is the receiver. */
	k.saddr = seen->daddr;
	k.daddr = seen->saddr;
	k.sport = bpf_htons(seen->dport);
	k.dport = bpf_htons(seen->sport);
	if (fl & (TCP_FL_SYN | TCP_FL_RST)) {
		snoop_reset(&k, fl);
		return FA_CONTINUE;
	}
	if (!(fl & TCP_FL_ACK))
		return FA_CONTINUE;
	st = bpf_map_lookup_elem(&mml_snoop_ack, &k);
	if (!st)
		return FA_CONTINUE;
	len = snoop_payload_len(seen);
	if (!st->have_ack || snoop_seq_before(st->last_ack, seen->ack)) {
		st->last_ack = seen->ack;
		st->window = seen->window;
		st->have_ack = 1;
		st->new_acks++;
		mml_count(MML_STAT_SNOOP_NEW_ACK);
		snoop_event(MML_SNOOP_EV_NEW_ACK, &k, seen->ack, seen->window, fl);
		return FA_CONTINUE;
	}
	if (len || (fl & TCP_FL_FIN))
		return FA_CONTINUE;
	if (snoop_seq_before(seen->ack, st->last_ack)) {
		mml_count(MML_STAT_SNOOP_STALE_ACK);
		return XDP_DROP;
	}
	if (seen->window != st->window) {
		st->window = seen->window;
		mml_count(MML_STAT_SNOOP_WINDOW_UPDATE);
		return FA_CONTINUE;
	}
	if (snoop_xsk_key(ctx, out_ifindex, &xsk_key)) {
		mml_count(MML_STAT_SNOOP_NO_WORKER);
		return FA_CONTINUE;
	}
	st->dupacks++;
	mml_count(MML_STAT_SNOOP_DUPACK);
	return snoop_to_worker(ctx, xsk_key, MML_SNOOP_META_DUPACK, &k, seen->ack, 0, seen->window,
			       fl, out_ifindex);
}

#endif
