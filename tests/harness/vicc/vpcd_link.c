/* vpcd framing over a TCP socket. */
#include "vpcd_link.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int vpcd_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		errno = EINVAL;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		int saved = errno;
		close(fd);
		errno = saved;
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		int one = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* 0 ok, 1 EOF before the first byte, -1 error or EOF mid-message */
static int read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return got == 0 ? 1 : -1;
		got += (size_t)n;
	}
	return 0;
}

int vpcd_recv(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t hdr[2];
	int rc = read_full(fd, hdr, 2);
	if (rc != 0)
		return rc;
	size_t n = (size_t)hdr[0] << 8 | hdr[1];
	if (n > cap)
		return -1;
	*len = n;
	if (n == 0)
		return 0;
	rc = read_full(fd, buf, n);
	return rc == 0 ? 0 : -1;
}

static int write_full(int fd, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int vpcd_send(int fd, const uint8_t *buf, size_t len)
{
	uint8_t hdr[2];
	if (len > 0xFFFF)
		return -1;
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)(len & 0xFF);
	if (write_full(fd, hdr, 2) != 0)
		return -1;
	return write_full(fd, buf, len);
}

int vpcd_abort(int fd)
{
	static const uint8_t hdr[2] = {0x00, 0x02};
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int rc = write_full(fd, hdr, sizeof(hdr));
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}
