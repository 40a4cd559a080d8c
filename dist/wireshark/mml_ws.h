/* The mmlipsec Wireshark plugin: ML-ESP (DESIGN.md 2.1) and the ML-IKE
 * private exchanges and payloads (docs/protocol.md). Wireshark 4.0 API. */
#ifndef MML_WS_H
#define MML_WS_H

#include <stdbool.h>
#include <stdint.h>

#define MLESP_HDR_LEN 8
#define MLESP_TAG_LEN 16
#define MLESP_KEY_LEN 32
#define MLESP_SALT_LEN 4
#define MLESP_Z1_DEFAULT 40

/* One zone-1 key of the "mlesp_keys" table, parsed. */
struct mlesp_key {
	uint32_t spi;
	unsigned int z1_len; /* 20..128, a multiple of 4 */
	bool have_key;	     /* else the SPI is only marked ML-ESP */
	uint8_t key[MLESP_KEY_LEN];
	uint8_t salt[MLESP_SALT_LEN];
};

/* mlesp_keys.c: the key table (UAT) and the list of ML-ESP SPIs. */
void mlesp_keys_register(int proto);
const struct mlesp_key *mlesp_key_find(uint32_t spi);
bool mlesp_spi_listed(uint32_t spi);
unsigned int mlesp_default_z1_len(void);
bool mlesp_heuristic(void);

/* mlesp_zone1.c: zone 1 opened with libgcrypt (ChaCha20-Poly1305, RFC 8439).
 * Returns 1 when the tag verified, 0 for a bad tag, negative when the cipher
 * could not be set up. out receives len bytes either way. */
int mlesp_zone1_open(const struct mlesp_key *k, uint32_t seq, const uint8_t aad[MLESP_HDR_LEN],
		     const uint8_t *c1, unsigned int len, const uint8_t tag[MLESP_TAG_LEN],
		     uint8_t *out);

void proto_register_mlesp(void);
void proto_reg_handoff_mlesp(void);
void proto_register_mlike(void);
void proto_reg_handoff_mlike(void);

#endif
