/* kyso-faultp11-client: a small PKCS#11 client that keeps one module loaded
 * across several steps, so a test can change the fault rules between them.
 *
 * usage: kyso-faultp11-client MODULE TOKEN_LABEL PIN STEP...
 * steps: slots      count slots with a token        -> "slots CKR_OK 1"
 *        tokeninfo  token flags of TOKEN_LABEL       -> "tokeninfo CKR_OK flags=0x..."
 *        login      open a session and log the user in -> "login CKR_OK"
 *        sign       SHA256-RSA-PKCS with the first private key -> "sign CKR_OK 256"
 *        touch:FILE create FILE;  wait:FILE  wait (30 s max) until FILE exists
 *        sleep:MS
 * Each step prints one line: its name, the return value and details. The
 * exit status is 0 unless the module cannot be loaded or a step is unknown.
 */
#include "fp_platform.h"
#include "fp_rvname.h"

#include <p11-kit/pkcs11.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FPC_MAX_SLOTS 64

struct fpc {
	CK_FUNCTION_LIST_PTR p;
	const char *label;
	const char *pin;
	CK_SESSION_HANDLE session;
	bool have_session;
};

static bool fpc_label_is(const CK_UTF8CHAR *padded, const char *label)
{
	size_t n = strlen(label);

	if (n > 32 || memcmp(padded, label, n) != 0)
		return false;
	for (size_t i = n; i < 32; i++) {
		if (padded[i] != ' ')
			return false;
	}
	return true;
}

/* Find the slot holding the token; on failure the most telling error. */
static CK_RV fpc_find_slot(struct fpc *c, CK_SLOT_ID *slot, CK_TOKEN_INFO *info)
{
	CK_SLOT_ID slots[FPC_MAX_SLOTS];
	CK_ULONG n = FPC_MAX_SLOTS;
	CK_RV rv = c->p->C_GetSlotList(CK_FALSE, slots, &n);
	CK_RV last = CKR_TOKEN_NOT_PRESENT;

	if (rv != CKR_OK)
		return rv;
	for (CK_ULONG i = 0; i < n; i++) {
		rv = c->p->C_GetTokenInfo(slots[i], info);
		if (rv != CKR_OK) {
			last = rv;
			continue;
		}
		if (fpc_label_is(info->label, c->label)) {
			*slot = slots[i];
			return CKR_OK;
		}
	}
	return last;
}

static void fpc_slots(struct fpc *c)
{
	CK_SLOT_ID slots[FPC_MAX_SLOTS];
	CK_ULONG n = FPC_MAX_SLOTS;
	CK_RV rv = c->p->C_GetSlotList(CK_TRUE, slots, &n);

	printf("slots %s %lu\n", fp_rv_name(rv), rv == CKR_OK ? (unsigned long)n : 0UL);
}

static void fpc_tokeninfo(struct fpc *c)
{
	CK_SLOT_ID slot;
	CK_TOKEN_INFO info;
	CK_RV rv = fpc_find_slot(c, &slot, &info);

	if (rv != CKR_OK)
		printf("tokeninfo %s\n", fp_rv_name(rv));
	else
		printf("tokeninfo %s flags=0x%lx\n", fp_rv_name(rv), (unsigned long)info.flags);
}

static void fpc_login(struct fpc *c)
{
	CK_SLOT_ID slot;
	CK_TOKEN_INFO info;
	CK_RV rv = fpc_find_slot(c, &slot, &info);

	if (rv == CKR_OK)
		rv = c->p->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
		                         &c->session);
	if (rv != CKR_OK) {
		printf("login %s (open session)\n", fp_rv_name(rv));
		return;
	}
	c->have_session = true;
	rv = c->p->C_Login(c->session, CKU_USER, (CK_UTF8CHAR_PTR)c->pin, (CK_ULONG)strlen(c->pin));
	printf("login %s\n", fp_rv_name(rv));
}

static CK_RV fpc_find_key(struct fpc *c, CK_OBJECT_HANDLE *key)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_ULONG found = 0;
	CK_RV rv = c->p->C_FindObjectsInit(c->session, tmpl, 1);
	CK_RV rv2;

	if (rv != CKR_OK)
		return rv;
	rv = c->p->C_FindObjects(c->session, key, 1, &found);
	rv2 = c->p->C_FindObjectsFinal(c->session);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv == CKR_OK && found != 1)
		rv = CKR_KEY_HANDLE_INVALID;
	return rv;
}

static void fpc_sign(struct fpc *c)
{
	static const char data[] = "kyso-faultp11 test data";
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_BYTE sig[1024];
	CK_ULONG sigl = sizeof(sig);
	CK_OBJECT_HANDLE key;
	const char *step = "C_FindObjects";
	CK_RV rv;

	if (!c->have_session) {
		printf("sign no-session\n");
		return;
	}
	rv = fpc_find_key(c, &key);
	if (rv == CKR_OK) {
		step = "C_SignInit";
		rv = c->p->C_SignInit(c->session, &mech, key);
	}
	if (rv == CKR_OK) {
		step = "C_Sign";
		rv = c->p->C_Sign(c->session, (CK_BYTE_PTR)data, sizeof(data) - 1, sig, &sigl);
	}
	if (rv == CKR_OK)
		printf("sign %s %lu\n", fp_rv_name(rv), (unsigned long)sigl);
	else
		printf("sign %s (%s)\n", fp_rv_name(rv), step);
}

static bool fpc_exists(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	if (fclose(f) != 0)
		return false;
	return true;
}

static int fpc_touch(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fclose(f) != 0) {
		fprintf(stderr, "cannot create %s\n", path);
		return 1;
	}
	return 0;
}

static int fpc_wait(const char *path)
{
	for (int i = 0; i < 3000; i++) {
		if (fpc_exists(path))
			return 0;
		fp_sleep_ms(10);
	}
	fprintf(stderr, "timeout waiting for %s\n", path);
	return 1;
}

static int fpc_step(struct fpc *c, const char *step)
{
	if (strcmp(step, "slots") == 0)
		fpc_slots(c);
	else if (strcmp(step, "tokeninfo") == 0)
		fpc_tokeninfo(c);
	else if (strcmp(step, "login") == 0)
		fpc_login(c);
	else if (strcmp(step, "sign") == 0)
		fpc_sign(c);
	else if (strncmp(step, "touch:", 6) == 0)
		return fpc_touch(step + 6);
	else if (strncmp(step, "wait:", 5) == 0)
		return fpc_wait(step + 5);
	else if (strncmp(step, "sleep:", 6) == 0)
		fp_sleep_ms((unsigned)strtoul(step + 6, NULL, 10));
	else {
		fprintf(stderr, "unknown step '%s'\n", step);
		return 1;
	}
	return 0;
}

static CK_RV fpc_load(const char *module, CK_FUNCTION_LIST_PTR *p)
{
	char err[512];
	void *lib = fp_dl_open(module, err, sizeof(err));
	void *sym;
	CK_C_GetFunctionList get;

	if (!lib) {
		fprintf(stderr, "cannot load %s: %s\n", module, err);
		return CKR_GENERAL_ERROR;
	}
	sym = fp_dl_sym(lib, "C_GetFunctionList");
	if (!sym) {
		fprintf(stderr, "%s has no C_GetFunctionList\n", module);
		return CKR_GENERAL_ERROR;
	}
	get = (CK_C_GetFunctionList)sym;
	return get(p);
}

int main(int argc, char **argv)
{
	struct fpc c = {0};
	CK_RV rv;
	int status = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: %s MODULE TOKEN_LABEL PIN STEP...\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	c.label = argv[2];
	c.pin = argv[3];
	rv = fpc_load(argv[1], &c.p);
	if (rv == CKR_OK)
		rv = c.p->C_Initialize(NULL);
	printf("init %s\n", fp_rv_name(rv));
	if (rv != CKR_OK)
		return 1;
	for (int i = 4; i < argc && status == 0; i++)
		status = fpc_step(&c, argv[i]);
	rv = c.p->C_Finalize(NULL);
	printf("finalize %s\n", fp_rv_name(rv));
	return status;
}
