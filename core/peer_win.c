/* kyso_peer on Windows: the TCP table with owning processes
 * (GetExtendedTcpTable, TCP_TABLE_OWNER_PID_ALL) has the client's end of a
 * loopback connection as the row whose local address is our remote one and
 * whose remote address is our local one; its process's token names the user
 * (TokenUser SID), compared with this process's. A process that cannot be
 * opened (another user's, or one of higher integrity) is not this user's. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>

#include "kyso_peer.h"
#include "win_int.h"
#include "core_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool get_tuple(SOCKET s, kyso_peer_tuple_t *t)
{
	struct sockaddr_storage us, them;
	int ul = sizeof(us), tl = sizeof(them);
	if (getsockname(s, (struct sockaddr *)&us, &ul) != 0 ||
	    getpeername(s, (struct sockaddr *)&them, &tl) != 0)
		return false;
	return kyso_peer_tuple_fill(&us, &them, t) && kyso_peer_tuple_loopback(t);
}

static void *tcp_table(ULONG family)
{
	DWORD size = 0;
	void *tab = NULL;
	for (int tries = 0; tries < 4; tries++) {
		DWORD rc =
		        GetExtendedTcpTable(tab, &size, FALSE, family, TCP_TABLE_OWNER_PID_ALL, 0);
		if (rc == NO_ERROR)
			return tab;
		free(tab);
		tab = NULL;
		if (rc != ERROR_INSUFFICIENT_BUFFER)
			return NULL;
		size += 4096; /* connections may appear between the two calls */
		tab = malloc(size);
		if (tab == NULL)
			return NULL;
	}
	free(tab);
	return NULL;
}

static DWORD owner_pid(const kyso_peer_tuple_t *t)
{
	DWORD pid = 0;
	if (t->family == AF_INET) {
		MIB_TCPTABLE_OWNER_PID *tab = tcp_table(AF_INET);
		for (DWORD i = 0; tab != NULL && i < tab->dwNumEntries; i++) {
			const MIB_TCPROW_OWNER_PID *r = &tab->table[i];
			if (memcmp(&r->dwLocalAddr, t->peer_addr, 4) == 0 &&
			    memcmp(&r->dwRemoteAddr, t->our_addr, 4) == 0 &&
			    ntohs((u_short)r->dwLocalPort) == t->peer_port &&
			    ntohs((u_short)r->dwRemotePort) == t->our_port) {
				pid = r->dwOwningPid;
				break;
			}
		}
		free(tab);
	} else {
		MIB_TCP6TABLE_OWNER_PID *tab = tcp_table(AF_INET6);
		for (DWORD i = 0; tab != NULL && i < tab->dwNumEntries; i++) {
			const MIB_TCP6ROW_OWNER_PID *r = &tab->table[i];
			if (memcmp(r->ucLocalAddr, t->peer_addr, 16) == 0 &&
			    memcmp(r->ucRemoteAddr, t->our_addr, 16) == 0 &&
			    ntohs((u_short)r->dwLocalPort) == t->peer_port &&
			    ntohs((u_short)r->dwRemotePort) == t->our_port) {
				pid = r->dwOwningPid;
				break;
			}
		}
		free(tab);
	}
	return pid;
}

/* the user SID of a process token (allocated), NULL when it cannot be read */
static TOKEN_USER *token_user(HANDLE process)
{
	HANDLE tok = NULL;
	if (!OpenProcessToken(process, TOKEN_QUERY, &tok))
		return NULL;
	DWORD len = 0;
	TOKEN_USER *tu = NULL;
	if (!GetTokenInformation(tok, TokenUser, NULL, 0, &len) &&
	    GetLastError() == ERROR_INSUFFICIENT_BUFFER && len > 0) {
		tu = malloc(len);
		if (tu != NULL && !GetTokenInformation(tok, TokenUser, tu, len, &len)) {
			free(tu);
			tu = NULL;
		}
	}
	CloseHandle(tok);
	return tu;
}

kyso_peer_owner_t kyso_peer_lookup_with(intptr_t sock, const char *how, kyso_peer_t *peer)
{
	memset(peer, 0, sizeof(*peer));
	kyso_peer_tuple_t t;
	if (how == NULL || strcmp(how, "tcptable") != 0 || !get_tuple((SOCKET)sock, &t))
		return KYSO_PEER_UNKNOWN;
	DWORD pid = owner_pid(&t);
	if (pid == 0 || pid == 4 || pid == GetCurrentProcessId())
		return KYSO_PEER_UNKNOWN; /* idle/System, or our own end */
	peer->pid = (uint32_t)pid;
	snprintf(peer->how, sizeof(peer->how), "%s", how);
	HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
	if (h == NULL)
		return KYSO_PEER_OTHER_USER; /* access denied: not ours */
	TOKEN_USER *them = token_user(h);
	CloseHandle(h);
	TOKEN_USER *me = token_user(GetCurrentProcess());
	kyso_peer_owner_t rc = KYSO_PEER_UNKNOWN;
	if (me != NULL)
		rc = them != NULL && EqualSid(them->User.Sid, me->User.Sid) ? KYSO_PEER_SAME_USER
		                                                            : KYSO_PEER_OTHER_USER;
	free(them);
	free(me);
	return rc;
}

kyso_peer_owner_t kyso_peer_lookup(intptr_t sock, kyso_peer_t *peer)
{
	return kyso_peer_lookup_with(sock, "tcptable", peer);
}

bool kyso_peer_program(const kyso_peer_t *peer, char *path, size_t cap)
{
	if (cap > 0)
		path[0] = '\0';
	if (peer == NULL || peer->pid == 0 || cap < 2)
		return false;
	HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, peer->pid);
	if (h == NULL)
		return false;
	wchar_t w[MAX_PATH * 4];
	DWORD n = (DWORD)(sizeof(w) / sizeof(w[0]));
	bool ok = QueryFullProcessImageNameW(h, 0, w, &n) != 0;
	CloseHandle(h);
	if (!ok)
		return false;
	char *u = kyso_win_utf8(w);
	if (u == NULL)
		return false;
	snprintf(path, cap, "%s", u);
	free(u);
	return true;
}
