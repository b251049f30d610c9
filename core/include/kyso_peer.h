/* kyso_peer: who is at the other end of an accepted loopback TCP connection.
 *
 * kyso-agent serves web pages of the user who runs it; on a shared machine
 * any local process of any user can connect to its loopback ports and send
 * whatever Origin it likes. The kernel knows which user owns the other end of
 * a loopback connection: POSIX (Linux) asks sock_diag (NETLINK_INET_DIAG) for
 * the client socket of the connection's 4-tuple, else reads /proc/net/tcp{,6};
 * Windows finds the owning process in GetExtendedTcpTable
 * (TCP_TABLE_OWNER_PID_ALL) and compares its token's user SID with ours
 * (peer_posix.c, peer_win.c). */
#ifndef KYSO_PEER_H
#define KYSO_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	KYSO_PEER_SAME_USER = 0, /* the peer socket belongs to this process's user */
	KYSO_PEER_OTHER_USER,    /* another OS user */
	KYSO_PEER_UNKNOWN,       /* not found (closed meanwhile, tables unreadable) */
} kyso_peer_owner_t;

/* What was found about the peer: enough to find its program later. */
typedef struct {
	uint64_t inode; /* POSIX: the peer socket's inode; 0 = unknown */
	uint32_t pid;   /* Windows: the process owning the peer socket; 0 = unknown */
	uint32_t uid;   /* POSIX: the peer socket's owner */
	char how[16];   /* which table answered: "sock_diag", "proc", "tcptable" */
} kyso_peer_t;

/* Looks up the peer of sock (a connected TCP socket: a file descriptor, or a
 * Windows SOCKET) in the kernel's socket tables. Only loopback peers can be
 * found (any other peer is UNKNOWN). */
kyso_peer_owner_t kyso_peer_lookup(intptr_t sock, kyso_peer_t *peer);

/* The same through one table only (tests): POSIX "sock_diag" or "proc";
 * Windows "tcptable". Another name gives UNKNOWN. */
kyso_peer_owner_t kyso_peer_lookup_with(intptr_t sock, const char *how, kyso_peer_t *peer);

/* The program (full path, UTF-8) of a process holding the peer socket:
 * POSIX /proc/PID/exe of the process whose /proc/PID/fd holds the socket's
 * inode (only this user's readable processes are searched); Windows
 * QueryFullProcessImageNameW of the owning process. false when not found. */
bool kyso_peer_program(const kyso_peer_t *peer, char *path, size_t cap);

#endif
