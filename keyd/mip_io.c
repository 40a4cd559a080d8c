/* Socket helpers of the Mobile IPv4 roles. See mip_io.h. */
#include "keyd/mip_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keyd/mip_wire.h"
#include "lib/bytes.h"
#include "lib/inet.h"

/* From linux/icmp.h, which clashes with net/if.h: raw ICMP sockets drop
 * the message types whose bits are set. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
struct icmp_filter {
	uint32_t data;
};
#endif

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v)) ? -errno : 0;
}

static int bind_dev(int fd, uint32_t ifindex)
{
	char name[IF_NAMESIZE];

	if (!ifindex)
		return 0;
	if (!if_indextoname(ifindex, name))
		return -errno;
	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)strlen(name)) ? -errno :
											    0;
}

int mip_udp_open(uint32_t addr, uint16_t port, uint32_t ifindex)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, err;

	sin.sin_addr.s_addr = addr;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!err)
		err = set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
	if (!err)
		err = set_int(fd, IPPROTO_IP, IP_FREEBIND, 1);
	if (!err)
		err = bind_dev(fd, ifindex);
	if (!err && bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

ssize_t mip_udp_recv(int fd, uint8_t *buf, size_t size, struct mip_rx *rx)
{
	struct sockaddr_in from;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t n;

	memset(rx, 0, sizeof(*rx));
	n = recvmsg(fd, &mh, MSG_TRUNC);
	if (n < 0)
		return -errno;
	rx->src = from.sin_addr.s_addr;
	rx->src_port = ntohs(from.sin_port);
	rx->truncated = (mh.msg_flags & MSG_TRUNC) || (size_t)n > size;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			rx->ifindex = (uint32_t)pi.ipi_ifindex;
			rx->dst = pi.ipi_addr.s_addr;
		}
	}
	return (size_t)n > size ? (ssize_t)size : n;
}

int mip_udp_send(int fd, uint32_t dst, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };

	to.sin_addr.s_addr = dst;
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* Accept IPv4 first fragments of UDP to port 434 and of ICMP of one type
 * (SOCK_DGRAM packet socket: offset 0 is the IP header). */
static int attach_filter(int fd, uint8_t icmp_type)
{
	/* Jumps count from the next instruction: 11 accepts, 12 drops. */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6), /* fragment offset */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 10, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), /* X = IP header length */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),	/* protocol */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2), /* UDP destination port */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MIP_PORT, 4, 5),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 0, 3),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0), /* ICMP type */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, icmp_type, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

int mip_pkt_open(uint32_t ifindex, uint8_t icmp_type)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = (int)ifindex,
	};
	int fd, err;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = attach_filter(fd, icmp_type);
	if (!err)
		err = set_int(fd, SOL_PACKET, PACKET_AUXDATA, 1);
	if (!err && bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int mip_ip_payload(const uint8_t *p, size_t len, bool csum_checked, uint8_t *proto,
		   struct mip_rx *rx, size_t *payload_len)
{
	size_t ihl, tot;

	if (len < 20 || p[0] >> 4 != 4)
		return -EBADMSG;
	ihl = (size_t)(p[0] & 0xf) * 4;
	tot = get_be16(p + 2);
	if (ihl < 20 || tot < ihl || tot > len || inet_csum(p, ihl))
		return -EBADMSG;
	*proto = p[9];
	rx->ttl = p[8];
	memcpy(&rx->src, p + 12, 4);
	memcpy(&rx->dst, p + 16, 4);
	if (*proto != IPPROTO_UDP) {
		*payload_len = tot - ihl;
		return (int)ihl;
	}
	if (tot - ihl < 8 || get_be16(p + ihl + 4) < 8 || get_be16(p + ihl + 4) > tot - ihl)
		return -EBADMSG;
	/* The UDP checksum, unless the kernel vouched for it or it is still
	 * to be filled in (a local sender's packet over veth). */
	if (!csum_checked && get_be16(p + ihl + 6) &&
	    inet_l4_csum(p, IPPROTO_UDP, p + ihl, get_be16(p + ihl + 4)))
		return -EBADMSG;
	rx->src_port = get_be16(p + ihl);
	*payload_len = get_be16(p + ihl + 4) - 8;
	return (int)(ihl + 8);
}

ssize_t mip_pkt_recv(int fd, uint8_t *buf, size_t size, uint8_t *proto, struct mip_rx *rx)
{
	struct sockaddr_ll sll;
	uint8_t pkt[2048];
	struct iovec iov = { .iov_base = pkt, .iov_len = sizeof(pkt) };
	char cbuf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	struct msghdr mh = {
		.msg_name = &sll,
		.msg_namelen = sizeof(sll),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	bool csum_checked = false;
	struct cmsghdr *c;
	size_t payload_len;
	ssize_t n;
	int off;

	memset(rx, 0, sizeof(*rx));
	n = recvmsg(fd, &mh, MSG_TRUNC);
	if (n < 0)
		return -errno;
	if (sll.sll_pkttype == PACKET_OUTGOING)
		return -EAGAIN;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
			struct tpacket_auxdata aux;

			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			csum_checked =
				aux.tp_status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID);
		}
	}
	rx->ifindex = (uint32_t)sll.sll_ifindex;
	memcpy(rx->src_mac, sll.sll_addr, 6);
	if ((size_t)n > sizeof(pkt)) {
		rx->truncated = true;
		n = sizeof(pkt);
	}
	off = mip_ip_payload(pkt, (size_t)n, csum_checked, proto, rx, &payload_len);
	if (off < 0)
		return off;
	if (payload_len > size) {
		rx->truncated = true;
		payload_len = size;
	}
	memcpy(buf, pkt + off, payload_len);
	return (ssize_t)payload_len;
}

int mip_pkt_send(int fd, uint32_t ifindex, const uint8_t mac[6], uint32_t src, uint32_t dst,
		 uint8_t proto, uint16_t sport, uint16_t dport, uint8_t ttl, const void *payload,
		 size_t len)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = (int)ifindex,
		.sll_halen = 6,
	};
	static uint16_t ip_id;
	uint8_t pkt[2048];
	size_t hl = 20 + (proto == IPPROTO_UDP ? 8 : 0), tot = hl + len;

	if (tot > sizeof(pkt))
		return -EMSGSIZE;
	memcpy(sll.sll_addr, mac, 6);
	memset(pkt, 0, hl);
	inet_ip4_write(pkt, src, dst, proto, (uint16_t)tot, 0, ++ip_id, false, ttl);
	memcpy(pkt + hl, payload, len);
	if (proto == IPPROTO_UDP) {
		uint16_t csum;

		put_be16(pkt + 20, sport);
		put_be16(pkt + 22, dport);
		put_be16(pkt + 24, (uint16_t)(8 + len));
		csum = inet_l4_csum(pkt, IPPROTO_UDP, pkt + 20, 8 + len);
		put_be16(pkt + 26, csum ? csum : 0xffff);
	}
	if (sendto(fd, pkt, tot, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

int mip_icmp_open(uint32_t ifindex, uint32_t src_addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct icmp_filter filt = { .data = ~(1u << MIP_ICMP_ADVERT) };
	int fd, err;

	sin.sin_addr.s_addr = src_addr;
	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return -errno;
	err = setsockopt(fd, SOL_RAW, ICMP_FILTER, &filt, sizeof(filt)) ? -errno : 0;
	if (!err)
		err = set_int(fd, SOL_SOCKET, SO_BROADCAST, 1);
	if (!err)
		err = set_int(fd, IPPROTO_IP, IP_TTL, 1);
	if (!err)
		err = set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1);
	if (!err)
		err = set_int(fd, IPPROTO_IP, IP_FREEBIND, 1);
	if (!err)
		err = bind_dev(fd, ifindex);
	if (!err && src_addr && bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

ssize_t mip_icmp_recv(int fd, uint8_t *buf, size_t size, struct mip_rx *rx)
{
	uint8_t pkt[2048];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	size_t ihl;
	ssize_t n;

	memset(rx, 0, sizeof(*rx));
	n = recvfrom(fd, pkt, sizeof(pkt), MSG_TRUNC, (struct sockaddr *)&from, &flen);
	if (n < 0)
		return -errno;
	if ((size_t)n > sizeof(pkt)) {
		rx->truncated = true;
		n = sizeof(pkt);
	}
	if (n < 20 || (size_t)n < (size_t)(pkt[0] & 0xf) * 4)
		return -EBADMSG;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	rx->ttl = pkt[8];
	memcpy(&rx->src, pkt + 12, 4);
	memcpy(&rx->dst, pkt + 16, 4);
	n -= (ssize_t)ihl;
	if ((size_t)n > size) {
		rx->truncated = true;
		n = (ssize_t)size;
	}
	memcpy(buf, pkt + ihl, (size_t)n);
	return n;
}

int mip_icmp_send(int fd, uint32_t dst, const void *buf, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET };

	to.sin_addr.s_addr = dst;
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}
