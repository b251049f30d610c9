/* The doctor on Windows: remedies name the Smart Card service (SCardSvr,
 * services.msc), kyso.exe setup run as administrator, Windows' own clock
 * settings and Task Manager; drivers are DLLs that kyso loads directly, with
 * no p11-kit or NSS registration to check. The Linux words are in
 * doctor_os_posix.c (CMake builds one of the two). */
#include "doctor_int.h"

check_status_t kyso_doctor_os_pcsc_no_service(check_t *c)
{
	return kyso_doctor_ck_set(
	        c, ST_FAIL,
	        _("Start it: open services.msc, set \"Smart Card\" to Automatic and "
	          "click Start; or, in a Command Prompt opened as administrator, run "
	          "`sc config SCardSvr start= auto` and `sc start SCardSvr`."),
	        "%s", _("The Windows Smart Card service (SCardSvr) is not running."));
}

const char *kyso_doctor_os_pcsc_restart_remedy(void)
{
	return _("Restart the Smart Card service: in services.msc, or in a Command Prompt "
	         "opened as administrator with `sc stop SCardSvr` and `sc start SCardSvr`.");
}

const char *kyso_doctor_os_no_reader_remedy(void)
{
	return _("Plug the token into a USB port (not through a hub) and wait a few seconds; "
	         "if it still does not show, install its driver again with `kyso.exe setup "
	         "--repair` (as administrator) and restart the Smart Card service (`sc start "
	         "SCardSvr`).");
}

const char *kyso_doctor_os_load_remedy(kyso_p11_load_status_t st)
{
	switch (st) {
	case KYSO_P11_LOAD_NOT_ELF:
	case KYSO_P11_LOAD_WRONG_ARCH:
	case KYSO_P11_LOAD_NOT_PKCS11:
		return _("The file is not a driver this computer can use: install the right "
		         "(64-bit Windows) driver with `kyso.exe setup --repair` (as "
		         "administrator), or ask the token's supplier for it.");
	case KYSO_P11_LOAD_MISSING_DEP:
	case KYSO_P11_LOAD_DLOPEN:
		return _("A DLL the driver needs is missing: install the token's driver again "
		         "with the kyso installer or `kyso.exe setup --repair` (as "
		         "administrator).");
	case KYSO_P11_LOAD_INIT_FAILED:
		return _("Pull the token out and plug it in again, restart the Smart Card "
		         "service (`sc stop SCardSvr`, `sc start SCardSvr` as administrator), "
		         "then try again.");
	case KYSO_P11_LOAD_MISSING:
	default:
		return _("Install the driver again: run `kyso.exe setup --repair` as "
		         "administrator (or the kyso installer again).");
	}
}

const char *kyso_doctor_os_no_driver_named_remedy(void)
{
	return _("Ask the token's supplier for its Windows driver, or install it with "
	         "`kyso.exe setup --bundle FOLDER` (as administrator).");
}

void kyso_doctor_os_driver_install_remedy(check_t *c, const char *packages)
{
	(void)packages; /* Debian package names: no meaning on Windows */
	kyso_doctor_ck_remedy(
	        c, "%s",
	        _("Install it: run `kyso.exe setup --bundle FOLDER` as administrator with "
	          "the vendor's driver installer in FOLDER (or the kyso installer with a "
	          "kyso-bundle folder next to it)."));
}

const char *kyso_doctor_os_token_replug_remedy(void)
{
	return _("Pull the token out, wait five seconds and plug it in again; if the driver "
	         "still sees nothing, restart the Smart Card service (`sc stop SCardSvr`, "
	         "then `sc start SCardSvr`, as administrator).");
}

const char *kyso_doctor_os_clock_fix_remedy(void)
{
	return _("Set the clock right: Settings > Time & language > Date & time, turn on "
	         "\"Set time automatically\" and choose the time zone (UTC+07:00) Bangkok, "
	         "Hanoi, Jakarta; or run `w32tm /resync` as administrator.");
}

const char *kyso_doctor_os_clock_ntp_remedy(void)
{
	return _("Turn on \"Set time automatically\" (Settings > Time & language > Date & "
	         "time), or run `w32tm /resync` as administrator.");
}

const char *kyso_doctor_os_agent_untrusted_remedy(void)
{
	return _("Renew the agent's certificate and trust: run `kyso.exe setup --repair`, "
	         "then sign out and in again (kyso-agent starts at logon) and restart the "
	         "browser.");
}

const char *kyso_doctor_os_agent_no_origin_remedy(void)
{
	return _("Allow your web system: run `kyso.exe setup --origin "
	         "https://ADDRESS-OF-THE-WEB-SYSTEM` as administrator, then restart "
	         "kyso-agent (sign out and in again).");
}

const char *kyso_doctor_os_agent_refused_origin_remedy(void)
{
	return _("Restart the agent so that it reads the configuration: end kyso-agent.exe "
	         "in Task Manager, then sign out and in again; check the web address with "
	         "`kyso.exe setup --origin`.");
}

const char *kyso_doctor_os_agent_restart_remedy(void)
{
	return _("Restart the agent: end kyso-agent.exe in Task Manager, then sign out and "
	         "in again (it starts at logon).");
}

const char *kyso_doctor_os_agent_port_remedy(void)
{
	return _("Another program uses this port: `netstat -ano | findstr LISTENING` shows "
	         "its process ID (last column; Task Manager, Details), stop it, then "
	         "restart kyso-agent.");
}

void kyso_doctor_os_agent_not_listening_remedy(char *buf, size_t cap, const char *protocol)
{
	snprintf(buf, cap,
	         _("kyso-agent runs but does not listen for the %s protocol: restart it with "
	           "the configuration of kyso setup (end kyso-agent.exe in Task Manager, then "
	           "sign out and in again); if another program holds the port, `netstat -ano "
	           "| findstr LISTENING` shows its process ID."),
	         protocol);
}

const char *kyso_doctor_os_agent_start_remedy(void)
{
	return _("Start it: run kyso-agent.exe from the kyso folder (installed by `kyso.exe "
	         "setup`; it also starts at the next logon), then reload the web page.");
}

check_status_t kyso_doctor_check_module_registered(doctor_t *d, check_t *c)
{
	(void)d;
	return kyso_doctor_ck_skip(
	        c, _("Not applicable on Windows: kyso and its agent load the driver "
	             "DLL directly, and Windows programs reach the token through the "
	             "Smart Card service and the token's minidriver, so there is no "
	             "p11-kit or NSS registration to check."));
}
