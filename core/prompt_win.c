/* PIN and consent prompts on Windows: the credential UI
 * (CredUIPromptForCredentialsW, generic credentials, password field only in
 * effect) and MessageBoxW. */
#include "kyso_platform.h"
#include "win_int.h"

#include <stdlib.h>
#include <string.h>
#include <wincred.h>

kyso_err_t kyso_prompt_secret(const char *title, const char *message, char *pin, size_t cap,
                              kyso_error_t *err)
{
	wchar_t *wtitle = kyso_win_wide(title);
	wchar_t *wmsg = kyso_win_wide(message);
	if (wtitle == NULL || wmsg == NULL) {
		free(wtitle);
		free(wmsg);
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not valid UTF-8: %s"), title);
	}
	CREDUI_INFOW info = {
	        .cbSize = sizeof(info), .pszMessageText = wmsg, .pszCaptionText = wtitle};
	wchar_t user[CREDUI_MAX_USERNAME_LENGTH + 1] = L"PIN";
	wchar_t secret[CREDUI_MAX_PASSWORD_LENGTH + 1] = L"";
	BOOL save = FALSE;
	DWORD rc = CredUIPromptForCredentialsW(
	        &info, L"kyso", NULL, 0, user, CREDUI_MAX_USERNAME_LENGTH + 1, secret,
	        CREDUI_MAX_PASSWORD_LENGTH + 1, &save,
	        CREDUI_FLAGS_GENERIC_CREDENTIALS | CREDUI_FLAGS_ALWAYS_SHOW_UI |
	                CREDUI_FLAGS_DO_NOT_PERSIST | CREDUI_FLAGS_KEEP_USERNAME);
	free(wtitle);
	free(wmsg);
	kyso_err_t result = KYSO_OK;
	if (rc == ERROR_CANCELLED) {
		result = kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, NULL);
	} else if (rc != NO_ERROR) {
		result = kyso_error_set(err, KYSO_ERR_UNSUPPORTED, _("The PIN dialog failed: %s"),
		                        kyso_win_strerror(rc));
	} else {
		int n = WideCharToMultiByte(CP_UTF8, 0, secret, -1, pin, (int)cap, NULL, NULL);
		if (n <= 0)
			result = kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("The PIN is too long"));
	}
	SecureZeroMemory(secret, sizeof(secret));
	if (result != KYSO_OK && cap > 0)
		kyso_memzero(pin, cap);
	return result;
}

kyso_err_t kyso_prompt_consent(const char *title, const char *message, kyso_error_t *err)
{
	wchar_t *wtitle = kyso_win_wide(title);
	wchar_t *wmsg = kyso_win_wide(message);
	if (wtitle == NULL || wmsg == NULL) {
		free(wtitle);
		free(wmsg);
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not valid UTF-8: %s"), title);
	}
	int answer = MessageBoxW(NULL, wmsg, wtitle,
	                         MB_YESNO | MB_ICONQUESTION | MB_SETFOREGROUND | MB_TOPMOST);
	free(wtitle);
	free(wmsg);
	if (answer == IDYES)
		return KYSO_OK;
	if (answer == 0)
		return kyso_error_set(err, KYSO_ERR_UNSUPPORTED, _("The consent dialog failed: %s"),
		                      kyso_win_strerror(GetLastError()));
	return kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, NULL);
}
