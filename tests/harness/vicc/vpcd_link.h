/* The vpcd socket protocol: the card connects to vpcd's TCP port; every
 * message is a 2-byte big-endian length followed by the payload. */
#ifndef KYSO_VICC_VPCD_LINK_H
#define KYSO_VICC_VPCD_LINK_H

#include <stddef.h>
#include <stdint.h>

/* One-byte control messages from vpcd. */
#define VPCD_CTRL_OFF   0x00
#define VPCD_CTRL_ON    0x01
#define VPCD_CTRL_RESET 0x02
#define VPCD_CTRL_ATR   0x04

/* Connect to host:port; returns the socket or -1 (errno set, nothing printed). */
int vpcd_connect(const char *host, const char *port);
/* Read one message into buf (cap >= 0xFFFF). 0 ok, 1 peer closed, -1 error. */
int vpcd_recv(int fd, uint8_t *buf, size_t cap, size_t *len);
/* Send one message. 0 ok, -1 error. */
int vpcd_send(int fd, const uint8_t *buf, size_t len);
/* Pull the card in the middle of a command: start the answer (length header
 * only), then reset the connection (TCP RST) and close fd. vpcd then fails
 * the command (SCARD_E_NOT_TRANSACTED). A plain close, or a reset before any
 * byte, makes vpcd 3.3 return an empty response as if it were a success. */
int vpcd_abort(int fd);

#endif
