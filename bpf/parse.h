/* Packet parsing for the XDP programs: a cursor that bounds-checks every
 * step against data_end, and IPv4 helpers. */
#ifndef MML_BPF_PARSE_H
#define MML_BPF_PARSE_H

#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETH_P_IP 0x0800
#define ETH_HLEN 14
#define ETH_ALEN 6
#define IPV4_MIN_HLEN 20
#define IPV4_MAX_HLEN 60
#define IP_MF 0x2000
#define IP_DF 0x4000
#define IP_OFFSET 0x1fff

/* Returned by the workers for "not decided yet, go on" (katran's
 * convention); every other value is a final XDP verdict. */
#define FA_CONTINUE (-1)

struct cursor {
	void *pos;
	void *end;
};

static __always_inline void cursor_init(struct cursor *c, struct xdp_md *ctx)
{
	c->pos = (void *)(long)ctx->data;
	c->end = (void *)(long)ctx->data_end;
}

/* The next len bytes, or NULL if the packet ends before them. */
static __always_inline void *cursor_pull(struct cursor *c, __u32 len)
{
	void *start = c->pos;

	if (start + len > c->end)
		return NULL;
	c->pos = start + len;
	return start;
}

/* The opening every program shares: an Ethernet frame carrying IPv4, the
 * cursor past the 20 bytes of the fixed IPv4 header. Returns that header,
 * or NULL for another EtherType or a frame too short for both headers
 * (nothing of the IPv4 header is validated yet). */
static __always_inline struct iphdr *cursor_eth_ipv4(struct cursor *c, struct xdp_md *ctx)
{
	struct ethhdr *eth;

	cursor_init(c, ctx);
	eth = cursor_pull(c, sizeof(*eth));
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return NULL;
	return cursor_pull(c, sizeof(struct iphdr));
}

static __always_inline __u32 ipv4_hlen(const struct iphdr *iph)
{
	return (__u32)iph->ihl * 4;
}

static __always_inline bool ipv4_is_fragment(const struct iphdr *iph)
{
	return iph->frag_off & bpf_htons(IP_MF | IP_OFFSET);
}

/* Copy nwords 32-bit words from the packet at src to map memory at dst
 * (max_words a constant bound). Direct access, bounds-checked 8 bytes at a
 * time and a last odd word alone: for the few dozen bytes of a header this
 * is several times cheaper than a bpf_xdp_load_bytes call. Returns 0, or -1
 * if the packet ends first. */
static __always_inline int pkt_copy_words(__u32 *dst, const void *src, const void *data_end,
					  __u32 nwords, __u32 max_words)
{
	const __u8 *cur = src;
	__u32 j;

	for (j = 0; j + 2 <= max_words; j += 2) {
		if (j + 2 > nwords)
			break;
		if (cur + 8 > (const __u8 *)data_end)
			return -1;
		*(__u64 *)&dst[j] = *(const __u64 *)cur;
		cur += 8;
	}
	if (j < nwords && j < max_words) {
		if (cur + 4 > (const __u8 *)data_end)
			return -1;
		dst[j] = *(const __u32 *)cur;
	}
	return 0;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Header checksum of a 20-byte IPv4 header whose check field is 0. */
static __always_inline __u16 ipv4_csum20(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	return csum_fold(sum);
}

#endif
