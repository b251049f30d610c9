/* TCP client connections over Winsock: non-blocking connect with select()
 * for the timeout, then a blocking socket with SO_RCVTIMEO/SO_SNDTIMEO (in
 * milliseconds on Windows). Winsock is started once, on first use. */
#include <winsock2.h>
#include <ws2tcpip.h>

#include "kyso_platform.h"
#include "win_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static INIT_ONCE wsa_once = INIT_ONCE_STATIC_INIT;
static int wsa_error;

static BOOL CALLBACK wsa_start(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	WSADATA d;
	wsa_error = WSAStartup(MAKEWORD(2, 2), &d);
	return TRUE;
}

static int errno_of(int wsa)
{
	switch (wsa) {
	case WSAECONNREFUSED:
		return ECONNREFUSED;
	case WSAETIMEDOUT:
		return ETIMEDOUT;
	case WSAEHOSTUNREACH:
		return EHOSTUNREACH;
	case WSAENETUNREACH:
		return ENETUNREACH;
	default:
		return EIO;
	}
}

/* FIONBIO is an unsigned constant that ioctlsocket() takes as a long */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
static int set_blocking(SOCKET s, bool blocking)
{
	u_long nb = blocking ? 0 : 1;
	return ioctlsocket(s, FIONBIO, &nb);
}
#pragma GCC diagnostic pop

/* connect() within timeout_ms; 0, or the Winsock error. */
static int connect_timeout(SOCKET s, const struct addrinfo *a, int timeout_ms)
{
	if (set_blocking(s, false) != 0)
		return WSAGetLastError();
	if (connect(s, a->ai_addr, (int)a->ai_addrlen) != 0) {
		int e = WSAGetLastError();
		if (e != WSAEWOULDBLOCK)
			return e;
		fd_set w, x;
		FD_ZERO(&w);
		FD_ZERO(&x);
		FD_SET(s, &w);
		FD_SET(s, &x);
		struct timeval tv = {.tv_sec = timeout_ms / 1000,
		                     .tv_usec = (timeout_ms % 1000) * 1000};
		int n = select(0, NULL, &w, &x, &tv);
		if (n == 0)
			return WSAETIMEDOUT;
		int soerr = 0;
		int sl = sizeof(soerr);
		if (n < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&soerr, &sl) != 0)
			return WSAGetLastError();
		if (soerr != 0 || !FD_ISSET(s, &w))
			return soerr != 0 ? soerr : WSAECONNREFUSED;
	}
	if (set_blocking(s, true) != 0)
		return WSAGetLastError();
	return 0;
}

kyso_sock_t kyso_tcp_connect(const char *host, int port, int timeout_ms, char *msg, size_t cap)
{
	InitOnceExecuteOnce(&wsa_once, wsa_start, NULL, NULL);
	if (wsa_error != 0) {
		snprintf(msg, cap, "WSAStartup: %s", kyso_win_strerror((DWORD)wsa_error));
		errno = EIO;
		return KYSO_SOCK_INVALID;
	}
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	int gai = getaddrinfo(host, service, &hints, &res);
	if (gai != 0) {
		snprintf(msg, cap, "%s: %s", host, kyso_win_strerror((DWORD)gai));
		errno = EHOSTUNREACH;
		return KYSO_SOCK_INVALID;
	}
	SOCKET s = INVALID_SOCKET;
	int last = WSAECONNREFUSED;
	for (const struct addrinfo *a = res; a != NULL && s == INVALID_SOCKET; a = a->ai_next) {
		s = WSASocketW(a->ai_family, a->ai_socktype, a->ai_protocol, NULL, 0,
		               WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
		if (s == INVALID_SOCKET)
			continue;
		last = connect_timeout(s, a, timeout_ms);
		if (last == 0)
			break;
		closesocket(s);
		s = INVALID_SOCKET;
	}
	freeaddrinfo(res);
	if (s == INVALID_SOCKET) {
		snprintf(msg, cap, "%s:%d: %s", host, port, kyso_win_strerror((DWORD)last));
		errno = errno_of(last);
		return KYSO_SOCK_INVALID;
	}
	DWORD ms = timeout_ms > 0 ? (DWORD)timeout_ms : 0;
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof(ms)) != 0 ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&ms, sizeof(ms)) != 0) {
		last = WSAGetLastError();
		snprintf(msg, cap, "setsockopt: %s", kyso_win_strerror((DWORD)last));
		closesocket(s);
		errno = errno_of(last);
		return KYSO_SOCK_INVALID;
	}
	return (kyso_sock_t)s;
}

void kyso_sock_close(kyso_sock_t s)
{
	if (s != KYSO_SOCK_INVALID && closesocket((SOCKET)s) != 0)
		kyso_debug("closesocket: %s", kyso_win_strerror((DWORD)WSAGetLastError()));
}
