/* <arpa/inet.h> for the Windows build: inet_pton/htons and friends come
 * from Winsock (ws2_32, linked by kyso_core). Sockets themselves go through
 * core's kyso_tcp_connect()/kyso_sock_close() (kyso_platform.h). */
#ifndef KYSO_COMPAT_ARPA_INET_H
#define KYSO_COMPAT_ARPA_INET_H
#include <winsock2.h>
#include <ws2tcpip.h>
#endif
