/* The 4-tuple of a TCP connection, the same on every OS: the OS files
 * (peer_posix.c, peer_win.c) ask the socket for its two addresses and look
 * the tuple up in their own socket tables. */
#include "core_int.h"

#include <netinet/in.h>
#include <string.h>

bool kyso_peer_tuple_fill(const struct sockaddr_storage *us, const struct sockaddr_storage *them,
                          kyso_peer_tuple_t *t)
{
	memset(t, 0, sizeof(*t));
	if (us->ss_family != them->ss_family)
		return false;
	t->family = us->ss_family;
	if (t->family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)us;
		const struct sockaddr_in *b = (const struct sockaddr_in *)them;
		memcpy(t->our_addr, &a->sin_addr, 4);
		memcpy(t->peer_addr, &b->sin_addr, 4);
		t->our_port = ntohs(a->sin_port);
		t->peer_port = ntohs(b->sin_port);
		return true;
	}
	if (t->family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)us;
		const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)them;
		memcpy(t->our_addr, &a->sin6_addr, 16);
		memcpy(t->peer_addr, &b->sin6_addr, 16);
		t->our_port = ntohs(a->sin6_port);
		t->peer_port = ntohs(b->sin6_port);
		return true;
	}
	return false;
}

bool kyso_peer_tuple_loopback(const kyso_peer_tuple_t *t)
{
	if (t->family == AF_INET)
		return t->peer_addr[0] == 127;
	static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	return t->family == AF_INET6 && memcmp(t->peer_addr, lo6, 16) == 0;
}
