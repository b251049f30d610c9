/* Unit tests for kyso_core: errors, buffers, redaction, atomic files,
 * child processes, i18n, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kyso_core.h"
#include "kyso_platform.h"
#include "kyso_process.h"

static void test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(kyso_err_exit(KYSO_OK), 0);
	assert_int_equal(kyso_err_exit(KYSO_ERR_PROBLEM), 1);
	assert_int_equal(kyso_err_exit(KYSO_ERR_USAGE), 2);
	assert_int_equal(kyso_err_exit(KYSO_ERR_NO_PCSC_SERVICE), 3);
	assert_int_equal(kyso_err_exit(KYSO_ERR_NO_TOKEN), 3);
	assert_int_equal(kyso_err_exit(KYSO_ERR_PIN_LOCKED), 4);
	assert_int_equal(kyso_err_exit(KYSO_ERR_PIN_INCORRECT), 4);
	assert_int_equal(kyso_err_exit(KYSO_ERR_BAD_PDF), 5);
	assert_int_equal(kyso_err_exit(KYSO_ERR_BAD_IMAGE), 5);
	assert_int_equal(kyso_err_exit(KYSO_ERR_TSA), 6);
	/* every code has an id and a message */
	for (int i = 0; i < KYSO_ERR__COUNT; i++) {
		assert_non_null(kyso_err_id((kyso_err_t)i));
		assert_true(strlen(kyso_strerr((kyso_err_t)i)) > 0);
	}
	/* out-of-range codes do not crash */
	assert_string_equal(kyso_err_id((kyso_err_t)999), "internal");
}

static void test_error_detail(void **state)
{
	(void)state;
	kyso_error_t e;
	kyso_error_clear(&e);
	assert_int_equal(kyso_error_set(&e, KYSO_ERR_BAD_PDF, "bad xref at %d", 42),
	                 KYSO_ERR_BAD_PDF);
	assert_string_equal(kyso_error_message(&e), "bad xref at 42");
	kyso_error_set(&e, KYSO_ERR_PIN_LOCKED, NULL);
	assert_string_equal(kyso_error_message(&e), kyso_strerr(KYSO_ERR_PIN_LOCKED));
}

static void test_buf_take_string(void **state)
{
	(void)state;
	kyso_buf_t b;
	kyso_buf_init(&b);
	kyso_err_t rc = kyso_buf_printf(&b, "%s %d", "uninst.exe", 5);
	char *s = kyso_buf_take_string(&b, rc);
	assert_string_equal(s, "uninst.exe 5");
	assert_null(b.data); /* the text is the caller's now */
	free(s);
	/* an empty buffer gives the empty string */
	s = kyso_buf_take_string(&b, KYSO_OK);
	assert_string_equal(s, "");
	free(s);
	/* building failed: nothing returned, the buffer freed */
	assert_int_equal(kyso_buf_append(&b, "abc", 3), KYSO_OK);
	assert_null(kyso_buf_take_string(&b, KYSO_ERR_NOMEM));
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_buf_and_hex(void **state)
{
	(void)state;
	kyso_buf_t b;
	kyso_buf_init(&b);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(kyso_buf_printf(&b, "%d,", i), KYSO_OK);
	assert_true(b.len > 3000);
	assert_memory_equal(b.data, "0,1,2,", 6);
	assert_int_equal(b.data[b.len], '\0');
	kyso_buf_free(&b);
	assert_null(b.data);

	uint8_t out[32];
	assert_int_equal(kyso_hex_decode("3B 9F:95 81", out, sizeof(out)), 4);
	assert_int_equal(out[0], 0x3B);
	assert_int_equal(out[3], 0x81);
	assert_int_equal(kyso_hex_decode("3B9", out, sizeof(out)), -1);
	assert_int_equal(kyso_hex_decode("zz", out, sizeof(out)), -1);
	assert_int_equal(kyso_hex_decode("0011", out, 1), -1);
	char hex[9];
	kyso_hex_encode((const uint8_t *)"\x25\xdd\x23\x71", 4, hex);
	assert_string_equal(hex, "25DD2371");
}

static void test_redaction(void **state)
{
	(void)state;
	kyso_redact_reset();
	char *s = kyso_redact_line("login with pin=123456 and --pin 9999, password: hunter2");
	assert_non_null(s);
	assert_null(strstr(s, "123456"));
	assert_null(strstr(s, "9999"));
	assert_null(strstr(s, "hunter2"));
	free(s);

	/* prose about the PIN is not mangled */
	s = kyso_redact_line("PIN not locked; khóa PIN: liên hệ VNPT-CA");
	assert_string_equal(s, "PIN not locked; khóa PIN: liên hệ VNPT-CA");
	free(s);
	s = kyso_redact_line("pin:2468 and --pin=1357 and --so-pin 8642");
	assert_null(strstr(s, "2468"));
	assert_null(strstr(s, "1357"));
	assert_null(strstr(s, "8642"));
	free(s);

	/* registered secrets are masked wherever they appear */
	kyso_redact_secret("735194");
	s = kyso_redact_line("user typed 735194 into the box");
	assert_null(strstr(s, "735194"));
	free(s);

	/* VERIFY APDU data is masked */
	s = kyso_redact_line("> 00 20 00 81 08 31 32 33 34 FF FF FF FF");
	assert_null(strstr(s, "31 32 33 34"));
	assert_non_null(strstr(s, "00 20 00 81"));
	free(s);

	/* personal data: stable hash, unless --no-redact */
	kyso_redact_set_key("unit-test-key-0123456789");
	kyso_redact_personal("Nguyễn Văn An");
	kyso_redact_personal("an.nguyen@example.vn");
	char h1[KYSO_REDACT_HASH_SIZE], h2[KYSO_REDACT_HASH_SIZE];
	kyso_redact_hash("Nguyễn Văn An", h1);
	kyso_redact_hash("Nguyễn Văn An", h2);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), 19); /* "[#" + 64 bits in hex + "]" */
	s = kyso_redact_line("signer CN=Nguyễn Văn An <an.nguyen@example.vn>");
	assert_null(strstr(s, "Nguyễn"));
	assert_null(strstr(s, "an.nguyen@example.vn"));
	assert_non_null(strstr(s, h1));
	free(s);
	s = kyso_redact_personal_line("PIN locked for Nguyễn Văn An");
	assert_string_equal(strstr(s, "PIN locked for [#"), s);
	free(s);
	kyso_redact_set_personal(false);
	s = kyso_redact_line("signer CN=Nguyễn Văn An");
	assert_non_null(strstr(s, "Nguyễn Văn An"));
	free(s);
	kyso_redact_reset();
}

/* The pseudonym key: HMAC-SHA-256 with the organisation's key from
 * config.json, else this account's machine key made 0600 on first use and
 * kept; never the unkeyed SHA-256 a guess could be checked against. */
static void test_redaction_key(void **state)
{
	(void)state;
	char dir[] = "/tmp/kyso-unit-redact-XXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("XDG_STATE_HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	setenv("KYSO_SYSCONFDIR", dir, 1);
	unsetenv("KYSO_CONFIG");
	char a[KYSO_REDACT_HASH_SIZE], b[KYSO_REDACT_HASH_SIZE], c[KYSO_REDACT_HASH_SIZE];
	kyso_redact_set_key(NULL);
	kyso_redact_hash("012345678901", a);
	assert_int_equal(strlen(a), 19);
	assert_null(strstr(a, "?"));
	/* SHA-256("012345678901") starts 5ce9ab10ea74270d */
	assert_string_not_equal(a, "[#5ce9ab10ea74270d]");
	char *path = kyso_redact_key_path();
	assert_non_null(path);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65); /* 32 random bytes in hex and a newline */
	kyso_redact_set_key(NULL);        /* read again: the file's key, the same pseudonym */
	kyso_redact_hash("012345678901", b);
	assert_string_equal(a, b);
	/* the organisation's key (kyso setup --redact-key) wins over the machine's */
	char cfg[300];
	snprintf(cfg, sizeof(cfg), "%s/kyso/config.json", dir);
	const char *js = "{\"redact_key\": \"org-key-0123456789abcdef\"}\n";
	kyso_error_t err;
	kyso_error_clear(&err);
	assert_int_equal(kyso_file_write_atomic(cfg, js, strlen(js), 0644, &err), KYSO_OK);
	kyso_redact_set_key(NULL);
	kyso_redact_hash("012345678901", c);
	/* HMAC-SHA-256("org-key-0123456789abcdef", "012345678901") = f02668cc3905a120... */
	assert_string_equal(c, "[#f02668cc3905a120]");
	kyso_redact_set_key("another-organisation-key");
	kyso_redact_hash("012345678901", b);
	assert_string_not_equal(b, c);
	kyso_redact_set_key(NULL);
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("KYSO_SYSCONFDIR");
	unlink(cfg);
	unlink(path);
	free(path);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static char captured[4096];
static void capture_sink(const char *line, void *ctx)
{
	(void)ctx;
	snprintf(captured, sizeof(captured), "%s", line);
}

static void test_log_levels_and_redaction(void **state)
{
	(void)state;
	kyso_log_set_sink(capture_sink, NULL);
	kyso_log_set_level(KYSO_LOG_WARN);
	captured[0] = '\0';
	kyso_info("hidden");
	assert_string_equal(captured, "");
	kyso_warn("token PIN=4321 rejected");
	assert_non_null(strstr(captured, "warning"));
	assert_null(strstr(captured, "4321"));
	kyso_log_set_sink(NULL, NULL);
}

static void test_atomic_write(void **state)
{
	(void)state;
	char dir[] = "/tmp/kyso-unit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/out.pdf", dir);
	kyso_error_t err;
	assert_int_equal(kyso_file_write_atomic(path, "hello", 5, 0600, &err), KYSO_OK);
	uint8_t *data = NULL;
	size_t len = 0;
	assert_int_equal(kyso_file_read_all(path, 100, &data, &len, &err), KYSO_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "hello", 5);
	free(data);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* an aborted write leaves the old content and no temp file */
	kyso_atomic_file_t *af = kyso_atomic_file_new(path, 0644, &err);
	assert_non_null(af);
	fputs("partial", kyso_atomic_file_stream(af));
	kyso_atomic_file_abort(&af);
	assert_null(af);
	assert_int_equal(kyso_file_read_all(path, 100, &data, &len, &err), KYSO_OK);
	assert_memory_equal(data, "hello", 5);
	free(data);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
	assert_int_equal(system(cmd), 0);

	/* sync_start (the signer: fsync while the token signs): what is written
	 * after it, an overwrite and an append, is in the committed file; an
	 * abort after it leaves the old content */
	af = kyso_atomic_file_new(path, 0644, &err);
	assert_non_null(af);
	fputs("0123456789", kyso_atomic_file_stream(af));
	kyso_atomic_file_sync_start(af);
	assert_int_equal(fseeko(kyso_atomic_file_stream(af), 2, SEEK_SET), 0);
	fputs("ab", kyso_atomic_file_stream(af));
	assert_int_equal(fseeko(kyso_atomic_file_stream(af), 0, SEEK_END), 0);
	fputs("XY", kyso_atomic_file_stream(af));
	assert_int_equal(kyso_atomic_file_commit(&af, &err), KYSO_OK);
	assert_int_equal(kyso_file_read_all(path, 100, &data, &len, &err), KYSO_OK);
	assert_int_equal(len, 12);
	assert_memory_equal(data, "01ab456789XY", 12);
	free(data);
	af = kyso_atomic_file_new(path, 0644, &err);
	assert_non_null(af);
	fputs("partial", kyso_atomic_file_stream(af));
	kyso_atomic_file_sync_start(af);
	kyso_atomic_file_abort(&af);
	assert_int_equal(kyso_file_read_all(path, 100, &data, &len, &err), KYSO_OK);
	assert_memory_equal(data, "01ab456789XY", 12);
	free(data);
	assert_int_equal(system(cmd), 0);

	/* too large is reported as such */
	assert_int_equal(kyso_file_read_all(path, 2, &data, &len, &err), KYSO_ERR_TOO_LARGE);
	/* writing into a missing directory fails cleanly */
	char bad[300];
	snprintf(bad, sizeof(bad), "%s/missing/x", dir);
	assert_int_equal(kyso_file_write_atomic(bad, "x", 1, 0644, &err), KYSO_ERR_IO);
	assert_true(strlen(err.msg) > 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_spawn(void **state)
{
	(void)state;
	kyso_buf_t out;
	kyso_buf_init(&out);
	int status = 0;
	kyso_error_t err;
	const char *argv1[] = {"sh", "-c", "printf 'a b'; exit 3", NULL};
	assert_int_equal(kyso_spawn(argv1, &out, 1024, 5000, &status, &err), KYSO_OK);
	assert_int_equal(status, 3);
	assert_string_equal((char *)out.data, "a b");
	kyso_buf_free(&out);

	const char *argv2[] = {"sleep", "5", NULL};
	uint64_t t0 = kyso_now_ms();
	assert_int_equal(kyso_spawn(argv2, NULL, 0, 200, &status, &err), KYSO_ERR_CHILD_PROCESS);
	assert_true(kyso_now_ms() - t0 < 3000);

	const char *argv3[] = {"kyso-no-such-program-xyz", NULL};
	assert_int_equal(kyso_spawn(argv3, NULL, 0, 2000, &status, &err), KYSO_ERR_NOT_FOUND);
}

static void test_i18n(void **state)
{
	(void)state;
	kyso_i18n_init(NULL);
	assert_string_equal(kyso_i18n_lang(), "vi");
	assert_string_equal(kyso_strerr(KYSO_ERR_PIN_INCORRECT), "Sai mã PIN");
	kyso_i18n_init("en");
	assert_string_equal(kyso_i18n_lang(), "en");
	assert_string_equal(kyso_strerr(KYSO_ERR_PIN_INCORRECT), "Wrong PIN");
	/* numbers keep '.' whatever the UI language */
	char num[16];
	snprintf(num, sizeof(num), "%.1f", 1.5);
	assert_string_equal(num, "1.5");
}

static void test_json_error(void **state)
{
	(void)state;
	kyso_i18n_init("en");
	kyso_error_t e;
	kyso_error_set(&e, KYSO_ERR_PIN_LOCKED, NULL);
	json_t *doc = kyso_json_error_new(&e);
	assert_non_null(doc);
	json_t *er = json_object_get(doc, "error");
	assert_string_equal(json_string_value(json_object_get(er, "id")), "pin-locked");
	assert_int_equal(json_integer_value(json_object_get(er, "exit")), 4);
	json_decref(doc);
}

/* kyso_process.h: a detached program (kyso setup's agent start), its
 * liveness by PID and program name, stopping it; the autostart command. */
static void test_detached(void **state)
{
	(void)state;
	char dir[] = "/tmp/kyso-detached-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char log[128];
	snprintf(log, sizeof(log), "%s/out.log", dir);
	kyso_error_t err;
	long pid = 0;
	const char *echo[] = {"/bin/sh", "-c", "echo detached-output", NULL};
	assert_int_equal(kyso_spawn_detached(echo, log, &pid, &err), KYSO_OK);
	assert_true(pid > 1);
	char *text = NULL;
	for (int i = 0; i < 100 && text == NULL; i++) {
		uint8_t *data = NULL;
		size_t len = 0;
		if (kyso_file_read_all(log, 4096, &data, &len, &err) == KYSO_OK && len > 0)
			text = strndup((const char *)data, len);
		free(data);
		if (text == NULL)
			usleep(50 * 1000);
	}
	assert_non_null(text);
	assert_non_null(strstr(text, "detached-output"));
	free(text);

	const char *slow[] = {"/bin/sleep", "30", NULL};
	assert_int_equal(kyso_spawn_detached(slow, log, &pid, &err), KYSO_OK);
	assert_true(kyso_process_alive(pid, "sleep"));
	assert_false(kyso_process_alive(pid, "kyso-agent"));
	kyso_process_stop(pid, "sleep");
	assert_false(kyso_process_alive(pid, "sleep"));
	assert_false(kyso_process_alive(0, "sleep"));

	const char *missing[] = {"/nonexistent/kyso-program", NULL};
	assert_int_not_equal(kyso_spawn_detached(missing, log, &pid, &err), KYSO_OK);

	/* the autostart command is what kyso_autostart_get returns */
	setenv("XDG_CONFIG_HOME", dir, 1);
	const char *argv[] = {"/usr/bin/kyso-agent", "--vnpt-ports", "", "a \"b\"", NULL};
	assert_int_equal(kyso_autostart_set("kyso-unit", argv, &err), KYSO_OK);
	char *want = kyso_autostart_command(argv);
	char *cur = kyso_autostart_get("kyso-unit");
	assert_non_null(want);
	assert_non_null(cur);
	assert_string_equal(want, cur);
	free(want);
	free(cur);
	assert_int_equal(kyso_autostart_remove("kyso-unit", &err), KYSO_OK);
	unsetenv("XDG_CONFIG_HOME");
	assert_false(kyso_reg_key_exists(KYSO_REG_USER, "Software\\kyso"));
	assert_int_equal(kyso_reg_delete_key_if_empty(KYSO_REG_USER, "Software\\kyso", &err),
	                 KYSO_ERR_UNSUPPORTED);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* what a sink saw: its bytes, in order */
typedef struct {
	uint8_t *data;
	size_t len, cap;
	bool refuse;
} sink_t;

static bool collect(void *ctx, const uint8_t *data, size_t len)
{
	sink_t *k = ctx;
	if (k->refuse)
		return false;
	assert_true(k->len + len <= k->cap);
	memcpy(k->data + k->len, data, len);
	k->len += len;
	return true;
}

/* kyso_file_copy_to / kyso_file_read_range: the output is the input's first
 * len bytes, the sink sees exactly those bytes, short inputs and refusing
 * sinks fail with their codes; a stream without a file takes the buffered way. */
static void test_file_copy(void **state)
{
	(void)state;
	char dir[] = "/tmp/kyso-unit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char in_path[256], out_path[256];
	snprintf(in_path, sizeof(in_path), "%s/in.pdf", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.pdf", dir);
	size_t size = (9u << 20) + 12345; /* more than two 4 MiB windows, not page-aligned */
	uint8_t *src = malloc(size);
	assert_non_null(src);
	for (size_t i = 0; i < size; i++)
		src[i] = (uint8_t)(i * 2654435761u >> 13);
	kyso_error_t err;
	assert_int_equal(kyso_file_write_atomic(in_path, src, size, 0600, &err), KYSO_OK);
	sink_t k = {.data = malloc(size), .cap = size};
	assert_non_null(k.data);
	size_t len = size - 777;

	FILE *in = fopen(in_path, "rb");
	kyso_atomic_file_t *af = kyso_atomic_file_new(out_path, 0600, &err);
	assert_non_null(in);
	assert_non_null(af);
	FILE *out = kyso_atomic_file_stream(af);
	fputs("to be overwritten", out);
	assert_int_equal(kyso_file_copy_to(in, out, len, collect, &k, &err), KYSO_OK);
	assert_int_equal(k.len, len);
	assert_memory_equal(k.data, src, len);
	assert_int_equal(ftello(out), (off_t)len);
	fputs("tail", out);
	assert_int_equal(kyso_atomic_file_commit(&af, &err), KYSO_OK);
	uint8_t *got = NULL;
	size_t gl = 0;
	assert_int_equal(kyso_file_read_all(out_path, size * 2, &got, &gl, &err), KYSO_OK);
	assert_int_equal(gl, len + 4);
	assert_memory_equal(got, src, len);
	assert_memory_equal(got + len, "tail", 4);
	free(got);

	/* a range from an odd offset, without a seek of the caller */
	k.len = 0;
	assert_int_equal(kyso_file_read_range(in, 4097, 5u << 20, collect, &k, &err), KYSO_OK);
	assert_int_equal(k.len, 5u << 20);
	assert_memory_equal(k.data, src + 4097, 5u << 20);
	assert_int_equal(kyso_file_read_range(in, size - 10, 11, collect, &k, &err),
	                 KYSO_ERR_BAD_INPUT);

	/* the input shorter than asked; a sink that refuses */
	af = kyso_atomic_file_new(out_path, 0600, &err);
	assert_non_null(af);
	k.len = 0;
	assert_int_equal(
	        kyso_file_copy_to(in, kyso_atomic_file_stream(af), size + 1, collect, &k, &err),
	        KYSO_ERR_BAD_INPUT);
	k.refuse = true;
	assert_int_equal(kyso_file_copy_to(in, kyso_atomic_file_stream(af), len, collect, &k, &err),
	                 KYSO_ERR_INTERNAL);
	kyso_atomic_file_abort(&af);
	k.refuse = false;

	/* in the background: the same bytes, the same sink, out left at len */
	af = kyso_atomic_file_new(out_path, 0600, &err);
	assert_non_null(af);
	k.len = 0;
	kyso_file_copy_t *bg =
	        kyso_file_copy_start(in, kyso_atomic_file_stream(af), len, collect, &k);
	assert_non_null(bg);
	assert_int_equal(kyso_file_copy_finish(&bg, &err), KYSO_OK);
	assert_null(bg);
	assert_int_equal(k.len, len);
	assert_memory_equal(k.data, src, len);
	assert_int_equal(ftello(kyso_atomic_file_stream(af)), (off_t)len);
	assert_int_equal(kyso_atomic_file_commit(&af, &err), KYSO_OK);
	assert_int_equal(kyso_file_read_all(out_path, size * 2, &got, &gl, &err), KYSO_OK);
	assert_int_equal(gl, len);
	assert_memory_equal(got, src, len);
	free(got);
	/* ... and its failure: the input shorter than asked */
	af = kyso_atomic_file_new(out_path, 0600, &err);
	assert_non_null(af);
	k.len = 0;
	bg = kyso_file_copy_start(in, kyso_atomic_file_stream(af), size + 1, collect, &k);
	assert_non_null(bg);
	assert_int_equal(kyso_file_copy_finish(&bg, &err), KYSO_ERR_BAD_INPUT);
	kyso_atomic_file_abort(&af);
	fclose(in);

	/* a memory stream has no file descriptor: the buffered copy */
	in = fmemopen(src, size, "rb");
	assert_non_null(in);
	af = kyso_atomic_file_new(out_path, 0600, &err);
	assert_non_null(af);
	k.len = 0;
	assert_int_equal(kyso_file_copy_to(in, kyso_atomic_file_stream(af), len, collect, &k, &err),
	                 KYSO_OK);
	assert_int_equal(k.len, len);
	assert_memory_equal(k.data, src, len);
	assert_int_equal(kyso_atomic_file_commit(&af, &err), KYSO_OK);
	assert_int_equal(kyso_file_read_all(out_path, size * 2, &got, &gl, &err), KYSO_OK);
	assert_int_equal(gl, len);
	assert_memory_equal(got, src, len);
	free(got);
	fclose(in);

	free(k.data);
	free(src);
	assert_int_equal(unlink(in_path), 0);
	assert_int_equal(unlink(out_path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exit_codes),
	        cmocka_unit_test(test_error_detail),
	        cmocka_unit_test(test_buf_and_hex),
	        cmocka_unit_test(test_buf_take_string),
	        cmocka_unit_test(test_redaction),
	        cmocka_unit_test(test_redaction_key),
	        cmocka_unit_test(test_log_levels_and_redaction),
	        cmocka_unit_test(test_atomic_write),
	        cmocka_unit_test(test_file_copy),
	        cmocka_unit_test(test_spawn),
	        cmocka_unit_test(test_detached),
	        cmocka_unit_test(test_i18n),
	        cmocka_unit_test(test_json_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
