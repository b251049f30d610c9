/* Logging to stderr with levels; every line passes through redaction. */
#include "kyso_core.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static kyso_log_level_t log_level = KYSO_LOG_WARN;
static void (*log_sink)(const char *line, void *ctx);
static void *log_sink_ctx;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void kyso_log_init(void)
{
	const char *env = getenv("KYSO_LOG");
	if (env == NULL)
		return;
	for (int i = 0; i <= KYSO_LOG_DEBUG; i++)
		if (strcmp(env, level_names[i]) == 0 || (i == 1 && strcmp(env, "warn") == 0))
			log_level = (kyso_log_level_t)i;
}

void kyso_log_set_level(kyso_log_level_t level)
{
	log_level = level;
}

kyso_log_level_t kyso_log_get_level(void)
{
	return log_level;
}

void kyso_log_set_sink(void (*sink)(const char *line, void *ctx), void *ctx)
{
	log_sink = sink;
	log_sink_ctx = ctx;
}

void kyso_log(kyso_log_level_t level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *clean = kyso_redact_line(msg);
	kyso_memzero(msg, sizeof(msg));
	if (clean == NULL)
		return;
	char line[2200];
	snprintf(line, sizeof(line), "kyso[%ld]: %s: %s", (long)getpid(), level_names[level],
	         clean);
	free(clean);
	if (log_sink != NULL)
		log_sink(line, log_sink_ctx);
	else
		fprintf(stderr, "%s\n", line);
}
