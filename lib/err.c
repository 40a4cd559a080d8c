#include "lib/err.h"

#include <string.h>

static const char *const mml_err_text[] = {
	[MML_E_TRUNCATED - MML_E_BASE] = "packet truncated",
	[MML_E_MALFORMED - MML_E_BASE] = "malformed packet",
	[MML_E_SPI - MML_E_BASE] = "SPI does not match the SA",
	[MML_E_REPLAY - MML_E_BASE] = "replayed or too old sequence number",
	[MML_E_AUTH_HDR - MML_E_BASE] = "header (SPI/sequence) authentication failed",
	[MML_E_AUTH_ZONE1 - MML_E_BASE] = "zone 1 authentication failed",
	[MML_E_AUTH_ZONE2 - MML_E_BASE] = "zone 2 authentication failed",
	[MML_E_AUTH - MML_E_BASE] = "ICV authentication failed",
	[MML_E_SEQ_EXHAUSTED - MML_E_BASE] = "sequence numbers exhausted, rekey needed",
	[MML_E_NOKEY - MML_E_BASE] = "no key for this zone on this node",
};

const char *mml_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err > MML_E_BASE && err < MML_E_MAX)
		return mml_err_text[err - MML_E_BASE];
	return strerror(err);
}
