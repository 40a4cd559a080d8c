/* Home agent: accepts Registration Requests (RFC 5944 3.8) and keeps the
 * bindings home address -> care-of address in mml_binding, which the HA's
 * XDP program and worker use to tunnel to the serving FA (DESIGN.md 2.4). */
#include "keyd/mip_ha.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyd/keyd.h"
#include "keyd/mip_fh.h"
#include "keyd/mip_io.h"
#include "lib/args.h"
#include "lib/log.h"
#include "maps/ep.h"

struct ha_mobile {
	struct mip_ha *ha;
	uint32_t home;
	struct mip_key keys[MIP_MAX_KEYS];
	size_t n_keys;
	/* binding */
	bool bound;
	bool recovered; /* adopted from mml_binding after a restart */
	uint32_t coa;
	uint32_t fa_src; /* where the last request came from */
	uint16_t granted;
	uint64_t expires; /* CLOCK_BOOTTIME ns */
	uint64_t since;
	uint64_t last_ident;
	uint64_t registrations;
	struct loop_timer expiry;
};

struct mip_ha {
	struct mip_ha_cfg cfg;
	struct loop *loop;
	struct mip_maps *maps;
	struct mip_stats *st;
	struct u32map mobiles;
	struct u32map fa_keys; /* foreign agent -> struct mip_fh_peer (mip_fh.h) */
	uint32_t n_bound;
	uint64_t ident_floor; /* Identifications at or below it are replays */
	/* socket wrapper (mip_ha_start) */
	int fd;
	struct mip_maps own_maps;
};

static void binding_expired(void *arg);

int mip_ha_core_new(struct loop *loop, struct mip_maps *maps, const struct mip_ha_cfg *cfg,
		    struct mip_stats *st, struct mip_ha **out)
{
	struct mip_ha *ha = calloc(1, sizeof(*ha));
	int err;

	if (!ha)
		return -ENOMEM;
	ha->cfg = *cfg;
	ha->loop = loop;
	ha->maps = maps;
	ha->st = st;
	ha->fd = -1;
	err = u32map_init(&ha->mobiles, 64);
	if (!err)
		err = u32map_init(&ha->fa_keys, 4);
	if (err) {
		u32map_free(&ha->mobiles);
		free(ha);
		return err;
	}
	*out = ha;
	return 0;
}

void mip_ha_core_free(struct mip_ha *ha)
{
	struct ha_mobile *mn;
	size_t it = 0;
	uint32_t key;

	if (!ha)
		return;
	while ((mn = u32map_next(&ha->mobiles, &it, &key))) {
		loop_timer_cancel(ha->loop, &mn->expiry);
		for (size_t i = 0; i < mn->n_keys; i++)
			mip_key_free(&mn->keys[i]);
		free(mn);
	}
	u32map_free(&ha->mobiles);
	mip_fh_free_all(&ha->fa_keys);
	u32map_free(&ha->fa_keys);
	free(ha);
}

int mip_ha_add_fa_keys(struct mip_ha *ha, uint32_t fa, struct mip_key *keys, size_t n_keys)
{
	return mip_fh_add(&ha->fa_keys, fa, keys, n_keys);
}

int mip_ha_add_mobile(struct mip_ha *ha, uint32_t home, struct mip_key *keys, size_t n_keys)
{
	struct ha_mobile *mn;
	int err;

	if (u32map_get(&ha->mobiles, home) || n_keys > MIP_MAX_KEYS)
		return -EEXIST;
	mn = calloc(1, sizeof(*mn));
	if (!mn)
		return -ENOMEM;
	mn->ha = ha;
	mn->home = home;
	memcpy(mn->keys, keys, n_keys * sizeof(*keys));
	mn->n_keys = n_keys;
	loop_timer_init(&mn->expiry, binding_expired, mn);
	err = u32map_put(&ha->mobiles, home, mn);
	if (err) {
		free(mn);
		return err;
	}
	memset(keys, 0, n_keys * sizeof(*keys)); /* the contexts are ours now */
	return 0;
}

int mip_ha_binding(struct mip_ha *ha, uint32_t home, uint32_t *coa, uint64_t *expires)
{
	struct ha_mobile *mn = u32map_get(&ha->mobiles, home);

	if (!mn || !mn->bound)
		return -ENOENT;
	*coa = mn->coa;
	*expires = mn->expires;
	return 0;
}

/* Bindings and the data plane's map */

static void map_write(struct mip_ha *ha, struct ha_mobile *mn)
{
	char a[16];
	int err;

	if (!ha->maps)
		return;
	err = mn->bound ?
		      mip_maps_binding_put(ha->maps, mn->home, ha->cfg.addr, mn->coa, mn->expires) :
		      mip_maps_binding_del(ha->maps, mn->home);
	/* ML-IKE follows the binding (set up, move, revoke). */
	keyd_binding_changed(mn->home, mn->bound ? mn->coa : 0);
	if (err) {
		ha->st->ctr[MIP_C_MAP_ERROR]++;
		if (err != -ENOENT)
			log_err("mml_binding %s: %s", mml_ipv4_str(mn->home, a), strerror(-err));
		else
			log_debug("mml_binding not pinned: binding of %s kept in memory only",
				  mml_ipv4_str(mn->home, a));
	}
}

static void unbind(struct mip_ha *ha, struct ha_mobile *mn)
{
	if (!mn->bound)
		return;
	mn->bound = false;
	mn->recovered = false;
	ha->n_bound--;
	loop_timer_cancel(ha->loop, &mn->expiry);
	map_write(ha, mn);
}

static void binding_expired(void *arg)
{
	struct ha_mobile *mn = arg;
	char a[16], c[16];

	mn->ha->st->ctr[MIP_C_BINDING_EXPIRE]++;
	log_info("binding %s -> %s expired", mml_ipv4_str(mn->home, a), mml_ipv4_str(mn->coa, c));
	unbind(mn->ha, mn);
}

/* A new binding goes into mml_binding before it is granted: a full map
 * (E2BIG from the kernel) is a denial now, never a binding the data plane
 * lacks. -E2BIG (logged, counted) or 0. */
static int reserve(struct mip_ha *ha, struct ha_mobile *mn, uint32_t coa, uint64_t expires)
{
	char a[16];
	int err;

	if (mn->bound || !ha->maps)
		return 0;
	err = mip_maps_binding_put(ha->maps, mn->home, ha->cfg.addr, coa, expires);
	if (err != -E2BIG)
		return 0; /* anything else: map_write's to report */
	ha->st->ctr[MIP_C_MAP_FULL]++;
	log_err("mml_binding is full (%u entries): binding of %s refused; size it with `mmlctl ha "
		"attach ... binding-max N` (docs/operations.md, \"Map sizing\")",
		mip_maps_capacity(ha->maps, MIP_MAP_BINDING), mml_ipv4_str(mn->home, a));
	return err;
}

static int bind_to(struct mip_ha *ha, struct ha_mobile *mn, uint32_t coa, uint32_t src,
		   uint16_t lifetime, uint64_t now)
{
	char a[16], c[16], o[16];
	int err = reserve(ha, mn, coa, now + (uint64_t)lifetime * NS_PER_SEC);

	if (err)
		return err;
	if (!mn->bound) {
		ha->n_bound++;
		ha->st->ctr[MIP_C_BINDING_ADD]++;
		mn->since = now;
		log_info("binding %s -> %s, %u s", mml_ipv4_str(mn->home, a), mml_ipv4_str(coa, c),
			 lifetime);
	} else if (mn->coa != coa) {
		ha->st->ctr[MIP_C_BINDING_MOVE]++;
		mn->since = now;
		log_info("binding %s moved %s -> %s, %u s", mml_ipv4_str(mn->home, a),
			 mml_ipv4_str(mn->coa, o), mml_ipv4_str(coa, c), lifetime);
	} else {
		ha->st->ctr[MIP_C_BINDING_RENEW]++;
	}
	mn->bound = true;
	mn->recovered = false;
	mn->coa = coa;
	mn->fa_src = src;
	mn->granted = lifetime;
	mn->expires = now + (uint64_t)lifetime * NS_PER_SEC;
	mn->registrations++;
	loop_timer_at(ha->loop, &mn->expiry, mn->expires);
	map_write(ha, mn);
	return 0;
}

/* Registration processing */

struct verdict {
	uint8_t code;
	uint16_t lifetime;
	uint64_t ident;
	const struct mip_key *key;    /* authenticates the reply; NULL = none */
	const struct mip_fh_peer *fa; /* Foreign-Home keys of the sender; NULL = none */
};

static int build_reply(struct mip_ha *ha, const struct mip_reg_request *req,
		       const struct verdict *v, uint8_t *out, size_t size)
{
	struct mip_reg_reply rep = {
		.code = v->code,
		.lifetime = v->lifetime,
		.home_addr = req->home_addr,
		.ha_addr = ha->cfg.addr,
		.ident = v->ident,
	};
	int len = mip_build_reply(&rep, out, size);

	if (len > 0 && v->key)
		len = mip_auth_append(v->key, MIP_EXT_MH_AUTH, out, size, (size_t)len);
	/* After the Mobile-Home extension, covering it (RFC 5944 3.5.4). */
	if (len > 0 && v->fa)
		len = mip_fh_append(v->fa, out, size, (size_t)len);
	if (len > 0) {
		ha->st->ctr[MIP_C_TX_REPLY]++;
		ha->st->code_tx[v->code]++;
		if (!mip_code_accepted(v->code))
			ha->st->ctr[MIP_C_DENIED]++;
	}
	return len < 0 ? 0 : len;
}

static void log_denial(struct mip_ha *ha, const struct mip_reg_request *req, uint32_t src,
		       uint8_t code, const char *why)
{
	char h[16], s[16];

	mip_log_reject(ha->st, "request for %s from %s denied, code %u (%s): %s",
		       mml_ipv4_str(req->home_addr, h), mml_ipv4_str(src, s), code,
		       mip_code_str(code), why);
}

/* Timestamp replay protection (RFC 5944 5.7.1): within the window of our
 * clock and above the last accepted Identification. On mismatch the reply
 * carries our time in the high 32 bits so that the mobile node can
 * resynchronise. */
static bool ident_ok(struct mip_ha *ha, struct ha_mobile *mn, const struct mip_reg_request *req,
		     uint64_t ntp_now, struct verdict *v, const char **why)
{
	uint32_t req_secs = (uint32_t)(req->ident >> 32), now_secs = (uint32_t)(ntp_now >> 32);
	uint32_t skew = req_secs > now_secs ? req_secs - now_secs : now_secs - req_secs;
	uint64_t floor = mn->last_ident > ha->ident_floor ? mn->last_ident : ha->ident_floor;

	if (skew > ha->cfg.replay_window) {
		ha->st->ctr[MIP_C_IDENT_STALE]++;
		*why = "Identification timestamp outside the replay window";
	} else if (req->ident <= floor) {
		ha->st->ctr[MIP_C_IDENT_REPLAY]++;
		*why = "Identification not above the last accepted one (replay)";
	} else {
		return true;
	}
	v->code = MIP_HA_IDENT_MISMATCH;
	v->ident = (uint64_t)now_secs << 32 | (req->ident & 0xffffffffu);
	return false;
}

/* Checks in RFC 5944 3.8.2 order once the request is authentic; returns the
 * code, sets *why for a denial. */
static uint8_t policy(struct mip_ha *ha, struct ha_mobile *mn, const struct mip_reg_request *req,
		      const char **why)
{
	if (req->ha_addr != ha->cfg.addr) {
		ha->st->ctr[MIP_C_UNKNOWN_HA]++;
		*why = "Home Agent field is not our address";
		return MIP_HA_UNKNOWN_HA;
	}
	if (req->flags & (MIP_REQ_M | MIP_REQ_G)) {
		*why = "minimal or GRE encapsulation requested: only IP-in-IP";
		return MIP_HA_ENCAP;
	}
	if (req->flags & MIP_REQ_D) {
		*why = "co-located care-of address: not supported";
		return MIP_HA_PROHIBITED;
	}
	if ((req->flags & MIP_REQ_T) && ha->cfg.reverse == MIP_RT_OFF) {
		*why = "reverse tunnel requested but disabled";
		return MIP_HA_RT_UNAVAIL;
	}
	if (!(req->flags & MIP_REQ_T) && ha->cfg.reverse == MIP_RT_REQUIRED && req->lifetime) {
		*why = "reverse tunnel required, T bit not set";
		return MIP_HA_RT_MANDATORY;
	}
	if (req->lifetime && !mn->bound && ha->n_bound >= ha->cfg.max_bindings) {
		*why = "binding table full";
		return MIP_HA_RESOURCES;
	}
	return MIP_ACCEPTED;
}

static void apply(struct mip_ha *ha, struct ha_mobile *mn, const struct mip_reg_request *req,
		  uint32_t src, uint64_t now, struct verdict *v, const char **why)
{
	char a[16];

	mn->last_ident = req->ident;
	if (!req->lifetime) {
		/* Deregistration: all bindings when the care-of address is the
		 * home address (back home), else the one of that address; we
		 * keep one binding per mobile node. */
		if (mn->bound && (req->coa == req->home_addr || req->coa == mn->coa)) {
			ha->st->ctr[MIP_C_BINDING_DEREG]++;
			log_info("binding %s deregistered", mml_ipv4_str(mn->home, a));
			unbind(ha, mn);
		}
		v->lifetime = 0;
		return;
	}
	v->lifetime = req->lifetime < ha->cfg.max_lifetime ? req->lifetime : ha->cfg.max_lifetime;
	if (req->flags & MIP_REQ_S)
		v->code = MIP_ACCEPTED_NO_SIMUL;
	if (bind_to(ha, mn, req->coa, src, v->lifetime, now)) {
		v->code = MIP_HA_RESOURCES;
		v->lifetime = 0;
		*why = "mml_binding full";
	}
}

static int deny_malformed(struct mip_ha *ha, const struct mip_reg_request *req,
			  const struct mip_err *perr, uint32_t src, uint8_t *out, size_t size)
{
	struct verdict v = {
		.code = MIP_HA_BAD_REQUEST,
		.ident = req->ident,
		.fa = u32map_get(&ha->fa_keys, src),
	};
	char detail[160];

	log_denial(ha, req, src, v.code, mip_err_str(perr, detail, sizeof(detail)));
	return build_reply(ha, req, &v, out, size);
}

int mip_ha_process(struct mip_ha *ha, const uint8_t *msg, size_t len, bool truncated, uint32_t src,
		   uint64_t now, uint64_t ntp_now, uint8_t *out, size_t size)
{
	struct mip_reg_request req;
	struct verdict v = { .code = MIP_ACCEPTED };
	struct ha_mobile *mn;
	const char *why = NULL;
	struct mip_err perr;
	char detail[160], s[16];

	ha->st->ctr[MIP_C_RX_REQUEST]++;
	memset(&perr, 0, sizeof(perr));
	if (truncated || mip_parse_request(msg, len, &req, &perr)) {
		if (truncated) {
			perr.reason = MIP_R_TOO_LONG;
			perr.want = MIP_MSG_MAX;
			perr.have = (uint32_t)len + 1;
		}
		ha->st->ctr[MIP_C_MALFORMED]++;
		ha->st->reason[perr.reason]++;
		if (perr.reason == MIP_R_TRUNCATED || perr.reason == MIP_R_TOO_LONG ||
		    perr.reason == MIP_R_BAD_TYPE) {
			ha->st->ctr[MIP_C_DISCARDED]++;
			mip_log_reject(ha->st, "registration message from %s discarded: %s",
				       mml_ipv4_str(src, s),
				       mip_err_str(&perr, detail, sizeof(detail)));
			return 0;
		}
		return deny_malformed(ha, &req, &perr, src, out, size);
	}
	if (req.skipped)
		ha->st->ctr[MIP_C_EXT_SKIPPED] += req.skipped;
	v.ident = req.ident;
	v.fa = u32map_get(&ha->fa_keys, src);
	mn = u32map_get(&ha->mobiles, req.home_addr);
	if (!mn) {
		ha->st->ctr[MIP_C_UNKNOWN_HOME]++;
		v.code = MIP_HA_MN_AUTH;
		why = "no mobility security association for this home address";
	} else if (!req.has_mh_auth) {
		ha->st->ctr[MIP_C_AUTH_FAILED]++;
		v.code = MIP_HA_MN_AUTH;
		why = "no Mobile-Home Authentication Extension";
	} else if (!(v.key = mip_key_find(mn->keys, mn->n_keys, req.mh_auth.spi))) {
		ha->st->ctr[MIP_C_UNKNOWN_SPI]++;
		v.code = MIP_HA_MN_AUTH;
		why = "unknown SPI";
	} else if (!mip_auth_verify(v.key, msg, len, &req.mh_auth)) {
		ha->st->ctr[MIP_C_AUTH_FAILED]++;
		v.code = MIP_HA_MN_AUTH;
		why = "authenticator mismatch";
	} else if (v.fa && (why = mip_fh_check(v.fa, msg, len, req.has_fh_auth, &req.fh_auth))) {
		/* A foreign agent we share keys with must vouch for the
		 * request (RFC 5944 3.8.2.1). */
		ha->st->ctr[MIP_C_FH_AUTH_FAILED]++;
		v.code = MIP_HA_FA_AUTH;
	} else if (ident_ok(ha, mn, &req, ntp_now, &v, &why)) {
		v.code = policy(ha, mn, &req, &why);
		if (v.code == MIP_ACCEPTED)
			apply(ha, mn, &req, src, now, &v, &why);
	}
	if (why)
		log_denial(ha, &req, src, v.code, why);
	return build_reply(ha, &req, &v, out, size);
}

/* Restart: the bindings are still pinned; adopt those of our mobile nodes. */

struct recover_ctx {
	struct mip_ha *ha;
	uint64_t now;
	unsigned int adopted, expired, foreign;
};

static void recover_one(void *arg, uint32_t home, const struct mml_binding *b)
{
	struct recover_ctx *rc = arg;
	struct ha_mobile *mn = u32map_get(&rc->ha->mobiles, home);

	if (!b->expires_ns)
		return; /* static binding (mmlctl binding add): not ours */
	if (!mn) {
		rc->foreign++;
		return;
	}
	if (b->expires_ns <= rc->now) {
		rc->expired++;
		mip_maps_binding_del(rc->ha->maps, home);
		return;
	}
	mn->bound = true;
	mn->recovered = true;
	mn->coa = b->coa;
	mn->expires = b->expires_ns;
	mn->since = rc->now;
	mn->granted = (uint16_t)((b->expires_ns - rc->now) / NS_PER_SEC);
	rc->ha->n_bound++;
	rc->ha->st->ctr[MIP_C_BINDING_RECOVERED]++;
	loop_timer_at(rc->ha->loop, &mn->expiry, mn->expires);
	rc->adopted++;
}

int mip_ha_recover(struct mip_ha *ha)
{
	struct recover_ctx rc = { .ha = ha, .now = loop_now() };
	int err;

	/* Identifications from before this start are replays: the previous
	 * instance's last accepted values are lost. */
	ha->ident_floor = mip_ntp_from_ns(loop_realtime());
	if (!ha->maps)
		return 0;
	err = mip_maps_binding_each(ha->maps, recover_one, &rc);
	if (err == -ENOENT) {
		log_info("mml_binding is not pinned yet: no bindings to recover");
		return 0;
	}
	if (err)
		return err;
	log_info("recovered %u bindings from mml_binding (%u expired, %u of unknown mobile nodes "
		 "left alone)",
		 rc.adopted, rc.expired, rc.foreign);
	return 0;
}

/* Socket and configuration */

static void ha_readable(void *arg, uint32_t events)
{
	struct mip_ha *ha = arg;
	uint8_t msg[MIP_MSG_MAX + 1], reply[256];
	struct mip_rx rx;
	ssize_t n;
	int len, err;

	for (int budget = 256; budget > 0; budget--) {
		n = mip_udp_recv(ha->fd, msg, sizeof(msg), &rx);
		if (n < 0)
			return;
		len = mip_ha_process(ha, msg, (size_t)n, rx.truncated || n > MIP_MSG_MAX, rx.src,
				     loop_now(), mip_ntp_from_ns(loop_realtime()), reply,
				     sizeof(reply));
		if (len <= 0)
			continue;
		err = mip_udp_send(ha->fd, rx.src, rx.src_port, reply, (size_t)len);
		if (err) {
			ha->st->ctr[MIP_C_SEND_ERROR]++;
			log_debug("reply to %u: %s", rx.src_port, strerror(-err));
		}
	}
}

static int mobiles_from_config(struct mip_ha *ha, const config_setting_t *list)
{
	struct mip_key keys[MIP_MAX_KEYS];
	char where[300];
	size_t n_keys;
	int count, err;

	if (!list || !config_setting_is_list(list)) {
		log_err("mip: \"mobiles\" must be a list: ( { home = \"...\"; keys = (...); }, ... )");
		return -EINVAL;
	}
	count = config_setting_length(list);
	for (int i = 0; i < count; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned int)i);
		const config_setting_t *kl = config_setting_get_member(e, "keys");
		uint32_t home;

		err = cfg_ipv4(e, "home", true, &home);
		if (err)
			return err;
		if (!kl) {
			log_err("%s: mobile node without \"keys\"",
				cfg_where(e, where, sizeof(where)));
			return -EINVAL;
		}
		err = mip_keys_from_config(kl, keys, MIP_MAX_KEYS, &n_keys);
		if (err)
			return err;
		err = mip_ha_add_mobile(ha, home, keys, n_keys);
		if (err) {
			for (size_t k = 0; k < n_keys; k++)
				mip_key_free(&keys[k]);
			log_err("%s: home address given twice", cfg_where(e, where, sizeof(where)));
			return err;
		}
	}
	return 0;
}

static int ha_cfg_read(const config_setting_t *sec, struct mip_ha_cfg *cfg)
{
	static const char *const rt[] = { "off", "optional", "required", NULL };
	uint32_t max_lifetime = 300;
	int reverse = MIP_RT_OPTIONAL, err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->replay_window = 7;
	cfg->max_bindings = 4096;
	err = cfg_ipv4(sec, "address", true, &cfg->addr);
	if (!err)
		err = cfg_u32(sec, "max_lifetime", false, 1, 65534, &max_lifetime);
	if (!err)
		err = cfg_u32(sec, "replay_window", false, 1, 3600, &cfg->replay_window);
	if (!err)
		err = cfg_u32(sec, "max_bindings", false, 1, 1u << 20, &cfg->max_bindings);
	if (!err)
		err = cfg_choice(sec, "reverse_tunnel", rt, &reverse);
	cfg->max_lifetime = (uint16_t)max_lifetime;
	cfg->reverse = (enum mip_rt_policy)reverse;
	return err;
}

int mip_ha_reload(struct mip_ha *ha, const config_setting_t *sec, bool apply)
{
	struct mip_ha_cfg cfg;
	int err = ha_cfg_read(sec, &cfg);

	if (err || !apply)
		return err;
	if (cfg.max_lifetime != ha->cfg.max_lifetime ||
	    cfg.replay_window != ha->cfg.replay_window || cfg.max_bindings != ha->cfg.max_bindings)
		log_info(
			"reload: home agent: max lifetime %u s, replay window %u s, max bindings %u",
			cfg.max_lifetime, cfg.replay_window, cfg.max_bindings);
	ha->cfg.max_lifetime = cfg.max_lifetime;
	ha->cfg.replay_window = cfg.replay_window;
	ha->cfg.max_bindings = cfg.max_bindings;
	return 0;
}

/* keyd_binding_source: every live binding once more to the subscriber. */
static void ha_walk_bindings(void *arg)
{
	struct mip_ha *ha = arg;
	struct ha_mobile *mn;
	uint32_t home;

	for (size_t i = 0; (mn = u32map_next(&ha->mobiles, &i, &home));)
		if (mn->bound)
			keyd_binding_changed(mn->home, mn->coa);
}

int mip_ha_start(struct loop *loop, const struct mml_pin_dir *pin, const config_setting_t *sec,
		 struct mip_stats *st, struct mip_ha **out)
{
	struct mip_ha_cfg cfg;
	struct mip_ha *ha = NULL;
	char a[16];
	int err;

	err = ha_cfg_read(sec, &cfg);
	if (err)
		return err;
	err = mip_ha_core_new(loop, NULL, &cfg, st, &ha);
	if (err)
		return err;
	mip_maps_init(&ha->own_maps, pin);
	ha->maps = &ha->own_maps;
	err = mobiles_from_config(ha, config_setting_get_member(sec, "mobiles"));
	if (!err)
		err = mip_fh_from_config(sec, "foreign_agents", &ha->fa_keys);
	if (!err)
		err = mip_ha_recover(ha);
	if (err)
		goto fail;
	ha->fd = mip_udp_open(cfg.addr, MIP_PORT, 0);
	if (ha->fd < 0) {
		err = ha->fd;
		log_err("UDP %s:%d: %s", mml_ipv4_str(cfg.addr, a), MIP_PORT, strerror(-err));
		goto fail;
	}
	err = loop_add_fd(loop, ha->fd, EPOLLIN, ha_readable, ha);
	if (err)
		goto fail;
	log_info("home agent %s: %zu mobile nodes, %zu foreign agents with Foreign-Home keys, "
		 "max lifetime %u s, reverse tunnel %s",
		 mml_ipv4_str(cfg.addr, a), ha->mobiles.len, ha->fa_keys.len, cfg.max_lifetime,
		 cfg.reverse == MIP_RT_OFF	? "off" :
		 cfg.reverse == MIP_RT_REQUIRED ? "required" :
						  "optional");
	keyd_binding_source(ha_walk_bindings, ha);
	*out = ha;
	return 0;
fail:
	mip_ha_stop(ha);
	return err;
}

void mip_ha_stop(struct mip_ha *ha)
{
	if (!ha)
		return;
	keyd_binding_source(NULL, NULL);
	if (ha->fd >= 0) {
		loop_del_fd(ha->loop, ha->fd);
		close(ha->fd);
	}
	/* Bindings stay pinned: the data plane keeps tunnelling, and the next
	 * instance adopts them. */
	mip_maps_close(&ha->own_maps);
	mip_ha_core_free(ha);
}

json_object *mip_ha_show(struct mip_ha *ha)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "role", json_object_new_string("ha"));
	json_object_object_add(o, "address", mip_json_addr(ha->cfg.addr));
	json_object_object_add(o, "mobile_nodes", json_object_new_int64((int64_t)ha->mobiles.len));
	json_object_object_add(o, "bindings", json_object_new_int64(ha->n_bound));
	json_object_object_add(o, "max_lifetime", json_object_new_int(ha->cfg.max_lifetime));
	json_object_object_add(o, "binding_map",
			       json_object_new_boolean(ha->maps && ha->maps->binding_fd >= 0));
	return o;
}

json_object *mip_ha_bindings(struct mip_ha *ha)
{
	json_object *list = json_object_new_array();
	uint64_t now = loop_now();
	struct ha_mobile *mn;
	size_t it = 0;
	uint32_t key;

	while ((mn = u32map_next(&ha->mobiles, &it, &key))) {
		json_object *o;

		if (!mn->bound)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "home", mip_json_addr(mn->home));
		json_object_object_add(o, "coa", mip_json_addr(mn->coa));
		json_object_object_add(o, "from", mip_json_addr(mn->fa_src));
		json_object_object_add(o, "lifetime", json_object_new_int(mn->granted));
		json_object_object_add(o, "expires_in",
				       json_object_new_int64(mip_secs_left(mn->expires, now)));
		json_object_object_add(o, "registrations",
				       json_object_new_int64((int64_t)mn->registrations));
		json_object_object_add(o, "recovered", json_object_new_boolean(mn->recovered));
		json_object_array_add(list, o);
	}
	return list;
}
