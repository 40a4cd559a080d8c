/* Keyword arguments in the style of `ip` and `wg`: "spi 0x1000 dir out ...",
 * exact keywords (no prefix matching), each at most once, errors quoting the
 * offending token. The value parsers are shared with configuration files. */
#ifndef MML_LIB_ARGS_H
#define MML_LIB_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mml_opt_type {
	MML_OPT_U32, /* decimal or 0x hex */
	MML_OPT_U64,
	MML_OPT_IPV4,	/* dotted quad -> uint32_t in network order */
	MML_OPT_MAC,	/* aa:bb:cc:dd:ee:ff -> uint8_t[6] */
	MML_OPT_IFNAME, /* interface name -> uint32_t ifindex */
	MML_OPT_STR,	/* const char * (points into argv) */
	MML_OPT_CHOICE, /* one of choices[] -> int index */
	MML_OPT_FLAG,	/* keyword without value -> bool true */
};

struct mml_opt {
	const char *name;
	enum mml_opt_type type;
	void *dst;
	const char *const *choices; /* MML_OPT_CHOICE: NULL-terminated */
	bool required;
	bool seen; /* set by the parser */
};

/* Parses argv[0..argc) against opts; ctx ("csa add") prefixes messages.
 * Returns 0 or -EINVAL after printing one error. */
int mml_opts_parse(const char *ctx, int argc, char **argv, struct mml_opt *opts, size_t n_opts);
/* One value tok for o, e.g. a getopt_long argument: parsed into o->dst as
 * mml_opts_parse does, or -EINVAL after printing the same error
 * ("ctx: "tok": NAME must be ..."). */
int mml_opt_value(const char *ctx, struct mml_opt *o, const char *tok);

int mml_parse_u32(const char *tok, uint32_t *v);
int mml_parse_u64(const char *tok, uint64_t *v);
int mml_parse_ipv4(const char *tok, uint32_t *addr_be);
int mml_parse_mac(const char *tok, uint8_t mac[6]);
int mml_parse_ifname(const char *tok, uint32_t *ifindex);

/* "a.b.c.d" of a network-order address, in a static buffer per call slot. */
const char *mml_ipv4_str(uint32_t addr_be, char buf[16]);
void mml_mac_str(const uint8_t mac[6], char buf[18]);

#endif
