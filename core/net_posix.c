/* TCP client connections over BSD sockets: non-blocking connect with poll()
 * for the timeout, then a blocking socket with SO_RCVTIMEO/SO_SNDTIMEO. */
#include "kyso_platform.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* connect() within timeout_ms; 0 or -1 with errno set. */
static int connect_timeout(int fd, const struct addrinfo *a, int timeout_ms)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return -1;
	int rc = connect(fd, a->ai_addr, a->ai_addrlen);
	if (rc != 0 && errno == EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (poll(&p, 1, timeout_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
			rc = 0;
		else
			errno = soerr != 0 ? soerr : ETIMEDOUT;
	}
	if (rc == 0 && fcntl(fd, F_SETFL, fl) != 0)
		rc = -1;
	return rc;
}

kyso_sock_t kyso_tcp_connect(const char *host, int port, int timeout_ms, char *msg, size_t cap)
{
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	int gai = getaddrinfo(host, service, &hints, &res);
	if (gai != 0) {
		snprintf(msg, cap, "%s: %s", host, gai_strerror(gai));
		errno = EHOSTUNREACH;
		return KYSO_SOCK_INVALID;
	}
	int fd = -1;
	int last = ECONNREFUSED;
	for (const struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect_timeout(fd, a, timeout_ms) == 0)
			break;
		last = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(msg, cap, "%s:%d: %s", host, port, strerror(last));
		errno = last;
		return KYSO_SOCK_INVALID;
	}
	struct timeval tv = {.tv_sec = timeout_ms / 1000,
	                     .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		last = errno;
		snprintf(msg, cap, "setsockopt: %s", strerror(last));
		close(fd);
		errno = last;
		return KYSO_SOCK_INVALID;
	}
	return fd;
}

void kyso_sock_close(kyso_sock_t s)
{
	if (s >= 0 && close(s) != 0)
		kyso_debug("close(socket): %s", strerror(errno));
}
