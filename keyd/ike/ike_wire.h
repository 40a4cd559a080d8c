/* IKEv2 message codec: header, payload chain and payload bodies, decoded
 * with "validate, then interpret" (every length checked, every reserved
 * field and count cross-checked before anything is copied into the decoded
 * struct), and encoded through a bounded writer. No state, no crypto: the
 * fuzz harnesses drive these functions directly. */
#ifndef MML_KEYD_IKE_WIRE_H
#define MML_KEYD_IKE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyd/ike/ike_const.h"

struct ike_hdr {
	uint8_t spi_i[IKE_SPI_LEN];
	uint8_t spi_r[IKE_SPI_LEN];
	uint8_t next_payload;
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msg_id;
	uint32_t length;
};

/* One payload of a chain: type and a view of its body (after the generic
 * header). The body points into the message buffer. */
struct ike_pl {
	uint8_t type;
	bool critical;
	uint16_t len;
	const uint8_t *body;
};

#define IKE_CHAIN_MAX 32

struct ike_chain {
	unsigned int n;
	struct ike_pl pl[IKE_CHAIN_MAX];
};

/* Why a parse failed, for the caller's notify and counters. */
enum ike_parse_err {
	IKE_PERR_OK = 0,
	IKE_PERR_TRUNCATED = 1,	  /* buffer shorter than a length says */
	IKE_PERR_SYNTAX = 2,	  /* lengths/fields inconsistent: INVALID_SYNTAX */
	IKE_PERR_VERSION = 3,	  /* major version not 2: INVALID_MAJOR_VERSION */
	IKE_PERR_CRITICAL = 4,	  /* unknown payload with the critical bit */
	IKE_PERR_TOO_MANY = 5,	  /* more payloads or substructures than we keep */
	IKE_PERR_UNSUPPORTED = 6, /* valid but not something we implement */
};

const char *ike_perr_name(int perr);

/* Header of a whole datagram: length field equals len, len within
 * IKE_HDR_LEN..IKE_MSG_MAX, version 2.x. Returns IKE_PERR_*. */
int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h);

/* Walks the chain starting with type first over [p, p+len): every payload
 * inside the buffer, total length exact. An unknown payload without the
 * critical bit is skipped (RFC 7296 2.5); with it, *bad_type is set and
 * IKE_PERR_CRITICAL returned. The SK payload must be the last one. */
int ike_chain_parse(uint8_t first, const uint8_t *p, size_t len, struct ike_chain *c,
		    uint8_t *bad_type);
/* First payload of the type in the chain, or NULL; *count the number found. */
const struct ike_pl *ike_chain_find(const struct ike_chain *c, uint8_t type, unsigned int *count);
bool ike_payload_known(uint8_t type);

/* --- SA payload (and the ML-IKE CSA proposal, same substructures) --- */

#define IKE_PROP_MAX 16
#define IKE_TRANS_MAX 64

struct ike_transform {
	uint8_t type;
	uint16_t id;
	uint16_t key_len;  /* bits, from the Key Length attribute; 0 = absent */
	bool unknown_attr; /* carries an attribute we do not know: unusable */
};

/* A transform as we send it: AES-GCM-16 always with a 256-bit key. */
static inline struct ike_transform ike_xform(uint8_t type, uint16_t id)
{
	struct ike_transform t = { .type = type, .id = id };

	if (type == IKE_TRANS_ENCR && id == IKE_ENCR_AES_GCM_16)
		t.key_len = 256;
	return t;
}

struct ike_proposal {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[IKE_SPI_LEN];
	uint8_t n_trans;
	struct ike_transform t[IKE_TRANS_MAX];
};

struct ike_sa_pl {
	uint8_t n_props;
	struct ike_proposal p[IKE_PROP_MAX];
};

int ike_sa_parse(const uint8_t *body, size_t len, struct ike_sa_pl *sa);

struct ike_ke_pl {
	uint16_t group;
	uint16_t len;
	const uint8_t *data;
};
int ike_ke_parse(const uint8_t *body, size_t len, struct ike_ke_pl *ke);
int ike_nonce_parse(const uint8_t *body, size_t len);

struct ike_notify_pl {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t type;
	uint8_t spi[IKE_SPI_LEN];
	uint16_t data_len;
	const uint8_t *data;
};
int ike_notify_parse(const uint8_t *body, size_t len, struct ike_notify_pl *n);

struct ike_id_pl {
	uint8_t type;
	uint16_t len; /* of data */
	const uint8_t *data;
};
int ike_id_parse(const uint8_t *body, size_t len, struct ike_id_pl *id);

struct ike_auth_pl {
	uint8_t method;
	uint16_t len;
	const uint8_t *data;
};
int ike_auth_parse(const uint8_t *body, size_t len, struct ike_auth_pl *auth);

#define IKE_TS_MAX 8
struct ike_ts {
	uint8_t proto; /* 0 = any */
	uint16_t port_lo, port_hi;
	uint32_t addr_lo, addr_hi; /* host order */
};
struct ike_ts_pl {
	uint8_t n;
	uint8_t n_skipped; /* selectors of other types (IPv6), not kept */
	struct ike_ts ts[IKE_TS_MAX];
};
int ike_ts_parse(const uint8_t *body, size_t len, struct ike_ts_pl *ts);

#define IKE_DELETE_MAX 32
struct ike_delete_pl {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t n_spis;
	uint32_t spi[IKE_DELETE_MAX]; /* ESP SPIs, host order (empty for IKE) */
};
int ike_delete_parse(const uint8_t *body, size_t len, struct ike_delete_pl *d);

/* --- ML-IKE payloads (docs/protocol.md) --- */

#define MLIKE_ZONES_MAX 4
#define MLIKE_FMT_MLESP 1
#define MLIKE_ZONE_END 0xffff

struct mlike_zonemap_pl {
	uint8_t n_zones;
	uint8_t format;
	uint16_t start[MLIKE_ZONES_MAX];
	uint16_t end[MLIKE_ZONES_MAX];
};
int mlike_zonemap_parse(const uint8_t *body, size_t len, struct mlike_zonemap_pl *zm);

#define MLIKE_DIR_TO_MH 1 /* the CSA the HA encapsulates with */
#define MLIKE_DIR_TO_HA 2 /* the CSA the MH encapsulates with */
#define MLIKE_SECRET_FIXED 20

struct mlike_secret_pl {
	uint32_t spi;
	uint8_t zone;	    /* 1-based */
	uint8_t dir;	    /* MLIKE_DIR_* */
	uint16_t transform; /* IKE ENCR id; 0 = null SA, no key */
	uint32_t soft_lifetime_s;
	uint32_t hard_lifetime_s;
	uint8_t key[IKE_AEAD_KEY_LEN];
	uint8_t salt[IKE_AEAD_SALT_LEN];
};
int mlike_secret_parse(const uint8_t *body, size_t len, struct mlike_secret_pl *s);

/* DKM (dkm_wire.c): MH home (4) | HA (4) | n SPIs (1) | reserved (3) |
 * SPI x n (4 each, n <= 2). Addresses in network order. */
#define DKM_SPIS_MAX 2
#define DKM_MH_FIXED 12

struct dkm_mh_pl {
	uint32_t mh_home;
	uint32_t ha_addr;
	uint8_t n_spis;
	uint32_t spi[DKM_SPIS_MAX];
};
int dkm_mh_parse(const uint8_t *body, size_t len, struct dkm_mh_pl *m);
/* NEIGHBOR_NOTIFY (PKD): the sender FA's neighbour FAs, IPv4, network
 * order; none is 0, broadcast, multicast, or listed twice. */
#define MLIKE_NEIGHBORS_MAX 16
struct mlike_neighbors_pl {
	uint8_t n;
	uint32_t addr[MLIKE_NEIGHBORS_MAX];
};
int mlike_neighbors_parse(const uint8_t *body, size_t len, struct mlike_neighbors_pl *nb);
/* The data of MLIKE_N_FLOW_MODE and MLIKE_N_FLOW_MODE_REFUSED (issue 19,
 * docs/protocol.md "Flow mode"): an mml_flow key as the MH sees it (its
 * home address set: the flow is that mobile's), the mode asked for
 * (enum mml_mode), every_n (0/1 = every packet; > 1 not with plaintext)
 * and how long the change lasts (seconds, 0 = until changed again). */
#define MLIKE_FLOW_MODE_LEN 24
#define MLIKE_FLOW_MODES 3 /* plain, esp, mlesp */
struct mlike_flow_mode_pl {
	uint32_t home_addr, peer_addr; /* network order */
	uint16_t home_port, peer_port; /* host order */
	uint8_t proto;
	uint8_t mode;
	uint16_t every_n;
	uint32_t duration_s;
};
int mlike_flow_mode_parse(const uint8_t *data, size_t len, struct mlike_flow_mode_pl *fm);
void mlike_flow_mode_encode(const struct mlike_flow_mode_pl *fm, uint8_t out[MLIKE_FLOW_MODE_LEN]);
/* The data of MLIKE_N_LINK_STATE (issue 19, the auto policy; docs/protocol.md
 * "Link state"): an FA's wireless link clean (1) or lossy (2), and the loss
 * rate of its last judged sample (parts per million, for the logs). */
#define MLIKE_LINK_STATE_LEN 8
struct mlike_link_state_pl {
	uint8_t state;
	uint32_t loss_ppm;
};
int mlike_link_state_parse(const uint8_t *data, size_t len, struct mlike_link_state_pl *ls);
void mlike_link_state_encode(const struct mlike_link_state_pl *ls,
			     uint8_t out[MLIKE_LINK_STATE_LEN]);

/* --- Writer --- */

struct ike_wbuf {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t np_off;	    /* where the next payload's type goes */
	uint8_t first_type; /* a chain without header (inside SK): its first payload */
	bool overflow;
};

void ike_wb_init(struct ike_wbuf *wb, uint8_t *buf, size_t cap);
void ike_wb_put8(struct ike_wbuf *wb, uint8_t v);
void ike_wb_put16(struct ike_wbuf *wb, uint16_t v);
void ike_wb_put32(struct ike_wbuf *wb, uint32_t v);
void ike_wb_put(struct ike_wbuf *wb, const void *p, size_t n);
/* Header with next payload and length patched later. */
void ike_wb_hdr(struct ike_wbuf *wb, const struct ike_hdr *h);
/* Finishes the message: writes the total length into the header. */
int ike_wb_finish_msg(struct ike_wbuf *wb);
/* Starts a payload (patching the previous next-payload field); returns its
 * offset for ike_wb_pl_end, which writes the payload length. */
size_t ike_wb_pl_begin(struct ike_wbuf *wb, uint8_t type, bool critical);
void ike_wb_pl_end(struct ike_wbuf *wb, size_t start);

/* Payload encoders (a whole payload, header included). */
void ike_put_sa(struct ike_wbuf *wb, const struct ike_sa_pl *sa);
/* The proposal substructures of sa without a payload header (CSA proposal). */
void ike_put_proposals(struct ike_wbuf *wb, const struct ike_sa_pl *sa);
void ike_put_ke(struct ike_wbuf *wb, uint16_t group, const uint8_t *data, size_t len);
void ike_put_nonce(struct ike_wbuf *wb, const uint8_t *nonce, size_t len);
void ike_put_notify(struct ike_wbuf *wb, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
		    uint16_t type, const uint8_t *data, size_t data_len);
void ike_put_id(struct ike_wbuf *wb, uint8_t pl_type, uint8_t id_type, const uint8_t *data,
		size_t len);
void ike_put_auth(struct ike_wbuf *wb, uint8_t method, const uint8_t *data, size_t len);
void ike_put_ts(struct ike_wbuf *wb, uint8_t pl_type, const struct ike_ts_pl *ts);
void ike_put_delete(struct ike_wbuf *wb, uint8_t proto, const uint32_t *spis, uint16_t n);
void mlike_put_zonemap(struct ike_wbuf *wb, const struct mlike_zonemap_pl *zm);
void mlike_put_secret(struct ike_wbuf *wb, const struct mlike_secret_pl *s);
void dkm_put_mh(struct ike_wbuf *wb, const struct dkm_mh_pl *m);
void mlike_put_neighbors(struct ike_wbuf *wb, const struct mlike_neighbors_pl *nb);

#endif
