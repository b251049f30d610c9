/* PIN, consent and choice prompts on Windows: the credential UI
 * (CredUIPromptForCredentialsW, generic credentials, password field only in
 * effect) and task dialogs (TaskDialogIndirect, comctl32 6, which the manifest
 * of every kyso program asks for: core/compat/win/kyso.manifest): custom
 * buttons for the consent (OK, the explicit extra choice, Cancel), radio
 * buttons for the certificate chooser. */
#include "kyso_platform.h"
#include "win_int.h"

#include <stdlib.h>
#include <string.h>
#include <commctrl.h>
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

/* the ids of the task dialogs' own buttons (IDOK/IDCANCEL keep their meaning) */
#define BTN_OK      1000
#define BTN_EXTRA   1001
#define RADIO_FIRST 2000
#define CHOOSE_MAX  64

/* TaskDialogIndirect: *button the button pressed, *radio the radio button
 * chosen; KYSO_ERR_UNSUPPORTED when the dialog could not be shown. */
static kyso_err_t task_dialog(TASKDIALOGCONFIG *cfg, int *button, int *radio, kyso_error_t *err)
{
	HRESULT hr = TaskDialogIndirect(cfg, button, radio, NULL);
	if (FAILED(hr))
		return kyso_error_set(err, KYSO_ERR_UNSUPPORTED, _("The dialog failed: %s"),
		                      kyso_win_strerror((DWORD)hr));
	return KYSO_OK;
}

static void free_all(wchar_t **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
}

kyso_err_t kyso_prompt_consent(const char *title, const char *message, const char *ok,
                               const char *cancel, const char *extra, bool *extra_chosen,
                               kyso_error_t *err)
{
	*extra_chosen = false;
	wchar_t *w[5] = {kyso_win_wide(title), kyso_win_wide(message),
	                 kyso_win_wide(ok != NULL ? ok : "OK"),
	                 kyso_win_wide(cancel != NULL ? cancel : _("Cancel")),
	                 extra != NULL ? kyso_win_wide(extra) : NULL};
	if (w[0] == NULL || w[1] == NULL || w[2] == NULL || w[3] == NULL ||
	    (extra != NULL && w[4] == NULL)) {
		free_all(w, 5);
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not valid UTF-8: %s"), title);
	}
	/* Cancel is our own button (IDCANCEL: Escape and the close box give it too) */
	TASKDIALOG_BUTTON buttons[3] = {{BTN_OK, w[2]}, {BTN_EXTRA, w[4]}, {IDCANCEL, w[3]}};
	TASKDIALOG_BUTTON list[3];
	UINT nb = 0;
	list[nb++] = buttons[0];
	if (extra != NULL)
		list[nb++] = buttons[1];
	list[nb++] = buttons[2];
	TASKDIALOGCONFIG cfg = {
	        .cbSize = sizeof(cfg),
	        .dwFlags = TDF_ALLOW_DIALOG_CANCELLATION | TDF_USE_COMMAND_LINKS_NO_ICON |
	                   TDF_SIZE_TO_CONTENT,
	        .pszWindowTitle = w[0],
	        .pszContent = w[1],
	        .pButtons = list,
	        .cButtons = nb,
	        .nDefaultButton = BTN_OK,
	        .pszMainIcon = TD_INFORMATION_ICON,
	};
	int button = 0;
	kyso_err_t rc = task_dialog(&cfg, &button, NULL, err);
	free_all(w, 5);
	if (rc != KYSO_OK)
		return rc;
	if (button == BTN_OK)
		return KYSO_OK;
	if (button == BTN_EXTRA && extra != NULL) {
		*extra_chosen = true;
		return KYSO_OK;
	}
	return kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, NULL);
}

kyso_err_t kyso_prompt_choose(const char *title, const char *message, const char *const *items,
                              size_t n, size_t *chosen, kyso_error_t *err)
{
	*chosen = 0;
	if (n == 0 || n > CHOOSE_MAX)
		return kyso_error_set(err, KYSO_ERR_USAGE, "kyso_prompt_choose: %zu items", n);
	wchar_t *w[CHOOSE_MAX + 4] = {NULL};
	TASKDIALOG_BUTTON radios[CHOOSE_MAX];
	w[0] = kyso_win_wide(title);
	w[1] = kyso_win_wide(message);
	w[2] = kyso_win_wide(_("Choose"));
	w[3] = kyso_win_wide(_("Cancel"));
	bool bad = w[0] == NULL || w[1] == NULL || w[2] == NULL || w[3] == NULL;
	for (size_t i = 0; i < n; i++) {
		w[4 + i] = kyso_win_wide(items[i]);
		bad = bad || w[4 + i] == NULL;
		radios[i] = (TASKDIALOG_BUTTON){RADIO_FIRST + (int)i, w[4 + i]};
	}
	if (bad) {
		free_all(w, n + 4);
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not valid UTF-8: %s"), title);
	}
	TASKDIALOG_BUTTON buttons[2] = {{BTN_OK, w[2]}, {IDCANCEL, w[3]}};
	TASKDIALOGCONFIG cfg = {
	        .cbSize = sizeof(cfg),
	        .dwFlags = TDF_ALLOW_DIALOG_CANCELLATION | TDF_SIZE_TO_CONTENT,
	        .pszWindowTitle = w[0],
	        .pszContent = w[1],
	        .pButtons = buttons,
	        .cButtons = 2,
	        .nDefaultButton = BTN_OK,
	        .pRadioButtons = radios,
	        .cRadioButtons = (UINT)n,
	        .nDefaultRadioButton = RADIO_FIRST,
	        .pszMainIcon = TD_INFORMATION_ICON,
	};
	int button = 0, radio = 0;
	kyso_err_t rc = task_dialog(&cfg, &button, &radio, err);
	free_all(w, n + 4);
	if (rc != KYSO_OK)
		return rc;
	if (button != BTN_OK)
		return kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, _("The user cancelled."));
	if (radio < RADIO_FIRST || radio >= RADIO_FIRST + (int)n)
		return kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, _("The user cancelled."));
	*chosen = (size_t)(radio - RADIO_FIRST);
	return KYSO_OK;
}
