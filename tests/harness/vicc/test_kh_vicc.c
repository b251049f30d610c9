/* Self-test of the C helpers (kh_vicc.h): private pcscd, cards in two
 * readers, removal and insertion seen through PC/SC, and cleanup when the
 * test process dies. */
#include "kh_vicc.h"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static const char EPASS_ATR[] = "3B9F958131FE9F006646530520032571DF000003900096";
static const BYTE epass_atr[] = {0x3B, 0x9F, 0x95, 0x81, 0x31, 0xFE, 0x9F, 0x00,
                                 0x66, 0x46, 0x53, 0x05, 0x20, 0x03, 0x25, 0x71,
                                 0xDF, 0x00, 0x00, 0x03, 0x90, 0x00, 0x96};
static const char BIT4ID_ATR[] = "3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3";

static char tmpdir[] = "/tmp/kh-vicc-c.XXXXXX";

/* A process is gone when kill(0) fails or it is a zombie (PID 1 may not reap). */
static int gone(pid_t pid)
{
	char path[64], buf[256];
	if (kill(pid, 0) != 0)
		return errno == ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	return rp != NULL && rp[1] == ' ' && rp[2] == 'Z';
}

static int wait_gone(pid_t pid, int secs)
{
	struct timespec tick = {.tv_sec = 0, .tv_nsec = 100000000L};
	for (int i = 0; i < secs * 10; i++) {
		if (gone(pid))
			return 1;
		if (nanosleep(&tick, NULL) != 0 && errno != EINTR)
			return 0;
	}
	return gone(pid);
}

static DWORD reader_state(SCARDCONTEXT ctx, const char *name, BYTE *atr, DWORD *atrlen)
{
	SCARD_READERSTATE st;
	memset(&st, 0, sizeof(st));
	st.szReader = name;
	st.dwCurrentState = SCARD_STATE_UNAWARE;
	assert_int_equal(SCardGetStatusChange(ctx, 0, &st, 1), SCARD_S_SUCCESS);
	if (atr != NULL) {
		memcpy(atr, st.rgbAtr, st.cbAtr);
		*atrlen = st.cbAtr;
	}
	return st.dwEventState;
}

static uint16_t transmit_sw(SCARDCONTEXT ctx, const char *reader, const BYTE *apdu, DWORD len)
{
	SCARDHANDLE h;
	DWORD proto, rlen;
	BYTE resp[258];

	assert_int_equal(SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
	                              SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto),
	                 SCARD_S_SUCCESS);
	rlen = sizeof(resp);
	assert_int_equal(SCardTransmit(h, SCARD_PCI_T1, apdu, len, NULL, resp, &rlen),
	                 SCARD_S_SUCCESS);
	assert_int_equal(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_true(rlen >= 2);
	return (uint16_t)(resp[rlen - 2] << 8 | resp[rlen - 1]);
}

/* A test process that dies (SIGKILL, no cleanup at all) leaves no pcscd or card behind. */
static void test_cleanup_on_crash(void **state)
{
	char dir[PATH_MAX];
	int fds[2];
	pid_t pids[2] = {0, 0};
	(void)state;

	snprintf(dir, sizeof(dir), "%s/crash", tmpdir);
	assert_int_equal(pipe(fds), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		struct kh_pcscd *p = kh_pcscd_start(dir, 0);
		pid_t card = p != NULL ? kh_vicc_start(p, 0, EPASS_ATR, NULL) : -1;
		pid_t out[2] = {p != NULL ? kh_pcscd_pid(p) : -1, card};
		if (write(fds[1], out, sizeof(out)) != (ssize_t)sizeof(out))
			_exit(2);
		raise(SIGKILL);
		_exit(3);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], pids, sizeof(pids)), (ssize_t)sizeof(pids));
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_true(pids[0] > 0);
	assert_true(pids[1] > 0);
	assert_true(wait_gone(pids[0], 10));
	assert_true(wait_gone(pids[1], 10));
}

static void test_pcscd_and_cards(void **state)
{
	char dir[PATH_MAX], name[160];
	BYTE atr[MAX_ATR_SIZE];
	DWORD atrlen = 0;
	SCARDCONTEXT ctx;
	struct stat st;
	static const BYTE select_mf[] = {0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00};
	static const BYTE bad_ins[] = {0x00, 0x01, 0x02, 0x03, 0x00};
	static const BYTE select_other[] = {0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0,
	                                    0x00, 0x00, 0x00, 0x03, 0x00, 0x00};
	static const char *const aid_args[] = {"--aid", "A000000063504B43532D3135", NULL};
	(void)state;

	snprintf(dir, sizeof(dir), "%s/main", tmpdir);
	struct kh_pcscd *p = kh_pcscd_start(dir, 0);
	assert_non_null(p);
	assert_string_equal(getenv("PCSCLITE_CSOCK_NAME"), kh_pcscd_socket(p));
	assert_int_equal(stat(kh_pcscd_socket(p), &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_true(kh_pcscd_port(p) > 0);
	pid_t pcscd = kh_pcscd_pid(p);
	assert_false(gone(pcscd));

	pid_t card0 = kh_vicc_start(p, 0, EPASS_ATR, NULL);
	assert_true(card0 > 0);
	assert_true(kh_vicc_start(p, 1, BIT4ID_ATR, aid_args) > 0);

	assert_int_equal(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx),
	                 SCARD_S_SUCCESS);
	snprintf(name, sizeof(name), "%s 00 00", kh_pcscd_reader_name(p));
	assert_true(reader_state(ctx, name, atr, &atrlen) & SCARD_STATE_PRESENT);
	assert_int_equal(atrlen, sizeof(epass_atr));
	assert_memory_equal(atr, epass_atr, sizeof(epass_atr));
	assert_int_equal(transmit_sw(ctx, name, select_mf, sizeof(select_mf)), 0x9000);
	assert_int_equal(transmit_sw(ctx, name, bad_ins, sizeof(bad_ins)), 0x6D00);

	char name1[160];
	snprintf(name1, sizeof(name1), "%s 00 01", kh_pcscd_reader_name(p));
	assert_true(reader_state(ctx, name1, atr, &atrlen) & SCARD_STATE_PRESENT);
	assert_int_equal(atrlen, 25);
	assert_int_equal(atr[1], 0xDF);
	assert_int_equal(transmit_sw(ctx, name1, select_other, sizeof(select_other)), 0x6A82);

	assert_int_equal(kh_vicc_remove(p, 0), 0);
	assert_true(reader_state(ctx, name, NULL, NULL) & SCARD_STATE_EMPTY);
	assert_true(reader_state(ctx, name1, NULL, NULL) & SCARD_STATE_PRESENT);
	assert_int_equal(kh_vicc_insert(p, 0), 0);
	assert_true(reader_state(ctx, name, NULL, NULL) & SCARD_STATE_PRESENT);

	assert_int_equal(kh_vicc_stop(p, 1), 0);
	assert_true(reader_state(ctx, name1, NULL, NULL) & SCARD_STATE_EMPTY);
	assert_int_equal(SCardReleaseContext(ctx), SCARD_S_SUCCESS);

	assert_int_equal(kh_pcscd_stop(p), 0);
	assert_true(gone(pcscd));
	assert_true(gone(card0));
	char sock[PATH_MAX + 32];
	snprintf(sock, sizeof(sock), "%s/run/pcscd.comm", dir);
	assert_int_not_equal(stat(sock, &st), 0);
}

static void test_no_reader(void **state)
{
	char dir[PATH_MAX];
	(void)state;

	snprintf(dir, sizeof(dir), "%s/noreader", tmpdir);
	struct kh_pcscd *p = kh_pcscd_start(dir, KH_PCSCD_NO_READER);
	assert_non_null(p);
	assert_int_equal(kh_pcscd_port(p), 0);
	assert_string_equal(kh_pcscd_reader_name(p), "");
	assert_int_equal(kh_vicc_start(p, 0, EPASS_ATR, NULL), -1);
	assert_int_equal(kh_pcsc_wait(0, "absent", 2), 0);
	assert_int_equal(kh_pcscd_stop(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cleanup_on_crash),
	        /* libpcsclite caches PCSCLITE_CSOCK_NAME at the first call, so this
	         * is the only test of this process that makes PC/SC calls itself. */
	        cmocka_unit_test(test_pcscd_and_cards),
	        cmocka_unit_test(test_no_reader),
	};
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[sizeof(tmpdir) + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return rc;
}
