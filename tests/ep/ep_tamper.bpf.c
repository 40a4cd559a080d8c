/* Test tool (tests/ep/ep-bed.sh): a TC ingress program on a link of the
 * test bed that flips one bit in every n-th protocol-50 frame, cycling
 * through zone 1, zone 2 and the ESP sequence number, so that the
 * endpoints' and the FA's tag checks are exercised on the wire while TCP
 * must still complete. Frames continue to the next filter (TC_ACT_UNSPEC). */
#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETH_P_IP 0x0800
#define ETH_HLEN 14
#define TC_ACT_UNSPEC (-1)

/* every: flip in every n-th ESP frame (0 = off). z1_len of the CSAs. */
const volatile __u32 every = 50;
const volatile __u32 z1_len = 40;

/* [0] ESP frames seen, [1] zone 1 flips, [2] zone 2 flips, [3] header flips. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} tamper_stats SEC(".maps");

static __always_inline __u64 bump(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&tamper_stats, &i);

	return v ? __sync_fetch_and_add(v, 1) : 0;
}

SEC("tc")
int ep_tamper(struct __sk_buff *skb)
{
	__u8 vihl, proto, byte;
	__u32 off, kind;
	__u16 tot;
	__u64 n;

	if (skb->protocol != bpf_htons(ETH_P_IP) || !every)
		return TC_ACT_UNSPEC;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &vihl, 1) ||
	    bpf_skb_load_bytes(skb, ETH_HLEN + 9, &proto, 1) ||
	    bpf_skb_load_bytes(skb, ETH_HLEN + 2, &tot, 2))
		return TC_ACT_UNSPEC;
	if (proto != IPPROTO_ESP || (vihl >> 4) != 4)
		return TC_ACT_UNSPEC;
	n = bump(0);
	if (n % every)
		return TC_ACT_UNSPEC;
	kind = (n / every) % 3;
	off = ETH_HLEN + (vihl & 0xf) * 4;
	if (kind == 0)
		off += 8 + 3; /* inside zone 1 (ESP: inside the IV/ciphertext) */
	else if (kind == 1)
		off = ETH_HLEN + bpf_ntohs(tot) - 20; /* zone 2 / ESP ciphertext end */
	else
		off += 6; /* sequence number: the AAD of both zones */
	if (bpf_skb_load_bytes(skb, off, &byte, 1))
		return TC_ACT_UNSPEC;
	byte ^= 0x10;
	if (bpf_skb_store_bytes(skb, off, &byte, 1, 0))
		return TC_ACT_UNSPEC;
	bump(1 + kind);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
