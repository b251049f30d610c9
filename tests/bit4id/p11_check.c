/*
 * kh-p11-check MODULE PIN: drives a PKCS#11 module through a card removal
 * in one process, for tests/bit4id/test_removal.sh. It prints one line per
 * step (flushed) and waits, bounded, for the test to pull and reinsert the card:
 *   logged-in rv=..          session open, logged in (the card stays connected)
 *   removed rv=..            C_GetTokenInfo after the card was pulled
 *   old-session rv=..        a call on the session from before the removal
 *   reinserted               C_GetSlotList(TRUE) sees the token again
 *   state-after rv=.. public=1   the new session starts logged out
 *   signed rv=.. len=N       login + CKM_SHA256_RSA_PKCS on the new card
 *   relogin logout=.. signinit=.. login=.. sign=..   C_Logout hides the key, a
 *                            new C_Login brings it back
 *   finalize rv=.. again=..  C_Finalize, C_Initialize/C_Finalize once more
 * Exit 0 when every step ran, 1 otherwise (the lines tell which).
 *
 * kh-p11-check MODULE PIN threads: log in, then 4 threads each open their own
 * session and sign 5 times at once; prints "threads ok=N/20".
 */
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WAIT_SECS 30

static const char *rv_name(CK_RV rv)
{
	static char buf[32];
	switch (rv) {
	case CKR_OK:
		return "CKR_OK";
	case CKR_DEVICE_REMOVED:
		return "CKR_DEVICE_REMOVED";
	case CKR_TOKEN_NOT_PRESENT:
		return "CKR_TOKEN_NOT_PRESENT";
	case CKR_SESSION_HANDLE_INVALID:
		return "CKR_SESSION_HANDLE_INVALID";
	case CKR_DEVICE_ERROR:
		return "CKR_DEVICE_ERROR";
	case CKR_PIN_INCORRECT:
		return "CKR_PIN_INCORRECT";
	case CKR_USER_NOT_LOGGED_IN:
		return "CKR_USER_NOT_LOGGED_IN";
	default:
		snprintf(buf, sizeof(buf), "0x%lx", rv);
		return buf;
	}
}

static void sleep_100ms(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

static int first_token(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID *slot)
{
	CK_ULONG n = 1;
	CK_SLOT_ID ids[1];
	return f->C_GetSlotList(CK_TRUE, ids, &n) == CKR_OK && n >= 1 ? (*slot = ids[0], 0) : -1;
}

static CK_RV open_login(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, const char *pin,
                        CK_SESSION_HANDLE *s)
{
	CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, s);
	if (rv != CKR_OK)
		return rv;
	return f->C_Login(*s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static CK_RV sign(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_ULONG *len,
                  CK_OBJECT_HANDLE *used)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE key = 0;
	CK_ULONG n = 0;
	CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_BYTE data[] = "kyso", sig[512];
	CK_RV rv = f->C_FindObjectsInit(s, tmpl, 1);
	if (rv == CKR_OK)
		rv = f->C_FindObjects(s, &key, 1, &n);
	if (rv == CKR_OK)
		rv = f->C_FindObjectsFinal(s);
	if (rv == CKR_OK && n != 1)
		return CKR_GENERAL_ERROR;
	if (rv == CKR_OK)
		rv = f->C_SignInit(s, &m, key);
	*used = key;
	*len = sizeof(sig);
	if (rv == CKR_OK)
		rv = f->C_Sign(s, data, sizeof(data) - 1, sig, len);
	return rv;
}

/* Log out (the card is reset), the key is gone, log in again and sign. */
static CK_RV relogin(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, const char *pin,
                     CK_OBJECT_HANDLE key)
{
	CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_ULONG len = 0;
	CK_RV out = f->C_Logout(s);
	CK_RV init = f->C_SignInit(s, &m, key);
	CK_RV in = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	CK_RV sig = in == CKR_OK ? sign(f, s, &len, &key) : in;
	printf("relogin logout=%s", rv_name(out));
	printf(" signinit=%s", rv_name(init));
	printf(" login=%s", rv_name(in));
	printf(" sign=%s\n", rv_name(sig));
	return out == CKR_OK && init == CKR_USER_NOT_LOGGED_IN && in == CKR_OK ? sig
	                                                                       : CKR_GENERAL_ERROR;
}

static int run(CK_FUNCTION_LIST_PTR f, const char *pin)
{
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s1, s2;
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO si;
	CK_RV rv;
	int i;

	if (first_token(f, &slot) != 0) {
		printf("no-token\n");
		return 1;
	}
	rv = open_login(f, slot, pin, &s1);
	printf("logged-in rv=%s\n", rv_name(rv));
	fflush(stdout);
	if (rv != CKR_OK)
		return 1;
	for (i = 0; i < WAIT_SECS * 10; i++) {
		rv = f->C_GetTokenInfo(slot, &ti);
		if (rv != CKR_OK)
			break;
		sleep_100ms();
	}
	printf("removed rv=%s\n", rv_name(rv));
	rv = f->C_GetSessionInfo(s1, &si);
	printf("old-session rv=%s\n", rv_name(rv));
	fflush(stdout);
	for (i = 0; i < WAIT_SECS * 10 && first_token(f, &slot) != 0; i++)
		sleep_100ms();
	if (i == WAIT_SECS * 10) {
		printf("not-reinserted\n");
		return 1;
	}
	printf("reinserted\n");
	rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s2);
	if (rv == CKR_OK)
		rv = f->C_GetSessionInfo(s2, &si);
	printf("state-after rv=%s public=%d\n", rv_name(rv),
	       rv == CKR_OK && si.state == CKS_RO_PUBLIC_SESSION);
	if (rv == CKR_OK)
		rv = f->C_Login(s2, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	CK_ULONG len = 0;
	CK_OBJECT_HANDLE key = 0;
	if (rv == CKR_OK)
		rv = sign(f, s2, &len, &key);
	printf("signed rv=%s len=%lu\n", rv_name(rv), rv == CKR_OK ? len : 0);
	if (rv == CKR_OK)
		rv = relogin(f, s2, pin, key);
	if (f->C_CloseSession(s1) != CKR_OK) /* closing a session of a removed token is fine */
		printf("close-old failed\n");
	return rv == CKR_OK ? 0 : 1;
}

#define N_THREADS 4
#define N_SIGNS   5

struct worker {
	pthread_t t;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	int ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	CK_SESSION_HANDLE s;
	if (w->f->C_OpenSession(w->slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
		return NULL;
	for (int i = 0; i < N_SIGNS; i++) {
		CK_ULONG len = 0;
		CK_OBJECT_HANDLE key = 0;
		if (sign(w->f, s, &len, &key) == CKR_OK && len == 256)
			w->ok++;
	}
	if (w->f->C_CloseSession(s) != CKR_OK)
		w->ok = 0;
	return NULL;
}

static int threads(CK_FUNCTION_LIST_PTR f, const char *pin)
{
	struct worker w[N_THREADS];
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	int ok = 0;
	if (first_token(f, &slot) != 0 || open_login(f, slot, pin, &s) != CKR_OK) {
		printf("threads no-login\n");
		return 1;
	}
	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){.f = f, .slot = slot, .ok = 0};
		if (pthread_create(&w[i].t, NULL, work, &w[i]) != 0)
			return 1;
	}
	for (int i = 0; i < N_THREADS; i++) {
		if (pthread_join(w[i].t, NULL) != 0)
			return 1;
		ok += w[i].ok;
	}
	printf("threads ok=%d/%d\n", ok, N_THREADS * N_SIGNS);
	return ok == N_THREADS * N_SIGNS && f->C_CloseSession(s) == CKR_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	CK_FUNCTION_LIST_PTR f;
	CK_C_GetFunctionList get;
	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "threads") == 0)) {
		fprintf(stderr, "usage: kh-p11-check MODULE PIN [threads]\n");
		return 2;
	}
	void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "kh-p11-check: %s\n", dlerror());
		return 2;
	}
	*(void **)&get = dlsym(lib, "C_GetFunctionList");
	if (get == NULL || get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK) {
		fprintf(stderr, "kh-p11-check: cannot initialise %s\n", argv[1]);
		return 2;
	}
	int rc = argc == 4 ? threads(f, argv[2]) : run(f, argv[2]);
	CK_RV rv = f->C_Finalize(NULL);
	CK_RV again = f->C_Initialize(NULL);
	if (again == CKR_OK)
		again = f->C_Finalize(NULL);
	printf("finalize rv=%s again=%s\n", rv_name(rv), rv_name(again));
	if (rv != CKR_OK || again != CKR_OK)
		rc = 1;
	if (dlclose(lib) != 0)
		rc = 1;
	return rc;
}
