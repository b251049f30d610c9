/*
 * Unit tests of kyso-pkcs11's PKCS#15 parsing (pkcs11/p15.c) on the
 * structures the bit4id emulation writes and on the certificate-file formats
 * the module accepts (our assumptions, see docs/tokens/bit4id-tokenme-evo.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "p15.h"

static uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = malloc(n);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	*len = n;
	return b;
}

static void der_lengths(void **state)
{
	(void)state;
	static const uint8_t ok_long[] = {0x04, 0x81, 0x01, 0xAA};
	static const uint8_t too_long[] = {0x04, 0x05, 0xAA};
	static const uint8_t indefinite[] = {0x30, 0x80, 0x00, 0x00};
	static const uint8_t high_tag[] = {0x1F, 0x81, 0x01, 0x00};
	assert_int_equal(der_total_len(ok_long, sizeof(ok_long)), 4);
	assert_int_equal(der_total_len(too_long, sizeof(too_long)), 0);
	assert_int_equal(der_total_len(indefinite, sizeof(indefinite)), 0);
	assert_int_equal(der_total_len(high_tag, sizeof(high_tag)), 0);
}

static void odf_paths(void **state)
{
	(void)state;
	size_t len;
	struct p15_odf odf;
	/* relative paths, zero padding after */
	uint8_t *d = unhex("a00630040402700aa40630040402700ba80630040402700c0000", &len);
	assert_int_equal(p15_parse_odf(d, len, &odf), 0);
	assert_int_equal(odf.prkdf, 0x700A);
	assert_int_equal(odf.cdf, 0x700B);
	assert_int_equal(odf.aodf, 0x700C);
	free(d);
	/* absolute path 3F00 5015 7005: the last file id counts */
	d = unhex("a40a30080406"
	          "3f0050157005",
	          &len);
	assert_int_equal(p15_parse_odf(d, len, &odf), 0);
	assert_int_equal(odf.cdf, 0x7005);
	assert_int_equal(odf.prkdf, 0);
	free(d);
}

static void aodf_pin_rules(void **state)
{
	(void)state;
	size_t len;
	struct p15_pin pin;
	uint8_t *d = unhex("302e300d0c08557365722050494e0301003003040101a11830160302024c"
	                   "0a01020201040201080201108001010401ff0000",
	                   &len);
	assert_int_equal(p15_parse_aodf(d, len, &pin), 0);
	assert_true(pin.found);
	assert_int_equal(pin.reference, 1);
	assert_int_equal(pin.min_len, 4);
	assert_int_equal(pin.stored_len, 8);
	assert_int_equal(pin.max_len, 16);
	assert_int_equal(pin.pad_char, 0xFF);
	assert_true(pin.needs_padding);
	free(d);
}

static void prkdf_key(void **state)
{
	(void)state;
	size_t len, n = 0;
	struct p15_key keys[P15_MAX_KEYS];
	uint8_t *d = unhex("304a30160c0d5369676e6174757265206b65790302068004010130220414"
	                   "23659a76fc4959c7916c332a759400d4450d81980303062040030203b802"
	                   "0101a10c300a300404027002020208000000",
	                   &len);
	assert_int_equal(p15_parse_prkdf(d, len, keys, P15_MAX_KEYS, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].label, "Signature key");
	assert_int_equal(keys[0].id_len, 20);
	assert_int_equal(keys[0].key_ref, 1);
	assert_int_equal(keys[0].bits, 2048);
	assert_true(keys[0].usage & (1u << 2)); /* sign */
	assert_true(keys[0].usage & (1u << 9)); /* nonRepudiation */
	assert_int_equal(keys[0].auth_id, 1);
	free(d);
}

static void cdf_entries(void **state)
{
	(void)state;
	size_t len, n = 0;
	struct p15_cert c[P15_MAX_CERTS];
	/* signer (id 20 bytes, EF 0003) and a CA (authority TRUE, EF 0002) */
	uint8_t *d = unhex("303e301a0c155369676e6174757265206365727469666963617465030100"
	                   "3016041423659a76fc4959c7916c332a759400d4450d8198a10830063004"
	                   "04020003301b30070c02434103010030060401c10101ffa1083006300404"
	                   "0200020000",
	                   &len);
	assert_int_equal(p15_parse_cdf(d, len, c, P15_MAX_CERTS, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(c[0].fid, 0x0003);
	assert_false(c[0].authority);
	assert_string_equal(c[1].label, "CA");
	assert_int_equal(c[1].fid, 0x0002);
	assert_true(c[1].authority);
	free(d);
}

/* A stand-in certificate: SEQUENCE of 300 bytes. */
static void fake_cert(uint8_t *buf, size_t *len)
{
	buf[0] = 0x30;
	buf[1] = 0x82;
	buf[2] = 0x01;
	buf[3] = 0x2C;
	for (size_t i = 0; i < 300; i++)
		buf[4 + i] = (uint8_t)(i * 7);
	*len = 304;
}

static size_t deflate_to(const uint8_t *in, size_t len, uint8_t *out, size_t cap, int wbits)
{
	z_stream s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)len;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	size_t n = cap - s.avail_out;
	assert_int_equal(deflateEnd(&s), Z_OK);
	return n;
}

static void check_decodes(const uint8_t *file, size_t len, const uint8_t *cert, size_t cert_len)
{
	uint8_t *out = NULL;
	size_t out_len = 0;
	assert_int_equal(p15_cert_decode(file, len, &out, &out_len), 0);
	assert_int_equal(out_len, cert_len);
	assert_memory_equal(out, cert, cert_len);
	free(out);
}

static void cert_files(void **state)
{
	(void)state;
	uint8_t cert[400], file[800];
	size_t cl, n;
	uint8_t *out = NULL;
	size_t out_len = 0;
	fake_cert(cert, &cl);

	/* plain DER followed by zero padding */
	memset(file, 0, sizeof(file));
	memcpy(file, cert, cl);
	check_decodes(file, cl + 60, cert, cl);

	/* 01 00 + little-endian length + zlib (what the emulation stores) */
	memset(file, 0, sizeof(file));
	file[0] = 0x01;
	file[2] = (uint8_t)cl;
	file[3] = (uint8_t)(cl >> 8);
	n = deflate_to(cert, cl, file + 4, sizeof(file) - 4, 15);
	check_decodes(file, 4 + n + 32, cert, cl);
	/* ... with a wrong length in the header: refused */
	file[2] ^= 0x01;
	assert_int_equal(p15_cert_decode(file, 4 + n, &out, &out_len), -1);
	/* ... truncated stream: refused */
	file[2] ^= 0x01;
	assert_int_equal(p15_cert_decode(file, 4 + n / 2, &out, &out_len), -1);

	/* a bare zlib stream, and gzip */
	n = deflate_to(cert, cl, file, sizeof(file), 15);
	check_decodes(file, n, cert, cl);
	n = deflate_to(cert, cl, file, sizeof(file), 15 + 16);
	check_decodes(file, n, cert, cl);

	/* anything else is not a certificate */
	memset(file, 0x5A, 64);
	assert_int_equal(p15_cert_decode(file, 64, &out, &out_len), -1);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(der_lengths),    cmocka_unit_test(odf_paths),
	        cmocka_unit_test(aodf_pin_rules), cmocka_unit_test(prkdf_key),
	        cmocka_unit_test(cdf_entries),    cmocka_unit_test(cert_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
