#include "worker/proto.h"

#include <errno.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/inet.h"
#include "lib/err.h"
#include "lib/esp.h"
#include "lib/mlesp.h"
#include "worker/pkt.h"

unsigned int ep_err_stat(int err)
{
	switch (-err) {
	case MML_E_SPI:
		return MML_STAT_EP_DROP_UNKNOWN_SPI;
	case MML_E_REPLAY:
		return MML_STAT_EP_DROP_REPLAY;
	case MML_E_AUTH_HDR:
		return MML_STAT_EP_DROP_TAG_HDR;
	case MML_E_AUTH_ZONE1:
		return MML_STAT_EP_DROP_TAG_Z1;
	case MML_E_AUTH_ZONE2:
		return MML_STAT_EP_DROP_TAG_Z2;
	case MML_E_AUTH:
		return MML_STAT_EP_DROP_TAG_ESP;
	case MML_E_SEQ_EXHAUSTED: /* the hard packet limit */
		return MML_STAT_EP_DROP_EXPIRED;
	case EIO: /* the sequence mark could not be persisted: nothing may go */
		return MML_STAT_EP_DROP_SEQ_EXHAUSTED;
	case ENOSPC:
		return MML_STAT_EP_DROP_TOO_BIG;
	default:
		return MML_STAT_EP_DROP_MALFORMED;
	}
}

static void flow_key(enum ep_side side, const uint8_t *p, const struct ep_ip *ip,
		     struct mml_flow_key *k)
{
	uint16_t sport, dport;

	memset(k, 0, sizeof(*k));
	ep_ports(p, ip, &sport, &dport);
	k->proto = ip->proto;
	if (side == EP_SIDE_MH) {
		k->home_addr = ip->saddr;
		k->peer_addr = ip->daddr;
		k->home_port = sport;
		k->peer_port = dport;
	} else {
		k->home_addr = ip->daddr;
		k->peer_addr = ip->saddr;
		k->home_port = dport;
		k->peer_port = sport;
	}
}

ssize_t ep_protect(struct ep_tables *t, enum ep_side side, const struct mml_binding *b,
		   const uint8_t *inner, size_t len, uint8_t *out, size_t cap, unsigned int *stat)
{
	struct mml_flow_key key;
	uint8_t iv[MML_ESP_IV_LEN] = { 0 };
	uint32_t spi, seq, src, dst;
	struct ep_flow_ent *ent;
	struct ep_sa *sa;
	struct ep_ip ip;
	uint8_t mode;
	ssize_t n;
	int err;

	if (ep_ip_parse(inner, len, &ip)) {
		*stat = MML_STAT_EP_DROP_MALFORMED;
		return -1;
	}
	len = ip.tot; /* trust the header, not trailing link padding */
	flow_key(side, inner, &ip, &key);
	mode = ep_flow_mode_ent(&t->flows, &key, ip.tos >> 2, b, &spi, &ent);
	if (mode == MML_MODE_PLAIN) {
		if (len > cap) {
			*stat = MML_STAT_EP_DROP_TOO_BIG;
			return -1;
		}
		memcpy(out, inner, len);
		ep_flow_sent(ent, mode);
		*stat = MML_STAT_EP_ENCAP_PLAIN;
		return (ssize_t)len;
	}
	sa = ep_sacache_get(&t->sas, spi);
	if (!sa || !sa->out ||
	    sa->sa.csa.format != (mode == MML_MODE_ESP ? MML_FMT_ESP : MML_FMT_MLESP)) {
		*stat = MML_STAT_EP_DROP_NO_SA;
		return -1;
	}
	if (cap < EP_IP_HLEN) {
		*stat = MML_STAT_EP_DROP_TOO_BIG;
		return -1;
	}
	if (mml_csa_time_expired(&sa->sa.csa, t->now_ns)) {
		*stat = MML_STAT_EP_DROP_EXPIRED;
		return -1;
	}
	if (mml_csa_soft_passed(&sa->sa.csa, t->now_ns))
		atomic_store_explicit(&sa->sa.rekey_wanted, true, memory_order_relaxed);
	err = ep_sa_next_seq(sa, &seq);
	if (err) {
		*stat = ep_err_stat(err);
		return -1;
	}
	if (mode == MML_MODE_ESP) {
		put_be32(iv + 4, seq);
		n = mml_esp_seal(&sa->sa, seq, iv, inner, len, out + EP_IP_HLEN, cap - EP_IP_HLEN);
	} else {
		n = mml_mlesp_seal(&sa->sa, seq, inner, len, out + EP_IP_HLEN, cap - EP_IP_HLEN);
	}
	if (n < 0) {
		*stat = ep_err_stat((int)n);
		return -1;
	}
	src = side == EP_SIDE_MH ? ip.saddr : b->ha_addr;
	dst = side == EP_SIDE_MH ? b->ha_addr : ip.daddr;
	/* DSCP/ECN copied from the inner header (RFC 4301 5.1.2.1). */
	inet_ip4_write(out, src, dst, EP_PROTO_ESP, (uint16_t)(n + EP_IP_HLEN), ip.tos, t->ip_id++,
		       false, EP_TTL);
	ep_flow_sent(ent, mode);
	*stat = mode == MML_MODE_ESP ? MML_STAT_EP_ENCAP_ESP : MML_STAT_EP_ENCAP_MLESP;
	return n + EP_IP_HLEN;
}

/* HA: the binding's inbound SPI for the mode, or the one a rekey is
 * retiring (both accepted while the MH moves to the new CSA). */
static bool binding_takes(const struct mml_binding *b, uint8_t mode, uint32_t spi)
{
	return b->spi_in[mode] == spi || (b->spi_in_prev && b->spi_in_prev == spi);
}

/* The decrypted inner packet belongs where its SPI says. */
static bool inner_allowed(struct ep_tables *t, enum ep_side side, uint32_t home, uint32_t spi,
			  uint8_t mode, const uint8_t *p, size_t len)
{
	const struct mml_binding *b;
	struct ep_ip ip;

	if (ep_ip_parse(p, len, &ip) || ip.tot != len)
		return false;
	if (side == EP_SIDE_MH)
		return ip.daddr == home;
	b = ep_binding_get(&t->binds, ip.saddr);
	return b && binding_takes(b, mode, spi);
}

/* The outer addresses the SA's packets come from (ESP authenticates
 * neither): refused before the AEAD, so a flood from elsewhere costs no
 * crypto and cannot touch the window. */
static bool outer_allowed(struct ep_tables *t, enum ep_side side, uint32_t home,
			  uint32_t tunnel_src, uint32_t spi, uint8_t mode, const struct ep_ip *hdr)
{
	const struct mml_binding *b;

	if (side == EP_SIDE_MH) {
		b = ep_binding_get(&t->binds, home);
		return b && hdr->saddr == b->ha_addr;
	}
	b = ep_binding_get(&t->binds, hdr->saddr);
	return b && binding_takes(b, mode, spi) && tunnel_src == b->coa;
}

/* The flow's receive policy on an authentic inner packet (inner_allowed
 * parsed it). The receiver's key is the sender's: the MH receives what the
 * HA side sends and the other way round. */
static bool flow_rx_allowed(struct ep_tables *t, enum ep_side side, const uint8_t *p, size_t len,
			    uint8_t mode)
{
	struct mml_flow_key key;
	struct mml_flow learned;
	struct ep_ip ip;

	if (ep_ip_parse(p, len, &ip))
		return false;
	flow_key(side == EP_SIDE_MH ? EP_SIDE_HA : EP_SIDE_MH, p, &ip, &key);
	switch (ep_flow_rx_check(&t->flows, &key, ip.tos >> 2, mode, t->now_ns, &learned)) {
	case EP_FLOW_RX_DOWNGRADE:
		return false;
	case EP_FLOW_RX_UPGRADE:
		/* Without memory the packet still goes: only the replies stay
		 * weaker until the learn callback's map write is reloaded. */
		t->flows.now_ns = t->now_ns;
		ep_flowtab_learn(&t->flows, &key, &learned);
		if (t->learn)
			t->learn(t->learn_ctx, &key, &learned);
		return true;
	default:
		return true;
	}
}

ssize_t ep_unprotect(struct ep_tables *t, enum ep_side side, uint32_t home, uint32_t tunnel_src,
		     uint8_t *ip, size_t len, uint8_t **inner, unsigned int *stat)
{
	struct ep_ip hdr;
	struct ep_sa *sa;
	uint32_t spi;
	uint8_t mode;
	ssize_t n;

	if (ep_ip_parse(ip, len, &hdr) || hdr.proto != EP_PROTO_ESP || hdr.fragment ||
	    hdr.tot < hdr.hlen + 8u) {
		*stat = MML_STAT_EP_DROP_MALFORMED;
		return -1;
	}
	spi = get_be32(ip + hdr.hlen);
	sa = ep_sacache_get(&t->sas, spi);
	if (!sa || sa->sa.csa.dir != MML_DIR_IN) {
		*stat = MML_STAT_EP_DROP_UNKNOWN_SPI;
		return -1;
	}
	mode = sa->sa.csa.format == MML_FMT_ESP ? MML_MODE_ESP : MML_MODE_MLESP;
	if (!outer_allowed(t, side, home, tunnel_src, spi, mode, &hdr)) {
		*stat = MML_STAT_EP_DROP_OUTER_SRC;
		return -1;
	}
	if (mml_csa_time_expired(&sa->sa.csa, t->now_ns) ||
	    mml_csa_seq_expired(&sa->sa.csa, get_be32(ip + hdr.hlen + 4))) {
		*stat = MML_STAT_EP_DROP_EXPIRED;
		return -1;
	}
	if (mode == MML_MODE_ESP)
		n = mml_esp_decap(&sa->sa, ip + hdr.hlen, hdr.tot - hdr.hlen, inner);
	else
		n = mml_mlesp_decap(&sa->sa, ip + hdr.hlen, hdr.tot - hdr.hlen, inner);
	if (n < 0) {
		*stat = ep_err_stat((int)n);
		return -1;
	}
	if (!inner_allowed(t, side, home, spi, mode, *inner, (size_t)n)) {
		*stat = MML_STAT_EP_DROP_SPOOF;
		return -1;
	}
	if (!flow_rx_allowed(t, side, *inner, (size_t)n, mode)) {
		*stat = MML_STAT_EP_DROP_DOWNGRADE;
		return -1;
	}
	*stat = mode == MML_MODE_ESP ? MML_STAT_EP_DELIVER_ESP : MML_STAT_EP_DELIVER_MLESP;
	return n;
}

ssize_t ep_plain_in(struct ep_tables *t, enum ep_side side, uint32_t home, uint32_t tunnel_src,
		    const uint8_t *ip, size_t len, unsigned int *stat)
{
	const struct mml_binding *b;
	struct ep_ip hdr;

	if (ep_ip_parse(ip, len, &hdr)) {
		*stat = MML_STAT_EP_DROP_MALFORMED;
		return -1;
	}
	if (side == EP_SIDE_MH) {
		if (hdr.daddr != home) {
			*stat = MML_STAT_EP_DROP_SPOOF;
			return -1;
		}
	} else {
		b = ep_binding_get(&t->binds, hdr.saddr);
		if (!b || b->coa != tunnel_src) {
			*stat = MML_STAT_EP_DROP_OUTER_SRC;
			return -1;
		}
	}
	if (!flow_rx_allowed(t, side, ip, hdr.tot, MML_MODE_PLAIN)) {
		*stat = MML_STAT_EP_DROP_DOWNGRADE;
		return -1;
	}
	*stat = MML_STAT_EP_DELIVER_PLAIN;
	return hdr.tot;
}
