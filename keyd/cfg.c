/* Typed reads of libconfig settings with one error message each, through
 * the validators mmlctl uses for the same values (lib/args.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "keyd/keyd.h"
#include "lib/args.h"
#include "lib/log.h"

const char *cfg_path;

const char *cfg_where(const config_setting_t *s, char *buf, size_t len)
{
	const char *file = config_setting_source_file(s);

	if (!file)
		file = cfg_path;
	snprintf(buf, len, "%s:%u", file ? file : "config", config_setting_source_line(s));
	return buf;
}

static const config_setting_t *member(const config_setting_t *s, const char *name, bool required)
{
	const config_setting_t *m = config_setting_get_member(s, name);
	char where[300];

	if (!m && required)
		log_err("%s: \"%s\" is missing from section \"%s\"",
			cfg_where(s, where, sizeof(where)), name,
			config_setting_name(s) ? config_setting_name(s) : "(top)");
	return m;
}

static int bad(const config_setting_t *m, const char *what)
{
	char where[300];

	log_err("%s: \"%s\" must be %s", cfg_where(m, where, sizeof(where)), config_setting_name(m),
		what);
	return -EINVAL;
}

int cfg_str(const config_setting_t *s, const char *name, bool required, const char **v)
{
	const config_setting_t *m = member(s, name, required);

	if (!m)
		return required ? -EINVAL : 0;
	if (config_setting_type(m) != CONFIG_TYPE_STRING)
		return bad(m, "a string");
	*v = config_setting_get_string(m);
	return 0;
}

int cfg_ipv4(const config_setting_t *s, const char *name, bool required, uint32_t *addr_be)
{
	const config_setting_t *m = member(s, name, required);

	if (!m)
		return required ? -EINVAL : 0;
	if (config_setting_type(m) != CONFIG_TYPE_STRING ||
	    mml_parse_ipv4(config_setting_get_string(m), addr_be))
		return bad(m, "an IPv4 address in quotes");
	return 0;
}

int cfg_u32(const config_setting_t *s, const char *name, bool required, uint32_t min, uint32_t max,
	    uint32_t *v)
{
	const config_setting_t *m = member(s, name, required);
	long long n;
	char what[80];

	if (!m)
		return required ? -EINVAL : 0;
	snprintf(what, sizeof(what), "a number from %u to %u", min, max);
	if (config_setting_type(m) != CONFIG_TYPE_INT &&
	    config_setting_type(m) != CONFIG_TYPE_INT64)
		return bad(m, what);
	n = config_setting_get_int64(m);
	if (config_setting_type(m) == CONFIG_TYPE_INT)
		n = config_setting_get_int(m);
	if (n < min || n > max)
		return bad(m, what);
	*v = (uint32_t)n;
	return 0;
}

int cfg_ifname(const config_setting_t *s, const char *name, bool required, uint32_t *ifindex)
{
	const config_setting_t *m = member(s, name, required);

	if (!m)
		return required ? -EINVAL : 0;
	if (config_setting_type(m) != CONFIG_TYPE_STRING ||
	    mml_parse_ifname(config_setting_get_string(m), ifindex))
		return bad(m, "the name of an existing interface");
	return 0;
}

int cfg_bool(const config_setting_t *s, const char *name, bool *v)
{
	const config_setting_t *m = member(s, name, false);

	if (!m)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_BOOL)
		return bad(m, "true or false");
	*v = config_setting_get_bool(m);
	return 0;
}

int cfg_choice(const config_setting_t *s, const char *name, const char *const *choices, int *v)
{
	const config_setting_t *m = member(s, name, false);
	char what[200] = "one of";
	const char *str;

	if (!m)
		return 0;
	for (int i = 0; choices[i]; i++) {
		strncat(what, i ? ", \"" : " \"", sizeof(what) - strlen(what) - 1);
		strncat(what, choices[i], sizeof(what) - strlen(what) - 1);
		strncat(what, "\"", sizeof(what) - strlen(what) - 1);
	}
	if (config_setting_type(m) != CONFIG_TYPE_STRING)
		return bad(m, what);
	str = config_setting_get_string(m);
	for (int i = 0; choices[i]; i++) {
		if (!strcmp(str, choices[i])) {
			*v = i;
			return 0;
		}
	}
	return bad(m, what);
}
