/* IKEv2 numbers (RFC 7296 section 3 and the IANA IKEv2 registries) and the
 * ML-IKE private-use numbers this project assigns (docs/protocol.md). */
#ifndef MML_KEYD_IKE_CONST_H
#define MML_KEYD_IKE_CONST_H

#define IKE_PORT 500
#define IKE_HDR_LEN 28
#define IKE_GEN_HDR_LEN 4
#define IKE_VERSION 0x20 /* major 2, minor 0 */
/* RFC 7296 2.: every implementation accepts 1280 bytes; ours never sends
 * more than this and refuses to parse more. */
#define IKE_MSG_MAX 4096

/* Header flags. */
#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_VERSION 0x10
#define IKE_FLAG_RESPONSE 0x20

/* Exchange types. */
enum ike_exchange {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	IKE_CREATE_CHILD_SA = 36,
	IKE_INFORMATIONAL = 37,
	/* ML-IKE, private use 240-255 */
	MLIKE_AUTH_SA = 240,
	MLIKE_KEY_DISTRIBUTE = 241,
	DKM_CSA_REQUEST = 243,	     /* FA-FA key migration; FA-HA "installed" report */
	MLIKE_NEIGHBOR_NOTIFY = 242, /* FA -> HA: its neighbour FAs (PKD) */
	MLIKE_CREATE_CHILD_SA = 244, /* MH <-> HA: a new CSA pair replacing one (rekey) */
};

/* Payload types. */
enum ike_payload_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_SKF = 53,
	/* ML-IKE, private use 128-255 */
	MLIKE_PL_ZONEMAP = 128,
	MLIKE_PL_SECRET = 129,
	MLIKE_PL_CSA_PROPOSAL = 130,
	DKM_PL_MH = 135,	  /* the MH (and CSAs) a DKM request is about */
	MLIKE_PL_NEIGHBORS = 131, /* NEIGHBOR_NOTIFY's address list */
};

#define IKE_CRITICAL 0x80

/* Security protocol identifiers. */
enum ike_proto {
	IKE_PROTO_IKE = 1,
	IKE_PROTO_AH = 2,
	IKE_PROTO_ESP = 3,
	MLIKE_PROTO_ZONE = 201, /* one zone of an ML-ESP CSA (private use) */
};

/* Transform types and the IDs this implementation speaks. */
enum ike_transform_type {
	IKE_TRANS_ENCR = 1,
	IKE_TRANS_PRF = 2,
	IKE_TRANS_INTEG = 3,
	IKE_TRANS_DH = 4,
	IKE_TRANS_ESN = 5,
};

#define IKE_ENCR_AES_GCM_16 20
#define IKE_ENCR_CHACHA20_POLY1305 28
#define IKE_PRF_HMAC_SHA2_256 5
#define IKE_DH_CURVE25519 31
#define IKE_ESN_NONE 0
#define IKE_ATTR_KEY_LENGTH 14
#define IKE_ATTR_TV 0x8000

/* Identification types. */
#define IKE_ID_IPV4_ADDR 1
#define IKE_ID_FQDN 2
#define IKE_ID_RFC822_ADDR 3
#define IKE_ID_KEY_ID 11

#define IKE_AUTH_PSK 2 /* Shared Key Message Integrity Code */

/* Traffic selector types. */
#define IKE_TS_IPV4_ADDR_RANGE 7

/* Notify message types: errors below 16384, status from 16384. */
enum ike_notify {
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	/* ML-IKE private error types (8192-16383) */
	MLIKE_N_ZONEMAP_UNACCEPTABLE = 8192,
	MLIKE_N_KEYS_REJECTED = 8193,
	DKM_N_NOT_VISITOR = 8200,	   /* never served, or its grace period is over */
	DKM_N_NOT_NEIGHBOR = 8201,	   /* the asking peer is not a configured FA */
	DKM_N_REPLAYED = 8202,		   /* these CSAs were handed over already */
	DKM_N_UNKNOWN_CSA = 8203,	   /* HA: not this MH's CSAs, or not its FA */
	MLIKE_N_NEIGHBORS_REJECTED = 8194, /* NEIGHBOR_NOTIFY not taken (PKD) */
	MLIKE_N_FLOW_MODE_REFUSED = 8210,  /* a flow's mode change refused (issue 19) */
	MLIKE_N_LINK_STATE_REFUSED = 8211, /* HA: an FA serving none of our mobiles */
	IKE_N_ERROR_MAX = 16383,
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_CHILDLESS_IKEV2_SUPPORTED = 16418, /* RFC 6023 */
	/* ML-IKE private status types (40960-65535) */
	MLIKE_N_BINDING = 40960,
	MLIKE_N_KEYS_INSTALLED = 40961,
	DKM_N_CSA_INSTALLED = 40970,	    /* the request is a report: installed by DKM */
	DKM_N_CSA_MISSING = 40971,	    /* the request is a report: no CSA by DKM */
	MLIKE_N_PKD_INACTIVE = 40962,	    /* KEY_DISTRIBUTE: hold the CSAs inactive */
	MLIKE_N_NEIGHBORS_ACCEPTED = 40963, /* NEIGHBOR_NOTIFY answered */
	MLIKE_N_FLOW_MODE = 40980,	    /* INFORMATIONAL: a flow's new mode, asked or agreed */
	MLIKE_N_LINK_STATE = 40981,	    /* INFORMATIONAL, FA -> HA: its link clean or lossy */
};

#define IKE_NONCE_LEN 32 /* ours; peers' may be 16..256 */
#define IKE_NONCE_MIN 16
#define IKE_NONCE_MAX 256
#define IKE_PRF_LEN 32 /* HMAC-SHA2-256 output and preferred key length */
#define IKE_X25519_LEN 32
#define IKE_AEAD_KEY_LEN 32 /* AES-256-GCM and ChaCha20-Poly1305 */
#define IKE_AEAD_SALT_LEN 4 /* RFC 5282 / RFC 7634: keying material = key | salt */
#define IKE_AEAD_IV_LEN 8
#define IKE_AEAD_ICV_LEN 16
#define IKE_SPI_LEN 8

#endif
