/* RFC 3161 time-stamp client (PAdES B-T): asks a TSA for a token over the
 * signature value and checks the reply before it is embedded as the
 * signature-time-stamp unsigned attribute. */
#ifndef KYSO_SIGNER_TSA_INT_H
#define KYSO_SIGNER_TSA_INT_H

#include "kyso_core.h"

#include <openssl/evp.h>

/* Room reserved in /Contents for the token (TSA chain included). */
#define KYSO_TSA_RESERVE 16384

typedef struct {
	const char *url;  /* http(s)://... */
	const char *user; /* HTTP basic auth, NULL = none */
	const char *pass;
	long timeout_s; /* whole request; 0 = 30 s (connect: 10 s) */
} kyso_tsa_opts_t;

/* Time-stamps data (hashed with md): builds a request with a random 64-bit
 * nonce and certReq, POSTs it, checks the reply (HTTP status, PKIStatus
 * granted, nonce, message imprint, signature of the token, TSA certificate
 * with the timeStamping extended key usage) and returns the token (DER
 * ContentInfo) in *token.
 * Errors: KYSO_ERR_NETWORK (cannot connect, timeout, HTTP error),
 *         KYSO_ERR_TSA (credentials refused, rejected, bad reply). */
kyso_err_t kyso_tsa_stamp(const kyso_tsa_opts_t *o, const EVP_MD *md, const uint8_t *data,
                          size_t data_len, kyso_buf_t *token, kyso_error_t *err);

/* The same for a digest already made (document time stamps: the ByteRange's). */
kyso_err_t kyso_tsa_stamp_digest(const kyso_tsa_opts_t *o, const EVP_MD *md, const uint8_t *digest,
                                 unsigned digest_len, kyso_buf_t *token, kyso_error_t *err);

/* Checks a DER TimeStampResp against the request's imprint and nonce
 * (no network; used by kyso_tsa_stamp() and the tests). */
kyso_err_t kyso_tsa_check_reply(const uint8_t *resp, size_t resp_len, const EVP_MD *md,
                                const uint8_t *digest, size_t digest_len, uint64_t nonce,
                                kyso_buf_t *token, kyso_error_t *err);

/* HTTP GET (body NULL) or POST of body with content_type through libcurl
 * (loaded on first use); reply gets at most max bytes (0 = 1 MB). KYSO_OK
 * only for HTTP 200; otherwise KYSO_ERR_NETWORK with a message naming url
 * (cannot connect, timeout, other HTTP status, reply too large). */
kyso_err_t kyso_http_fetch(const char *url, const kyso_buf_t *body, const char *content_type,
                           long timeout_s, size_t max, kyso_buf_t *reply, kyso_error_t *err);

#endif
