/* Internal: `kyso reports serve`. */
#ifndef KYSO_REPORTS_INT_H
#define KYSO_REPORTS_INT_H
#include "kyso_diagnostics.h"

#include <netinet/in.h>

typedef struct {
	kyso_reports_db_t *db;
	const char *store;  /* directory for received bundles */
	const char *token;  /* bearer token */
	const char *listen; /* "127.0.0.1:PORT" as given */
	size_t max_size;
	struct sockaddr_in addr;
} serve_t;

/* Runs until SIGINT/SIGTERM; returns the exit code. */
int reports_serve(serve_t *s, const char *cert, const char *key, kyso_error_t *err);
#endif
