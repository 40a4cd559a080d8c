/* The "mip" module of mmlkeyd: reads the section, starts the configured
 * role, answers `mmlctl mip ...`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyd/keyd.h"
#include "keyd/mip.h"
#include "lib/log.h"

struct mip_state {
	enum mip_role role;
	struct mip_stats stats;
	struct mip_ha *ha;
	struct mip_fa *fa;
	struct mip_mh *mh;
};

static const char *const role_names[] = { "ha", "fa", "mh", NULL };

static int mip_start(struct keyd *kd, const config_setting_t *sec, void **state)
{
	struct mip_state *m = calloc(1, sizeof(*m));
	int role = -1, err;

	if (!m)
		return -ENOMEM;
	err = cfg_choice(sec, "role", role_names, &role);
	if (!err && role < 0) {
		log_err("%s: section \"mip\" needs role = \"ha\", \"fa\" or \"mh\"", cfg_path);
		err = -EINVAL;
	}
	if (err)
		goto fail;
	m->role = (enum mip_role)role;
	switch (m->role) {
	case MIP_ROLE_HA:
		err = mip_ha_start(kd->loop, &kd->pin, sec, &m->stats, &m->ha);
		break;
	case MIP_ROLE_FA:
		err = mip_fa_start(kd->loop, &kd->pin, sec, &m->stats, &m->fa);
		break;
	case MIP_ROLE_MH:
		err = mip_mh_start(kd->loop, &kd->pin, sec, &m->stats, &m->mh);
		break;
	}
	if (err)
		goto fail;
	*state = m;
	return 0;
fail:
	free(m);
	return err;
}

static void mip_stop(void *state)
{
	struct mip_state *m = state;

	mip_ha_stop(m->ha);
	mip_fa_stop(m->fa);
	mip_mh_stop(m->mh);
	free(m);
}

static json_object *show(struct mip_state *m)
{
	json_object *o = m->ha ? mip_ha_show(m->ha) :
			 m->fa ? mip_fa_show(m->fa) :
				 mip_mh_show(m->mh);
	json_object *st = mip_stats_json(&m->stats);

	json_object_object_foreach(st, key, val)
	{
		json_object_object_add(o, key, json_object_get(val));
	}
	json_object_put(st);
	return o;
}

static int mip_control(void *state, const char *verb, json_object *args, json_object **result,
		       char *err, size_t err_len)
{
	struct mip_state *m = state;
	int ret = 0;

	if (args && json_object_array_length(args)) {
		snprintf(err, err_len, "mip %s: \"%s\": unexpected argument", verb,
			 json_object_get_string(json_object_array_get_idx(args, 0)));
		return -EINVAL;
	}
	if (!strcmp(verb, "show")) {
		*result = show(m);
	} else if (!strcmp(verb, "bindings") && m->ha) {
		*result = mip_ha_bindings(m->ha);
	} else if (!strcmp(verb, "visitors") && m->fa) {
		*result = mip_fa_visitors(m->fa);
	} else if (!strcmp(verb, "register") && m->mh) {
		ret = mip_mh_register(m->mh);
	} else if (!strcmp(verb, "deregister") && m->mh) {
		ret = mip_mh_deregister(m->mh);
	} else {
		snprintf(err, err_len, "mip %s: not a command of the %s role (show%s)", verb,
			 role_names[m->role],
			 m->ha ? ", bindings" :
			 m->fa ? ", visitors" :
				 ", register, deregister");
		return -EINVAL;
	}
	if (ret)
		snprintf(err, err_len, "mip %s: %s", verb,
			 ret == -ENOTCONN ? "no foreign agent heard yet" : strerror(-ret));
	return ret;
}

/* What a reload may change (keyd/reload.c): limits and timers each new
 * registration or advertisement reads, never what a socket, a map or a
 * binding was set up with. A role ignores the others' settings. */
static const char *const mip_reloadable[] = {
	"max_lifetime",	      /* HA, FA: the lifetime granted from now on */
	"replay_window",      /* HA: identification skew accepted */
	"max_bindings",	      /* HA: new bindings refused above it */
	"max_visitors",	      /* FA: new visitors refused above it */
	"advert_interval_ms", /* FA: from the next advertisement */
	NULL,
};

static int mip_reload(void *state, const config_setting_t *sec, bool apply)
{
	struct mip_state *m = state;

	if (m->ha)
		return mip_ha_reload(m->ha, sec, apply);
	if (m->fa)
		return mip_fa_reload(m->fa, sec, apply);
	return 0;
}

const struct keyd_module mip_module = {
	.name = "mip",
	.start = mip_start,
	.stop = mip_stop,
	.control = mip_control,
	.reloadable = mip_reloadable,
	.reload = mip_reload,
};
