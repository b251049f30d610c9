/* Bundle writer (libarchive zip) and upload to a collector (libcurl). */
#include "doctor_int.h"
#include "net_int.h"
#include "kyso_platform.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int add_entry(struct archive *a, const char *name, const char *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	if (e == NULL)
		return ARCHIVE_FATAL;
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, time(NULL), 0);
	int rc = archive_write_header(a, e);
	if (rc == ARCHIVE_OK && len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)
		rc = ARCHIVE_FATAL;
	archive_entry_free(e);
	return rc;
}

static char *versions_text(void)
{
	kyso_buf_t b;
	kyso_buf_init(&b);
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	kyso_buf_printf(&b, "kyso %s\n%s\nlibcurl %s\nlibarchive %s\nsqlite %s\njansson %s\n",
	                KYSO_VERSION_STRING, OPENSSL_VERSION_TEXT, cv != NULL ? cv->version : "?",
	                archive_version_string(), sqlite3_libversion(), JANSSON_VERSION);
	if (kyso_buf_append(&b, "", 1) != KYSO_OK) {
		kyso_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

static char *text_of(const json_t *report)
{
	kyso_memfile_t *m = kyso_memfile_new();
	if (m == NULL)
		return NULL;
	kyso_doctor_write_text(kyso_memfile_stream(m), report, false);
	return kyso_memfile_finish(m, NULL);
}

kyso_err_t kyso_doctor_write_bundle(const json_t *report, const char *log_text, const char *path,
                                    kyso_error_t *err)
{
	char *js = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *html = kyso_doctor_html(report);
	char *txt = text_of(report);
	char *ver = versions_text();
	/* the zip goes to a temporary file next to path, renamed over it at the
	 * end (kyso_atomic_file: MoveFileEx on Windows, where rename() cannot
	 * replace a file) */
	struct archive *a = archive_write_new();
	kyso_atomic_file_t *af = NULL;
	kyso_err_t rc = KYSO_OK;
	if (js == NULL || html == NULL || txt == NULL || ver == NULL || a == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		goto out;
	}
	af = kyso_atomic_file_new(path, 0644, err);
	if (af == NULL) {
		rc = err->code != KYSO_OK ? err->code : KYSO_ERR_IO;
		goto out;
	}
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_open_FILE(a, kyso_atomic_file_stream(af)) != ARCHIVE_OK) {
		rc = kyso_error_set(err, KYSO_ERR_IO, _("cannot write %s: %s"), path,
		                    archive_error_string(a));
		goto out;
	}
	const char *log = log_text != NULL ? log_text : "";
	if (add_entry(a, "report.json", js, strlen(js)) != ARCHIVE_OK ||
	    add_entry(a, "report.html", html, strlen(html)) != ARCHIVE_OK ||
	    add_entry(a, "report.txt", txt, strlen(txt)) != ARCHIVE_OK ||
	    add_entry(a, "versions.txt", ver, strlen(ver)) != ARCHIVE_OK ||
	    add_entry(a, "logs/doctor.log", log, strlen(log)) != ARCHIVE_OK) {
		rc = kyso_error_set(err, KYSO_ERR_IO, _("cannot write %s: %s"), path,
		                    archive_error_string(a));
		archive_write_close(a);
		goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = kyso_error_set(err, KYSO_ERR_IO, _("cannot write %s: %s"), path,
		                    archive_error_string(a));
		goto out;
	}
	rc = kyso_atomic_file_commit(&af, err);
out:
	if (a != NULL)
		archive_write_free(a);
	kyso_atomic_file_abort(&af);
	free(js);
	free(html);
	free(txt);
	free(ver);
	return rc;
}

static size_t keep_reply(char *ptr, size_t size, size_t n, void *ctx)
{
	kyso_buf_t *b = ctx;
	size_t len = size * n;
	if (b->len + len > 4096)
		return len; /* only the start of the answer is worth showing */
	return kyso_buf_append(b, ptr, len) == KYSO_OK ? len : 0;
}

kyso_err_t kyso_doctor_send(const char *bundle, const char *url, const char *token,
                            const char *cafile, int timeout_ms, kyso_error_t *err)
{
	long code = 0, retry_after = 0;
	return kyso_doctor_send_status(bundle, url, token, cafile, timeout_ms, &code, &retry_after,
	                               err);
}

kyso_err_t kyso_doctor_send_status(const char *bundle, const char *url, const char *token,
                                   const char *cafile, int timeout_ms, long *http_code,
                                   long *retry_after, kyso_error_t *err)
{
	*http_code = 0;
	*retry_after = 0;
	if (strncmp(url, "https://", 8) != 0 &&
	    !(strncmp(url, "http://", 7) == 0 && kyso_doctor_net_url_is_loopback(url)))
		return kyso_error_set(err, KYSO_ERR_USAGE,
		                      _("--send needs an https:// address (plain http only to this "
		                        "computer): %s"),
		                      url);
	uint8_t *data = NULL;
	size_t len = 0;
	if (kyso_file_read_all(bundle, 64u << 20, &data, &len, err) != KYSO_OK)
		return err->code;
	CURL *h = curl_easy_init();
	if (h == NULL) {
		free(data);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	char auth[600];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token != NULL ? token : "");
	struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/zip");
	hl = curl_slist_append(hl, auth);
	kyso_memzero(auth, sizeof(auth));
	kyso_buf_t reply;
	kyso_buf_init(&reply);
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 30000));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_reply);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (cafile != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, cafile);
	CURLcode cr = curl_easy_perform(h);
	long code = 0;
	curl_off_t ra = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		*retry_after = ra > 3600 ? 3600 : (long)ra;
	*http_code = code;
	kyso_err_t rc = KYSO_OK;
	if (cr != CURLE_OK)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK, _("cannot send the report to %s: %s"),
		                    url, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cr));
	else if (code < 200 || code > 299) {
		kyso_buf_append(&reply, "", 1);
		rc = kyso_error_set(err, KYSO_ERR_NETWORK,
		                    _("the collector %s answered HTTP %ld: %s"), url, code,
		                    reply.data != NULL ? (const char *)reply.data : "");
	}
	kyso_buf_free(&reply);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	free(data);
	return rc;
}
