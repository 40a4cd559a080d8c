/* Mobile IPv4 message codec (RFC 5944, RFC 3024). See mip_wire.h. */
#include "keyd/mip_wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/inet.h"

const char *mip_code_str(unsigned int code)
{
	switch (code) {
	case MIP_ACCEPTED:
		return "accepted";
	case MIP_ACCEPTED_NO_SIMUL:
		return "accepted, simultaneous bindings unsupported";
	case MIP_FA_UNSPECIFIED:
		return "FA: reason unspecified";
	case MIP_FA_PROHIBITED:
		return "FA: administratively prohibited";
	case MIP_FA_RESOURCES:
		return "FA: insufficient resources";
	case MIP_FA_MN_AUTH:
		return "FA: mobile node failed authentication";
	case MIP_FA_HA_AUTH:
		return "FA: home agent failed authentication";
	case MIP_FA_LIFETIME:
		return "FA: requested lifetime too long";
	case MIP_FA_BAD_REQUEST:
		return "FA: poorly formed request";
	case MIP_FA_BAD_REPLY:
		return "FA: poorly formed reply";
	case MIP_FA_ENCAP:
		return "FA: requested encapsulation unavailable";
	case MIP_FA_VJ:
		return "FA: VJ compression unavailable";
	case MIP_FA_RT_UNAVAIL:
		return "FA: requested reverse tunnel unavailable";
	case MIP_FA_RT_MANDATORY:
		return "FA: reverse tunnel mandatory and T bit not set";
	case MIP_FA_TOO_DISTANT:
		return "FA: mobile node too distant";
	case MIP_FA_BAD_COA:
		return "FA: invalid care-of address";
	case MIP_FA_TIMEOUT:
		return "FA: registration timeout";
	case MIP_FA_HOME_NET_UNREACH:
		return "FA: home network unreachable";
	case MIP_FA_HA_HOST_UNREACH:
		return "FA: home agent host unreachable";
	case MIP_FA_HA_PORT_UNREACH:
		return "FA: home agent port unreachable";
	case MIP_FA_HA_UNREACH:
		return "FA: home agent unreachable";
	case MIP_HA_UNSPECIFIED:
		return "HA: reason unspecified";
	case MIP_HA_PROHIBITED:
		return "HA: administratively prohibited";
	case MIP_HA_RESOURCES:
		return "HA: insufficient resources";
	case MIP_HA_MN_AUTH:
		return "HA: mobile node failed authentication";
	case MIP_HA_FA_AUTH:
		return "HA: foreign agent failed authentication";
	case MIP_HA_IDENT_MISMATCH:
		return "HA: registration identification mismatch";
	case MIP_HA_BAD_REQUEST:
		return "HA: poorly formed request";
	case MIP_HA_TOO_MANY:
		return "HA: too many simultaneous bindings";
	case MIP_HA_UNKNOWN_HA:
		return "HA: unknown home agent address";
	case MIP_HA_RT_UNAVAIL:
		return "HA: requested reverse tunnel unavailable";
	case MIP_HA_RT_MANDATORY:
		return "HA: reverse tunnel mandatory and T bit not set";
	case MIP_HA_ENCAP:
		return "HA: requested encapsulation unavailable";
	default:
		return code < 64 ? "accepted (unknown code)" : "denied (unknown code)";
	}
}

const char *mip_reason_str(enum mip_reason reason)
{
	static const char *const names[] = {
#define MIP_REASON_NAME(id, name) [MIP_R_##id] = name,
		MIP_REASON_LIST(MIP_REASON_NAME)
#undef MIP_REASON_NAME
	};

	return reason < MIP_R_MAX ? names[reason] : "?";
}

const char *mip_err_str(const struct mip_err *err, char *buf, size_t len)
{
	switch (err->reason) {
	case MIP_R_TRUNCATED:
		snprintf(buf, len, "%u bytes, %u short of the %u-byte fixed part", err->have,
			 err->want - err->have, err->want);
		break;
	case MIP_R_TOO_LONG:
		snprintf(buf, len, "%u bytes, %u over the %u-byte limit", err->have,
			 err->have - err->want, err->want);
		break;
	case MIP_R_BAD_TYPE:
		snprintf(buf, len, "message type %u, expected %u", err->have, err->want);
		break;
	case MIP_R_EXT_TRUNCATED:
		snprintf(buf, len, "extension header at offset %u: %u of 2 bytes", err->offset,
			 err->have);
		break;
	case MIP_R_EXT_LENGTH:
		if (err->have > err->want)
			snprintf(buf, len,
				 "extension %u at offset %u: length %u runs %u bytes past the end",
				 err->ext_type, err->offset, err->have, err->have - err->want);
		else
			snprintf(buf, len, "extension %u at offset %u: length %u, expected %u",
				 err->ext_type, err->offset, err->have, err->want);
		break;
	case MIP_R_EXT_UNKNOWN:
		snprintf(buf, len, "unknown non-skippable extension %u at offset %u", err->ext_type,
			 err->offset);
		break;
	case MIP_R_EXT_DUPLICATE:
		snprintf(buf, len, "second extension %u at offset %u", err->ext_type, err->offset);
		break;
	case MIP_R_BAD_ADDR_ENTRY:
		snprintf(buf, len, "address entry size %u words, expected %u", err->have,
			 err->want);
		break;
	case MIP_R_BAD_CHECKSUM:
		snprintf(buf, len, "ICMP checksum wrong (residue 0x%04x)", err->have);
		break;
	default:
		snprintf(buf, len, "%s", mip_reason_str(err->reason));
		break;
	}
	return buf;
}

static int fail(struct mip_err *err, enum mip_reason reason, size_t offset, size_t want,
		size_t have, uint8_t ext_type)
{
	err->reason = reason;
	err->offset = (uint32_t)offset;
	err->want = (uint32_t)want;
	err->have = (uint32_t)have;
	err->ext_type = ext_type;
	return -EBADMSG;
}

/* Validates the extension header at off: on success *ext_len is the body
 * length and the body lies inside [0, len). */
static int ext_header(const uint8_t *msg, size_t len, size_t off, uint8_t *ext_len,
		      struct mip_err *err)
{
	if (len - off < 2)
		return fail(err, MIP_R_EXT_TRUNCATED, off, 2, len - off, msg[off]);
	*ext_len = msg[off + 1];
	if (*ext_len > len - off - 2)
		return fail(err, MIP_R_EXT_LENGTH, off, len - off - 2, *ext_len, msg[off]);
	return 0;
}

static int take_auth(const uint8_t *msg, size_t off, uint8_t ext_len, bool *seen,
		     struct mip_auth_ext *auth, struct mip_err *err)
{
	uint8_t type = msg[off];

	if (*seen)
		return fail(err, MIP_R_EXT_DUPLICATE, off, 0, 0, type);
	if (ext_len < 4 + MIP_AUTH_MIN || ext_len > 4 + MIP_AUTH_MAX)
		return fail(err, MIP_R_EXT_LENGTH, off,
			    ext_len < 4 + MIP_AUTH_MIN ? 4 + MIP_AUTH_MIN : 4 + MIP_AUTH_MAX,
			    ext_len, type);
	*seen = true;
	auth->spi = get_be32(msg + off + 2);
	auth->auth_len = ext_len - 4;
	memcpy(auth->auth, msg + off + MIP_AUTH_HDR_LEN, auth->auth_len);
	auth->covered = (uint16_t)(off + MIP_AUTH_HDR_LEN);
	return 0;
}

/* The extensions both registration messages share. Returns 1 when the type
 * is not one of them. */
static int take_reg_ext(const uint8_t *msg, size_t off, uint8_t ext_len, bool *has_auth,
			struct mip_auth_ext *auth, uint16_t *mh_auth_end, struct mip_err *err)
{
	int ret;

	switch (msg[off]) {
	case MIP_EXT_MH_AUTH:
		ret = take_auth(msg, off, ext_len, &has_auth[0], &auth[0], err);
		if (!ret)
			*mh_auth_end = (uint16_t)(off + 2 + ext_len);
		return ret;
	case MIP_EXT_MF_AUTH:
		return take_auth(msg, off, ext_len, &has_auth[1], &auth[1], err);
	case MIP_EXT_FH_AUTH:
		return take_auth(msg, off, ext_len, &has_auth[2], &auth[2], err);
	default:
		return 1;
	}
}

struct reg_exts {
	bool has_auth[3]; /* MH, MF, FH */
	struct mip_auth_ext auth[3];
	uint16_t mh_auth_end;
	bool has_prev_fa;
	struct mip_prev_fa prev_fa;
	uint8_t skipped, skipped_type;
};

static int walk_reg_exts(const uint8_t *msg, size_t len, size_t off, bool request,
			 struct reg_exts *x, struct mip_err *err)
{
	uint8_t ext_len, type;
	int ret;

	memset(x, 0, sizeof(*x));
	while (off < len) {
		ret = ext_header(msg, len, off, &ext_len, err);
		if (ret)
			return ret;
		type = msg[off];
		ret = take_reg_ext(msg, off, ext_len, x->has_auth, x->auth, &x->mh_auth_end, err);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			off += 2 + (size_t)ext_len;
			continue;
		}
		if (request && type == MIP_EXT_PREV_FA) {
			if (x->has_prev_fa)
				return fail(err, MIP_R_EXT_DUPLICATE, off, 0, 0, type);
			if (ext_len != MIP_PREV_FA_LEN)
				return fail(err, MIP_R_EXT_LENGTH, off, MIP_PREV_FA_LEN, ext_len,
					    type);
			x->has_prev_fa = true;
			x->prev_fa.lifetime = get_be16(msg + off + 2);
			memcpy(&x->prev_fa.prev_fa, msg + off + 4, 4);
			memcpy(&x->prev_fa.new_coa, msg + off + 8, 4);
		} else if (MIP_EXT_SKIPPABLE(type)) {
			if (x->skipped < UINT8_MAX)
				x->skipped++;
			x->skipped_type = type;
		} else {
			return fail(err, MIP_R_EXT_UNKNOWN, off, 0, 0, type);
		}
		off += 2 + (size_t)ext_len;
	}
	return 0;
}

static int check_size(size_t len, size_t fixed, struct mip_err *err)
{
	if (len > MIP_MSG_MAX)
		return fail(err, MIP_R_TOO_LONG, 0, MIP_MSG_MAX, len, 0);
	if (len < fixed)
		return fail(err, MIP_R_TRUNCATED, 0, fixed, len, 0);
	return 0;
}

int mip_parse_request(const uint8_t *msg, size_t len, struct mip_reg_request *req,
		      struct mip_err *err)
{
	struct mip_reg_request r;
	struct reg_exts x;
	int ret;

	memset(err, 0, sizeof(*err));
	ret = check_size(len, MIP_REQ_FIXED_LEN, err);
	if (ret)
		return ret;
	if (msg[0] != MIP_TYPE_REG_REQUEST)
		return fail(err, MIP_R_BAD_TYPE, 0, MIP_TYPE_REG_REQUEST, msg[0], 0);
	memset(&r, 0, sizeof(r));
	r.flags = msg[1];
	r.lifetime = get_be16(msg + 2);
	memcpy(&r.home_addr, msg + 4, 4);
	memcpy(&r.ha_addr, msg + 8, 4);
	memcpy(&r.coa, msg + 12, 4);
	r.ident = (uint64_t)get_be32(msg + 16) << 32 | get_be32(msg + 20);
	ret = walk_reg_exts(msg, len, MIP_REQ_FIXED_LEN, true, &x, err);
	if (!ret) {
		r.has_mh_auth = x.has_auth[0];
		r.has_mf_auth = x.has_auth[1];
		r.has_fh_auth = x.has_auth[2];
		r.mh_auth = x.auth[0];
		r.mf_auth = x.auth[1];
		r.fh_auth = x.auth[2];
		r.mh_auth_end = x.mh_auth_end;
		r.has_prev_fa = x.has_prev_fa;
		r.prev_fa = x.prev_fa;
		r.skipped = x.skipped;
		r.skipped_type = x.skipped_type;
	}
	*req = r;
	return ret;
}

int mip_parse_reply(const uint8_t *msg, size_t len, struct mip_reg_reply *rep, struct mip_err *err)
{
	struct mip_reg_reply r;
	struct reg_exts x;
	int ret;

	memset(err, 0, sizeof(*err));
	ret = check_size(len, MIP_REP_FIXED_LEN, err);
	if (ret)
		return ret;
	if (msg[0] != MIP_TYPE_REG_REPLY)
		return fail(err, MIP_R_BAD_TYPE, 0, MIP_TYPE_REG_REPLY, msg[0], 0);
	memset(&r, 0, sizeof(r));
	r.code = msg[1];
	r.lifetime = get_be16(msg + 2);
	memcpy(&r.home_addr, msg + 4, 4);
	memcpy(&r.ha_addr, msg + 8, 4);
	r.ident = (uint64_t)get_be32(msg + 12) << 32 | get_be32(msg + 16);
	ret = walk_reg_exts(msg, len, MIP_REP_FIXED_LEN, false, &x, err);
	if (!ret) {
		r.has_mh_auth = x.has_auth[0];
		r.has_mf_auth = x.has_auth[1];
		r.has_fh_auth = x.has_auth[2];
		r.mh_auth = x.auth[0];
		r.mf_auth = x.auth[1];
		r.fh_auth = x.auth[2];
		r.mh_auth_end = x.mh_auth_end;
		r.skipped = x.skipped;
		r.skipped_type = x.skipped_type;
	}
	*rep = r;
	return ret;
}

int mip_build_request(const struct mip_reg_request *req, uint8_t *buf, size_t size)
{
	size_t len = MIP_REQ_FIXED_LEN + (req->has_prev_fa ? 2 + MIP_PREV_FA_LEN : 0);

	if (size < len)
		return -ENOSPC;
	buf[0] = MIP_TYPE_REG_REQUEST;
	buf[1] = req->flags;
	put_be16(buf + 2, req->lifetime);
	memcpy(buf + 4, &req->home_addr, 4);
	memcpy(buf + 8, &req->ha_addr, 4);
	memcpy(buf + 12, &req->coa, 4);
	put_be32(buf + 16, (uint32_t)(req->ident >> 32));
	put_be32(buf + 20, (uint32_t)req->ident);
	if (req->has_prev_fa) {
		uint8_t *x = buf + MIP_REQ_FIXED_LEN;

		x[0] = MIP_EXT_PREV_FA;
		x[1] = MIP_PREV_FA_LEN;
		put_be16(x + 2, req->prev_fa.lifetime);
		memcpy(x + 4, &req->prev_fa.prev_fa, 4);
		memcpy(x + 8, &req->prev_fa.new_coa, 4);
	}
	return (int)len;
}

int mip_build_reply(const struct mip_reg_reply *rep, uint8_t *buf, size_t size)
{
	if (size < MIP_REP_FIXED_LEN)
		return -ENOSPC;
	buf[0] = MIP_TYPE_REG_REPLY;
	buf[1] = rep->code;
	put_be16(buf + 2, rep->lifetime);
	memcpy(buf + 4, &rep->home_addr, 4);
	memcpy(buf + 8, &rep->ha_addr, 4);
	put_be32(buf + 12, (uint32_t)(rep->ident >> 32));
	put_be32(buf + 16, (uint32_t)rep->ident);
	return MIP_REP_FIXED_LEN;
}

int mip_put_auth_hdr(uint8_t *buf, size_t size, size_t off, uint8_t type, uint32_t spi,
		     uint8_t auth_len)
{
	if (auth_len < MIP_AUTH_MIN || auth_len > MIP_AUTH_MAX || off > size ||
	    size - off < MIP_AUTH_HDR_LEN + (size_t)auth_len)
		return -ENOSPC;
	buf[off] = type;
	buf[off + 1] = 4 + auth_len;
	put_be32(buf + off + 2, spi);
	return (int)(off + MIP_AUTH_HDR_LEN);
}

/* Advertisement extensions after the router addresses. */
static int walk_advert_exts(const uint8_t *p, size_t len, size_t off, struct mip_advert *a,
			    struct mip_err *err)
{
	bool has_maa = false;
	uint8_t ext_len, type;
	int ret;

	while (off < len) {
		type = p[off];
		if (type == MIP_EXT_PAD) {
			off++;
			continue;
		}
		ret = ext_header(p, len, off, &ext_len, err);
		if (ret)
			return ret;
		if (type == MIP_EXT_MAA) {
			if (has_maa)
				return fail(err, MIP_R_EXT_DUPLICATE, off, 0, 0, type);
			if (ext_len < 6 || (ext_len - 6) % 4 ||
			    (ext_len - 6) / 4 > MIP_MAA_MAX_COAS)
				return fail(err, MIP_R_EXT_LENGTH, off, 6, ext_len, type);
			has_maa = true;
			a->seq = get_be16(p + off + 2);
			a->reg_lifetime = get_be16(p + off + 4);
			a->flags = get_be16(p + off + 6);
			a->n_coas = (uint8_t)((ext_len - 6) / 4);
			memcpy(a->coas, p + off + 8, 4 * (size_t)a->n_coas);
		} else if (type == MIP_EXT_PREFIX_LEN) {
			if (a->has_prefix_lens)
				return fail(err, MIP_R_EXT_DUPLICATE, off, 0, 0, type);
			a->has_prefix_lens = true;
			a->n_prefix_lens =
				ext_len < MIP_ADVERT_MAX_ADDRS ? ext_len : MIP_ADVERT_MAX_ADDRS;
			memcpy(a->prefix_lens, p + off + 2, a->n_prefix_lens);
		} else if (MIP_EXT_SKIPPABLE(type)) {
			if (a->skipped < UINT8_MAX)
				a->skipped++;
		} else {
			return fail(err, MIP_R_EXT_UNKNOWN, off, 0, 0, type);
		}
		off += 2 + (size_t)ext_len;
	}
	if (!has_maa)
		return fail(err, MIP_R_NO_MAA, off, 0, 0, 0);
	return 0;
}

static int check_icmp(const uint8_t *p, size_t len, uint8_t type, struct mip_err *err)
{
	uint16_t residue;

	if (len > MIP_ADVERT_MAX)
		return fail(err, MIP_R_TOO_LONG, 0, MIP_ADVERT_MAX, len, 0);
	if (len < MIP_ICMP_HDR_LEN)
		return fail(err, MIP_R_TRUNCATED, 0, MIP_ICMP_HDR_LEN, len, 0);
	if (p[0] != type)
		return fail(err, MIP_R_BAD_TYPE, 0, type, p[0], 0);
	residue = inet_csum(p, len);
	if (residue)
		return fail(err, MIP_R_BAD_CHECKSUM, 2, 0, residue, 0);
	return 0;
}

int mip_parse_advert(const uint8_t *icmp, size_t len, struct mip_advert *adv, struct mip_err *err)
{
	struct mip_advert a;
	size_t addrs_end;
	int ret;

	memset(err, 0, sizeof(*err));
	ret = check_icmp(icmp, len, MIP_ICMP_ADVERT, err);
	if (ret)
		return ret;
	memset(&a, 0, sizeof(a));
	a.code = icmp[1];
	a.icmp_lifetime = get_be16(icmp + 6);
	if (icmp[5] != 2)
		return fail(err, MIP_R_BAD_ADDR_ENTRY, 5, 2, icmp[5], 0);
	addrs_end = MIP_ICMP_HDR_LEN + 8 * (size_t)icmp[4];
	if (addrs_end > len)
		return fail(err, MIP_R_TRUNCATED, MIP_ICMP_HDR_LEN, addrs_end, len, 0);
	a.n_addrs = icmp[4] < MIP_ADVERT_MAX_ADDRS ? icmp[4] : MIP_ADVERT_MAX_ADDRS;
	for (unsigned int i = 0; i < a.n_addrs; i++) {
		memcpy(&a.addrs[i], icmp + MIP_ICMP_HDR_LEN + 8 * i, 4);
		a.prefs[i] = (int32_t)get_be32(icmp + MIP_ICMP_HDR_LEN + 8 * i + 4);
	}
	ret = walk_advert_exts(icmp, len, addrs_end, &a, err);
	if (ret)
		return ret;
	*adv = a;
	return 0;
}

int mip_parse_solicit(const uint8_t *icmp, size_t len, struct mip_err *err)
{
	memset(err, 0, sizeof(*err));
	return check_icmp(icmp, len, MIP_ICMP_SOLICIT, err);
}

int mip_build_advert(const struct mip_advert *adv, uint8_t *buf, size_t size)
{
	size_t off, len;

	if (adv->n_addrs > MIP_ADVERT_MAX_ADDRS || adv->n_coas > MIP_MAA_MAX_COAS ||
	    adv->n_prefix_lens > MIP_ADVERT_MAX_ADDRS)
		return -EINVAL;
	len = MIP_ICMP_HDR_LEN + 8 * (size_t)adv->n_addrs + 8 + 4 * (size_t)adv->n_coas +
	      (adv->has_prefix_lens ? 2 + (size_t)adv->n_prefix_lens : 0);
	if (size < len)
		return -ENOSPC;
	memset(buf, 0, len);
	buf[0] = MIP_ICMP_ADVERT;
	buf[1] = adv->code;
	buf[4] = adv->n_addrs;
	buf[5] = 2;
	put_be16(buf + 6, adv->icmp_lifetime);
	off = MIP_ICMP_HDR_LEN;
	for (unsigned int i = 0; i < adv->n_addrs; i++, off += 8) {
		memcpy(buf + off, &adv->addrs[i], 4);
		put_be32(buf + off + 4, (uint32_t)adv->prefs[i]);
	}
	buf[off] = MIP_EXT_MAA;
	buf[off + 1] = (uint8_t)(6 + 4 * adv->n_coas);
	put_be16(buf + off + 2, adv->seq);
	put_be16(buf + off + 4, adv->reg_lifetime);
	put_be16(buf + off + 6, adv->flags);
	memcpy(buf + off + 8, adv->coas, 4 * (size_t)adv->n_coas);
	off += 8 + 4 * (size_t)adv->n_coas;
	if (adv->has_prefix_lens) {
		buf[off] = MIP_EXT_PREFIX_LEN;
		buf[off + 1] = adv->n_prefix_lens;
		memcpy(buf + off + 2, adv->prefix_lens, adv->n_prefix_lens);
	}
	put_be16(buf + 2, inet_csum(buf, len));
	return (int)len;
}

int mip_build_solicit(uint8_t *buf, size_t size)
{
	if (size < MIP_ICMP_HDR_LEN)
		return -ENOSPC;
	memset(buf, 0, MIP_ICMP_HDR_LEN);
	buf[0] = MIP_ICMP_SOLICIT;
	put_be16(buf + 2, inet_csum(buf, MIP_ICMP_HDR_LEN));
	return MIP_ICMP_HDR_LEN;
}

uint64_t mip_ntp_from_ns(uint64_t unix_ns)
{
	uint64_t secs = unix_ns / 1000000000ULL + MIP_NTP_UNIX_OFFSET;
	uint64_t frac = ((unix_ns % 1000000000ULL) << 32) / 1000000000ULL;

	return secs << 32 | frac;
}
