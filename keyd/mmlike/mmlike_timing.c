/* mmlike timing-out FILE: one JSON object, written through json-c like
 * every other JSON output. Per exchange type the engine's processing time
 * of the last request and response (<name>_req_ns, <name>_resp_ns); the
 * time to build the first messages (build_*_ns); the timeline from the
 * start (t_*_ns, -1 for what did not happen) and the start itself on
 * CLOCK_MONOTONIC (start_mono_ns). */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "keyd/mmlike/mmlike.h"
#include "lib/log.h"

static void add_ns(json_object *o, const char *name, uint64_t ns)
{
	json_object_object_add(o, name, json_object_new_int64((int64_t)ns));
}

/* A point of the timeline, from the start; -1 when it did not happen. */
static void add_since(json_object *o, const char *name, uint64_t t, uint64_t t_start)
{
	json_object_object_add(o, name, json_object_new_int64(t ? (int64_t)(t - t_start) : -1));
}

void mmlike_write_timing(const struct app *app)
{
	static const struct {
		const char *name;
		uint8_t x;
	} xs[] = { { "ike_sa_init", IKE_SA_INIT },
		   { "ike_auth", IKE_AUTH },
		   { "mlike_auth_sa", MLIKE_AUTH_SA },
		   { "key_distribute", MLIKE_KEY_DISTRIBUTE },
		   { "informational", IKE_INFORMATIONAL } };
	json_object *o = json_object_new_object();
	FILE *f = fopen(app->timing_path, "w");
	char name[64];

	if (!f) {
		log_err("%s: %s", app->timing_path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		snprintf(name, sizeof(name), "%s_req_ns", xs[i].name);
		add_ns(o, name, ike_engine_proc_ns(app->eng, xs[i].x, false));
		snprintf(name, sizeof(name), "%s_resp_ns", xs[i].name);
		add_ns(o, name, ike_engine_proc_ns(app->eng, xs[i].x, true));
	}
	add_ns(o, "build_init_mh_ns", app->build_init_ns[0]);
	add_ns(o, "build_init_fa_ns", app->build_init_ns[1]);
	add_ns(o, "build_mlike_ns", app->build_ml_ns);
	add_ns(o, "build_kd_ns", app->build_kd_ns);
	add_since(o, "t_ike_mh_ns", app->t_ike_up[0], app->t_start);
	add_since(o, "t_ike_fa_ns", app->t_ike_up[1], app->t_start);
	add_since(o, "t_csa_ns", app->t_csa, app->t_start);
	add_since(o, "t_fa_done_ns", app->t_fa_done, app->t_start);
	add_ns(o, "start_mono_ns", app->t_start);
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fclose(f);
out:
	json_object_put(o);
}
