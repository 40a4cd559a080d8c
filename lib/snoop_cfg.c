#include "lib/snoop_cfg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "lib/args.h"
#include "lib/snoop.h"

#define SNOOP_MIRROR_MS_MAX 10000

struct cfg_field {
	const char *name;
	size_t off;
};

#define FIELD(f)                                      \
	{                                             \
#f, offsetof(struct mml_snoop_cfg, f) \
	}
static const struct cfg_field fields[] = {
	FIELD(mss),	     FIELD(max_segs),	FIELD(max_conns),  FIELD(rto_init_ms),
	FIELD(rto_min_ms),   FIELD(rto_max_ms), FIELD(persist_ms), FIELD(garbage_ms),
	FIELD(rxmit_thresh), FIELD(prio_dscp),	FIELD(mirror_ms),
};
#undef FIELD

const char mml_snoop_cfg_keys[] = "enabled on|off | mss | max_segs | max_conns | rto_init_ms | "
				  "rto_min_ms | rto_max_ms | persist_ms | garbage_ms | "
				  "rxmit_thresh | prio_dscp | mirror_ms";

void mml_snoop_cfg_default(struct mml_snoop_cfg *c)
{
	*c = (struct mml_snoop_cfg)MML_SNOOP_CFG_DEFAULT;
	c->enabled = 0;
}

static __u32 *field_ptr(struct mml_snoop_cfg *c, const struct cfg_field *f)
{
	return (__u32 *)((char *)c + f->off);
}

int mml_snoop_cfg_set(struct mml_snoop_cfg *c, const char *key, const char *value, char *why,
		      size_t why_len)
{
	uint32_t v;

	if (!strcmp(key, "enabled")) {
		if (strcmp(value, "on") && strcmp(value, "off")) {
			snprintf(why, why_len, "enabled: \"%s\": expected on or off", value);
			return -EINVAL;
		}
		c->enabled = !strcmp(value, "on");
		return 0;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(key, fields[i].name))
			continue;
		if (mml_parse_u32(value, &v)) {
			snprintf(why, why_len, "%s: \"%s\" is not a number", key, value);
			return -EINVAL;
		}
		*field_ptr(c, &fields[i]) = v;
		return 0;
	}
	snprintf(why, why_len, "unknown key \"%s\" (keys: %s)", key, mml_snoop_cfg_keys);
	return -EINVAL;
}

void mml_snoop_cfg_to_machine(const struct mml_snoop_cfg *c, struct snoop_cfg *out)
{
	*out = (struct snoop_cfg){
		.max_segs = c->max_segs,
		.max_conns = c->max_conns,
		.rto_init_ms = c->rto_init_ms,
		.rto_min_ms = c->rto_min_ms,
		.rto_max_ms = c->rto_max_ms,
		.persist_ms = c->persist_ms,
		.garbage_ms = c->garbage_ms,
		.rxmit_thresh = c->rxmit_thresh,
	};
}

int mml_snoop_cfg_check(const struct mml_snoop_cfg *c, char *why, size_t why_len)
{
	struct snoop_cfg m;

	mml_snoop_cfg_to_machine(c, &m);
	if (snoop_cfg_validate(&m, why, why_len))
		return -EINVAL;
	if (c->max_conns > MML_SNOOP_MAP_MAX) {
		snprintf(why, why_len, "max_conns: at most %u (the size of the pinned maps)",
			 MML_SNOOP_MAP_MAX);
		return -EINVAL;
	}
	if (c->prio_dscp > 63) {
		snprintf(why, why_len, "prio_dscp: must be 0..63");
		return -EINVAL;
	}
	if (c->mirror_ms < 1 || c->mirror_ms > SNOOP_MIRROR_MS_MAX) {
		snprintf(why, why_len, "mirror_ms: must be 1..%d", SNOOP_MIRROR_MS_MAX);
		return -EINVAL;
	}
	if (c->mss < 64 || c->mss > 65495) {
		snprintf(why, why_len, "mss: must be 64..65495");
		return -EINVAL;
	}
	return 0;
}

int mml_snoop_cfg_read(int map_fd, struct mml_snoop_cfg *c)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(map_fd, &zero, c) ? -errno : 0;
}

int mml_snoop_cfg_write(int map_fd, struct mml_snoop_cfg *c)
{
	char why[160];
	__u32 zero = 0;

	if (mml_snoop_cfg_check(c, why, sizeof(why))) {
		fprintf(stderr, "snoop: %s\n", why);
		return -EINVAL;
	}
	c->gen++;
	return bpf_map_update_elem(map_fd, &zero, c, BPF_ANY) ? -errno : 0;
}

int mml_snoop_cfg_init(int map_fd, int enabled)
{
	struct mml_snoop_cfg c;
	int err = mml_snoop_cfg_read(map_fd, &c);

	if (err)
		return err;
	if (!c.gen)
		mml_snoop_cfg_default(&c);
	else if (enabled < 0)
		return 0;
	if (enabled >= 0)
		c.enabled = (__u32)enabled;
	return mml_snoop_cfg_write(map_fd, &c);
}

json_object *mml_snoop_cfg_json(const struct mml_snoop_cfg *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "enabled", json_object_new_boolean(c->enabled != 0));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		json_object_object_add(
			o, fields[i].name,
			json_object_new_int64(*field_ptr((struct mml_snoop_cfg *)c, &fields[i])));
	json_object_object_add(o, "gen", json_object_new_int64(c->gen));
	return o;
}
