/* Internal: small libcurl helpers of the doctor and `kyso reports`. */
#ifndef KYSO_NET_INT_H
#define KYSO_NET_INT_H
#include "kyso_core.h"
#include "kyso_ws.h"

/* GET url into body (at most max bytes). 0 when an HTTP answer came back
 * (*code set), -1 with msg otherwise. */
int kyso_doctor_net_get(const char *url, int timeout_ms, size_t max, kyso_buf_t *body, long *code,
                        char *msg, size_t msg_cap);

/* GET url over HTTPS verified against cafile (NULL: system store). Fills
 * *code and body on an HTTP answer; returns the status. */
kyso_net_status_t kyso_doctor_net_get_verified(const char *url, const char *cafile, int timeout_ms,
                                               size_t max, kyso_buf_t *body, long *code, char *msg,
                                               size_t msg_cap);

/* Is this URL's host a loopback address (127.0.0.0/8, ::1, localhost)? */
bool kyso_doctor_net_url_is_loopback(const char *url);
#endif
