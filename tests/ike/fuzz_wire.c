/* libFuzzer harness for the IKEv2/ML-IKE codec: the header, the payload
 * chain and every payload body parser, on arbitrary bytes. The first byte
 * names the chain's first payload when the header does not parse. */
#include <stddef.h>
#include <stdint.h>

#include "keyd/ike/ike_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void payload(const struct ike_pl *pl)
{
	struct ike_sa_pl sa;
	struct ike_ke_pl ke;
	struct ike_notify_pl n;
	struct ike_id_pl id;
	struct ike_auth_pl auth;
	struct ike_ts_pl ts;
	struct ike_delete_pl d;
	struct mlike_zonemap_pl zm;
	struct mlike_secret_pl s;
	struct mlike_neighbors_pl nb;
	struct dkm_mh_pl dkm;

	/* Every parser on every body: each must stay inside len whatever the
	 * bytes, not only the parser the type would pick. */
	ike_sa_parse(pl->body, pl->len, &sa);
	ike_ke_parse(pl->body, pl->len, &ke);
	ike_nonce_parse(pl->body, pl->len);
	ike_notify_parse(pl->body, pl->len, &n);
	ike_id_parse(pl->body, pl->len, &id);
	ike_auth_parse(pl->body, pl->len, &auth);
	ike_ts_parse(pl->body, pl->len, &ts);
	ike_delete_parse(pl->body, pl->len, &d);
	mlike_zonemap_parse(pl->body, pl->len, &zm);
	mlike_secret_parse(pl->body, pl->len, &s);
	mlike_neighbors_parse(pl->body, pl->len, &nb);
	dkm_mh_parse(pl->body, pl->len, &dkm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_hdr h;
	struct ike_chain c;
	uint8_t bad;

	if (ike_hdr_parse(data, size, &h) == IKE_PERR_OK) {
		if (ike_chain_parse(h.next_payload, data + IKE_HDR_LEN, size - IKE_HDR_LEN, &c,
				    &bad) == IKE_PERR_OK)
			for (unsigned int i = 0; i < c.n; i++)
				payload(&c.pl[i]);
		return 0;
	}
	if (size < 1)
		return 0;
	if (ike_chain_parse(data[0], data + 1, size - 1, &c, &bad) == IKE_PERR_OK)
		for (unsigned int i = 0; i < c.n; i++)
			payload(&c.pl[i]);
	return 0;
}
