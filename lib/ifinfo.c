#include "lib/ifinfo.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* One SIOCGIF* request on the interface; ifr comes back filled in. */
static int if_ioctl(uint32_t ifindex, unsigned long request, struct ifreq *ifr)
{
	int fd, err = 0;

	memset(ifr, 0, sizeof(*ifr));
	if (!if_indextoname(ifindex, ifr->ifr_name))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, request, ifr))
		err = -errno;
	close(fd);
	return err;
}

int mml_if_mac(uint32_t ifindex, uint8_t mac[6])
{
	struct ifreq ifr;
	int err = if_ioctl(ifindex, SIOCGIFHWADDR, &ifr);

	if (!err)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return err;
}

int mml_if_mtu(uint32_t ifindex, uint32_t *mtu)
{
	struct ifreq ifr;
	int err = if_ioctl(ifindex, SIOCGIFMTU, &ifr);

	if (!err)
		*mtu = (uint32_t)ifr.ifr_mtu;
	return err;
}
