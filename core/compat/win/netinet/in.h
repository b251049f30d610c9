/* <netinet/in.h> for the Windows build: struct sockaddr_in and friends from
 * Winsock (see arpa/inet.h here). */
#ifndef KYSO_COMPAT_NETINET_IN_H
#define KYSO_COMPAT_NETINET_IN_H
#include <winsock2.h>
#include <ws2tcpip.h>
#endif
