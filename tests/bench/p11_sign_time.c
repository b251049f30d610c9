/* p11_sign_time MODULE TOKEN PIN N: the PKCS#11 call alone, as kyso-agent makes it for a
 * hash signature (CKM_RSA_PKCS over a SHA-256 DigestInfo, C_SignInit + C_Sign on a
 * logged-in session), timed N times after one warm-up; prints the median in microseconds.
 * Built and run by bench-agent.sh (the agent's answer time is compared with it). */
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	void *h = dlopen(argv[1], RTLD_NOW);
	CK_C_GetFunctionList gfl = h ? (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList") : NULL;
	CK_FUNCTION_LIST_PTR f = NULL;
	if (gfl == NULL || gfl(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK)
		return 3;
	CK_SLOT_ID slots[16];
	CK_ULONG ns = 16;
	f->C_GetSlotList(CK_TRUE, slots, &ns);
	CK_SESSION_HANDLE s = 0;
	for (CK_ULONG i = 0; i < ns && s == 0; i++) {
		CK_TOKEN_INFO ti;
		char label[33];
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		memcpy(label, ti.label, 32);
		label[32] = '\0';
		for (int k = 31; k >= 0 && label[k] == ' '; k--)
			label[k] = '\0';
		if (strcmp(label, argv[2]) == 0)
			f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s);
	}
	if (s == 0 || f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[3], strlen(argv[3])) != CKR_OK)
		return 4;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE key;
	CK_ULONG nf = 0;
	f->C_FindObjectsInit(s, t, 1);
	f->C_FindObjects(s, &key, 1, &nf);
	f->C_FindObjectsFinal(s);
	if (nf != 1)
		return 4;
	/* SHA-256 DigestInfo prefix + 32 bytes */
	unsigned char di[51] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
	int n = atoi(argv[4]);
	double *us = calloc((size_t)n + 1, sizeof(*us));
	for (int i = 0; i <= n; i++) {
		unsigned char sig[1024];
		CK_ULONG sl = sizeof(sig);
		di[50] = (unsigned char)i;
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (f->C_SignInit(s, &m, key) != CKR_OK ||
		    f->C_Sign(s, di, sizeof(di), sig, &sl) != CKR_OK)
			return 4;
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(us + 1, (size_t)n, sizeof(*us), cmp); /* us[0]: the warm-up */
	printf("%.0f\n", us[1 + n / 2]);
	f->C_Logout(s);
	f->C_Finalize(NULL);
	return 0;
}
