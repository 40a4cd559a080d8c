/* ML-ESP zone 1 at the FA (DESIGN.md 2.1): from the ESP bytes of a packet,
 * authenticate T1 and decrypt C1 into the caller's buffer, without touching
 * the packet. Zone 2 is never looked at: the FA has no key for it. */
#ifndef MML_BPF_MLESP_H
#define MML_BPF_MLESP_H

#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "aead.h"
#include "maps.h"
#include "parse.h"

#define MLESP_HDR_LEN 8
#define MLESP_OVERHEAD (MLESP_HDR_LEN + 2 * MML_TAG_LEN)
#define MLESP_MIN_LEN (MLESP_OVERHEAD + 4)

_Static_assert(AEAD_CT_MAX >= MML_Z1_MAX, "zone 1 fits the AEAD work area");

/* Per-CPU crypto scratch: nothing in it survives a packet. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aead_work);
} mml_fa_scratch SEC(".maps");

/* Protocol-50 payload of esp_len bytes at esp_off (esp points there, the
 * frame ends at data_end). Returns L1 with
 * *fwd_stat = FWD_MLESP after zone 1 verified (plaintext in seen->hdr,
 * seen->spi/esp_seq set); 0 with *fwd_stat = FWD_ESP / FWD_UNKNOWN_SPI for a
 * packet to forward opaque; or -(enum mml_stat) of the drop reason. */
static __always_inline int mlesp_zone1(struct xdp_md *ctx, const void *esp, const void *data_end,
				       __u32 esp_off, __u32 esp_len,
				       const volatile struct mml_fa_cfg *cfg,
				       struct mml_fa_seen *seen, __u32 *fwd_stat)
{
	const struct mml_csa *csa;
	struct aead_work *w;
	__u32 zero = 0, spi, p_len, l1, z1, nonce_seq;
	const __u32 *hdr = esp;
	__u64 *mac, *tag;

	if (esp_len < MLESP_HDR_LEN || (const void *)(hdr + 2) > data_end)
		return -MML_STAT_DROP_TRUNCATED;
	spi = bpf_ntohl(hdr[0]);
	nonce_seq = hdr[1]; /* the nonce and AAD take the bytes as they are */

	csa = bpf_map_lookup_elem(&mml_csa, &spi);
	if (!csa) {
		if (cfg->unknown_spi_drop)
			return -MML_STAT_DROP_UNKNOWN_SPI;
		*fwd_stat = MML_STAT_FWD_UNKNOWN_SPI;
		return 0;
	}
	/* PKD: held for an MH not yet registered here; it verifies nothing. */
	if (csa->flags & MML_CSA_F_INACTIVE)
		return -MML_STAT_FA_CSA_INACTIVE;
	/* The endpoints refuse it too (maps/csa.h): forwarding it would only
	 * carry traffic nobody may accept, or let a stale key verify. */
	if (mml_csa_time_expired(csa, bpf_ktime_get_boot_ns()) ||
	    mml_csa_seq_expired(csa, bpf_ntohl(nonce_seq)))
		return -MML_STAT_FA_CSA_EXPIRED;
	if (csa->format != MML_FMT_MLESP || csa->zone[0].alg != MML_ALG_CHACHA20_POLY1305) {
		*fwd_stat = MML_STAT_FWD_ESP;
		return 0;
	}
	z1 = csa->z1_len;
	if (z1 < MML_Z1_MIN || z1 > MML_Z1_MAX || (z1 & 3))
		return -MML_STAT_DROP_BAD_CSA;
	if (esp_len < MLESP_MIN_LEN)
		return -MML_STAT_DROP_TRUNCATED;
	p_len = esp_len - MLESP_OVERHEAD;
	if (p_len & 3)
		return -MML_STAT_DROP_MALFORMED_INNER;
	l1 = p_len < z1 ? p_len : z1;
	if (l1 < 4 || l1 > MML_Z1_MAX)
		return -MML_STAT_DROP_MALFORMED_INNER;

	w = bpf_map_lookup_elem(&mml_fa_scratch, &zero);
	if (!w)
		return -MML_STAT_DROP_TRUNCATED;
	/* AAD block = SPI || Seq || 0^8; C1 and T1 in one copy, T1 then moved
	 * to its place (aead_open pads over where it was). */
	mac = (__u64 *)w->mac;
	mac[0] = *(const __u64 *)hdr;
	mac[1] = 0;
	if (pkt_copy_words((__u32 *)&w->mac[AEAD_AAD_MAX], hdr + 2, data_end,
			   (l1 + MML_TAG_LEN) / 4, (MML_Z1_MAX + MML_TAG_LEN) / 4))
		return -MML_STAT_DROP_TRUNCATED;
	tag = (__u64 *)&w->mac[AEAD_AAD_MAX + l1];
	((__u64 *)w->tag)[0] = tag[0];
	((__u64 *)w->tag)[1] = tag[1];

	/* Nonce = salt || 0^4 || Seq. */
	if (aead_open(w, (const __u32 *)csa->zone[0].key, *(const __u32 *)csa->zone[0].salt, 0,
		      nonce_seq, MLESP_HDR_LEN, l1, (__u32 *)seen->hdr))
		return -MML_STAT_DROP_BAD_TAG;
	seen->spi = spi;
	seen->esp_seq = bpf_ntohl(nonce_seq);
	*fwd_stat = MML_STAT_FWD_MLESP;
	return (int)l1;
}

#endif
