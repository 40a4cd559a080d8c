/* The plan of tests/bpf/fa-bed.sh as a file: written by `fa-bed-tool plan`,
 * read by send, recv and check (format in fa-bed.h). */
#include "tests/bpf/fa-bed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const expect_names[] = { "deliver", "drop", "pass" };

const char *bed_expect_name(enum bed_expect e)
{
	return expect_names[e];
}

struct bed_pkt *bed_plan_add(struct bed_plan *p)
{
	struct bed_pkt *k;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;

		k = realloc(p->pkt, cap * sizeof(*k));
		if (!k)
			return NULL;
		p->pkt = k;
		p->cap = cap;
	}
	k = &p->pkt[p->n++];
	memset(k, 0, sizeof(*k));
	return k;
}

void bed_plan_free(struct bed_plan *p)
{
	free(p->pkt);
	memset(p, 0, sizeof(*p));
}

void bed_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long bed_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t len = strlen(s), i;

	if (len % 2 || len / 2 > cap)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)i;
}

int bed_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

int bed_manifest_write(const struct bed_plan *p, const char *path)
{
	char *frame = malloc(2 * FRAME_MAX + 1), *arrive = malloc(2 * FRAME_MAX + 1);
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f || !frame || !arrive) {
		err = -errno;
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct bed_pkt *k = &p->pkt[i];

		bed_hex(k->frame, k->frame_len, frame);
		bed_hex(k->arrive, k->arrive_len, arrive);
		fprintf(f, "%u %s %s %s %s %s\n", k->id, bed_expect_name(k->expect), k->counter,
			k->group, frame, arrive);
	}
	if (fflush(f))
		err = -errno;
out:
	if (f && fclose(f) && !err)
		err = -errno;
	free(frame);
	free(arrive);
	return err;
}

static int parse_line(char *line, struct bed_pkt *k)
{
	char *save = NULL, *tok[6];
	unsigned long id;
	long n;
	int i;

	for (i = 0; i < 6; i++) {
		tok[i] = strtok_r(i ? NULL : line, " \n", &save);
		if (!tok[i])
			return -EINVAL;
	}
	id = strtoul(tok[0], NULL, 10);
	if (id > 0xffff || strlen(tok[2]) >= BED_NAME_MAX || strlen(tok[3]) >= BED_NAME_MAX)
		return -EINVAL;
	k->id = (uint16_t)id;
	for (i = 0; i < 3 && strcmp(tok[1], expect_names[i]); i++)
		;
	if (i == 3)
		return -EINVAL;
	k->expect = (enum bed_expect)i;
	strcpy(k->counter, tok[2]);
	strcpy(k->group, tok[3]);
	n = bed_unhex(tok[4], k->frame, sizeof(k->frame));
	if (n < 0)
		return -EINVAL;
	k->frame_len = (size_t)n;
	n = bed_unhex(tok[5], k->arrive, sizeof(k->arrive));
	if (n < 0)
		return -EINVAL;
	k->arrive_len = (size_t)n;
	return 0;
}

int bed_manifest_read(struct bed_plan *p, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int err = 0, lineno = 0;

	if (!f)
		return -errno;
	while (!err && getline(&line, &cap, f) > 0) {
		struct bed_pkt *k = bed_plan_add(p);

		lineno++;
		if (!k)
			err = -ENOMEM;
		else if (parse_line(line, k)) {
			fprintf(stderr, "%s:%d: not a manifest line\n", path, lineno);
			err = -EINVAL;
		}
	}
	free(line);
	fclose(f);
	return err;
}
