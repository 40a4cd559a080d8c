/* Writes a pcap of ML-IKE messages built by the project's own codec
 * (keyd/ike/ike_wire.c, dkm_wire.c) and SK payload (ike_sk_seal, AES-GCM
 * with fixed keys): one of each private exchange and of the Delete of CSAs,
 * for the wireshark suite to decrypt with tshark's ikev2_decryption_table.
 * Usage: ws-mlike-pcap OUT.pcap; prints "SPIi SPIr SK_ei SK_er" in hex.
 * Test input only: the keys are constants. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "keyd/ike/ike_crypto.h"
#include "keyd/ike/ike_wire.h"

static const uint8_t spi_i[8] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
static const uint8_t spi_r[8] = { 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
static uint8_t sk_ei[IKE_AEAD_KEYMAT_LEN], sk_er[IKE_AEAD_KEYMAT_LEN];
static struct ike_sk sk_init, sk_resp; /* the initiator's and the responder's */
static FILE *out;
static uint32_t frame;

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IPv4 + UDP 500 around msg, one raw-IP pcap record. */
static void write_frame(const uint8_t *msg, size_t len, bool response)
{
	uint8_t pkt[IKE_MSG_MAX + 28] = { 0x45 };
	uint32_t a = htonl(0x0a010001), b = htonl(0x0a000202); /* HA 10.1.0.1, FA 10.0.2.2 */
	uint32_t rec[4] = { frame, 0, (uint32_t)(len + 28), (uint32_t)(len + 28) };
	uint16_t tot = (uint16_t)(len + 28);

	pkt[2] = (uint8_t)(tot >> 8);
	pkt[3] = (uint8_t)tot;
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, response ? &b : &a, 4);
	memcpy(pkt + 16, response ? &a : &b, 4);
	pkt[10] = (uint8_t)(csum(pkt, 20) >> 8);
	pkt[11] = (uint8_t)csum(pkt, 20);
	pkt[20] = pkt[22] = 500 >> 8;
	pkt[21] = pkt[23] = 500 & 0xff;
	pkt[24] = (uint8_t)((len + 8) >> 8);
	pkt[25] = (uint8_t)(len + 8);
	memcpy(pkt + 28, msg, len);
	fwrite(rec, sizeof(rec), 1, out);
	fwrite(pkt, len + 28, 1, out);
	frame++;
}

static int emit(uint8_t exchange, bool response, uint32_t msg_id, const struct ike_wbuf *in)
{
	struct ike_hdr h = { .exchange = exchange, .msg_id = msg_id };
	uint8_t buf[IKE_MSG_MAX];
	struct ike_wbuf wb;

	h.flags = response ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR;
	memcpy(h.spi_i, spi_i, sizeof(spi_i));
	memcpy(h.spi_r, spi_r, sizeof(spi_r));
	ike_wb_init(&wb, buf, sizeof(buf));
	ike_wb_hdr(&wb, &h);
	if (in->overflow ||
	    ike_sk_seal(response ? &sk_resp : &sk_init, &wb, in->first_type, in->buf, in->len))
		return -1;
	write_frame(buf, wb.len, response);
	return 0;
}

static void csa_proposal(struct ike_wbuf *in, uint32_t spi)
{
	struct ike_sa_pl sa = { .n_props = 2 };
	size_t start;

	sa.p[0] = (struct ike_proposal){
		.num = 1, .proto = MLIKE_PROTO_ZONE, .spi_len = 4, .n_trans = 1
	};
	sa.p[0].spi[0] = (uint8_t)(spi >> 24);
	sa.p[0].spi[1] = (uint8_t)(spi >> 16);
	sa.p[0].spi[2] = (uint8_t)(spi >> 8);
	sa.p[0].spi[3] = (uint8_t)spi;
	sa.p[0].t[0] = ike_xform(IKE_TRANS_ENCR, IKE_ENCR_CHACHA20_POLY1305);
	sa.p[1] = (struct ike_proposal){ .num = 2, .proto = MLIKE_PROTO_ZONE, .n_trans = 2 };
	sa.p[1].t[0] = ike_xform(IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16);
	sa.p[1].t[1] = ike_xform(IKE_TRANS_ENCR, IKE_ENCR_CHACHA20_POLY1305);
	start = ike_wb_pl_begin(in, MLIKE_PL_CSA_PROPOSAL, true);
	ike_put_proposals(in, &sa);
	ike_wb_pl_end(in, start);
}

static void zonemap(struct ike_wbuf *in)
{
	struct mlike_zonemap_pl zm = { .n_zones = 2,
				       .format = MLIKE_FMT_MLESP,
				       .start = { 0, 40 },
				       .end = { 40, MLIKE_ZONE_END } };

	mlike_put_zonemap(in, &zm);
}

static void secret(struct ike_wbuf *in, uint32_t spi, uint8_t zone, uint8_t dir)
{
	struct mlike_secret_pl s = { .spi = spi,
				     .zone = zone,
				     .dir = dir,
				     .soft_lifetime_s = 3000,
				     .hard_lifetime_s = 3600 };

	if (zone == 1) {
		s.transform = IKE_ENCR_CHACHA20_POLY1305;
		memset(s.key, 0xa0 + dir, sizeof(s.key));
		memset(s.salt, 0xb0 + dir, sizeof(s.salt));
	}
	mlike_put_secret(in, &s);
}

static int messages(void)
{
	uint8_t buf[2048], nonce[32], data[8];
	struct mlike_neighbors_pl nb = { .n = 2 };
	struct dkm_mh_pl mh = { .n_spis = 2, .spi = { 0x1000, 0x2000 } };
	uint32_t spis[2] = { 0x1000, 0x2000 };
	struct ike_wbuf in;
	int err = 0;

	memset(nonce, 0x5a, sizeof(nonce));
#define BEGIN() ike_wb_init(&in, buf, sizeof(buf))
	BEGIN(); /* MLIKE_AUTH_SA request */
	csa_proposal(&in, 0x1000);
	zonemap(&in);
	ike_put_nonce(&in, nonce, sizeof(nonce));
	err |= emit(MLIKE_AUTH_SA, false, 2, &in);
	BEGIN(); /* KEY_DISTRIBUTE request: binding, zone map, 4 SECRETs */
	inet_pton(AF_INET, "10.1.0.10", data);
	inet_pton(AF_INET, "10.1.0.1", data + 4);
	ike_put_notify(&in, 0, NULL, 0, MLIKE_N_BINDING, data, 8);
	zonemap(&in);
	secret(&in, 0x1000, 1, MLIKE_DIR_TO_MH);
	secret(&in, 0x1000, 2, MLIKE_DIR_TO_MH);
	secret(&in, 0x2000, 1, MLIKE_DIR_TO_HA);
	secret(&in, 0x2000, 2, MLIKE_DIR_TO_HA);
	err |= emit(MLIKE_KEY_DISTRIBUTE, false, 3, &in);
	BEGIN(); /* its answer */
	memcpy(data, (uint8_t[]){ 0, 0, 0x10, 0, 0, 0, 0x20, 0 }, 8);
	ike_put_notify(&in, 0, NULL, 0, MLIKE_N_KEYS_INSTALLED, data, 8);
	err |= emit(MLIKE_KEY_DISTRIBUTE, true, 3, &in);
	BEGIN(); /* NEIGHBOR_NOTIFY */
	inet_pton(AF_INET, "10.0.3.2", &nb.addr[0]);
	inet_pton(AF_INET, "10.0.4.2", &nb.addr[1]);
	mlike_put_neighbors(&in, &nb);
	err |= emit(MLIKE_NEIGHBOR_NOTIFY, false, 4, &in);
	BEGIN(); /* DKM report */
	inet_pton(AF_INET, "10.1.0.10", &mh.mh_home);
	inet_pton(AF_INET, "10.1.0.1", &mh.ha_addr);
	dkm_put_mh(&in, &mh);
	ike_put_notify(&in, 0, NULL, 0, DKM_N_CSA_INSTALLED, NULL, 0);
	err |= emit(DKM_CSA_REQUEST, false, 5, &in);
	BEGIN(); /* MLIKE_CREATE_CHILD_SA */
	ike_put_notify(&in, MLIKE_PROTO_ZONE, (uint8_t[]){ 0, 0, 0x10, 0 }, 4, IKE_N_REKEY_SA, NULL,
		       0);
	csa_proposal(&in, 0x3000);
	zonemap(&in);
	ike_put_nonce(&in, nonce, sizeof(nonce));
	err |= emit(MLIKE_CREATE_CHILD_SA, false, 6, &in);
	BEGIN(); /* revocation: INFORMATIONAL, Delete(201) */
	ike_put_delete(&in, MLIKE_PROTO_ZONE, spis, 2);
	err |= emit(IKE_INFORMATIONAL, false, 7, &in);
	BEGIN(); /* a refusal */
	ike_put_notify(&in, 0, NULL, 0, MLIKE_N_KEYS_REJECTED, NULL, 0);
	err |= emit(MLIKE_KEY_DISTRIBUTE, true, 8, &in);
#undef BEGIN
	return err;
}

int main(int argc, char **argv)
{
	const uint32_t ghdr[6] = { 0xa1b2c3d4, 2 | 4 << 16, 0, 0, 65535, 101 };
	int ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: ws-mlike-pcap OUT.pcap\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(sk_ei); i++) {
		sk_ei[i] = (uint8_t)(0x40 + i);
		sk_er[i] = (uint8_t)(0x80 + i);
	}
	if (ike_sk_init(&sk_init, IKE_ENCR_AES_GCM_16, sk_ei, sk_er) ||
	    ike_sk_init(&sk_resp, IKE_ENCR_AES_GCM_16, sk_er, sk_ei)) {
		fprintf(stderr, "ws-mlike-pcap: ike_sk_init failed\n");
		return 1;
	}
	out = fopen(argv[1], "wb");
	if (!out) {
		perror(argv[1]);
		goto done;
	}
	fwrite(ghdr, sizeof(ghdr), 1, out);
	if (messages()) {
		fprintf(stderr, "ws-mlike-pcap: building a message failed\n");
		goto done;
	}
	hex(spi_i, 8);
	printf(" ");
	hex(spi_r, 8);
	printf(" ");
	hex(sk_ei, sizeof(sk_ei));
	printf(" ");
	hex(sk_er, sizeof(sk_er));
	printf("\n");
	ret = 0;
done:
	if (out && fclose(out))
		ret = 1;
	ike_sk_free(&sk_init);
	ike_sk_free(&sk_resp);
	return ret;
}
