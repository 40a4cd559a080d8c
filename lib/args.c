#include "lib/args.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

int mml_parse_u64(const char *tok, uint64_t *v)
{
	char *end;
	unsigned long long n;

	if (!*tok || *tok == '-' || *tok == '+')
		return -EINVAL;
	errno = 0;
	n = strtoull(tok, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*v = n;
	return 0;
}

int mml_parse_u32(const char *tok, uint32_t *v)
{
	uint64_t n;

	if (mml_parse_u64(tok, &n) || n > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)n;
	return 0;
}

int mml_parse_ipv4(const char *tok, uint32_t *addr_be)
{
	struct in_addr a;

	if (inet_pton(AF_INET, tok, &a) != 1)
		return -EINVAL;
	*addr_be = a.s_addr;
	return 0;
}

int mml_parse_mac(const char *tok, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (strlen(tok) != 17 || sscanf(tok, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
					&b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

int mml_parse_ifname(const char *tok, uint32_t *ifindex)
{
	unsigned int idx;

	if (strlen(tok) >= IF_NAMESIZE)
		return -EINVAL;
	idx = if_nametoindex(tok);
	if (!idx)
		return -ENODEV;
	*ifindex = idx;
	return 0;
}

const char *mml_ipv4_str(uint32_t addr_be, char buf[16])
{
	struct in_addr a = { .s_addr = addr_be };

	return inet_ntop(AF_INET, &a, buf, 16);
}

void mml_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

static const char *type_what(const struct mml_opt *o)
{
	static const char *const what[] = {
		[MML_OPT_U32] = "a number (0..4294967295)",
		[MML_OPT_U64] = "a number",
		[MML_OPT_IPV4] = "an IPv4 address",
		[MML_OPT_MAC] = "a MAC address (aa:bb:cc:dd:ee:ff)",
		[MML_OPT_IFNAME] = "an existing interface",
		[MML_OPT_STR] = "a string",
		[MML_OPT_CHOICE] = "one of the listed words",
	};

	return what[o->type];
}

static int parse_value(struct mml_opt *o, const char *tok)
{
	switch (o->type) {
	case MML_OPT_U32:
		return mml_parse_u32(tok, o->dst);
	case MML_OPT_U64:
		return mml_parse_u64(tok, o->dst);
	case MML_OPT_IPV4:
		return mml_parse_ipv4(tok, o->dst);
	case MML_OPT_MAC:
		return mml_parse_mac(tok, o->dst);
	case MML_OPT_IFNAME:
		return mml_parse_ifname(tok, o->dst);
	case MML_OPT_STR:
		*(const char **)o->dst = tok;
		return 0;
	case MML_OPT_CHOICE:
		for (int i = 0; o->choices[i]; i++) {
			if (!strcmp(o->choices[i], tok)) {
				*(int *)o->dst = i;
				return 0;
			}
		}
		return -EINVAL;
	case MML_OPT_FLAG:
		break;
	}
	return -EINVAL;
}

static void list_choices(const char *ctx, const struct mml_opt *o, const char *tok)
{
	char words[256] = "";

	for (int i = 0; o->choices[i]; i++) {
		strncat(words, i ? ", " : "", sizeof(words) - strlen(words) - 1);
		strncat(words, o->choices[i], sizeof(words) - strlen(words) - 1);
	}
	log_err("%s: \"%s\": %s must be one of: %s", ctx, tok, o->name, words);
}

int mml_opt_value(const char *ctx, struct mml_opt *o, const char *tok)
{
	if (!parse_value(o, tok))
		return 0;
	if (o->type == MML_OPT_CHOICE)
		list_choices(ctx, o, tok);
	else
		log_err("%s: \"%s\": %s must be %s", ctx, tok, o->name, type_what(o));
	return -EINVAL;
}

int mml_opts_parse(const char *ctx, int argc, char **argv, struct mml_opt *opts, size_t n_opts)
{
	for (int i = 0; i < argc; i++) {
		struct mml_opt *o = NULL;

		for (size_t k = 0; k < n_opts && !o; k++)
			if (!strcmp(opts[k].name, argv[i]))
				o = &opts[k];
		if (!o) {
			log_err("%s: \"%s\": unknown keyword", ctx, argv[i]);
			return -EINVAL;
		}
		if (o->seen) {
			log_err("%s: \"%s\": given twice", ctx, argv[i]);
			return -EINVAL;
		}
		o->seen = true;
		if (o->type == MML_OPT_FLAG) {
			*(bool *)o->dst = true;
			continue;
		}
		if (++i == argc) {
			log_err("%s: \"%s\": needs a value", ctx, o->name);
			return -EINVAL;
		}
		if (mml_opt_value(ctx, o, argv[i]))
			return -EINVAL;
	}
	for (size_t k = 0; k < n_opts; k++) {
		if (opts[k].required && !opts[k].seen) {
			log_err("%s: \"%s\" is required", ctx, opts[k].name);
			return -EINVAL;
		}
	}
	return 0;
}
