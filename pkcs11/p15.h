/*
 * PKCS#15 (ISO 7816-15) structures as a card returns them: ODF, TokenInfo,
 * CDF, PrKDF, AODF, and certificate files that may be compressed. A small DER
 * reader, no allocation except for inflated certificates. Everything here
 * works on untrusted bytes (fuzzed by tests/fuzz/fuzz_p15.c).
 */
#ifndef KYSO_P11_P15_H
#define KYSO_P11_P15_H

#include <stddef.h>
#include <stdint.h>

#define P15_MAX_ID    64
#define P15_MAX_LABEL 64
#define P15_MAX_CERTS 8
#define P15_MAX_KEYS  4
/* The largest certificate file we accept (inflated or not). */
#define P15_MAX_CERT 16384

/* One DER element: tag (one byte), value. */
struct der_elem {
	uint8_t tag;
	const uint8_t *val;
	size_t len;
};

/* Read the element at *p (before end) and move *p past it. 0 ok, -1 malformed. */
int der_next(const uint8_t **p, const uint8_t *end, struct der_elem *e);
/* Total length (header + value) of the element at the start of buf; 0 if malformed. */
size_t der_total_len(const uint8_t *buf, size_t len);

struct p15_odf {
	uint16_t prkdf; /* 0 when the ODF does not name one */
	uint16_t cdf;
	uint16_t aodf;
};

struct p15_tokeninfo {
	char serial[2 * 16 + 1]; /* hex of the serialNumber octets */
	char manufacturer[P15_MAX_LABEL + 1];
	char label[P15_MAX_LABEL + 1];
};

struct p15_cert {
	size_t id_len;
	int authority;
	uint16_t fid;
	uint8_t id[P15_MAX_ID];
	char label[P15_MAX_LABEL + 1];
};

struct p15_key {
	size_t id_len;
	int key_ref;     /* -1 when absent */
	unsigned bits;   /* modulusLength, 0 when absent */
	unsigned usage;  /* KeyUsageFlags bits, bit 0 = encrypt ... bit 2 = sign */
	uint8_t auth_id; /* 0 when absent */
	uint8_t id[P15_MAX_ID];
	char label[P15_MAX_LABEL + 1];
};

struct p15_pin {
	int found;
	int reference; /* -1 when absent */
	unsigned min_len;
	unsigned stored_len;
	unsigned max_len;
	int pad_char; /* -1 when absent */
	int needs_padding;
};

int p15_parse_odf(const uint8_t *d, size_t len, struct p15_odf *out);
int p15_parse_tokeninfo(const uint8_t *d, size_t len, struct p15_tokeninfo *out);
/* Directory files: entries until the end or zero padding. n = entries found. */
int p15_parse_cdf(const uint8_t *d, size_t len, struct p15_cert *out, size_t max, size_t *n);
int p15_parse_prkdf(const uint8_t *d, size_t len, struct p15_key *out, size_t max, size_t *n);
/* The first PIN object of the AODF. */
int p15_parse_aodf(const uint8_t *d, size_t len, struct p15_pin *out);

/*
 * A certificate file as stored: plain DER, or compressed (01 00 + 2-byte little
 * endian length + zlib stream, or a bare zlib/gzip stream), possibly followed
 * by zero padding. On success *out (malloc'd) holds exactly one DER
 * certificate. 0 ok, -1 not a certificate.
 */
int p15_cert_decode(const uint8_t *d, size_t len, uint8_t **out, size_t *out_len);

#endif
