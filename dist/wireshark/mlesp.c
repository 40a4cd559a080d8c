/* ML-ESP (DESIGN.md 2.1): SPI, sequence, C1 | T1, C2 | T2. Registered for
 * IP protocol 50 in ESP's place; a packet whose SPI is not ML-ESP (the key
 * table, the SPI list, or the optional IV heuristic) is handed to
 * Wireshark's own ESP dissector unchanged. With a zone-1 key, C1 is opened
 * and the inner IPv4 header handed to the IP dissector: the FA's view. */
#include <string.h>

#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/expert.h>
#include <epan/packet.h>

#include "mml_ws.h"

#define MLESP_MIN_LEN (MLESP_HDR_LEN + 2 * MLESP_TAG_LEN + 4)

static int proto_mlesp = -1;
static int hf_spi = -1, hf_seq = -1, hf_plen = -1, hf_z1len = -1;
static int hf_c1 = -1, hf_t1 = -1, hf_c2 = -1, hf_t2 = -1;
static int hf_z1_auth = -1;
static gint ett_mlesp = -1;
static expert_field ei_z1_ok = EI_INIT, ei_z1_bad = EI_INIT, ei_short = EI_INIT,
		    ei_no_key = EI_INIT;
static dissector_handle_t esp_handle, ip_handle;

/* mmlipsec's ESP puts the sequence number in its IV as 0 || seq. */
static bool looks_like_our_esp(tvbuff_t *tvb)
{
	return tvb_captured_length(tvb) >= 16 && tvb_get_ntohl(tvb, 8) == 0 &&
	       tvb_get_ntohl(tvb, 12) == tvb_get_ntohl(tvb, 4);
}

static bool is_mlesp(tvbuff_t *tvb)
{
	uint32_t spi;

	if (tvb_captured_length(tvb) < 8)
		return false;
	spi = tvb_get_ntohl(tvb, 0);
	if (mlesp_spi_listed(spi))
		return true;
	return mlesp_heuristic() && tvb_reported_length(tvb) >= MLESP_MIN_LEN &&
	       !looks_like_our_esp(tvb);
}

/* The decrypted header as a tvb of its own, its reported length the inner
 * packet's (IPv4 total length): the dissectors below then show what lies
 * past zone 1 as "not captured", as for a short snap length. */
static void hand_to_ip(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, uint8_t *plain,
		       unsigned int l1, unsigned int plen)
{
	unsigned int inner = plen, cap = l1;
	tvbuff_t *dec;

	if (l1 >= 4 && (plain[0] >> 4) == 4) {
		inner = (unsigned int)plain[2] << 8 | plain[3];
		if (inner > plen || inner < 20)
			inner = plen;
	}
	if (cap > inner)
		cap = inner;
	dec = tvb_new_child_real_data(tvb, plain, cap, inner);
	add_new_data_source(pinfo, dec, "ML-ESP zone 1 (decrypted)");
	call_dissector(ip_handle, dec, pinfo, tree);
}

static void dissect_zone1(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, proto_item *ti,
			  const struct mlesp_key *k, unsigned int l1, unsigned int plen)
{
	uint8_t aad[MLESP_HDR_LEN], tag[MLESP_TAG_LEN];
	uint8_t *plain;
	proto_item *ai;
	int ok;

	tvb_memcpy(tvb, aad, 0, MLESP_HDR_LEN);
	tvb_memcpy(tvb, tag, MLESP_HDR_LEN + l1, MLESP_TAG_LEN);
	plain = (uint8_t *)wmem_alloc(pinfo->pool, l1);
	ok = mlesp_zone1_open(k, tvb_get_ntohl(tvb, 4), aad, tvb_get_ptr(tvb, MLESP_HDR_LEN, l1),
			      l1, tag, plain);
	if (ok < 0)
		return;
	ai = proto_tree_add_boolean(tree, hf_z1_auth, tvb, MLESP_HDR_LEN + l1, MLESP_TAG_LEN,
				    ok == 1);
	proto_item_set_generated(ai);
	if (ok == 0) {
		expert_add_info(pinfo, ai, &ei_z1_bad);
		proto_item_append_text(ti, ", zone 1: bad tag");
		col_append_str(pinfo->cinfo, COL_INFO, " [zone 1 bad tag]");
		return;
	}
	expert_add_info(pinfo, ai, &ei_z1_ok);
	proto_item_append_text(ti, ", zone 1 authenticated");
	hand_to_ip(tvb, pinfo, proto_tree_get_root(tree), plain, l1, plen);
}

static int dissect_mlesp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
	unsigned int len, plen, l1, z1;
	const struct mlesp_key *k;
	proto_tree *t;
	proto_item *ti;
	uint32_t spi, seq;

	if (!is_mlesp(tvb)) {
		if (!esp_handle)
			return 0; /* no ESP dissector: the data dissector shows it */
		return call_dissector_with_data(esp_handle, tvb, pinfo, tree, data);
	}

	col_set_str(pinfo->cinfo, COL_PROTOCOL, "ML-ESP");
	spi = tvb_get_ntohl(tvb, 0);
	seq = tvb_get_ntohl(tvb, 4);
	col_add_fstr(pinfo->cinfo, COL_INFO, "ML-ESP (SPI=0x%08x, seq=%u)", spi, seq);
	ti = proto_tree_add_item(tree, proto_mlesp, tvb, 0, -1, ENC_NA);
	t = proto_item_add_subtree(ti, ett_mlesp);
	proto_tree_add_item(t, hf_spi, tvb, 0, 4, ENC_BIG_ENDIAN);
	proto_tree_add_item(t, hf_seq, tvb, 4, 4, ENC_BIG_ENDIAN);

	len = tvb_reported_length(tvb);
	if (len < MLESP_MIN_LEN || (len - MLESP_HDR_LEN - 2 * MLESP_TAG_LEN) % 4) {
		expert_add_info(pinfo, ti, &ei_short);
		return tvb_captured_length(tvb);
	}
	k = mlesp_key_find(spi);
	z1 = k ? k->z1_len : mlesp_default_z1_len();
	plen = len - MLESP_HDR_LEN - 2 * MLESP_TAG_LEN;
	l1 = plen < z1 ? plen : z1;
	proto_item_set_generated(proto_tree_add_uint(t, hf_plen, tvb, 0, 0, plen));
	proto_item_set_generated(proto_tree_add_uint(t, hf_z1len, tvb, 0, 0, l1));
	proto_tree_add_item(t, hf_c1, tvb, MLESP_HDR_LEN, l1, ENC_NA);
	proto_tree_add_item(t, hf_t1, tvb, MLESP_HDR_LEN + l1, MLESP_TAG_LEN, ENC_NA);
	proto_tree_add_item(t, hf_c2, tvb, MLESP_HDR_LEN + l1 + MLESP_TAG_LEN, plen - l1, ENC_NA);
	proto_tree_add_item(t, hf_t2, tvb, len - MLESP_TAG_LEN, MLESP_TAG_LEN, ENC_NA);

	if (!k || !k->have_key) {
		expert_add_info(pinfo, ti, &ei_no_key);
		return tvb_captured_length(tvb);
	}
	if (tvb_captured_length(tvb) < MLESP_HDR_LEN + l1 + MLESP_TAG_LEN)
		return tvb_captured_length(tvb);
	dissect_zone1(tvb, pinfo, t, ti, k, l1, plen);
	return tvb_captured_length(tvb);
}

void proto_register_mlesp(void)
{
	static hf_register_info hf[] = {
		{ &hf_spi, { "SPI", "mlesp.spi", FT_UINT32, BASE_HEX, NULL, 0, NULL, HFILL } },
		{ &hf_seq,
		  { "Sequence", "mlesp.sequence", FT_UINT32, BASE_DEC, NULL, 0, NULL, HFILL } },
		{ &hf_plen,
		  { "Payload length |P|", "mlesp.payload_len", FT_UINT32, BASE_DEC, NULL, 0,
		    "inner packet and trailer, both zones", HFILL } },
		{ &hf_z1len,
		  { "Zone 1 length L1", "mlesp.zone1_len", FT_UINT32, BASE_DEC, NULL, 0,
		    "min(z1_len, |P|)", HFILL } },
		{ &hf_c1,
		  { "Zone 1 ciphertext", "mlesp.c1", FT_BYTES, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_t1, { "Zone 1 tag", "mlesp.t1", FT_BYTES, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_c2,
		  { "Zone 2 ciphertext", "mlesp.c2", FT_BYTES, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_t2, { "Zone 2 tag", "mlesp.t2", FT_BYTES, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_z1_auth,
		  { "Zone 1 authenticated", "mlesp.zone1.authenticated", FT_BOOLEAN, BASE_NONE,
		    NULL, 0, "T1 verified with the zone-1 key", HFILL } },
	};
	static gint *ett[] = { &ett_mlesp };
	static ei_register_info ei[] = {
		{ &ei_z1_ok,
		  { "mlesp.zone1.ok", PI_SECURITY, PI_CHAT, "zone 1 authenticated", EXPFILL } },
		{ &ei_z1_bad,
		  { "mlesp.zone1.bad_tag", PI_SECURITY, PI_ERROR,
		    "bad tag: zone 1 does not verify with this key", EXPFILL } },
		{ &ei_short,
		  { "mlesp.malformed", PI_MALFORMED, PI_ERROR,
		    "shorter than 44 bytes, or |P| not a multiple of 4", EXPFILL } },
		{ &ei_no_key,
		  { "mlesp.no_key", PI_UNDECODED, PI_NOTE, "no zone-1 key for this SPI",
		    EXPFILL } },
	};
	expert_module_t *em;

	proto_mlesp = proto_register_protocol("Multi-Layered ESP", "ML-ESP", "mlesp");
	proto_register_field_array(proto_mlesp, hf, array_length(hf));
	proto_register_subtree_array(ett, array_length(ett));
	em = expert_register_protocol(proto_mlesp);
	expert_register_field_array(em, ei, array_length(ei));
	mlesp_keys_register(proto_mlesp);
}

void proto_reg_handoff_mlesp(void)
{
	dissector_handle_t h = create_dissector_handle(dissect_mlesp, proto_mlesp);

	esp_handle = find_dissector("esp");
	ip_handle = find_dissector("ip");
	/* Takes protocol 50 from ESP; ESP stays reachable through esp_handle. */
	dissector_add_uint("ip.proto", 50, h);
}
