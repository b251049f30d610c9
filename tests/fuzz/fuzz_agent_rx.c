/* libFuzzer target: kyso-agent's incremental WebSocket message reader
 * (agent_rx.c: JSON scan, a long base64 string decoded into a spool file as
 * fragments arrive) followed by the request parsers with that spool. Byte 0:
 * protocol; byte 1: fragment size; byte 2: how many times the rest is fed
 * (long strings that reach the spool threshold). */
#include "agent.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *spool_file(void)
{
	char *p = strdup("/tmp/kyso-fuzz-rx-XXXXXX");
	int fd = p != NULL ? mkstemp(p) : -1;
	if (fd < 0) {
		free(p);
		return NULL;
	}
	close(fd);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	ag_proto_t kind = (ag_proto_t)(data[0] % 3);
	size_t frag = (size_t)data[1] * 61 + 1;
	size_t reps = (size_t)data[2] % 40 + 1;
	const uint8_t *body = data + 3;
	size_t n = size - 3;
	ag_rx_t rx;
	ag_rx_init(&rx, spool_file);
	/* a frame with a long base64 string: prefix, body repeated, suffix */
	static const char pre[] = "{\"functionID\":2,\"op\":\"sign_pdf\",\"args\":[\"";
	ag_rx_feed(&rx, pre, sizeof(pre) - 1);
	for (size_t r = 0; r < reps; r++)
		for (size_t i = 0; i < n; i += frag)
			ag_rx_feed(&rx, body + i, n - i < frag ? n - i : frag);
	ag_spooled_t sp = {.path = rx.path, .len = rx.decoded, .bad = rx.dec.bad, .big = rx.big};
	memcpy(sp.head, rx.head, sizeof(sp.head));
	if (rx.spooling)
		sp.path = NULL;
	ag_request_t *rq =
	        ag_parse_ws(kind, "/SignApproved", rx.text.data != NULL ? (char *)rx.text.data : "",
	                    rx.text.len, sp.path != NULL ? &sp : NULL);
	if (sp.path == NULL && !rx.spooling)
		rx.path = NULL; /* taken by rq (removed by ag_request_free) */
	ag_request_free(&rq);
	ag_rx_free(&rx);
	return 0;
}
