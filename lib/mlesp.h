/* ML-ESP v1 (DESIGN.md 2.1): SPI(4) Seq(4) C1(L1) T1(16) C2(|P|-L1) T2(16),
 * P = inner IPv4 packet + RFC 4303 trailer, L1 = min(z1_len, |P|), nonce =
 * salt || 0^4 || Seq, AAD = SPI || Seq for both zones. Lengths here exclude
 * the outer IPv4 header. */
#ifndef MML_LIB_MLESP_H
#define MML_LIB_MLESP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/sa.h"

#define MML_MLESP_HDR_LEN 8
#define MML_MLESP_OVERHEAD (MML_MLESP_HDR_LEN + 2 * MML_TAG_LEN) /* + trailer */
#define MML_MLESP_MIN_LEN (MML_MLESP_OVERHEAD + 4)

/* ESP bytes an inner packet of inner_len becomes. */
static inline size_t mml_mlesp_len(size_t inner_len)
{
	return MML_MLESP_OVERHEAD + inner_len + mml_trailer_len(inner_len);
}

/* Encapsulate with the SA's next sequence number (sa->csa.dir == out).
 * Writes mml_mlesp_len(inner_len) bytes to out; returns that length, -ENOSPC
 * if out_cap is too small, -EINVAL for an inner packet under 20 bytes, or
 * -MML_E_SEQ_EXHAUSTED. */
ssize_t mml_mlesp_encap(struct mml_sa *sa, const uint8_t *inner, size_t inner_len, uint8_t *out,
			size_t out_cap);
/* Same with a given sequence number (known-answer tests, retransmission of a
 * recorded packet); the counter is not touched. */
ssize_t mml_mlesp_seal(struct mml_sa *sa, uint32_t seq, const uint8_t *inner, size_t inner_len,
		       uint8_t *out, size_t out_cap);

/* Authenticate and decrypt in place (sa->csa.dir == in): on success *inner
 * points into esp at the inner packet and its length is returned; the replay
 * window moves only then. Errors: -MML_E_TRUNCATED, _MALFORMED, _SPI,
 * _REPLAY, _AUTH_HDR (SPI/Seq altered: both zones fail), _AUTH_ZONE1,
 * _AUTH_ZONE2. On error the buffer content is undefined. */
ssize_t mml_mlesp_decap(struct mml_sa *sa, uint8_t *esp, size_t len, uint8_t **inner);

/* The FA's view: with zone 1's key only (any dir; zone 2 may be null), verify
 * T1 and copy the L1 zone-1 plaintext bytes to hdr. The packet is not
 * modified and the replay window is not consulted. Returns L1, or
 * -MML_E_TRUNCATED, _MALFORMED, _SPI, _AUTH_ZONE1, -ENOSPC. */
ssize_t mml_mlesp_fa_view(struct mml_sa *sa, const uint8_t *esp, size_t len, uint8_t *hdr,
			  size_t hdr_cap);

/* The steps of seal and decap on their own (bench-functions times them one
 * by one, as the paper's Table 6 does). layout: the inner packet and its
 * trailer copied to out past the ESP header, zone 1 before T1's gap, zone 2
 * after it, as seal then encrypts them in place; returns L1. join, after
 * both zones were opened in place: T1's gap closed (P contiguous at
 * esp + MML_MLESP_HDR_LEN + MML_TAG_LEN) and the trailer checked; returns
 * the inner length or -MML_E_MALFORMED. */
size_t mml_mlesp_layout(const struct mml_sa *sa, const uint8_t *inner, size_t inner_len,
			uint8_t *out);
long mml_mlesp_join(uint8_t *esp, size_t l1, size_t p_len);

#endif
