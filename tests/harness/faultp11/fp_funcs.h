/* The PKCS#11 v2.40 function table as an X-macro, with how each call behaves
 * while the token is (simulated) absent:
 *   FP_NONE    library-level, never affected
 *   FP_SLOT    slot-level, answered but shows no token
 *   FP_TOKEN   needs a token, fails with CKR_TOKEN_NOT_PRESENT
 *   FP_SESSION needs a session, fails with CKR_DEVICE_REMOVED
 */
#ifndef FP_FUNCS_H
#define FP_FUNCS_H

#include <stddef.h>

enum fp_class { FP_NONE, FP_SLOT, FP_TOKEN, FP_SESSION };

#define FP_FUNCS(X)                                                                                \
	X(C_Initialize, FP_NONE)                                                                   \
	X(C_Finalize, FP_NONE)                                                                     \
	X(C_GetInfo, FP_NONE)                                                                      \
	X(C_GetFunctionList, FP_NONE)                                                              \
	X(C_GetSlotList, FP_SLOT)                                                                  \
	X(C_GetSlotInfo, FP_SLOT)                                                                  \
	X(C_GetTokenInfo, FP_TOKEN)                                                                \
	X(C_GetMechanismList, FP_TOKEN)                                                            \
	X(C_GetMechanismInfo, FP_TOKEN)                                                            \
	X(C_InitToken, FP_TOKEN)                                                                   \
	X(C_InitPIN, FP_SESSION)                                                                   \
	X(C_SetPIN, FP_SESSION)                                                                    \
	X(C_OpenSession, FP_TOKEN)                                                                 \
	X(C_CloseSession, FP_NONE)                                                                 \
	X(C_CloseAllSessions, FP_NONE)                                                             \
	X(C_GetSessionInfo, FP_SESSION)                                                            \
	X(C_GetOperationState, FP_SESSION)                                                         \
	X(C_SetOperationState, FP_SESSION)                                                         \
	X(C_Login, FP_SESSION)                                                                     \
	X(C_Logout, FP_SESSION)                                                                    \
	X(C_CreateObject, FP_SESSION)                                                              \
	X(C_CopyObject, FP_SESSION)                                                                \
	X(C_DestroyObject, FP_SESSION)                                                             \
	X(C_GetObjectSize, FP_SESSION)                                                             \
	X(C_GetAttributeValue, FP_SESSION)                                                         \
	X(C_SetAttributeValue, FP_SESSION)                                                         \
	X(C_FindObjectsInit, FP_SESSION)                                                           \
	X(C_FindObjects, FP_SESSION)                                                               \
	X(C_FindObjectsFinal, FP_SESSION)                                                          \
	X(C_EncryptInit, FP_SESSION)                                                               \
	X(C_Encrypt, FP_SESSION)                                                                   \
	X(C_EncryptUpdate, FP_SESSION)                                                             \
	X(C_EncryptFinal, FP_SESSION)                                                              \
	X(C_DecryptInit, FP_SESSION)                                                               \
	X(C_Decrypt, FP_SESSION)                                                                   \
	X(C_DecryptUpdate, FP_SESSION)                                                             \
	X(C_DecryptFinal, FP_SESSION)                                                              \
	X(C_DigestInit, FP_SESSION)                                                                \
	X(C_Digest, FP_SESSION)                                                                    \
	X(C_DigestUpdate, FP_SESSION)                                                              \
	X(C_DigestKey, FP_SESSION)                                                                 \
	X(C_DigestFinal, FP_SESSION)                                                               \
	X(C_SignInit, FP_SESSION)                                                                  \
	X(C_Sign, FP_SESSION)                                                                      \
	X(C_SignUpdate, FP_SESSION)                                                                \
	X(C_SignFinal, FP_SESSION)                                                                 \
	X(C_SignRecoverInit, FP_SESSION)                                                           \
	X(C_SignRecover, FP_SESSION)                                                               \
	X(C_VerifyInit, FP_SESSION)                                                                \
	X(C_Verify, FP_SESSION)                                                                    \
	X(C_VerifyUpdate, FP_SESSION)                                                              \
	X(C_VerifyFinal, FP_SESSION)                                                               \
	X(C_VerifyRecoverInit, FP_SESSION)                                                         \
	X(C_VerifyRecover, FP_SESSION)                                                             \
	X(C_DigestEncryptUpdate, FP_SESSION)                                                       \
	X(C_DecryptDigestUpdate, FP_SESSION)                                                       \
	X(C_SignEncryptUpdate, FP_SESSION)                                                         \
	X(C_DecryptVerifyUpdate, FP_SESSION)                                                       \
	X(C_GenerateKey, FP_SESSION)                                                               \
	X(C_GenerateKeyPair, FP_SESSION)                                                           \
	X(C_WrapKey, FP_SESSION)                                                                   \
	X(C_UnwrapKey, FP_SESSION)                                                                 \
	X(C_DeriveKey, FP_SESSION)                                                                 \
	X(C_SeedRandom, FP_SESSION)                                                                \
	X(C_GenerateRandom, FP_SESSION)                                                            \
	X(C_GetFunctionStatus, FP_SESSION)                                                         \
	X(C_CancelFunction, FP_SESSION)                                                            \
	X(C_WaitForSlotEvent, FP_NONE)

#define FP_ENUM(name, cls) FP_##name,
enum fp_func { FP_FUNCS(FP_ENUM) FP_NFUNCS };
#undef FP_ENUM

const char *fp_func_name(enum fp_func f);
enum fp_class fp_func_class(enum fp_func f);
/* Index of the function called NAME (LEN bytes), or -1. */
int fp_func_lookup(const char *name, size_t len);

#endif
