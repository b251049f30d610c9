/* libFuzzer target: kyso-agent request parsing (VNPT-CA Plugin frames, VGCA
 * endpoint + JSON, kyso WebSocket JSON, kyso HTTP query strings and sign-hash
 * bodies) and the reply builders for parse failures. The first byte picks the
 * parser. */
#include "agent.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int which = data[0] % 5;
	const char *msg = (const char *)data + 1;
	size_t len = size - 1;
	ag_request_t *rq = NULL;
	char *s = NULL;
	switch (which) {
	case 0:
		rq = ag_parse_vnpt(msg, len);
		break;
	case 1: {
		/* "Path\nJSON" */
		const char *nl = memchr(msg, '\n', len);
		size_t pl = nl != NULL ? (size_t)(nl - msg) : len;
		char *path = strndup(msg, pl);
		rq = ag_parse_vgca(path, nl != NULL ? nl + 1 : "", nl != NULL ? len - pl - 1 : 0);
		free(path);
		break;
	}
	case 2:
		rq = ag_parse_kyso_ws(msg, len);
		break;
	case 3: {
		/* "path?query" */
		s = strndup(msg, len);
		char *q = s != NULL ? strchr(s, '?') : NULL;
		if (q != NULL)
			*q++ = '\0';
		rq = s != NULL ? ag_parse_kyso_http("POST", s, q) : NULL;
		break;
	}
	default:
		rq = ag_request_new(AG_PROTO_KYSO);
		if (rq != NULL) {
			rq->op = AG_OP_SIGN_HASH;
			rq->http = true;
			ag_parse_kyso_hash_body(rq, msg, len);
		}
		break;
	}
	/* the answers built without a file: also those of the vendor shapes
	 * (items, certificate checks, immediate answers) with an empty outcome */
	if (rq != NULL &&
	    (rq->op == AG_OP_NONE || rq->op == AG_OP_UNSUPPORTED || rq->op == AG_OP_VERSION ||
	     rq->op == AG_OP_STATUS || rq->op == AG_OP_LICENSE || rq->op == AG_OP_ANSWER ||
	     rq->op == AG_OP_CERT_CHECK || rq->op == AG_OP_SIGN_ITEMS || rq->op == AG_OP_SIGN_XML ||
	     rq->op == AG_OP_CERTS)) {
		ag_outcome_t o;
		memset(&o, 0, sizeof(o));
		ag_reply_t *r = ag_reply_build(rq, &o);
		ag_reply_free(&r);
	}
	ag_request_free(&rq);
	free(s);
	return 0;
}
