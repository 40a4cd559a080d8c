/* ML-IKE as a postdissector over Wireshark's isakmp dissector: isakmp
 * parses the IKEv2 header and payload chain, and (given the IKE SA's keys in
 * its ikev2_decryption_table) opens the SK payload; this adds what it shows
 * as "Unknown"/"Private Use": the exchange types 240-244 by name (tree and
 * Info column) and the private payloads and notifies decoded, under an
 * "ML-IKE" tree. It reads isakmp's fields, never the raw bytes again. */
#include <string.h>

#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/proto.h>

#include "mlike.h"
#include "mml_ws.h"

static int proto_mlike = -1;
static int hf_exch = -1, hf_payload = -1;
static gint ett_mlike = -1, ett_pl = -1;
static int hf_isakmp_exch = -1, hf_isakmp_pl = -1;

static guint32 finfo_uint(field_info *fi)
{
	return fvalue_get_uinteger(&fi->value);
}

/* isakmp writes "Unknown 241 MID=..." for a private exchange. */
static void info_rename(packet_info *pinfo, guint32 exch, const char *name)
{
	const char *info = col_get_text(pinfo->cinfo, COL_INFO);
	char *pat = g_strdup_printf("Unknown %u", exch);
	const char *hit = info ? strstr(info, pat) : NULL;

	if (hit) {
		char *s = g_strdup_printf("%.*s%s%s", (int)(hit - info), info, name,
					  hit + strlen(pat));

		col_add_str(pinfo->cinfo, COL_INFO, s);
		g_free(s);
	}
	g_free(pat);
}

static proto_tree *mlike_tree(proto_tree **t, tvbuff_t *tvb, proto_tree *tree)
{
	if (!*t) {
		proto_item *ti = proto_tree_add_item(tree, proto_mlike, tvb, 0, 0, ENC_NA);

		proto_item_set_generated(ti);
		*t = proto_item_add_subtree(ti, ett_mlike);
	}
	return *t;
}

static void exchanges(packet_info *pinfo, proto_tree *tree, proto_tree **t, tvbuff_t *tvb)
{
	GPtrArray *a = proto_get_finfo_ptr_array(tree, hf_isakmp_exch);
	guint i;

	for (i = 0; a && i < a->len; i++) {
		field_info *fi = g_ptr_array_index(a, i);
		guint32 x = finfo_uint(fi);
		const char *name = try_val_to_str(x, mlike_exchange_vals);

		/* IKEv2 only: the version byte (0x20) precedes the type. */
		if (!name || fi->start < 1 || tvb_get_guint8(fi->ds_tvb, fi->start - 1) >> 4 != 2)
			continue;
		proto_tree_add_uint(mlike_tree(t, tvb, tree), hf_exch, fi->ds_tvb, fi->start, 1, x);
		col_set_str(pinfo->cinfo, COL_PROTOCOL, "ML-IKE");
		info_rename(pinfo, x, name);
	}
}

static void payloads(packet_info *pinfo, proto_tree *tree, proto_tree **t, tvbuff_t *tvb)
{
	GPtrArray *a = proto_get_finfo_ptr_array(tree, hf_isakmp_pl);
	guint i;

	for (i = 0; a && i < a->len; i++) {
		field_info *fi = g_ptr_array_index(a, i);
		guint32 type = finfo_uint(fi);
		proto_tree *pt;
		proto_item *pi;

		if (fi->length < 4 || !tvb_bytes_exist(fi->ds_tvb, fi->start, fi->length) ||
		    !mlike_pl_ours(fi->ds_tvb, (uint8_t)type, fi->start + 4, fi->length - 4))
			continue;
		pi = proto_tree_add_uint(mlike_tree(t, tvb, tree), hf_payload, fi->ds_tvb,
					 fi->start, fi->length, type);
		pt = proto_item_add_subtree(pi, ett_pl);
		mlike_pl_dissect(fi->ds_tvb, pinfo, pt, (uint8_t)type, fi->start + 4,
				 fi->length - 4);
	}
}

static int dissect_mlike(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
	proto_tree *t = NULL;

	if (!tree)
		return 0;
	exchanges(pinfo, tree, &t, tvb);
	payloads(pinfo, tree, &t, tvb);
	return 0;
}

void proto_register_mlike(void)
{
	static hf_register_info hf[] = {
		{ &hf_exch,
		  { "Exchange type", "mlike.exchange", FT_UINT8, BASE_DEC,
		    VALS(mlike_exchange_vals), 0, NULL, HFILL } },
		{ &hf_payload,
		  { "Payload", "mlike.payload", FT_UINT8, BASE_DEC, VALS(mlike_payload_vals), 0,
		    NULL, HFILL } },
	};
	static gint *ett[] = { &ett_mlike, &ett_pl };

	proto_mlike = proto_register_protocol("Mobile Multi-Layered IKE", "ML-IKE", "mlike");
	proto_register_field_array(proto_mlike, hf, array_length(hf));
	proto_register_subtree_array(ett, array_length(ett));
	mlike_pl_register(proto_mlike);
}

void proto_reg_handoff_mlike(void)
{
	dissector_handle_t h = create_dissector_handle(dissect_mlike, proto_mlike);
	GArray *want = g_array_new(FALSE, FALSE, sizeof(int));

	hf_isakmp_exch = proto_registrar_get_id_byname("isakmp.exchangetype");
	hf_isakmp_pl = proto_registrar_get_id_byname("isakmp.typepayload");
	g_array_append_val(want, hf_isakmp_exch);
	g_array_append_val(want, hf_isakmp_pl);
	register_postdissector(h);
	set_postdissector_wanted_hfids(h, want);
}
