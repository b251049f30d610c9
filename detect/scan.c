/* kyso_detect_scan: PC/SC + USB + matching, optionally waiting for a token. */
#include "detect_internal.h"

#include <time.h>

static kyso_detect_result_t *scan_once(const kyso_detect_opts_t *opts, kyso_error_t *err)
{
	kyso_detect_result_t *r = kyso_detect_result_new();
	if (r == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, "%s", kyso_strerr(KYSO_ERR_NOMEM));
		return NULL;
	}
	if (!opts->skip_pcsc)
		kyso_pcsc_scan(r, opts);
	if (!opts->skip_usb)
		kyso_usb_scan(r, opts->catalog);
	kyso_err_t rc = kyso_detect_result_match(r, opts->catalog, opts->smartcard_list);
	if (rc != KYSO_OK) {
		kyso_error_set(err, rc, "%s", kyso_strerr(rc));
		kyso_detect_result_free(r);
		return NULL;
	}
	return r;
}

void kyso_detect_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

kyso_detect_result_t *kyso_detect_scan(const kyso_detect_opts_t *opts, kyso_error_t *err)
{
	if (opts == NULL || opts->catalog == NULL) {
		kyso_error_set(err, KYSO_ERR_USAGE, "kyso_detect_scan: no catalog");
		return NULL;
	}
	uint64_t start = kyso_now_ms();
	kyso_detect_result_t *r = scan_once(opts, err);
	uint64_t deadline = start + (uint64_t)(opts->timeout_ms > 0 ? opts->timeout_ms : 0);
	while (r != NULL && r->n_tokens == 0 && kyso_now_ms() < deadline) {
		int left = (int)(deadline - kyso_now_ms());
		int step = left < 500 ? left : 500;
		if (opts->skip_pcsc || !kyso_pcsc_wait_change(step))
			kyso_detect_sleep_ms(step < 200 ? step : 200);
		kyso_detect_result_free(r);
		r = scan_once(opts, err);
	}
	if (r != NULL)
		r->elapsed_ms = kyso_now_ms() - start;
	return r;
}
