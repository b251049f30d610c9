/* kyso_detect_watch: reports tokens inserted and removed until stopped. */
#include "detect_internal.h"

#include <string.h>

static bool has_key(const kyso_detect_result_t *r, const char *key)
{
	for (size_t i = 0; i < r->n_tokens; i++)
		if (strcmp(r->tokens[i].key, key) == 0)
			return true;
	return false;
}

static void diff(const kyso_detect_result_t *prev, const kyso_detect_result_t *cur,
                 kyso_detect_event_fn fn, void *ctx)
{
	for (size_t i = 0; prev != NULL && i < prev->n_tokens; i++)
		if (!has_key(cur, prev->tokens[i].key))
			fn(KYSO_EVENT_REMOVED, &prev->tokens[i], ctx);
	for (size_t i = 0; i < cur->n_tokens; i++)
		if (prev == NULL || !has_key(prev, cur->tokens[i].key))
			fn(KYSO_EVENT_INSERTED, &cur->tokens[i], ctx);
}

kyso_err_t kyso_detect_watch(const kyso_detect_opts_t *opts, int poll_ms, kyso_detect_event_fn fn,
                             void *ctx, volatile sig_atomic_t *stop, kyso_error_t *err)
{
	kyso_error_t local;
	if (err == NULL)
		err = &local;
	if (opts == NULL || fn == NULL || stop == NULL)
		return kyso_error_set(err, KYSO_ERR_USAGE, "kyso_detect_watch: bad arguments");
	kyso_detect_opts_t once = *opts;
	once.timeout_ms = 0;
	if (poll_ms <= 0)
		poll_ms = 500;
	kyso_detect_result_t *prev = kyso_detect_scan(&once, err);
	if (prev == NULL)
		return err->code;
	bool service = prev->pcsc_status != KYSO_PCSC_NO_SERVICE;
	if (!service)
		fn(KYSO_EVENT_PCSC_LOST, NULL, ctx);
	diff(NULL, prev, fn, ctx);
	while (!*stop) {
		if (opts->skip_pcsc || !kyso_pcsc_wait_change(poll_ms))
			kyso_detect_sleep_ms(poll_ms);
		if (*stop)
			break;
		kyso_detect_result_t *cur = kyso_detect_scan(&once, err);
		if (cur == NULL) {
			kyso_detect_result_free(prev);
			return err->code;
		}
		bool now = cur->pcsc_status != KYSO_PCSC_NO_SERVICE;
		if (service && !now)
			fn(KYSO_EVENT_PCSC_LOST, NULL, ctx);
		diff(prev, cur, fn, ctx);
		if (!service && now)
			fn(KYSO_EVENT_PCSC_RESTORED, NULL, ctx);
		service = now;
		kyso_detect_result_free(prev);
		prev = cur;
	}
	kyso_detect_result_free(prev);
	return KYSO_OK;
}
