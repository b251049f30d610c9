/* The doctor on Linux (and other POSIX systems): remedies name systemd,
 * apt and sudo; modules are registered with p11-kit and in NSS databases.
 * The Windows words are in doctor_os_win.c (CMake builds one of the two). */
#include "doctor_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

check_status_t kyso_doctor_os_pcsc_no_service(check_t *c)
{
	return kyso_doctor_ck_set(
	        c, ST_FAIL,
	        _("Start it: run `sudo systemctl start pcscd` (and `sudo systemctl "
	          "enable pcscd.socket` so it starts by itself); if it is missing, "
	          "run `sudo apt install pcscd`."),
	        "%s", _("The PC/SC service (pcscd) is not running."));
}

const char *kyso_doctor_os_pcsc_restart_remedy(void)
{
	return _("Restart it: run `sudo systemctl restart pcscd`.");
}

const char *kyso_doctor_os_no_reader_remedy(void)
{
	return _("Plug the token into a USB port (not through a hub) and wait a few "
	         "seconds; if it still does not show, run `sudo apt install libccid` "
	         "and `sudo systemctl restart pcscd`.");
}

const char *kyso_doctor_os_no_driver_named_remedy(void)
{
	return _("Ask the token's supplier for its Linux driver, or install "
	         "it with `sudo kyso setup --bundle DIR`.");
}

void kyso_doctor_os_driver_install_remedy(check_t *c, const char *pk)
{
	if (pk[0] != '\0')
		kyso_doctor_ck_remedy(
		        c,
		        _("Install it: run `sudo kyso setup` (or `sudo apt install %s`; "
		          "vendor drivers come with `sudo kyso setup --bundle DIR`)."),
		        pk);
	else
		kyso_doctor_ck_remedy(c, "%s",
		                      _("Install it: run `sudo kyso setup --bundle DIR` with the "
		                        "vendor's "
		                        "driver files."));
}

const char *kyso_doctor_os_token_replug_remedy(void)
{
	return _("Pull the token out, wait five seconds and plug it in again; if "
	         "the driver still sees nothing, run `sudo systemctl restart pcscd`.");
}

const char *kyso_doctor_os_clock_fix_remedy(void)
{
	return _("Set the clock right: turn on automatic time (`sudo timedatectl "
	         "set-ntp true`) and check the time zone (Asia/Ho_Chi_Minh).");
}

const char *kyso_doctor_os_clock_ntp_remedy(void)
{
	return _("Turn on automatic time: `sudo timedatectl set-ntp true`.");
}

const char *kyso_doctor_os_agent_untrusted_remedy(void)
{
	return _("Renew the agent's certificate and trust: run `kyso setup "
	         "--repair`, then `systemctl --user restart kyso-agent` and "
	         "restart the browser.");
}

const char *kyso_doctor_os_agent_no_origin_remedy(void)
{
	return _("Allow your web system: run `sudo kyso setup --origin "
	         "https://ADDRESS-OF-THE-WEB-SYSTEM`, then `systemctl --user "
	         "restart "
	         "kyso-agent`.");
}

const char *kyso_doctor_os_agent_refused_origin_remedy(void)
{
	return _("Restart the agent so that it reads the configuration: "
	         "`systemctl --user restart kyso-agent`; check the web address "
	         "with "
	         "`kyso setup --origin`.");
}

const char *kyso_doctor_os_agent_restart_remedy(void)
{
	return _("Restart the agent: `systemctl --user restart kyso-agent`.");
}

const char *kyso_doctor_os_agent_port_remedy(void)
{
	return _("Another program uses this port: find it with `ss -ltnp`, stop it, "
	         "then `systemctl --user restart kyso-agent`.");
}

void kyso_doctor_os_agent_not_listening_remedy(char *buf, size_t cap, const char *protocol)
{
	snprintf(buf, cap,
	         _("kyso-agent runs but does not listen for the %s protocol: "
	           "restart "
	           "it with the configuration of kyso setup (`systemctl --user "
	           "restart kyso-agent`); if another program holds the port, `ss "
	           "-ltnp` names it."),
	         protocol);
}

const char *kyso_doctor_os_agent_start_remedy(void)
{
	return _("Start it: `systemctl --user start kyso-agent` (installed by "
	         "`kyso "
	         "setup`; it also starts at the next login), then reload the web "
	         "page.");
}

const char *kyso_doctor_os_load_remedy(kyso_p11_load_status_t st)
{
	switch (st) {
	case KYSO_P11_LOAD_MISSING:
		return _("Install the driver again: run `sudo kyso setup --repair`.");
	case KYSO_P11_LOAD_NOT_ELF:
	case KYSO_P11_LOAD_WRONG_ARCH:
	case KYSO_P11_LOAD_NOT_PKCS11:
		return _(
		        "The file is not a driver this computer can use: install the right "
		        "(64-bit Linux) driver with `sudo kyso setup --repair`, or ask the token's "
		        "supplier for it.");
	case KYSO_P11_LOAD_MISSING_DEP:
	case KYSO_P11_LOAD_DLOPEN: /* see requests-doctor.md: a missing dependency may land here */
		return _("Install the missing library named above (`apt-file search NAME` finds "
		         "its package), then run `sudo kyso setup --repair`.");
	case KYSO_P11_LOAD_INIT_FAILED:
		return _("Pull the token out and plug it in again, run `sudo systemctl restart "
		         "pcscd`, then try again.");
	default:
		return _("Install the driver again: run `sudo kyso setup --repair`.");
	}
}

static bool same_module(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	const char *ba = strrchr(a, '/'), *bb = strrchr(b, '/');
	/* a p11-kit "module:" with a bare name is looked up in p11-kit's dir */
	return (ba == NULL && bb != NULL && strcmp(a, bb + 1) == 0) ||
	       (bb == NULL && ba != NULL && strcmp(b, ba + 1) == 0);
}

static bool p11kit_dir_has(const char *dir, const char *module, json_t *found)
{
	DIR *dh = opendir(dir);
	if (dh == NULL)
		return false;
	bool hit = false;
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 8 || strcmp(e->d_name + n - 7, ".module") != 0)
			continue;
		char file[4200];
		snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
		char *m = kyso_doctor_p11kit_module_of(file);
		if (m != NULL && same_module(m, module)) {
			hit = true;
			json_array_append_new(found, json_string(file));
		}
		free(m);
	}
	if (closedir(dh) != 0)
		kyso_debug("doctor: closedir %s failed", dir);
	return hit;
}

static bool nss_db_has(const char *db, const char *module)
{
	char file[4200];
	snprintf(file, sizeof(file), "%s/pkcs11.txt", db);
	FILE *f = fopen(file, "r");
	if (f == NULL)
		return false;
	char line[4400];
	bool hit = false;
	while (!hit && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "library=", 8) == 0 && same_module(line + 8, module))
			hit = true;
	}
	if (fclose(f) != 0)
		kyso_debug("doctor: closing %s failed", file);
	return hit;
}

check_status_t kyso_doctor_check_module_registered(doctor_t *d, check_t *c)
{
	if (d->module == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: no driver module."));
	char user_dir[4200];
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && *xdg != '\0')
		snprintf(user_dir, sizeof(user_dir), "%s/pkcs11/modules", xdg);
	else
		snprintf(user_dir, sizeof(user_dir), "%s/.config/pkcs11/modules",
		         home != NULL ? home : "/nonexistent");
	const char *dirs[] = {user_dir, "/etc/pkcs11/modules", "/usr/share/p11-kit/modules"};
	json_t *p11 = json_array();
	bool in_p11kit = false;
	for (size_t i = 0; i < 3; i++)
		in_p11kit |= p11kit_dir_has(dirs[i], d->module, p11);
	kyso_doctor_ck_data(c, "p11kit", p11);
	char **dbs = kyso_nss_dbs_find("", home);
	kyso_doctor_personal_profiles(dbs);
	json_t *nss_yes = json_array(), *nss_no = json_array();
	for (size_t i = 0; dbs != NULL && dbs[i] != NULL; i++)
		json_array_append_new(nss_db_has(dbs[i], d->module) ? nss_yes : nss_no,
		                      json_string(dbs[i]));
	kyso_strv_free(dbs);
	size_t n_yes = json_array_size(nss_yes), n_no = json_array_size(nss_no);
	kyso_doctor_ck_data(c, "nss_registered", nss_yes);
	kyso_doctor_ck_data(c, "nss_missing", nss_no);
	const char *fix = _("Register it again: run `kyso setup --repair` (as the user who signs "
	                    "in the browser), then restart the browser.");
	if (!in_p11kit && n_yes == 0)
		return kyso_doctor_ck_set(
		        c, ST_FAIL, fix, "%s",
		        _("The driver is not registered with p11-kit nor in any browser "
		          "database: applications will not find the token."));
	if (n_no > 0)
		return kyso_doctor_ck_set(
		        c, ST_WARN, fix,
		        _("Registered with p11-kit: %s; missing in %zu of %zu browser (NSS) "
		          "database(s), e.g. %s"),
		        in_p11kit ? _("yes") : _("no"), n_no, n_no + n_yes,
		        json_string_value(json_array_get(nss_no, 0)));
	if (!in_p11kit)
		return kyso_doctor_ck_set(
		        c, ST_WARN, fix,
		        _("Registered in %zu browser database(s) but not with p11-kit."), n_yes);
	return kyso_doctor_ck_set(
	        c, ST_PASS, "", _("Registered with p11-kit and in %zu browser (NSS) database(s)."),
	        n_yes);
}
