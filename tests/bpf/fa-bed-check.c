/* `fa-bed-tool check`: what arrived against what was sent (the manifest),
 * and FA1's counters against what the manifest says each packet must add.
 * Prints PASS/FAIL lines, one per group of packets and one per property;
 * returns the number of FAILs. */
#include "tests/bpf/fa-bed.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/bytes.h"

struct arrival {
	unsigned int seen;    /* arrived byte-identical */
	unsigned int altered; /* its marker arrived, other bytes */
	size_t diff_at;	      /* first differing byte of an altered one */
};

struct check {
	enum bed_dir dir;
	const struct bed_plan *p;
	const struct bed_link *want;
	struct arrival *arr;
	unsigned int frames, other, unexpected, bad_eth, bad_outer;
	char unexpected_what[160], eth_what[160], outer_what[160];
	uint32_t coa, ha, mh;
	int fails;
};

static void result(struct check *c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(struct check *c, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s ", ok ? "PASS" : "FAIL", c->dir == BED_DOWN ? "down:" : "up:");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	c->fails += !ok;
}

/* The reverse tunnel's outer header as docs/fa.md says FA1 builds it:
 * version 4, IHL 5, TOS/ID/DF of the inner packet, TTL 64, protocol 4,
 * CoA -> HA, total length and checksum right. "" if so. */
static const char *outer_wrong(const struct check *c, const uint8_t *o, size_t len)
{
	const uint8_t *in = o + IP_LEN;
	uint32_t sum = 0;

	if (o[0] != 0x45)
		return "version/IHL not 0x45";
	if (get_be16(o + 2) != len)
		return "total length is not the frame's";
	if (o[1] != in[1] || get_be16(o + 4) != get_be16(in + 4))
		return "TOS or ID not copied from the inner header";
	if (get_be16(o + 6) != (get_be16(in + 6) & 0x4000))
		return "DF not copied (or fragment bits set)";
	if (o[8] != 64)
		return "TTL not 64";
	if (memcmp(o + 12, &c->coa, 4) || memcmp(o + 16, &c->ha, 4))
		return "addresses not CoA -> HA";
	for (int i = 0; i < IP_LEN; i += 2)
		sum += get_be16(o + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff ? "" : "bad header checksum";
}

/* Keeps the description of the first of a kind of failure. */
static void note(char *what, size_t cap, unsigned int count, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void note(char *what, size_t cap, unsigned int count, const char *fmt, ...)
{
	va_list ap;

	if (count != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(what, cap, fmt, ap);
	va_end(ap);
}

/* The packet a frame carries to the peer: after Ethernet (downlink), inside
 * the reverse tunnel (uplink). NULL for a frame that is none of ours. */
static const uint8_t *payload(struct check *c, const uint8_t *f, size_t len, size_t *plen)
{
	const uint8_t *ip = f + ETH_LEN;
	const char *wrong;

	if (len < ETH_LEN + IP_LEN || get_be16(f + 12) != 0x0800)
		return NULL;
	if (memcmp(f, c->want->dst, 6) || memcmp(f + 6, c->want->src, 6))
		note(c->eth_what, sizeof(c->eth_what), ++c->bad_eth,
		     "id 0x%04x with other Ethernet addresses", get_be16(f + ETH_LEN + 4));
	if (c->dir == BED_DOWN) {
		*plen = len - ETH_LEN;
		return ip;
	}
	if (ip[9] != 4 || memcmp(ip + 12, &c->coa, 4)) {
		/* Not FA1's tunnel: only the MH's own packets are a failure
		 * (forwarded natively instead of reverse-tunnelled). */
		if (!memcmp(ip + 12, &c->mh, 4))
			note(c->unexpected_what, sizeof(c->unexpected_what), ++c->unexpected,
			     "id 0x%04x from the MH outside the tunnel", get_be16(ip + 4));
		else
			c->other++;
		return NULL;
	}
	if (len < ETH_LEN + 2 * IP_LEN)
		return NULL;
	wrong = outer_wrong(c, ip, len - ETH_LEN);
	if (*wrong)
		note(c->outer_what, sizeof(c->outer_what), ++c->bad_outer, "%s", wrong);
	*plen = len - ETH_LEN - IP_LEN;
	return ip + IP_LEN;
}

static void account(struct check *c, const uint8_t *f, size_t len)
{
	const uint8_t *pl;
	size_t plen = 0, i, d;

	c->frames++;
	pl = payload(c, f, len, &plen);
	if (!pl)
		return;
	for (i = 0; i < c->p->n; i++) {
		const struct bed_pkt *k = &c->p->pkt[i];

		if (k->arrive_len == plen && !memcmp(k->arrive, pl, plen)) {
			c->arr[i].seen++;
			return;
		}
	}
	/* Not byte-identical to anything sent: its marker says what it was. */
	for (i = 0; i < c->p->n; i++) {
		const struct bed_pkt *k = &c->p->pkt[i];

		if (get_be16(pl + 4) != k->id)
			continue;
		for (d = 0; d < plen && d < k->arrive_len && pl[d] == k->arrive[d]; d++)
			;
		c->arr[i].altered++;
		c->arr[i].diff_at = d;
		return;
	}
	note(c->unexpected_what, sizeof(c->unexpected_what), ++c->unexpected,
	     "a frame nobody sent (%zu bytes)", len);
}

static int read_capture(struct check *c, const char *path)
{
	FILE *f = fopen(path, "re");
	uint8_t frame[FRAME_MAX];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		long len;

		line[strcspn(line, "\n")] = '\0';
		len = bed_unhex(line, frame, sizeof(frame));
		if (len < 0) {
			fprintf(stderr, "%s: not a capture line\n", path);
			free(line);
			fclose(f);
			return -EINVAL;
		}
		account(c, frame, (size_t)len);
	}
	free(line);
	fclose(f);
	return 0;
}

/* One line per group of packets (manifest order). */
static void report_groups(struct check *c)
{
	for (size_t i = 0; i < c->p->n; i++) {
		const struct bed_pkt *g = &c->p->pkt[i];
		unsigned int total = 0, ok = 0;
		size_t lo = FRAME_MAX, hi = 0, bad = SIZE_MAX, j;
		char why[96] = "";

		for (j = 0; j < i && strcmp(c->p->pkt[j].group, g->group); j++)
			;
		if (j < i)
			continue; /* reported with its first packet */
		for (j = i; j < c->p->n; j++) {
			const struct bed_pkt *k = &c->p->pkt[j];
			const struct arrival *a = &c->arr[j];
			bool good;

			if (strcmp(k->group, g->group))
				continue;
			total++;
			good = !a->altered &&
			       (k->expect == BED_DELIVER ? a->seen == 1 : a->seen == 0);
			ok += good;
			if (!good && bad == SIZE_MAX)
				bad = j;
			lo = k->arrive_len < lo ? k->arrive_len : lo;
			hi = k->arrive_len > hi ? k->arrive_len : hi;
		}
		if (bad != SIZE_MAX) {
			const struct arrival *a = &c->arr[bad];

			if (a->altered)
				snprintf(why, sizeof(why),
					 "; id 0x%04x arrived altered from byte %zu",
					 c->p->pkt[bad].id, a->diff_at);
			else
				snprintf(why, sizeof(why), "; id 0x%04x arrived %u times",
					 c->p->pkt[bad].id, a->seen);
		}
		if (g->expect == BED_DELIVER)
			result(c, ok == total,
			       "%-26s %u/%u arrived once, byte-identical (%zu..%zu bytes, %s)%s",
			       g->group, ok, total, lo, hi, g->counter, why);
		else
			result(c, ok == total, "%-26s %u/%u kept from the %s (%s)%s", g->group, ok,
			       total, c->dir == BED_DOWN ? "MH" : "HA", g->counter, why);
	}
}

static long long stat_of(json_object *o, const char *name, bool *present)
{
	json_object *v;

	*present = json_object_object_get_ex(o, name, &v);
	return *present ? (long long)json_object_get_int64(v) : 0;
}

/* Every counter's change equals what the manifest implies: rx_down/rx_up
 * for every frame, the packet's own counter once; all others unchanged. */
static void report_counters(struct check *c, const char *before_path, const char *after_path)
{
	json_object *before = json_object_from_file(before_path);
	json_object *after = json_object_from_file(after_path);
	const char *rx = c->dir == BED_DOWN ? "rx_down" : "rx_up";
	char got[1024] = "", bad[1024] = "";
	size_t gl = 0, bl = 0;
	bool present;

	if (!before || !after) {
		result(c, false, "counters: cannot read %s or %s", before_path, after_path);
		goto out;
	}
	for (size_t i = 0; i < c->p->n; i++) {
		stat_of(after, c->p->pkt[i].counter, &present);
		if (!present && bl < sizeof(bad))
			bl += (size_t)snprintf(bad + bl, sizeof(bad) - bl, " %s: no such counter;",
					       c->p->pkt[i].counter);
	}
	json_object_object_foreach(after, name, val)
	{
		long long delta = json_object_get_int64(val) - stat_of(before, name, &present);
		long long want = 0;

		for (size_t i = 0; i < c->p->n; i++)
			want += !strcmp(c->p->pkt[i].counter, name);
		if (!strcmp(name, rx))
			want = (long long)c->p->n;
		if (delta && gl < sizeof(got))
			gl += (size_t)snprintf(got + gl, sizeof(got) - gl, " %s +%lld", name,
					       delta);
		if (delta != want && bl < sizeof(bad))
			bl += (size_t)snprintf(bad + bl, sizeof(bad) - bl, " %s +%lld, want +%lld;",
					       name, delta, want);
	}
	if (*bad)
		result(c, false, "FA1 counters:%s", bad);
	else
		result(c, true, "FA1 counters:%s, every other counter unchanged", got);
out:
	json_object_put(before);
	json_object_put(after);
}

int bed_check(enum bed_dir dir, const struct bed_plan *p, const char *capture, const char *before,
	      const char *after, const struct bed_link *want)
{
	struct check c = { .dir = dir, .p = p, .want = want };
	int err;

	c.coa = ip4(BED_COA);
	c.ha = ip4(BED_HA_ADDR);
	c.mh = ip4(BED_MH_HOME);
	c.arr = calloc(p->n ? p->n : 1, sizeof(*c.arr));
	if (!c.arr)
		return -ENOMEM;
	err = read_capture(&c, capture);
	if (err) {
		result(&c, false, "capture %s: %s", capture, strerror(-err));
		goto out;
	}
	report_groups(&c);
	result(&c, !c.unexpected, "nothing else arrived (%u frames captured%s)%s%s", c.frames,
	       c.other ? ", other traffic ignored" : "", c.unexpected ? ": " : "",
	       c.unexpected_what);
	result(&c, !c.bad_eth, "every frame from %s%s%s",
	       dir == BED_DOWN ? "FA1's wlan0 MAC to the MH's MAC" :
				 "FA1's eth0 MAC to the HA's MAC",
	       c.bad_eth ? ": " : "", c.eth_what);
	if (dir == BED_UP)
		result(&c, !c.bad_outer,
		       "outer headers CoA -> HA, IHL 5, TTL 64, TOS/ID/DF copied, checksum right%s%s",
		       c.bad_outer ? ": " : "", c.outer_what);
	report_counters(&c, before, after);
out:
	free(c.arr);
	return err ? 1 : c.fails;
}
