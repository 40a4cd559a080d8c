/* mmlkeyd's counters for mmlctl stats prometheus: what `mmlctl mip show`
 * and `mmlctl ike show` count, asked of the node's daemon. A node without
 * a daemon, or a daemon without the module, adds nothing and says nothing:
 * the data plane's counters stand alone. Only counters are taken, never
 * the gauges and states beside them (role, bindings, esp_child_sas). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/ctl.h"

struct counters {
	struct ctl_counter *c;
	size_t n, cap;
};

/* One counter; label NULL for none. A full array drops the rest (the cap
 * is far above what the daemon counts). */
static void add(struct counters *cs, const char *name, const char *help, const char *label,
		const char *value, json_object *v)
{
	struct ctl_counter *c;

	if (!json_object_is_type(v, json_type_int) || cs->n == cs->cap)
		return;
	c = &cs->c[cs->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->help = help;
	c->label = label;
	if (label)
		snprintf(c->label_value, sizeof(c->label_value), "%s", value);
	c->value = json_object_get_uint64(v);
}

/* Every integer member of o[key] as prefix_<member>, or, with label, as
 * one counter prefix_<key> with the member as its label's value. */
static void add_members(struct counters *cs, json_object *o, const char *key, const char *prefix,
			const char *help, const char *label)
{
	json_object *m;
	char name[64];

	if (!json_object_object_get_ex(o, key, &m) || !json_object_is_type(m, json_type_object))
		return;
	json_object_object_foreach(m, k, v)
	{
		if (label) {
			snprintf(name, sizeof(name), "%s_%s", prefix, key);
			add(cs, name, help, label, k, v);
		} else {
			snprintf(name, sizeof(name), "%s_%s", prefix, k);
			add(cs, name, help, NULL, NULL, v);
		}
	}
}

static void mip_counters(struct counters *cs, json_object *r)
{
	add_members(cs, r, "counters", "mip", "mmlkeyd Mobile IP counter (mmlctl mip show)", NULL);
	add_members(cs, r, "malformed_by_reason", "mip",
		    "mmlkeyd Mobile IP messages refused as malformed, by reason", "reason");
	add_members(cs, r, "reply_codes_sent", "mip", "Registration Replies sent, by code", "code");
	add_members(cs, r, "reply_codes_received", "mip", "Registration Replies received, by code",
		    "code");
}

static void ike_counters(struct counters *cs, json_object *r)
{
	static const char *const top[] = { "csas_installed", "csas_removed", "csas_refused_owner",
					   "csas_refused_full", "initialisations" };
	json_object *v;
	char name[64];

	add_members(cs, r, "counters", "ike", "mmlkeyd IKE/ML-IKE counter (mmlctl ike show)", NULL);
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		snprintf(name, sizeof(name), "ike_%s", top[i]);
		if (json_object_object_get_ex(r, top[i], &v))
			add(cs, name, "mmlkeyd ML-IKE counter (mmlctl ike show)", NULL, NULL, v);
	}
	add_members(cs, r, "dkm", "ike_dkm", "mmlkeyd DKM counter (mmlctl ike show, dkm)", NULL);
}

size_t ctl_keyd_counters(struct ctl *ctl, const char *sock, struct ctl_counter *c, size_t cap)
{
	struct counters cs = { .c = c, .cap = cap };
	json_object *r;
	char path[300];

	if (!sock)
		sock = ctl_keyd_default_path(ctl, path, sizeof(path));
	if (!ctl_keyd_call(sock, "mip", "show", true, &r)) {
		mip_counters(&cs, r);
		json_object_put(r);
	}
	if (!ctl_keyd_call(sock, "ike", "show", true, &r)) {
		ike_counters(&cs, r);
		json_object_put(r);
	}
	return cs.n;
}
