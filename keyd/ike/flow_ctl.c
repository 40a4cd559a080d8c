/* Flow modes by agreement between MH and HA (issue 19): the ike module's
 * side of keyd/ike/flowneg.h. The state machine runs on mml_flow here;
 * requests go out as MLIKE_N_FLOW_MODE on the MH <-> HA IKE SA (the HA's
 * with the mobile whose home address the flow names, the MH's with its
 * HA); the control verbs flow-set / flow-status / flows serve `mmlctl flow
 * set` (which polls flow-status for the peer's answer). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyd/ike/keyd_ike.h"
#include "keyd/keyd.h"
#include "lib/args.h"
#include "lib/log.h"
#include "lib/node_maps.h"
#include "maps/pin.h"

#define FLOW_PUMP_NS (20 * NS_PER_MS)
#define FLOW_MODE_AUTO 3

static const char *const mode_names[] = { "plain", "esp", "mlesp", NULL };

static int flow_fd(struct ike_mod *m)
{
	if (m->flow_fd < 0)
		m->flow_fd = mml_pin_open_map(m->pin.path, MML_MAP_FLOW,
					      sizeof(struct mml_flow_key), sizeof(struct mml_flow));
	return m->flow_fd;
}

static int map_get(void *ctx, const struct mml_flow_key *k, struct mml_flow *f)
{
	int fd = flow_fd(ctx);

	return fd >= 0 && !bpf_map_lookup_elem(fd, k, f) ? 0 : -ENOENT;
}

/* The lookup of the data plane (maps/ep.h, MML_FLOW_SHAPE_ORDER): the
 * entry with the fewest wildcards that covers k. */
static int map_match(void *ctx, const struct mml_flow_key *k, struct mml_flow *f)
{
	static const uint8_t order[MML_FLOW_SHAPES] = MML_FLOW_SHAPE_ORDER;

	for (unsigned int i = 0; i < MML_FLOW_SHAPES; i++) {
		struct mml_flow_key q = *k;

		mml_flow_key_mask(&q, order[i]);
		if (!map_get(ctx, &q, f))
			return 0;
	}
	return -ENOENT;
}

/* Through mml_flow_put: the key's shape noted for the XDP receive policy
 * (bpf/flow_policy.h) before the entry is written. */
static int map_put(void *ctx, const struct mml_flow_key *k, const struct mml_flow *f)
{
	struct ike_mod *m = ctx;
	int fd = flow_fd(m);

	if (fd < 0)
		return fd;
	if (m->flow_shapes_fd < 0)
		m->flow_shapes_fd = mml_pin_open_map(m->pin.path, MML_MAP_FLOW_SHAPES,
						     sizeof(__u32), sizeof(struct mml_flow_shapes));
	return mml_flow_put(fd, m->flow_shapes_fd, k, f);
}

static int map_del(void *ctx, const struct mml_flow_key *k)
{
	int fd = flow_fd(ctx);

	if (fd < 0)
		return fd;
	return bpf_map_delete_elem(fd, k) ? -errno : 0;
}

/* Entries a worker learned (implicit upgrades) under k give way to the
 * agreed mode, as under `mmlctl flow add` (loader/ep_cmd.c); then the
 * workers reload. */
static void map_changed(void *ctx, const struct mml_flow_key *k)
{
	struct ike_mod *m = ctx;
	int fd = flow_fd(m);

	if (fd >= 0)
		mml_flow_forget_learned(fd, k);
	mip_maps_gen_bump(&m->maps);
}

int ike_flow_config(struct ike_mod *m, const config_setting_t *sec)
{
	const struct flowneg_map ops = { .get = map_get,
					 .match = map_match,
					 .put = map_put,
					 .del = map_del,
					 .changed = map_changed,
					 .ctx = m };
	int min = MML_MODE_MLESP;

	if (cfg_choice(sec, "flow_downgrade_min", mode_names, &min))
		return -EINVAL;
	flowneg_init(&m->flows, &ops, (uint8_t)min);
	return 0;
}

/* The IKE SA a flow of the mobile home is negotiated on, if up. */
static struct ike_sa *sa_of_home(struct ike_mod *m, uint32_t home)
{
	if (m->role == ROLE_MH)
		return home == m->home ? m->mh_sa : NULL;
	if (m->role == ROLE_HA) {
		const struct mobile *mb = ike_mobile_of_home(m, home);

		return mb ? mb->mh_sa : NULL;
	}
	return NULL;
}

/* The mobile whose flows the peer of sa may change: the MH's own (at the
 * MH, its HA), the one the IKE SA is with (at the HA); 0 for none. */
static uint32_t home_of_sa(struct ike_mod *m, struct ike_sa *sa)
{
	if (m->role == ROLE_MH)
		return sa && sa == m->mh_sa ? m->home : 0;
	if (m->role == ROLE_HA) {
		const struct mobile *mb = ike_mobile_of_sa(m, sa);

		return mb ? mb->home : 0;
	}
	return 0;
}

/* Sends what waits for a window, runs the settle and expiry times, and
 * arms the timer for what comes next. */
static void flow_run(struct ike_mod *m)
{
	uint64_t now = loop_now(), next;
	struct flowneg *r;

	while ((r = flowneg_next_queued(&m->flows))) {
		struct mlike_flow_mode_pl fm;
		struct ike_sa *sa = sa_of_home(m, r->key.home_addr);
		int err;

		flowneg_to_pl(r, &fm);
		err = sa && ike_sa_established(sa) ? mlike_flow_mode(sa, &fm) : -ENOTCONN;
		flowneg_sent(&m->flows, r, err, now);
		if (r->state == FN_QUEUED)
			break; /* the window is busy: again at the next pump */
	}
	ike_mod_rearm(m);
	next = flowneg_tick(&m->flows, now);
	if (flowneg_next_queued(&m->flows) && (!next || next > now + FLOW_PUMP_NS))
		next = now + FLOW_PUMP_NS;
	if (next)
		loop_timer_at(m->loop, &m->flow_timer, next);
	else
		loop_timer_cancel(m->loop, &m->flow_timer);
}

void ike_flow_on_timer(void *arg)
{
	flow_run(arg);
}

void ike_flow_kick(struct ike_mod *m)
{
	flow_run(m);
}

/* From inside the engine's handlers: the rest runs from the loop. */
static void flow_soon(struct ike_mod *m)
{
	loop_timer_in(m->loop, &m->flow_timer, 0);
}

void ike_flow_stop(struct ike_mod *m)
{
	loop_timer_cancel(m->loop, &m->flow_timer);
}

static void key_str(const struct mlike_flow_mode_pl *fm, char *buf, size_t len)
{
	char h[16], p[16];

	snprintf(buf, len, "%s:%u <-> %s:%u proto %u", mml_ipv4_str(fm->home_addr, h),
		 fm->home_port, mml_ipv4_str(fm->peer_addr, p), fm->peer_port, fm->proto);
}

uint16_t ike_flow_mode(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm)
{
	struct ike_mod *m = ctx;
	uint16_t refuse;
	char k[80];

	key_str(fm, k, sizeof(k));
	/* Only the mobile's own flows, from the IKE SA between it and its HA. */
	if (!home_of_sa(m, sa) || home_of_sa(m, sa) != fm->home_addr) {
		log_warn("peer %s: flow %s is not its to change: refused", ike_sa_peer(sa)->name,
			 k);
		m->flows.peer_refused++;
		return MLIKE_N_FLOW_MODE_REFUSED;
	}
	refuse = flowneg_peer(&m->flows, fm, loop_now());
	if (refuse)
		log_warn("peer %s: flow %s to %s every %u: refused (notify %u, weakest allowed %s)",
			 ike_sa_peer(sa)->name, k, mode_names[fm->mode], fm->every_n, refuse,
			 mode_names[m->flows.min_mode]);
	else
		log_info("peer %s: flow %s now %s every %u for %u s (agreed)",
			 ike_sa_peer(sa)->name, k, mode_names[fm->mode], fm->every_n,
			 fm->duration_s);
	flow_soon(m);
	return refuse;
}

void ike_flow_mode_done(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm,
			uint16_t notify)
{
	struct ike_mod *m = ctx;
	char k[80];

	key_str(fm, k, sizeof(k));
	if (notify)
		log_warn("peer %s: flow %s to %s every %u: the peer refused (notify %u)",
			 ike_sa_peer(sa)->name, k, mode_names[fm->mode], fm->every_n, notify);
	else
		log_info("peer %s: flow %s now %s every %u for %u s (the peer agreed)",
			 ike_sa_peer(sa)->name, k, mode_names[fm->mode], fm->every_n,
			 fm->duration_s);
	flowneg_answer(&m->flows, fm, notify, loop_now());
	flow_soon(m);
}

void ike_flow_sa_down(struct ike_mod *m, struct ike_sa *sa)
{
	uint32_t home = home_of_sa(m, sa);

	if (!home)
		return;
	flowneg_sa_down(&m->flows, home, loop_now());
	flow_soon(m);
}

/* A decimal argument at most max. */
static int arg_u32(json_object *args, size_t i, uint32_t max, uint32_t *v)
{
	const char *s = json_object_get_string(json_object_array_get_idx(args, i));
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* mode auto (3 on the control socket): the HA moves the flow between
 * ESP and ML-ESP by its FA's link (link_ctl.c). Nothing is asked now: the
 * answer is {"id": 0, "auto": true}. */
static int auto_set(struct ike_mod *m, const struct mml_flow_key *k, uint32_t every, uint32_t secs,
		    json_object **result, char *err, size_t err_len)
{
	struct mml_flow f;
	uint8_t now_mode = MML_MODE_MLESP;
	int ret;

	if (m->role != ROLE_HA || every > 1 || secs) {
		snprintf(err, err_len, "flow set: %s",
			 m->role != ROLE_HA ? "mode auto is the home agent's (it hears the FA)" :
					      "mode auto takes neither every nor for");
		return -EINVAL;
	}
	/* What a packet of k finds now; without any entry ML-ESP. */
	if (!map_match(m, k, &f) && (f.mode != MML_MODE_MLESP || f.every_n > 1))
		now_mode = MML_MODE_ESP;
	ret = ike_link_auto_set(m, k, true, now_mode);
	if (ret) {
		snprintf(err, err_len, "flow set: too many auto flows (%u)", LINK_AUTO_MAX);
		return ret;
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "id", json_object_new_uint64(0));
	json_object_object_add(*result, "auto", json_object_new_boolean(true));
	return 0;
}

/* flow-set HOME PEER PROTO HOME-PORT PEER-PORT MODE EVERY SECONDS (decimal;
 * addresses as network-order integers, what mmlctl parsed). */
static int flow_set(struct ike_mod *m, json_object *args, json_object **result, char *err,
		    size_t err_len)
{
	uint32_t v[8],
		max[8] = { UINT32_MAX, UINT32_MAX, 255, 65535, 65535, 3, 65535, 86400 * 365 };
	struct mml_flow_key k = { 0 };
	uint64_t id;
	int ret;

	if (!args || json_object_array_length(args) != 8) {
		snprintf(err, err_len, "ike flow-set: 8 arguments expected");
		return -EINVAL;
	}
	for (size_t i = 0; i < 8; i++)
		if (arg_u32(args, i, max[i], &v[i])) {
			snprintf(err, err_len, "ike flow-set: argument %zu invalid", i + 1);
			return -EINVAL;
		}
	k = (struct mml_flow_key){ .home_addr = v[0],
				   .peer_addr = v[1],
				   .proto = (uint8_t)v[2],
				   .home_port = (uint16_t)v[3],
				   .peer_port = (uint16_t)v[4] };
	if (m->role == ROLE_MH && !k.home_addr)
		k.home_addr = m->home;
	if (m->role == ROLE_FA || !k.home_addr) {
		snprintf(err, err_len, "flow set: %s",
			 m->role == ROLE_FA ? "only MH and HA agree on flow modes" :
					      "the flow must name its mobile (home ADDR)");
		return -EINVAL;
	}
	if (!sa_of_home(m, k.home_addr) || !ike_sa_established(sa_of_home(m, k.home_addr))) {
		snprintf(err, err_len, "flow set: no IKE SA with the %s of this flow",
			 m->role == ROLE_MH ? "home agent" : "mobile");
		return -ENOTCONN;
	}
	if (v[5] == FLOW_MODE_AUTO)
		return auto_set(m, &k, v[6], v[7], result, err, err_len);
	/* A mode set by hand ends the auto policy of that key. */
	if (m->role == ROLE_HA)
		ike_link_auto_set(m, &k, false, 0);
	ret = flowneg_start(&m->flows, &k, (uint8_t)v[5], (uint16_t)v[6], v[7], loop_now(), &id);
	if (ret) {
		snprintf(err, err_len, "flow set: %s",
			 ret == -EBUSY	? "a change of this flow is still being agreed" :
			 ret == -ENOSPC ? "too many flow changes in progress" :
			 ret == -EINVAL ? "every N needs a protected mode" :
					  strerror(-ret));
		return ret;
	}
	flow_run(m);
	*result = json_object_new_object();
	json_object_object_add(*result, "id", json_object_new_uint64(id));
	return 0;
}

static int flow_status(struct ike_mod *m, json_object *args, json_object **result, char *err,
		       size_t err_len)
{
	static const char *const states[] = { "none", "pending", "agreed", "refused", "failed" };
	const struct flowneg_result *res;
	uint32_t id;

	if (!args || json_object_array_length(args) != 1 || arg_u32(args, 0, UINT32_MAX, &id)) {
		snprintf(err, err_len, "ike flow-status: one request id expected");
		return -EINVAL;
	}
	res = flowneg_result(&m->flows, id);
	if (!res) {
		snprintf(err, err_len, "ike flow-status: no request %u (or long forgotten)", id);
		return -ENOENT;
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "state", json_object_new_string(states[res->state]));
	json_object_object_add(*result, "notify", json_object_new_int(res->notify));
	json_object_object_add(*result, "upgrade", json_object_new_boolean(res->upgrade));
	json_object_object_add(*result, "weakest_allowed",
			       json_object_new_string(mode_names[m->flows.min_mode]));
	return 0;
}

static json_object *flows_json(const struct ike_mod *m)
{
	static const char *const states[] = { "free", "queued", "asking", "agreed" };
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	uint64_t now = loop_now();
	char h[16], p[16];

	for (unsigned int i = 0; i < FLOWNEG_MAX; i++) {
		const struct flowneg *r = &m->flows.e[i];
		json_object *e;

		if (r->state == FN_FREE)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "home",
				       json_object_new_string(mml_ipv4_str(r->key.home_addr, h)));
		json_object_object_add(e, "peer",
				       json_object_new_string(mml_ipv4_str(r->key.peer_addr, p)));
		json_object_object_add(e, "proto", json_object_new_int(r->key.proto));
		json_object_object_add(e, "home-port", json_object_new_int(r->key.home_port));
		json_object_object_add(e, "peer-port", json_object_new_int(r->key.peer_port));
		json_object_object_add(e, "state", json_object_new_string(states[r->state]));
		json_object_object_add(e, "ours", json_object_new_boolean(r->initiator));
		json_object_object_add(e, "mode", json_object_new_string(mode_names[r->want.mode]));
		json_object_object_add(e, "every", json_object_new_int(r->want.every_n));
		json_object_object_add(e, "reverting", json_object_new_boolean(r->reverting));
		json_object_object_add(
			e, "expires_in_s",
			json_object_new_double(
				r->expire_ns > now ? (double)(r->expire_ns - now) / 1e9 : 0));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "weakest_allowed",
			       json_object_new_string(mode_names[m->flows.min_mode]));
	json_object_object_add(o, "changes", a);
	json_object_object_add(o, "asked", json_object_new_uint64(m->flows.asked));
	json_object_object_add(o, "agreed", json_object_new_uint64(m->flows.agreed));
	json_object_object_add(o, "refused", json_object_new_uint64(m->flows.refused));
	json_object_object_add(o, "failed", json_object_new_uint64(m->flows.failed));
	json_object_object_add(o, "peer_agreed", json_object_new_uint64(m->flows.peer_agreed));
	json_object_object_add(o, "peer_refused", json_object_new_uint64(m->flows.peer_refused));
	json_object_object_add(o, "expired", json_object_new_uint64(m->flows.expired));
	json_object_object_add(o, "link", ike_link_json(m));
	return o;
}

int ike_flow_control(struct ike_mod *m, const char *verb, json_object *args, json_object **result,
		     char *err, size_t err_len)
{
	if (!strcmp(verb, "flow-set"))
		return flow_set(m, args, result, err, err_len);
	if (!strcmp(verb, "flow-status"))
		return flow_status(m, args, result, err, err_len);
	if (!strcmp(verb, "flows")) {
		*result = flows_json(m);
		return 0;
	}
	return 1;
}
