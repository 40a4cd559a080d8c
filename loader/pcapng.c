#include "loader/pcapng.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 1u
#define BT_EPB 6u
#define OPT_END 0
#define OPT_COMMENT 1
#define IF_NAME 2
#define IF_TSRESOL 9
#define LINKTYPE_ETHERNET 1
#define COMMENT_MAX 256

/* One block is built in memory, then written whole: its total length
 * is known only at the end (it opens and closes the block). */
struct block {
	uint8_t b[64 + PCAPNG_FRAME_MAX + COMMENT_MAX];
	uint32_t n;
};

/* Appends n bytes, zero-padded to 32 bits like every pcapng field. */
static void add(struct block *k, const void *v, uint32_t n)
{
	memcpy(k->b + k->n, v, n);
	k->n += n;
	while (k->n % 4)
		k->b[k->n++] = 0;
}

static void add_u32(struct block *k, uint32_t v)
{
	add(k, &v, 4);
}

static void add_opt(struct block *k, uint16_t code, const void *v, uint16_t len)
{
	uint16_t h[2] = { code, len };

	add(k, h, 4);
	if (len)
		add(k, v, len);
}

static void begin(struct block *k, uint32_t type)
{
	k->n = 0;
	add_u32(k, type);
	add_u32(k, 0); /* the total, set by finish */
}

static int finish(struct pcapng *p, struct block *k)
{
	uint32_t total = k->n + 4;

	add_u32(k, total);
	memcpy(k->b + 4, &total, 4);
	return fwrite(k->b, 1, k->n, p->f) == k->n ? 0 : -EIO;
}

int pcapng_open(struct pcapng *p, const char *path, uint32_t snaplen)
{
	static struct block k;
	const uint16_t version[2] = { 1, 0 };
	const int64_t unknown_len = -1;
	int fd, err;

	memset(p, 0, sizeof(*p));
	p->snaplen = snaplen;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	p->f = fdopen(fd, "wb");
	if (!p->f) {
		err = -errno;
		close(fd);
		return err;
	}
	begin(&k, BT_SHB);
	add_u32(&k, 0x1a2b3c4du);
	add(&k, version, 4);
	add(&k, &unknown_len, 8);
	return finish(p, &k);
}

/* The interface's id in this section, its block written the first time. */
static int iface_id(struct pcapng *p, uint32_t ifindex)
{
	static struct block k;
	const uint8_t tsresol = 9; /* nanoseconds */
	const uint16_t link[2] = { LINKTYPE_ETHERNET, 0 };
	char name[IF_NAMESIZE] = "";
	int err;

	for (uint32_t i = 0; i < p->n_ifaces; i++)
		if (p->ifindex[i] == ifindex)
			return (int)i;
	if (p->n_ifaces == PCAPNG_IFACES_MAX)
		return -ENOSPC;
	if (!if_indextoname(ifindex, name))
		snprintf(name, sizeof(name), "if%u", ifindex);
	begin(&k, BT_IDB);
	add(&k, link, 4);
	add_u32(&k, p->snaplen);
	add_opt(&k, IF_NAME, name, (uint16_t)strlen(name));
	add_opt(&k, IF_TSRESOL, &tsresol, 1);
	add_opt(&k, OPT_END, NULL, 0);
	err = finish(p, &k);
	if (err)
		return err;
	p->ifindex[p->n_ifaces] = ifindex;
	return (int)p->n_ifaces++;
}

int pcapng_frame(struct pcapng *p, uint32_t ifindex, uint64_t ts_ns, const void *data,
		 uint32_t caplen, uint32_t len, const char *comment)
{
	static struct block k;
	uint16_t clen = comment ? (uint16_t)strnlen(comment, COMMENT_MAX) : 0;
	int id = iface_id(p, ifindex);

	if (id < 0)
		return id;
	if (caplen > PCAPNG_FRAME_MAX)
		return -EMSGSIZE;
	begin(&k, BT_EPB);
	add_u32(&k, (uint32_t)id);
	add_u32(&k, (uint32_t)(ts_ns >> 32));
	add_u32(&k, (uint32_t)ts_ns);
	add_u32(&k, caplen);
	add_u32(&k, len);
	if (caplen)
		add(&k, data, caplen);
	if (clen)
		add_opt(&k, OPT_COMMENT, comment, clen);
	add_opt(&k, OPT_END, NULL, 0);
	return finish(p, &k);
}

int pcapng_close(struct pcapng *p)
{
	int err = 0;

	if (p->f && fclose(p->f))
		err = -errno;
	p->f = NULL;
	return err;
}
