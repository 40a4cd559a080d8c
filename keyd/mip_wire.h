/* Mobile IPv4 messages (RFC 5944, reverse tunnelling RFC 3024): the byte
 * layouts of Registration Request/Reply and of the ICMP Agent Advertisement
 * and Solicitation, as parsed and built by mmlkeyd. Pure functions without
 * I/O or state, so that unit tests and the fuzz harness link them alone.
 *
 * Parsers validate first, then interpret: every length is checked against
 * the buffer before anything is copied into the caller's struct, and a
 * rejection fills struct mip_err with the reason, the offset and the length
 * that was wrong. Layouts: docs/mobileip.md. */
#ifndef MML_KEYD_MIP_WIRE_H
#define MML_KEYD_MIP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIP_PORT 434

/* UDP message types (RFC 5944 3.3, 3.4). */
#define MIP_TYPE_REG_REQUEST 1
#define MIP_TYPE_REG_REPLY 3

#define MIP_REQ_FIXED_LEN 24
#define MIP_REP_FIXED_LEN 20
/* Largest registration message we accept: the fixed part and a handful of
 * extensions fit in a few hundred bytes; anything longer is a malformed or
 * hostile message, not a bigger registration. */
#define MIP_MSG_MAX 1024

/* Registration Request flags (first byte after the type). */
#define MIP_REQ_S 0x80 /* simultaneous bindings */
#define MIP_REQ_B 0x40 /* broadcast datagrams */
#define MIP_REQ_D 0x20 /* decapsulation by the mobile node (co-located COA) */
#define MIP_REQ_M 0x10 /* minimal encapsulation */
#define MIP_REQ_G 0x08 /* GRE */
#define MIP_REQ_R 0x04 /* reserved, sent as zero */
#define MIP_REQ_T 0x02 /* reverse tunnelling (RFC 3024) */
#define MIP_REQ_X 0x01 /* reserved, sent as zero */

/* Extension types. 0-127 may not be skipped when unknown, 128-255 may. */
#define MIP_EXT_PAD 0	      /* one byte, advertisements only */
#define MIP_EXT_MAA 16	      /* Mobility Agent Advertisement */
#define MIP_EXT_PREFIX_LEN 19 /* Prefix-Lengths */
#define MIP_EXT_MH_AUTH 32    /* Mobile-Home Authentication */
#define MIP_EXT_MF_AUTH 33    /* Mobile-Foreign Authentication */
#define MIP_EXT_FH_AUTH 34    /* Foreign-Home Authentication */
#define MIP_EXT_PREV_FA 131   /* DKM: previous foreign agent (DESIGN.md 2.4) */
#define MIP_EXT_SKIPPABLE(type) ((type) >= 128)

/* Authentication extension: type, length, SPI (4), authenticator. */
#define MIP_AUTH_HDR_LEN 6
#define MIP_AUTH_MIN 16 /* HMAC-MD5, RFC 5944's default */
#define MIP_AUTH_MAX 64
/* Previous-FA extension body: lifetime (2), previous FA (4), new COA (4),
 * the layout of the route-optimisation drafts' notification. */
#define MIP_PREV_FA_LEN 10

/* Reply codes (RFC 5944 3.4, RFC 3024 section 4.3). */
enum mip_code {
	MIP_ACCEPTED = 0,
	MIP_ACCEPTED_NO_SIMUL = 1,
	/* foreign agent denials */
	MIP_FA_UNSPECIFIED = 64,
	MIP_FA_PROHIBITED = 65,
	MIP_FA_RESOURCES = 66,
	MIP_FA_MN_AUTH = 67,
	MIP_FA_HA_AUTH = 68,
	MIP_FA_LIFETIME = 69,
	MIP_FA_BAD_REQUEST = 70,
	MIP_FA_BAD_REPLY = 71,
	MIP_FA_ENCAP = 72,
	MIP_FA_VJ = 73,
	MIP_FA_RT_UNAVAIL = 74,
	MIP_FA_RT_MANDATORY = 75,
	MIP_FA_TOO_DISTANT = 76,
	MIP_FA_BAD_COA = 77,
	MIP_FA_TIMEOUT = 78,
	MIP_FA_HOME_NET_UNREACH = 80,
	MIP_FA_HA_HOST_UNREACH = 81,
	MIP_FA_HA_PORT_UNREACH = 82,
	MIP_FA_HA_UNREACH = 88,
	/* home agent denials */
	MIP_HA_UNSPECIFIED = 128,
	MIP_HA_PROHIBITED = 129,
	MIP_HA_RESOURCES = 130,
	MIP_HA_MN_AUTH = 131,
	MIP_HA_FA_AUTH = 132,
	MIP_HA_IDENT_MISMATCH = 133,
	MIP_HA_BAD_REQUEST = 134,
	MIP_HA_TOO_MANY = 135,
	MIP_HA_UNKNOWN_HA = 136,
	MIP_HA_RT_UNAVAIL = 137,
	MIP_HA_RT_MANDATORY = 138,
	MIP_HA_ENCAP = 139,
};

const char *mip_code_str(unsigned int code);
static inline bool mip_code_accepted(unsigned int code)
{
	return code == MIP_ACCEPTED || code == MIP_ACCEPTED_NO_SIMUL;
}

/* Why a message was refused; also the index of the daemon's counters. */
#define MIP_REASON_LIST(X)                \
	X(NONE, "none")                   \
	X(TRUNCATED, "truncated")         \
	X(TOO_LONG, "too_long")           \
	X(BAD_TYPE, "bad_type")           \
	X(EXT_TRUNCATED, "ext_truncated") \
	X(EXT_LENGTH, "ext_length")       \
	X(EXT_UNKNOWN, "ext_unknown")     \
	X(EXT_DUPLICATE, "ext_duplicate") \
	X(NO_AUTH, "no_auth")             \
	X(BAD_ICMP, "bad_icmp")           \
	X(BAD_CHECKSUM, "bad_checksum")   \
	X(NO_MAA, "no_maa")               \
	X(BAD_ADDR_ENTRY, "bad_addr_entry")

enum mip_reason {
#define MIP_REASON_ENUM(id, name) MIP_R_##id,
	MIP_REASON_LIST(MIP_REASON_ENUM)
#undef MIP_REASON_ENUM
		MIP_R_MAX
};

const char *mip_reason_str(enum mip_reason reason);

/* What was wrong, for one log line: "extension 32 at offset 24: length 30
 * runs 8 bytes past the end". */
struct mip_err {
	enum mip_reason reason;
	uint32_t offset; /* of the offending field or extension */
	uint32_t want;	 /* bytes it needs, or the limit */
	uint32_t have;	 /* bytes there are */
	uint8_t ext_type;
};

/* Formats err into buf; returns buf. */
const char *mip_err_str(const struct mip_err *err, char *buf, size_t len);

struct mip_auth_ext {
	uint32_t spi;
	uint8_t auth_len;
	uint8_t auth[MIP_AUTH_MAX];
	/* The authenticator covers the message from its first byte up to and
	 * including this extension's SPI: [0, covered). */
	uint16_t covered;
};

struct mip_prev_fa {
	uint16_t lifetime; /* seconds the previous FA should keep state */
	uint32_t prev_fa;  /* network order */
	uint32_t new_coa;  /* network order */
};

/* Addresses are network order, everything else host order. */
struct mip_reg_request {
	uint8_t flags;
	uint16_t lifetime;
	uint32_t home_addr;
	uint32_t ha_addr;
	uint32_t coa;
	uint64_t ident;
	bool has_mh_auth, has_mf_auth, has_fh_auth, has_prev_fa;
	struct mip_auth_ext mh_auth, mf_auth, fh_auth;
	struct mip_prev_fa prev_fa;
	/* End of the Mobile-Home Authentication Extension: where a foreign
	 * agent appends its own extensions. */
	uint16_t mh_auth_end;
	uint8_t skipped; /* unknown skippable extensions ignored */
	uint8_t skipped_type;
};

struct mip_reg_reply {
	uint8_t code;
	uint16_t lifetime;
	uint32_t home_addr;
	uint32_t ha_addr;
	uint64_t ident;
	bool has_mh_auth, has_mf_auth, has_fh_auth;
	struct mip_auth_ext mh_auth, mf_auth, fh_auth;
	uint16_t mh_auth_end;
	uint8_t skipped;
	uint8_t skipped_type;
};

/* Parse a whole UDP payload. Returns 0, or -EBADMSG with err filled. A
 * request whose fixed part parsed but whose extensions did not still has
 * its fixed fields in *req (err->reason != TRUNCATED/TOO_LONG/BAD_TYPE), so
 * that an agent can address its denial. */
int mip_parse_request(const uint8_t *msg, size_t len, struct mip_reg_request *req,
		      struct mip_err *err);
int mip_parse_reply(const uint8_t *msg, size_t len, struct mip_reg_reply *rep, struct mip_err *err);

/* Builders write the fixed part and the previous-FA extension (if
 * has_prev_fa) into buf and return the length, or -ENOSPC. Authentication
 * extensions are appended with mip_put_auth_hdr() and filled by the caller
 * (mip_auth.h), because the MAC covers the bytes before it. */
int mip_build_request(const struct mip_reg_request *req, uint8_t *buf, size_t size);
int mip_build_reply(const struct mip_reg_reply *rep, uint8_t *buf, size_t size);
/* Appends type, length (4 + auth_len) and SPI at buf + off; returns the
 * offset of the authenticator (the MAC covers [0, that offset)), or
 * -ENOSPC. */
int mip_put_auth_hdr(uint8_t *buf, size_t size, size_t off, uint8_t type, uint32_t spi,
		     uint8_t auth_len);

/* ICMP (RFC 1256 router discovery with RFC 5944 2.1 extensions). */
#define MIP_ICMP_ADVERT 9
#define MIP_ICMP_SOLICIT 10
#define MIP_ICMP_HDR_LEN 8
#define MIP_ADVERT_MAX_ADDRS 4
#define MIP_MAA_MAX_COAS 4
#define MIP_ADVERT_MAX 576

/* Mobility Agent Advertisement flags: first byte R B H F M G r T, second
 * byte U X I and reserved bits (RFC 5944 2.1.1). */
#define MIP_MAA_R 0x8000 /* registration required */
#define MIP_MAA_B 0x4000 /* busy */
#define MIP_MAA_H 0x2000 /* home agent */
#define MIP_MAA_F 0x1000 /* foreign agent */
#define MIP_MAA_M 0x0800 /* minimal encapsulation */
#define MIP_MAA_G 0x0400 /* GRE */
#define MIP_MAA_r 0x0200 /* reserved */
#define MIP_MAA_T 0x0100 /* reverse tunnelling */
#define MIP_MAA_U 0x0080 /* UDP tunnelling */
#define MIP_MAA_X 0x0040 /* revocation */
#define MIP_MAA_I 0x0020 /* foreign agent supports regional registration */

struct mip_advert {
	uint8_t code; /* 0, or 16: does not route common traffic */
	uint16_t icmp_lifetime;
	uint8_t n_addrs;
	uint32_t addrs[MIP_ADVERT_MAX_ADDRS]; /* router addresses, network order */
	int32_t prefs[MIP_ADVERT_MAX_ADDRS];
	/* Mobility Agent Advertisement extension (required). */
	uint16_t seq;
	uint16_t reg_lifetime;
	uint16_t flags; /* MIP_MAA_* */
	uint8_t n_coas;
	uint32_t coas[MIP_MAA_MAX_COAS];
	bool has_prefix_lens;
	uint8_t n_prefix_lens;
	uint8_t prefix_lens[MIP_ADVERT_MAX_ADDRS];
	uint8_t skipped;
};

/* Parse an ICMP message (from its type byte). The checksum is verified. */
int mip_parse_advert(const uint8_t *icmp, size_t len, struct mip_advert *adv, struct mip_err *err);
/* Returns 0 when icmp is an Agent Solicitation (type 10, code 0, >= 8 bytes,
 * good checksum). */
int mip_parse_solicit(const uint8_t *icmp, size_t len, struct mip_err *err);
int mip_build_advert(const struct mip_advert *adv, uint8_t *buf, size_t size);
int mip_build_solicit(uint8_t *buf, size_t size);

/* NTP timestamps (RFC 5905: seconds since 1900 in the high 32 bits) for the
 * Identification field (RFC 5944 5.7.1). */
#define MIP_NTP_UNIX_OFFSET 2208988800ULL
uint64_t mip_ntp_from_ns(uint64_t unix_ns);

#endif
