#include "tests/bpf/xdp-random.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/bpf/xdp-run.h"

#define ETH 14

unsigned long xdp_random_count(unsigned long dflt)
{
	const char *env = getenv("MML_BPF_RANDOM");

	return env && *env ? strtoul(env, NULL, 0) : dflt;
}

/* Offset of the IPv4 header a field mutation goes to: the outer one, or
 * the one it carries (IP-in-IP) when there is one and the coin says so. */
static size_t ip_at(const uint8_t *buf, size_t len)
{
	size_t inner;

	if (len < ETH + 20 || (buf[ETH] >> 4) != 4)
		return ETH;
	inner = ETH + (size_t)(buf[ETH] & 0xf) * 4;
	if (buf[ETH + 9] == 4 && inner + 20 <= len && test_random_below(2))
		return inner;
	return ETH;
}

static void ip_field(uint8_t *buf, size_t len, const uint32_t *addrs, size_t n_addrs, char *what,
		     size_t what_len)
{
	size_t at = ip_at(buf, len), off;
	uint32_t a;

	if (at + 20 > len)
		return;
	switch (test_random_below(6)) {
	case 0:
		buf[at] = (uint8_t)test_random_below(256);
		snprintf(what, what_len, "version/IHL at %zu = 0x%02x", at, buf[at]);
		break;
	case 1: { /* total length near the truth, or anything */
		uint32_t tot = test_random_below(2) ?
				       (uint32_t)(len - at) + test_random_below(9) - 4 :
				       test_random_below(65536);

		buf[at + 2] = (uint8_t)(tot >> 8);
		buf[at + 3] = (uint8_t)tot;
		snprintf(what, what_len, "total length at %zu = %u", at, tot & 0xffff);
		break;
	}
	case 2:
		buf[at + 6] = (uint8_t)test_random_below(256);
		snprintf(what, what_len, "flags/fragment at %zu = 0x%02x", at, buf[at + 6]);
		break;
	case 3: {
		static const uint8_t protos[] = { 1, 4, 6, 17, 50, 51, 0, 255 };

		buf[at + 9] = protos[test_random_below(sizeof(protos))];
		snprintf(what, what_len, "protocol at %zu = %u", at, buf[at + 9]);
		break;
	}
	default:
		off = at + (test_random_below(2) ? 12 : 16);
		if (n_addrs && test_random_below(4))
			a = addrs[test_random_below((uint32_t)n_addrs)];
		else
			test_random(&a, 4);
		memcpy(buf + off, &a, 4);
		snprintf(what, what_len, "%s address at %zu = %08x",
			 off == at + 12 ? "source" : "dest", at, a);
		break;
	}
}

static void one(uint8_t *buf, size_t *len, size_t cap, size_t min_len, const uint32_t *addrs,
		size_t n_addrs, char *what, size_t what_len)
{
	size_t at = test_random_below((uint32_t)*len), n;

	switch (test_random_below(8)) {
	case 0:
		buf[at] ^= (uint8_t)(1u << test_random_below(8));
		snprintf(what, what_len, "bit flip at %zu", at);
		break;
	case 1:
		buf[at] = (uint8_t)test_random_below(256);
		snprintf(what, what_len, "byte %zu = 0x%02x", at, buf[at]);
		break;
	case 2:
		n = 1 + test_random_below(16);
		n = at + n > *len ? *len - at : n;
		test_random(buf + at, n);
		snprintf(what, what_len, "%zu random bytes at %zu", n, at);
		break;
	case 3:
		*len = min_len + test_random_below((uint32_t)(*len - min_len + 1));
		snprintf(what, what_len, "cut to %zu", *len);
		break;
	case 4:
		n = test_random_below(64);
		n = *len + n > cap ? cap - *len : n;
		test_random(buf + *len, n);
		*len += n;
		snprintf(what, what_len, "%zu random bytes appended", n);
		break;
	default:
		ip_field(buf, *len, addrs, n_addrs, what, what_len);
		break;
	}
}

void xdp_mutate(uint8_t *buf, size_t *len, size_t cap, size_t min_len, const uint32_t *addrs,
		size_t n_addrs, char *what, size_t what_len)
{
	unsigned int n = 1 + test_random_below(4);
	size_t used = 0;

	what[0] = '\0';
	if (test_random_below(32) == 0) {
		*len = min_len + test_random_below((uint32_t)(cap - min_len + 1));
		test_random(buf, *len);
		snprintf(what, what_len, "%zu random bytes", *len);
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		char step[96];

		one(buf, len, cap, min_len, addrs, n_addrs, step, sizeof(step));
		used += (size_t)snprintf(what + used, used < what_len ? what_len - used : 0, "%s%s",
					 i ? "; " : "", step);
		if (used >= what_len)
			break;
	}
}
