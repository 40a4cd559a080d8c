/* ML-IKE payload bodies (docs/protocol.md 3.1-3.5, 8.1): ZONEMAP, SECRET,
 * CSA_PROPOSAL, NEIGHBORS, DKM's MH payload, the private notifies and the
 * Delete of ML-ESP zone CSAs (protocol 201). Every length is checked
 * against the payload before a field is added. */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/expert.h>
#include <epan/packet.h>

#include "mlike.h"

const value_string mlike_exchange_vals[] = {
	{ 240, "MLIKE_AUTH_SA" },	  { 241, "MLIKE_KEY_DISTRIBUTE" },
	{ 242, "MLIKE_NEIGHBOR_NOTIFY" }, { 243, "DKM_CSA_REQUEST" },
	{ 244, "MLIKE_CREATE_CHILD_SA" }, { 0, NULL },
};

const value_string mlike_payload_vals[] = {
	{ MLIKE_PL_ZONEMAP, "ZONEMAP" },
	{ MLIKE_PL_SECRET, "SECRET" },
	{ MLIKE_PL_CSA_PROPOSAL, "CSA_PROPOSAL" },
	{ MLIKE_PL_NEIGHBORS, "NEIGHBORS" },
	{ DKM_PL_MH, "DKM_MH" },
	{ IKE_PL_NOTIFY, "Notify" },
	{ IKE_PL_DELETE, "Delete" },
	{ 0, NULL },
};

const value_string mlike_notify_vals[] = {
	{ 8192, "MLIKE_ZONEMAP_UNACCEPTABLE" },
	{ 8193, "MLIKE_KEYS_REJECTED" },
	{ 8194, "MLIKE_NEIGHBORS_REJECTED" },
	{ 8200, "DKM_NOT_VISITOR" },
	{ 8201, "DKM_NOT_NEIGHBOR" },
	{ 8202, "DKM_REPLAYED" },
	{ 8203, "DKM_UNKNOWN_CSA" },
	{ 40960, "MLIKE_BINDING" },
	{ 40961, "MLIKE_KEYS_INSTALLED" },
	{ 40962, "MLIKE_PKD_INACTIVE" },
	{ 40963, "MLIKE_NEIGHBORS_ACCEPTED" },
	{ 40970, "DKM_CSA_INSTALLED" },
	{ 40971, "DKM_CSA_MISSING" },
	{ 0, NULL },
};

static const value_string dir_vals[] = {
	{ 1, "to the MH (the HA encapsulates)" },
	{ 2, "to the HA (the MH encapsulates)" },
	{ 0, NULL },
};

static const value_string encr_vals[] = {
	{ 0, "null SA (no key)" },
	{ 20, "ENCR_AES_GCM_16" },
	{ 28, "ENCR_CHACHA20_POLY1305" },
	{ 0, NULL },
};

static const value_string format_vals[] = {
	{ 1, "ML-ESP v1" },
	{ 0, NULL },
};

static int hf_zm_n = -1, hf_zm_fmt = -1, hf_zm_start = -1, hf_zm_end = -1;
static int hf_sec_spi = -1, hf_sec_zone = -1, hf_sec_dir = -1, hf_sec_tr = -1, hf_sec_klen = -1,
	   hf_sec_slen = -1, hf_sec_soft = -1, hf_sec_hard = -1, hf_sec_key = -1, hf_sec_salt = -1;
static int hf_csa_zone = -1, hf_csa_proto = -1, hf_csa_spi = -1, hf_csa_ntr = -1, hf_csa_encr = -1,
	   hf_csa_klen = -1;
static int hf_nb_count = -1, hf_nb_addr = -1;
static int hf_dkm_home = -1, hf_dkm_ha = -1, hf_dkm_n = -1, hf_dkm_spi = -1;
static int hf_n_type = -1, hf_n_home = -1, hf_n_ha = -1, hf_n_spi = -1;
static int hf_del_spi = -1;
static gint ett_zone = -1, ett_prop = -1;
static expert_field ei_short = EI_INIT;

static void zonemap(tvbuff_t *tvb, proto_tree *t, int off, int len)
{
	int i, n;

	if (len < 4)
		return;
	n = tvb_get_guint8(tvb, off);
	proto_tree_add_item(t, hf_zm_n, tvb, off, 1, ENC_NA);
	proto_tree_add_item(t, hf_zm_fmt, tvb, off + 1, 1, ENC_NA);
	for (i = 0; i < n && 4 + 4 * (i + 1) <= len; i++) {
		int z = off + 4 + 4 * i;
		proto_tree *zt = proto_tree_add_subtree_format(
			t, tvb, z, 4, ett_zone, NULL, "Zone %d: P[%u, %u)", i + 1,
			tvb_get_ntohs(tvb, z), tvb_get_ntohs(tvb, z + 2));
		proto_tree_add_item(zt, hf_zm_start, tvb, z, 2, ENC_BIG_ENDIAN);
		proto_tree_add_item(zt, hf_zm_end, tvb, z + 2, 2, ENC_BIG_ENDIAN);
	}
}

static void secret(tvbuff_t *tvb, proto_tree *t, int off, int len)
{
	int klen, slen;

	if (len < 20)
		return;
	proto_tree_add_item(t, hf_sec_spi, tvb, off, 4, ENC_BIG_ENDIAN);
	proto_tree_add_item(t, hf_sec_zone, tvb, off + 4, 1, ENC_NA);
	proto_tree_add_item(t, hf_sec_dir, tvb, off + 5, 1, ENC_NA);
	proto_tree_add_item(t, hf_sec_tr, tvb, off + 6, 2, ENC_BIG_ENDIAN);
	proto_tree_add_item(t, hf_sec_klen, tvb, off + 8, 1, ENC_NA);
	proto_tree_add_item(t, hf_sec_slen, tvb, off + 9, 1, ENC_NA);
	proto_tree_add_item(t, hf_sec_soft, tvb, off + 12, 4, ENC_BIG_ENDIAN);
	proto_tree_add_item(t, hf_sec_hard, tvb, off + 16, 4, ENC_BIG_ENDIAN);
	klen = tvb_get_guint8(tvb, off + 8);
	slen = tvb_get_guint8(tvb, off + 9);
	if (20 + klen + slen > len)
		return;
	if (klen)
		proto_tree_add_item(t, hf_sec_key, tvb, off + 20, klen, ENC_NA);
	if (slen)
		proto_tree_add_item(t, hf_sec_salt, tvb, off + 20 + klen, slen, ENC_NA);
}

/* RFC 7296 3.3.1/3.3.2 substructures, one proposal per zone. */
static void csa_proposal(tvbuff_t *tvb, proto_tree *t, int off, int len)
{
	int end = off + len;

	while (off + 8 <= end) {
		int plen = tvb_get_ntohs(tvb, off + 2), ssz = tvb_get_guint8(tvb, off + 6);
		int ntr = tvb_get_guint8(tvb, off + 7), p = off + 8 + ssz, i;
		proto_tree *pt;

		if (plen < 8 || off + plen > end)
			return;
		pt = proto_tree_add_subtree_format(t, tvb, off, plen, ett_prop, NULL, "Zone %u",
						   tvb_get_guint8(tvb, off + 4));
		proto_tree_add_item(pt, hf_csa_zone, tvb, off + 4, 1, ENC_NA);
		proto_tree_add_item(pt, hf_csa_proto, tvb, off + 5, 1, ENC_NA);
		proto_tree_add_item(pt, hf_csa_ntr, tvb, off + 7, 1, ENC_NA);
		if (ssz == 4)
			proto_tree_add_item(pt, hf_csa_spi, tvb, off + 8, 4, ENC_BIG_ENDIAN);
		for (i = 0; i < ntr && p + 8 <= off + plen; i++) {
			int tlen = tvb_get_ntohs(tvb, p + 2);

			if (tlen < 8 || p + tlen > off + plen)
				break;
			proto_tree_add_item(pt, hf_csa_encr, tvb, p + 6, 2, ENC_BIG_ENDIAN);
			if (tlen >= 12 && tvb_get_ntohs(tvb, p + 8) == 0x800e)
				proto_tree_add_item(pt, hf_csa_klen, tvb, p + 10, 2,
						    ENC_BIG_ENDIAN);
			p += tlen;
		}
		off += plen;
	}
}

static void neighbors(tvbuff_t *tvb, proto_tree *t, int off, int len)
{
	int i, n;

	if (len < 4)
		return;
	n = tvb_get_guint8(tvb, off);
	proto_tree_add_item(t, hf_nb_count, tvb, off, 1, ENC_NA);
	for (i = 0; i < n && 4 + 4 * (i + 1) <= len; i++)
		proto_tree_add_item(t, hf_nb_addr, tvb, off + 4 + 4 * i, 4, ENC_BIG_ENDIAN);
}

static void dkm_mh(tvbuff_t *tvb, proto_tree *t, int off, int len)
{
	int i, n;

	if (len < 12)
		return;
	n = tvb_get_guint8(tvb, off + 8);
	proto_tree_add_item(t, hf_dkm_home, tvb, off, 4, ENC_BIG_ENDIAN);
	proto_tree_add_item(t, hf_dkm_ha, tvb, off + 4, 4, ENC_BIG_ENDIAN);
	proto_tree_add_item(t, hf_dkm_n, tvb, off + 8, 1, ENC_NA);
	for (i = 0; i < n && 12 + 4 * (i + 1) <= len; i++)
		proto_tree_add_item(t, hf_dkm_spi, tvb, off + 12 + 4 * i, 4, ENC_BIG_ENDIAN);
}

/* Only ML-IKE's notify types; the data of BINDING and KEYS_INSTALLED. */
static bool notify(tvbuff_t *tvb, proto_tree *t, int off, int len)
{
	int ssz, type, d, i;

	if (len < 4)
		return false;
	ssz = tvb_get_guint8(tvb, off + 1);
	type = tvb_get_ntohs(tvb, off + 2);
	if (!try_val_to_str(type, mlike_notify_vals))
		return false;
	proto_tree_add_item(t, hf_n_type, tvb, off + 2, 2, ENC_BIG_ENDIAN);
	d = off + 4 + ssz;
	if (type == 40960 && d + 8 <= off + len) {
		proto_tree_add_item(t, hf_n_home, tvb, d, 4, ENC_BIG_ENDIAN);
		proto_tree_add_item(t, hf_n_ha, tvb, d + 4, 4, ENC_BIG_ENDIAN);
	} else if (type == 40961) {
		for (i = d; i + 4 <= off + len; i += 4)
			proto_tree_add_item(t, hf_n_spi, tvb, i, 4, ENC_BIG_ENDIAN);
	}
	return true;
}

/* Delete of ML-ESP zone CSAs: protocol 201, SPI size 4. */
static bool delete_csa(tvbuff_t *tvb, proto_tree *t, int off, int len)
{
	int i, n;

	if (len < 4 || tvb_get_guint8(tvb, off) != MLIKE_PROTO_ZONE ||
	    tvb_get_guint8(tvb, off + 1) != 4)
		return false;
	n = tvb_get_ntohs(tvb, off + 2);
	for (i = 0; i < n && 4 + 4 * (i + 1) <= len; i++)
		proto_tree_add_item(t, hf_del_spi, tvb, off + 4 + 4 * i, 4, ENC_BIG_ENDIAN);
	return true;
}

bool mlike_pl_ours(tvbuff_t *tvb, uint8_t type, int off, int len)
{
	if (type == IKE_PL_NOTIFY)
		return len >= 4 && try_val_to_str(tvb_get_ntohs(tvb, off + 2), mlike_notify_vals);
	if (type == IKE_PL_DELETE)
		return len >= 4 && tvb_get_guint8(tvb, off) == MLIKE_PROTO_ZONE;
	return type >= 128;
}

bool mlike_pl_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, uint8_t type, int off,
		      int len)
{
	switch (type) {
	case IKE_PL_NOTIFY:
		return notify(tvb, tree, off, len);
	case IKE_PL_DELETE:
		return delete_csa(tvb, tree, off, len);
	case MLIKE_PL_ZONEMAP:
		zonemap(tvb, tree, off, len);
		break;
	case MLIKE_PL_SECRET:
		secret(tvb, tree, off, len);
		break;
	case MLIKE_PL_CSA_PROPOSAL:
		csa_proposal(tvb, tree, off, len);
		break;
	case MLIKE_PL_NEIGHBORS:
		neighbors(tvb, tree, off, len);
		break;
	case DKM_PL_MH:
		dkm_mh(tvb, tree, off, len);
		break;
	default:
		return type >= 128; /* private, not ours: the type name only */
	}
	if (len < 4)
		proto_tree_add_expert(tree, pinfo, &ei_short, tvb, off, len);
	return true;
}

#define U8(h, name, abbr, vals)                                                    \
	{                                                                          \
		&h,                                                                \
		{                                                                  \
			name, abbr, FT_UINT8, BASE_DEC, VALS(vals), 0, NULL, HFILL \
		}                                                                  \
	}
#define U16(h, name, abbr, vals)                                                    \
	{                                                                           \
		&h,                                                                 \
		{                                                                   \
			name, abbr, FT_UINT16, BASE_DEC, VALS(vals), 0, NULL, HFILL \
		}                                                                   \
	}
#define U32(h, name, abbr, base)                                          \
	{                                                                 \
		&h,                                                       \
		{                                                         \
			name, abbr, FT_UINT32, base, NULL, 0, NULL, HFILL \
		}                                                         \
	}
#define IP4(h, name, abbr)                                                   \
	{                                                                    \
		&h,                                                          \
		{                                                            \
			name, abbr, FT_IPv4, BASE_NONE, NULL, 0, NULL, HFILL \
		}                                                            \
	}
#define BYTES(h, name, abbr)                                                  \
	{                                                                     \
		&h,                                                           \
		{                                                             \
			name, abbr, FT_BYTES, BASE_NONE, NULL, 0, NULL, HFILL \
		}                                                             \
	}

void mlike_pl_register(int proto)
{
	static hf_register_info hf[] = {
		U8(hf_zm_n, "Number of zones", "mlike.zonemap.zones", NULL),
		U8(hf_zm_fmt, "Format", "mlike.zonemap.format", format_vals),
		U16(hf_zm_start, "Start", "mlike.zonemap.start", NULL),
		U16(hf_zm_end, "End", "mlike.zonemap.end", NULL),
		U32(hf_sec_spi, "CSA SPI", "mlike.secret.spi", BASE_HEX),
		U8(hf_sec_zone, "Zone", "mlike.secret.zone", NULL),
		U8(hf_sec_dir, "Direction", "mlike.secret.dir", dir_vals),
		U16(hf_sec_tr, "Transform", "mlike.secret.transform", encr_vals),
		U8(hf_sec_klen, "Key length", "mlike.secret.key_len", NULL),
		U8(hf_sec_slen, "Salt length", "mlike.secret.salt_len", NULL),
		U32(hf_sec_soft, "Soft lifetime (s)", "mlike.secret.soft_lifetime", BASE_DEC),
		U32(hf_sec_hard, "Hard lifetime (s)", "mlike.secret.hard_lifetime", BASE_DEC),
		BYTES(hf_sec_key, "Key", "mlike.secret.key"),
		BYTES(hf_sec_salt, "Salt", "mlike.secret.salt"),
		U8(hf_csa_zone, "Zone (proposal number)", "mlike.csa.zone", NULL),
		U8(hf_csa_proto, "Protocol ID", "mlike.csa.proto", NULL),
		U32(hf_csa_spi, "SPI", "mlike.csa.spi", BASE_HEX),
		U8(hf_csa_ntr, "Transforms", "mlike.csa.transforms", NULL),
		U16(hf_csa_encr, "ENCR", "mlike.csa.encr", encr_vals),
		U16(hf_csa_klen, "Key length (bits)", "mlike.csa.key_len", NULL),
		U8(hf_nb_count, "Count", "mlike.neighbors.count", NULL),
		IP4(hf_nb_addr, "Neighbour FA", "mlike.neighbors.addr"),
		IP4(hf_dkm_home, "MH home address", "mlike.dkm.mh_home"),
		IP4(hf_dkm_ha, "HA address", "mlike.dkm.ha"),
		U8(hf_dkm_n, "SPIs", "mlike.dkm.n_spis", NULL),
		U32(hf_dkm_spi, "CSA SPI", "mlike.dkm.spi", BASE_HEX),
		U16(hf_n_type, "Notify type", "mlike.notify", mlike_notify_vals),
		IP4(hf_n_home, "MH home address", "mlike.notify.binding.home"),
		IP4(hf_n_ha, "HA address", "mlike.notify.binding.ha"),
		U32(hf_n_spi, "Installed CSA SPI", "mlike.notify.spi", BASE_HEX),
		U32(hf_del_spi, "Deleted CSA SPI", "mlike.delete.spi", BASE_HEX),
	};
	static gint *ett[] = { &ett_zone, &ett_prop };
	static ei_register_info ei[] = {
		{ &ei_short,
		  { "mlike.short", PI_MALFORMED, PI_ERROR, "payload body too short", EXPFILL } },
	};

	proto_register_field_array(proto, hf, array_length(hf));
	proto_register_subtree_array(ett, array_length(ett));
	expert_register_field_array(expert_register_protocol(proto), ei, array_length(ei));
}
