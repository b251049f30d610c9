/* kyso-faultp11: a PKCS#11 module that forwards every call to a real module
 * (SoftHSM2 by default, KYSO_FAULT_TARGET) and injects the faults described
 * by the rules in KYSO_FAULT / KYSO_FAULT_FILE (see fp_rules.h, README.md). */
#include "fp_funcs.h"
#include "fp_log.h"
#include "fp_platform.h"
#include "fp_rules.h"
#include "fp_state.h"

#include <p11-kit/pkcs11.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(_WIN32)
#define FP_EXPORT CK_SPEC
#else
#define FP_EXPORT __attribute__((visibility("default")))
#endif

/* The real module's function list, set once by C_GetFunctionList. */
static _Atomic(CK_FUNCTION_LIST_PTR) fp_target_list;
/* Hash of the rule text last seen: a change "re-inserts" the token. */
static atomic_uint_fast64_t fp_rules_seen;
/* A remove-* fault fired: the token stays absent until the rules change. */
static atomic_bool fp_latched_absent;
/* The target's sessions were closed for the current absence. */
static atomic_bool fp_sessions_dropped;
/* Signatures made while remove-during-sign is active. */
static atomic_uint fp_sign_count;
/* C_GetFunctionList of the target is running (catches a target that is us). */
static _Thread_local bool fp_loading;
/* Hash of the last bad rule text reported on stderr. */
static atomic_uint_fast64_t fp_bad_reported;

/* One call in progress: its function, the rules in force, the fault applied. */
struct fp_call {
	enum fp_func f;
	struct fp_rules rules;
	const char *fault;
	bool finish_op;  /* forward anyway, to end the target's operation */
	CK_RV target_rv; /* the target's answer when finish_op */
};

static CK_FUNCTION_LIST fp_list;

static CK_FUNCTION_LIST_PTR fp_target(void)
{
	return atomic_load(&fp_target_list);
}

static bool fp_absent(const struct fp_call *c)
{
	return c->rules.removed || atomic_load(&fp_latched_absent);
}

/* A changed rule text starts over: token back in, counters reset. */
static void fp_note_rule_change(const struct fp_rules *r)
{
	uint_fast64_t seen = atomic_load(&fp_rules_seen);

	if (seen != r->hash && atomic_compare_exchange_strong(&fp_rules_seen, &seen, r->hash)) {
		atomic_store(&fp_latched_absent, false);
		atomic_store(&fp_sign_count, 0);
	}
}

static void fp_report_bad(const struct fp_rules *r)
{
	if (atomic_exchange(&fp_bad_reported, r->hash) != r->hash)
		fprintf(stderr, "kyso-faultp11: %s (every call fails with CKR_GENERAL_ERROR)\n",
		        r->bad_rule);
}

/* A real token's sessions end when it is pulled out: close them in the
 * target once per absence, so they are invalid after "re-insertion". */
static void fp_drop_sessions(void)
{
	CK_FUNCTION_LIST_PTR t = fp_target();
	CK_SLOT_ID slots[64];
	CK_ULONG n = sizeof(slots) / sizeof(slots[0]);
	CK_RV rv;

	if (atomic_exchange(&fp_sessions_dropped, true))
		return;
	rv = t->C_GetSlotList(CK_FALSE, slots, &n);
	if (rv != CKR_OK)
		return; /* not initialized or too many slots: nothing we can close */
	for (CK_ULONG i = 0; i < n; i++) {
		rv = t->C_CloseAllSessions(slots[i]);
		if (rv != CKR_OK)
			fprintf(stderr, "kyso-faultp11: closing sessions of slot %lu: rv 0x%lx\n",
			        (unsigned long)slots[i], (unsigned long)rv);
	}
}

/* Calls that continue or end a crypto operation. A real token that fails
 * one of them ends the operation; so does the target, if it gets the call. */
static bool fp_is_op_step(enum fp_func f)
{
	switch (f) {
	case FP_C_Encrypt:
	case FP_C_EncryptUpdate:
	case FP_C_EncryptFinal:
	case FP_C_Decrypt:
	case FP_C_DecryptUpdate:
	case FP_C_DecryptFinal:
	case FP_C_Digest:
	case FP_C_DigestUpdate:
	case FP_C_DigestKey:
	case FP_C_DigestFinal:
	case FP_C_Sign:
	case FP_C_SignUpdate:
	case FP_C_SignFinal:
	case FP_C_SignRecover:
	case FP_C_Verify:
	case FP_C_VerifyUpdate:
	case FP_C_VerifyFinal:
	case FP_C_VerifyRecover:
	case FP_C_DigestEncryptUpdate:
	case FP_C_DecryptDigestUpdate:
	case FP_C_SignEncryptUpdate:
	case FP_C_DecryptVerifyUpdate:
		return true;
	default:
		return false;
	}
}

static CK_RV fp_fault(struct fp_call *c, const char *fault, CK_RV rv)
{
	c->fault = fault;
	return rv;
}

/* Load the rules and decide whether call F reaches the target: CKR_OK to
 * forward it, otherwise the injected return value. */
static CK_RV fp_enter(struct fp_call *c, enum fp_func f)
{
	const struct fp_rules *r = &c->rules;
	enum fp_class cls = fp_func_class(f);
	unsigned delay;

	c->f = f;
	c->fault = NULL;
	c->finish_op = false;
	c->target_rv = CKR_OK;
	fp_rules_load(&c->rules);
	fp_note_rule_change(r);
	if (r->bad) {
		fp_report_bad(r);
		return fp_fault(c, "bad-rule", CKR_GENERAL_ERROR);
	}
	delay = r->slow_ms[f] ? r->slow_ms[f] : r->slow_all_ms;
	if (delay) {
		fp_sleep_ms(delay);
		c->fault = "slow";
	}
	if (!fp_target())
		return fp_fault(c, "no-target", CKR_GENERAL_ERROR);
	c->finish_op = fp_is_op_step(f) && !fp_absent(c);
	if (r->not_supported[f])
		return fp_fault(c, "not-supported", CKR_FUNCTION_NOT_SUPPORTED);
	if (r->device_error[f])
		return fp_fault(c, "device-error", CKR_DEVICE_ERROR);
	c->finish_op = false;
	if (r->remove_before_sign && (f == FP_C_SignInit || f == FP_C_Sign)) {
		atomic_store(&fp_latched_absent, true);
		return fp_fault(c, "remove-before-sign", CKR_DEVICE_REMOVED);
	}
	if (!fp_absent(c)) {
		atomic_store(&fp_sessions_dropped, false);
		return CKR_OK;
	}
	if (cls != FP_NONE)
		fp_drop_sessions();
	if (cls == FP_TOKEN)
		return fp_fault(c, "removed", CKR_TOKEN_NOT_PRESENT);
	if (cls == FP_SESSION)
		return fp_fault(c, "removed", CKR_DEVICE_REMOVED);
	return CKR_OK;
}

static CK_RV fp_leave(const struct fp_call *c, CK_RV rv)
{
	if (c->rules.log_path[0])
		fp_log_call(c->rules.log_path, c->f, rv, c->fault, c->finish_op, c->target_rv);
	return rv;
}

/* An injected error on an operation step: the target did the step (and so
 * ended its operation), its answer is dropped. Only the log shows it. */
static void fp_finish_op(struct fp_call *c, CK_RV target_rv)
{
	c->target_rv = target_rv;
}

/* Plain forwarders: faults from fp_enter only. */
#define FP_FORWARD(name, params, args)                                                             \
	static CK_RV fp_##name params                                                              \
	{                                                                                          \
		struct fp_call c;                                                                  \
		CK_RV rv = fp_enter(&c, FP_##name);                                                \
		if (rv == CKR_OK)                                                                  \
			rv = fp_target()->name args;                                               \
		else if (c.finish_op)                                                              \
			fp_finish_op(&c, fp_target()->name args);                                  \
		return fp_leave(&c, rv);                                                           \
	}

FP_FORWARD(C_Initialize, (CK_VOID_PTR a), (a))
FP_FORWARD(C_Finalize, (CK_VOID_PTR a), (a))
FP_FORWARD(C_GetInfo, (CK_INFO_PTR a), (a))
FP_FORWARD(C_GetMechanismList, (CK_SLOT_ID s, CK_MECHANISM_TYPE_PTR l, CK_ULONG_PTR n), (s, l, n))
FP_FORWARD(C_GetMechanismInfo, (CK_SLOT_ID s, CK_MECHANISM_TYPE t, CK_MECHANISM_INFO_PTR i),
           (s, t, i))
FP_FORWARD(C_InitToken, (CK_SLOT_ID s, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label),
           (s, pin, len, label))
FP_FORWARD(C_InitPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len), (h, pin, len))
FP_FORWARD(C_SetPIN,
           (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR o, CK_ULONG ol, CK_UTF8CHAR_PTR n, CK_ULONG nl),
           (h, o, ol, n, nl))
FP_FORWARD(C_OpenSession,
           (CK_SLOT_ID s, CK_FLAGS f, CK_VOID_PTR app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR ph),
           (s, f, app, notify, ph))
FP_FORWARD(C_CloseSession, (CK_SESSION_HANDLE h), (h))
FP_FORWARD(C_CloseAllSessions, (CK_SLOT_ID s), (s))
FP_FORWARD(C_GetSessionInfo, (CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR i), (h, i))
FP_FORWARD(C_GetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR st, CK_ULONG_PTR len),
           (h, st, len))
FP_FORWARD(C_SetOperationState,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR st, CK_ULONG len, CK_OBJECT_HANDLE ek,
            CK_OBJECT_HANDLE ak),
           (h, st, len, ek, ak))
FP_FORWARD(C_Logout, (CK_SESSION_HANDLE h), (h))
FP_FORWARD(C_CreateObject,
           (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR o),
           (h, t, n, o))
FP_FORWARD(C_CopyObject,
           (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n,
            CK_OBJECT_HANDLE_PTR no),
           (h, o, t, n, no))
FP_FORWARD(C_DestroyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o), (h, o))
FP_FORWARD(C_GetObjectSize, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size),
           (h, o, size))
FP_FORWARD(C_GetAttributeValue,
           (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, o, t, n))
FP_FORWARD(C_SetAttributeValue,
           (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, o, t, n))
FP_FORWARD(C_FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, t, n))
FP_FORWARD(C_FindObjects,
           (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR o, CK_ULONG max, CK_ULONG_PTR count),
           (h, o, max, count))
FP_FORWARD(C_FindObjectsFinal, (CK_SESSION_HANDLE h), (h))
FP_FORWARD(C_EncryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
FP_FORWARD(C_Encrypt,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_EncryptUpdate,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_EncryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, out, outl))
FP_FORWARD(C_DecryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
FP_FORWARD(C_Decrypt,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_DecryptUpdate,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_DecryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, out, outl))
FP_FORWARD(C_DigestInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m), (h, m))
FP_FORWARD(C_Digest,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_DigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl), (h, in, inl))
FP_FORWARD(C_DigestKey, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k), (h, k))
FP_FORWARD(C_DigestFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outl), (h, out, outl))
FP_FORWARD(C_SignInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
FP_FORWARD(C_SignUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl), (h, in, inl))
FP_FORWARD(C_SignRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
           (h, m, k))
FP_FORWARD(C_SignRecover,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_VerifyInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
FP_FORWARD(C_Verify,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR sig, CK_ULONG sigl),
           (h, in, inl, sig, sigl))
FP_FORWARD(C_VerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl), (h, in, inl))
FP_FORWARD(C_VerifyFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sigl), (h, sig, sigl))
FP_FORWARD(C_VerifyRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
           (h, m, k))
FP_FORWARD(C_VerifyRecover,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sigl, CK_BYTE_PTR out,
            CK_ULONG_PTR outl),
           (h, sig, sigl, out, outl))
FP_FORWARD(C_DigestEncryptUpdate,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_DecryptDigestUpdate,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_SignEncryptUpdate,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_DecryptVerifyUpdate,
           (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, in, inl, out, outl))
FP_FORWARD(C_GenerateKey,
           (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n,
            CK_OBJECT_HANDLE_PTR k),
           (h, m, t, n, k))
FP_FORWARD(C_GenerateKeyPair,
           (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pubt, CK_ULONG pubn,
            CK_ATTRIBUTE_PTR privt, CK_ULONG privn, CK_OBJECT_HANDLE_PTR pubk,
            CK_OBJECT_HANDLE_PTR privk),
           (h, m, pubt, pubn, privt, privn, pubk, privk))
FP_FORWARD(C_WrapKey,
           (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE k,
            CK_BYTE_PTR out, CK_ULONG_PTR outl),
           (h, m, wk, k, out, outl))
FP_FORWARD(C_UnwrapKey,
           (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE uk, CK_BYTE_PTR w,
            CK_ULONG wl, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k),
           (h, m, uk, w, wl, t, n, k))
FP_FORWARD(C_DeriveKey,
           (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base, CK_ATTRIBUTE_PTR t,
            CK_ULONG n, CK_OBJECT_HANDLE_PTR k),
           (h, m, base, t, n, k))
FP_FORWARD(C_SeedRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len), (h, seed, len))
FP_FORWARD(C_GenerateRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len), (h, out, len))
FP_FORWARD(C_GetFunctionStatus, (CK_SESSION_HANDLE h), (h))
FP_FORWARD(C_CancelFunction, (CK_SESSION_HANDLE h), (h))
FP_FORWARD(C_WaitForSlotEvent, (CK_FLAGS f, CK_SLOT_ID_PTR s, CK_VOID_PTR r), (f, s, r))

/* Calls with faults that change their answer. */

static CK_RV fp_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp)
{
	struct fp_call c;
	CK_RV rv = fp_enter(&c, FP_C_GetFunctionList);

	if (rv == CKR_OK) {
		if (pp)
			*pp = &fp_list;
		else
			rv = CKR_ARGUMENTS_BAD;
	}
	return fp_leave(&c, rv);
}

/* With the token absent, a list of slots with a token is empty. */
static CK_RV fp_C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	struct fp_call c;
	CK_RV rv = fp_enter(&c, FP_C_GetSlotList);

	if (rv != CKR_OK)
		return fp_leave(&c, rv);
	if (present && fp_absent(&c)) {
		if (!count)
			return fp_leave(&c, CKR_ARGUMENTS_BAD);
		*count = 0;
		return fp_leave(&c, fp_fault(&c, "removed", CKR_OK));
	}
	return fp_leave(&c, fp_target()->C_GetSlotList(present, list, count));
}

static CK_RV fp_C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
	struct fp_call c;
	CK_RV rv = fp_enter(&c, FP_C_GetSlotInfo);

	if (rv != CKR_OK)
		return fp_leave(&c, rv);
	rv = fp_target()->C_GetSlotInfo(slot, info);
	if (rv == CKR_OK && fp_absent(&c)) {
		info->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
		info->flags |= CKF_REMOVABLE_DEVICE;
		c.fault = "removed";
	}
	return fp_leave(&c, rv);
}

/* Add the PIN-state flags the rules and the try counter call for. */
static void fp_pin_flags(struct fp_call *c, CK_FLAGS *flags)
{
	const struct fp_rules *r = &c->rules;
	unsigned tries = fp_rules_tries(r);
	unsigned fails = tries ? fp_state_pin_fails() : 0;

	if (tries && fails) {
		*flags |= CKF_USER_PIN_COUNT_LOW;
		if (fails + 1 == tries)
			*flags |= CKF_USER_PIN_FINAL_TRY;
		if (fails >= tries)
			*flags |= CKF_USER_PIN_LOCKED;
		c->fault = "pin-tries";
	}
	if (r->pin_count_low) {
		*flags |= CKF_USER_PIN_COUNT_LOW;
		c->fault = "pin-count-low";
	}
	if (r->pin_final_try) {
		*flags |= CKF_USER_PIN_FINAL_TRY;
		c->fault = "pin-final-try";
	}
	if (r->pin_locked) {
		*flags |= CKF_USER_PIN_LOCKED;
		c->fault = "pin-locked";
	}
}

static CK_RV fp_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	struct fp_call c;
	CK_RV rv = fp_enter(&c, FP_C_GetTokenInfo);

	if (rv != CKR_OK)
		return fp_leave(&c, rv);
	rv = fp_target()->C_GetTokenInfo(slot, info);
	if (rv == CKR_OK && (info->flags & CKF_TOKEN_INITIALIZED))
		fp_pin_flags(&c, &info->flags);
	return fp_leave(&c, rv);
}

/* User logins obey pin-locked / wrong-pin and feed the try counter. */
static CK_RV fp_C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE type, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct fp_call c;
	CK_RV rv = fp_enter(&c, FP_C_Login);
	unsigned tries, fails;

	if (rv != CKR_OK)
		return fp_leave(&c, rv);
	if (type != CKU_USER && type != CKU_CONTEXT_SPECIFIC)
		return fp_leave(&c, fp_target()->C_Login(h, type, pin, len));
	tries = fp_rules_tries(&c.rules);
	fails = tries ? fp_state_pin_fails() : 0;
	if (c.rules.pin_locked)
		rv = fp_fault(&c, "pin-locked", CKR_PIN_LOCKED);
	else if (tries && fails >= tries)
		rv = fp_fault(&c, "pin-tries", CKR_PIN_LOCKED);
	else if (c.rules.wrong_pin)
		rv = fp_fault(&c, "wrong-pin", CKR_PIN_INCORRECT);
	else
		rv = fp_target()->C_Login(h, type, pin, len);
	if (tries && rv == CKR_PIN_INCORRECT)
		fp_state_set_pin_fails(fails + 1);
	else if (tries && rv == CKR_OK && fails)
		fp_state_set_pin_fails(0);
	return fp_leave(&c, rv);
}

/* remove-during-sign: the signature was made, but the token went away
 * before it came back. Only real signatures count, not length queries. */
static CK_RV fp_remove_during_sign(struct fp_call *c, CK_RV rv, CK_BYTE_PTR sig)
{
	const struct fp_rules *r = &c->rules;

	if (rv != CKR_OK || !sig || !r->remove_during_sign)
		return rv;
	if (atomic_fetch_add(&fp_sign_count, 1) < r->rds_after)
		return rv;
	fp_sleep_ms(r->rds_delay_ms);
	atomic_store(&fp_latched_absent, true);
	return fp_fault(c, "remove-during-sign", CKR_DEVICE_REMOVED);
}

static CK_RV fp_C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR sig,
                       CK_ULONG_PTR sigl)
{
	struct fp_call c;
	CK_RV rv = fp_enter(&c, FP_C_Sign);

	if (rv != CKR_OK) {
		if (c.finish_op)
			fp_finish_op(&c, fp_target()->C_Sign(h, in, inl, sig, sigl));
		return fp_leave(&c, rv);
	}
	rv = fp_target()->C_Sign(h, in, inl, sig, sigl);
	return fp_leave(&c, fp_remove_during_sign(&c, rv, sig));
}

static CK_RV fp_C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sigl)
{
	struct fp_call c;
	CK_RV rv = fp_enter(&c, FP_C_SignFinal);

	if (rv != CKR_OK) {
		if (c.finish_op)
			fp_finish_op(&c, fp_target()->C_SignFinal(h, sig, sigl));
		return fp_leave(&c, rv);
	}
	rv = fp_target()->C_SignFinal(h, sig, sigl);
	return fp_leave(&c, fp_remove_during_sign(&c, rv, sig));
}

#define FP_ENTRY(name, cls) .name = fp_##name,
static CK_FUNCTION_LIST fp_list = {.version = {CRYPTOKI_VERSION_MAJOR, CRYPTOKI_VERSION_MINOR},
                                   FP_FUNCS(FP_ENTRY)};
#undef FP_ENTRY

static CK_RV fp_load_target(void)
{
	const char *path = getenv("KYSO_FAULT_TARGET");
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST_PTR list = NULL;
	char err[512];
	void *lib, *sym;
	CK_RV rv;

	if (fp_target())
		return CKR_OK;
	if (!path || !*path)
		path = fp_default_target();
	lib = fp_dl_open(path, err, sizeof(err));
	if (!lib) {
		fprintf(stderr, "kyso-faultp11: cannot load target module: %s\n", err);
		return CKR_GENERAL_ERROR;
	}
	sym = fp_dl_sym(lib, "C_GetFunctionList");
	if (!sym) {
		fprintf(stderr, "kyso-faultp11: %s has no C_GetFunctionList\n", path);
		return CKR_GENERAL_ERROR;
	}
	get = (CK_C_GetFunctionList)sym;
	if (fp_loading) {
		fprintf(stderr, "kyso-faultp11: KYSO_FAULT_TARGET must not be kyso-faultp11\n");
		return CKR_GENERAL_ERROR;
	}
	fp_loading = true;
	rv = get(&list);
	fp_loading = false;
	if (rv != CKR_OK || !list) {
		fprintf(stderr, "kyso-faultp11: C_GetFunctionList of %s failed: 0x%lx\n", path,
		        (unsigned long)rv);
		return rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
	}
	atomic_store(&fp_target_list, list);
	return CKR_OK;
}

FP_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp)
{
	CK_RV rv = fp_load_target();

	if (rv != CKR_OK)
		return rv;
	return fp_C_GetFunctionList(pp);
}
