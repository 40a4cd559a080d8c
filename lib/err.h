/* Error codes of the packet codecs. Functions return a negative value: either
 * -errno (ENOMEM, EINVAL, ENOSPC, ...) or -MML_E_* for a protocol verdict that
 * errno cannot name. mml_strerror() prints both. */
#ifndef MML_LIB_ERR_H
#define MML_LIB_ERR_H

enum mml_err {
	MML_E_BASE = 4096,   /* above every errno value */
	MML_E_TRUNCATED,     /* shorter than the smallest valid packet */
	MML_E_MALFORMED,     /* lengths or trailer inconsistent */
	MML_E_SPI,	     /* SPI does not belong to this SA */
	MML_E_REPLAY,	     /* sequence number 0, duplicate or left of the window */
	MML_E_AUTH_HDR,	     /* SPI/sequence (the AAD of every zone) was altered */
	MML_E_AUTH_ZONE1,    /* zone 1 failed authentication */
	MML_E_AUTH_ZONE2,    /* zone 2 failed authentication */
	MML_E_AUTH,	     /* single-zone ESP ICV mismatch */
	MML_E_SEQ_EXHAUSTED, /* hard sequence limit reached: rekey */
	MML_E_NOKEY,	     /* this node holds no key for the zone */
	MML_E_MAX
};

const char *mml_strerror(int err);

#endif
