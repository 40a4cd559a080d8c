/* ESP tunnel mode, one zone (DESIGN.md 2.2): RFC 4303 with RFC 7634
 * (ChaCha20-Poly1305) or RFC 4106 (AES-256-GCM, 16-byte ICV). On the wire:
 * SPI(4) Seq(4) IV(8) C(|P|) ICV(16); nonce = salt || IV, AAD = SPI || Seq.
 * The IV is the sequence number as 64 bits, unique for the SA's life. */
#ifndef MML_LIB_ESP_H
#define MML_LIB_ESP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/sa.h"

#define MML_ESP_HDR_LEN 8
#define MML_ESP_IV_LEN 8
#define MML_ESP_OVERHEAD (MML_ESP_HDR_LEN + MML_ESP_IV_LEN + MML_TAG_LEN) /* + trailer */
#define MML_ESP_MIN_LEN (MML_ESP_OVERHEAD + 4)

static inline size_t mml_esp_len(size_t inner_len)
{
	return MML_ESP_OVERHEAD + inner_len + mml_trailer_len(inner_len);
}

/* Encapsulate with the next sequence number; returns the ESP length or a
 * negative error as mml_mlesp_encap does. */
ssize_t mml_esp_encap(struct mml_sa *sa, const uint8_t *inner, size_t inner_len, uint8_t *out,
		      size_t out_cap);
/* With a given sequence number and IV (known-answer tests); the counter is
 * not touched. */
ssize_t mml_esp_seal(struct mml_sa *sa, uint32_t seq, const uint8_t iv[MML_ESP_IV_LEN],
		     const uint8_t *inner, size_t inner_len, uint8_t *out, size_t out_cap);

/* Authenticate and decrypt in place; *inner points at the inner packet.
 * Errors: -MML_E_TRUNCATED, _MALFORMED, _SPI, _REPLAY, _AUTH. */
ssize_t mml_esp_decap(struct mml_sa *sa, uint8_t *esp, size_t len, uint8_t **inner);

#endif
