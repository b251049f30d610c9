/* kyso_peer on Linux: the peer socket of a loopback TCP connection is the
 * socket whose local address is our remote one and whose remote address is
 * our local one. sock_diag (NETLINK_INET_DIAG, an exact lookup of that
 * 4-tuple) tells its owner's uid and its inode; where the diag module is
 * missing, /proc/net/tcp{,6} holds the same. The program is found through the
 * inode in /proc/PID/fd. */
#include "kyso_peer.h"
#include "core_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* an IPv4 address as ::ffff:a.b.c.d: the IPv4 connection it is */
static void unmap_v4(struct sockaddr_storage *ss)
{
	if (ss->ss_family != AF_INET6)
		return;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	struct sockaddr_in s4;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
	memcpy(ss, &s4, sizeof(s4));
}

static bool get_tuple(int fd, kyso_peer_tuple_t *t)
{
	struct sockaddr_storage us, them;
	socklen_t ul = sizeof(us), tl = sizeof(them);
	if (getsockname(fd, (struct sockaddr *)&us, &ul) != 0 ||
	    getpeername(fd, (struct sockaddr *)&them, &tl) != 0)
		return false;
	unmap_v4(&us);
	unmap_v4(&them);
	if (!kyso_peer_tuple_fill(&us, &them, t))
		return false;
	struct stat st;
	if (fstat(fd, &st) == 0)
		t->own_inode = (uint64_t)st.st_ino;
	return true;
}

static kyso_peer_owner_t verdict(kyso_peer_t *peer, const kyso_peer_tuple_t *t, uint32_t uid,
                                 uint64_t inode, const char *how)
{
	if (inode == 0 || inode == t->own_inode)
		return KYSO_PEER_UNKNOWN;
	peer->inode = inode;
	peer->uid = uid;
	snprintf(peer->how, sizeof(peer->how), "%s", how);
	return uid == (uint32_t)geteuid() ? KYSO_PEER_SAME_USER : KYSO_PEER_OTHER_USER;
}

/* ---- sock_diag ------------------------------------------------------------------ */

static kyso_peer_owner_t by_diag(const kyso_peer_tuple_t *t, kyso_peer_t *peer)
{
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_INET_DIAG);
	if (nl < 0)
		return KYSO_PEER_UNKNOWN;
	struct timeval tv = {2, 0};
	(void)setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = (uint8_t)t->family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	/* the client's socket: its source is our peer, its destination us */
	req.r.id.idiag_sport = htons(t->peer_port);
	req.r.id.idiag_dport = htons(t->our_port);
	size_t alen = t->family == AF_INET ? 4 : 16;
	memcpy(req.r.id.idiag_src, t->peer_addr, alen);
	memcpy(req.r.id.idiag_dst, t->our_addr, alen);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	struct sockaddr_nl kernel;
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	kyso_peer_owner_t rc = KYSO_PEER_UNKNOWN;
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) !=
	    (ssize_t)sizeof(req)) {
		close(nl);
		return rc;
	}
	union {
		struct nlmsghdr h;
		char b[8192];
	} buf;
	ssize_t n = recv(nl, buf.b, sizeof(buf.b), 0);
	close(nl);
	if (n <= 0)
		return rc;
	size_t left = (size_t)n;
	for (struct nlmsghdr *h = &buf.h; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			break; /* NLMSG_ERROR (ENOENT: no such socket), NLMSG_DONE */
		const struct inet_diag_msg *m = NLMSG_DATA(h);
		if (m->id.idiag_sport != htons(t->peer_port) ||
		    m->id.idiag_dport != htons(t->our_port) ||
		    memcmp(m->id.idiag_src, t->peer_addr, alen) != 0 ||
		    memcmp(m->id.idiag_dst, t->our_addr, alen) != 0)
			continue;
		rc = verdict(peer, t, m->idiag_uid, m->idiag_inode, "sock_diag");
		break;
	}
	return rc;
}

/* ---- /proc/net/tcp{,6} ------------------------------------------------------------ */

/* an address as the kernel prints it there: 32-bit words in host order, %08X */
static void proc_addr(const uint8_t *a, int family, char *out, size_t cap)
{
	size_t words = family == AF_INET ? 1 : 4, o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < words && o + 9 <= cap; i++) {
		uint32_t w;
		memcpy(&w, a + 4 * i, 4);
		o += (size_t)snprintf(out + o, cap - o, "%08X", w);
	}
}

static kyso_peer_owner_t by_proc(const kyso_peer_tuple_t *t, kyso_peer_t *peer)
{
	FILE *f = fopen(t->family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6", "re");
	if (f == NULL)
		return KYSO_PEER_UNKNOWN;
	char want_local[40], want_remote[40];
	proc_addr(t->peer_addr, t->family, want_local, sizeof(want_local));
	proc_addr(t->our_addr, t->family, want_remote, sizeof(want_remote));
	kyso_peer_owner_t rc = KYSO_PEER_UNKNOWN;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		char la[40], ra[40];
		unsigned lp, rp, st;
		unsigned long uid;
		unsigned long long inode;
		if (sscanf(line,
		           " %*d: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %lu %*d %llu",
		           la, &lp, ra, &rp, &st, &uid, &inode) != 7)
			continue;
		if (lp != t->peer_port || rp != t->our_port || strcasecmp(la, want_local) != 0 ||
		    strcasecmp(ra, want_remote) != 0)
			continue;
		rc = verdict(peer, t, (uint32_t)uid, inode, "proc");
		break;
	}
	fclose(f);
	return rc;
}

kyso_peer_owner_t kyso_peer_lookup_with(intptr_t sock, const char *how, kyso_peer_t *peer)
{
	memset(peer, 0, sizeof(*peer));
	kyso_peer_tuple_t t;
	if (how == NULL || !get_tuple((int)sock, &t) || !kyso_peer_tuple_loopback(&t))
		return KYSO_PEER_UNKNOWN;
	if (strcmp(how, "sock_diag") == 0)
		return by_diag(&t, peer);
	if (strcmp(how, "proc") == 0)
		return by_proc(&t, peer);
	return KYSO_PEER_UNKNOWN;
}

kyso_peer_owner_t kyso_peer_lookup(intptr_t sock, kyso_peer_t *peer)
{
	kyso_peer_owner_t rc = kyso_peer_lookup_with(sock, "sock_diag", peer);
	if (rc == KYSO_PEER_UNKNOWN)
		rc = kyso_peer_lookup_with(sock, "proc", peer);
	return rc;
}

/* ---- the program -------------------------------------------------------------------- */

static bool holds_inode(const char *pid, const char *want)
{
	char dir[300];
	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char p[600], link[64];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(p, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, want) == 0;
	}
	closedir(d);
	return found;
}

bool kyso_peer_program(const kyso_peer_t *peer, char *path, size_t cap)
{
	if (cap > 0)
		path[0] = '\0';
	if (peer == NULL || peer->inode == 0 || cap < 2)
		return false;
	char want[48];
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)peer->inode);
	DIR *proc = opendir("/proc");
	if (proc == NULL)
		return false;
	bool found = false;
	uid_t me = geteuid();
	struct dirent *e;
	while (!found && (e = readdir(proc)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char p[300];
		struct stat st;
		snprintf(p, sizeof(p), "/proc/%s", e->d_name);
		/* only this user's processes can be read (and only they can hold
		 * a socket that passed the check) */
		if (stat(p, &st) != 0 || (st.st_uid != me && me != 0))
			continue;
		if (!holds_inode(e->d_name, want))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/exe", e->d_name);
		ssize_t n = readlink(p, path, cap - 1);
		if (n > 0) {
			path[n] = '\0';
			found = true;
		}
	}
	closedir(proc);
	return found;
}
