/* kyso-agent: the localhost signing service for web systems. Speaks the
 * VNPT-CA Plugin and VGCA Sign Service protocols and the kyso API over TLS on
 * loopback (docs/agent.md). */
#include "kyso_process.h"
#include "agent.h"
#include "kyso_platform.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void agent_usage(FILE *out)
{
	fprintf(out, _("Usage: kyso-agent [options]\n"));
	fprintf(out, "%s\n\n",
	        _("The web signing service (VNPT-CA Plugin, VGCA Sign Service and kyso API) on\n"
	          "loopback. Only the web sites configured with \"kyso setup --origin\" may use "
	          "it;\n"
	          "every signature asks the user's consent and PIN."));
	fprintf(out, "  --origin URL         %s\n", _("also allow this web origin (repeatable)"));
	fprintf(out, "  --fetch-origin URL   %s\n",
	        _("VGCA: also download from / upload to this origin (repeatable)"));
	fprintf(out, "  --state-dir DIR      %s\n",
	        _("TLS certificates and work files (default ~/.local/state/kyso/agent)"));
	fprintf(out, "  --pinentry PATH      %s\n",
	        _("pinentry program for the consent + PIN prompt"));
	fprintf(out, "  --module PATH        %s\n", _("PKCS#11 module (default: kyso config)"));
	fprintf(out, "  --slot ID, --token LABEL, --key-id HEX  %s\n", _("which token and key"));
	fprintf(out, "  --chain FILE         %s\n", _("extra chain certificates to embed"));
	fprintf(out, "  --ca-file FILE       %s\n",
	        _("trust anchor for verification (repeatable)"));
	fprintf(out, "  --kyso-port N        %s\n", _("kyso API port (default 4453; 0 = off)"));
	fprintf(out, "  --vnpt-ports LIST    %s\n",
	        _("VNPT-CA Plugin ports (default 4433,4434,4435,9201,9202; \"\" = off)"));
	fprintf(out, "  --vgca-port N        %s\n",
	        _("VGCA Sign Service port (default 8987; 0 = off)"));
	fprintf(out, "  --queue N            %s\n",
	        _("signing requests that may wait (default 32)"));
	fprintf(out, "  --timeout SECS       %s\n", _("network timeout (default 10)"));
	fprintf(out, "  --message-timeout SECS  %s\n",
	        _("a request must have arrived this long after its first byte (default 30)"));
	fprintf(out, "  --idle-timeout SECS  %s\n",
	        _("an idle WebSocket connection is closed after this long (default 300)"));
	fprintf(out, "  --max-connections N, --max-per-origin N  %s\n",
	        _("open connections in all and per web site (default 256, 32)"));
	fprintf(out, "  --pin-cache TIME     %s\n",
	        _("how long the consent dialog offers to remember the PIN: minutes, or 90s "
	          "(default 5, at most 30; 0 = never offer)"));
	fprintf(out, "  --no-ipv6            %s\n", _("listen on 127.0.0.1 only"));
	fprintf(out, "  --export-ca FILE     %s\n",
	        _("write the local CA certificate (created if missing) and exit; - = stdout"));
	fprintf(out, "  --print-systemd-unit %s\n", _("print a systemd user unit and exit"));
	fprintf(out, "  -v, --verbose        %s\n", _("log more"));
	fprintf(out, "  --lang vi|en, --version, --help\n");
}

static bool parse_port(const char *s, int *out)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < 0 || v > 65535)
		return false;
	*out = (int)v;
	return true;
}

static bool strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(*nv));
	if (nv == NULL)
		return false;
	*v = nv;
	nv[*n] = strdup(s);
	if (nv[*n] == NULL)
		return false;
	(*n)++;
	nv[*n] = NULL;
	return true;
}

static bool parse_vnpt_ports(ag_config_t *c, const char *s)
{
	c->n_vnpt_ports = 0;
	c->vnpt_on = *s != '\0';
	char *copy = strdup(s), *save = NULL;
	if (copy == NULL)
		return false;
	bool ok = true;
	for (char *t = strtok_r(copy, ",", &save); t != NULL && ok;
	     t = strtok_r(NULL, ",", &save)) {
		int p;
		if (c->n_vnpt_ports >= 5 || !parse_port(t, &p) || p == 0)
			ok = false;
		else
			c->vnpt_ports[c->n_vnpt_ports++] = p;
	}
	free(copy);
	return ok;
}

/* "5" / "5m" minutes, "90s" seconds; at most AG_PIN_CACHE_MAX_SECS */
static bool parse_duration(const char *s, unsigned *secs)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (end == s || v < 0)
		return false;
	long mult = 60;
	if (*end == 's')
		mult = 1;
	else if (*end == 'm')
		mult = 60;
	else if (*end != '\0')
		return false;
	if (*end != '\0' && end[1] != '\0')
		return false;
	if (v > AG_PIN_CACHE_MAX_SECS / mult)
		return false;
	*secs = (unsigned)(v * mult);
	return true;
}

static void print_unit(void)
{
	char exe[4096];
	snprintf(exe, sizeof(exe), "%s/kyso-agent", kyso_path_exe_dir());
	printf("[Unit]\n"
	       "Description=kyso signing agent (web signing component)\n"
	       "Documentation=man:kyso-agent(1)\n"
	       "\n"
	       "[Service]\n"
	       "ExecStart=%s\n"
	       "Restart=on-failure\n"
	       "PrivateTmp=yes\n"
	       "NoNewPrivileges=yes\n"
	       "\n"
	       "[Install]\n"
	       "WantedBy=default.target\n",
	       exe);
}

static int fail_usage(const char *opt)
{
	fprintf(stderr, _("kyso-agent: bad or missing value for %s\n"), opt);
	return KYSO_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	kyso_process_harden(); /* PINs: no core dumps, no DLL from the current folder */
	kyso_console_attach();
	kyso_log_init();
	const char *lang = NULL;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--lang") == 0)
			lang = argv[i + 1];
	kyso_i18n_init(lang);

	ag_config_t cfg;
	ag_config_init(&cfg);
	const char *export_ca = NULL;
	int rc = KYSO_EXIT_OK;
	kyso_error_t err;
	kyso_error_clear(&err);
	for (int i = 1; i < argc && rc == KYSO_EXIT_OK; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;
		if (strcmp(a, "--version") == 0) {
			printf("kyso-agent %s\n", KYSO_VERSION);
			ag_config_free(&cfg);
			return KYSO_EXIT_OK;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			agent_usage(stdout);
			ag_config_free(&cfg);
			return KYSO_EXIT_OK;
		} else if (strcmp(a, "--print-systemd-unit") == 0) {
			print_unit();
			ag_config_free(&cfg);
			return KYSO_EXIT_OK;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			kyso_log_set_level(KYSO_LOG_DEBUG);
			takes = false;
		} else if (strcmp(a, "--no-ipv6") == 0) {
			cfg.ipv6 = false;
			takes = false;
		}
		if (!takes || rc != KYSO_EXIT_OK)
			continue;
		if (v == NULL) {
			if (strncmp(a, "--", 2) == 0) {
				rc = fail_usage(a);
			} else {
				fprintf(stderr, _("kyso-agent: unknown option %s\n"), a);
				agent_usage(stderr);
				rc = KYSO_EXIT_USAGE;
			}
			break;
		}
		if (strcmp(a, "--lang") == 0) {
		} else if (strcmp(a, "--origin") == 0) {
			if (ag_config_add_origin(&cfg, v, &err) != KYSO_OK) {
				fprintf(stderr, "kyso-agent: %s\n", kyso_error_message(&err));
				rc = KYSO_EXIT_USAGE;
			}
		} else if (strcmp(a, "--fetch-origin") == 0) {
			ag_config_t tmp;
			ag_config_init(&tmp);
			if (ag_config_add_origin(&tmp, v, &err) != KYSO_OK) {
				fprintf(stderr, "kyso-agent: %s\n", kyso_error_message(&err));
				rc = KYSO_EXIT_USAGE;
			} else {
				strv_push(&cfg.fetch_origins, &cfg.nfetch, tmp.origins[0]);
			}
			ag_config_free(&tmp);
		} else if (strcmp(a, "--state-dir") == 0) {
			free(cfg.state_dir);
			cfg.state_dir = strdup(v);
		} else if (strcmp(a, "--pinentry") == 0) {
			free(cfg.pinentry);
			cfg.pinentry = strdup(v);
		} else if (strcmp(a, "--module") == 0) {
			free(cfg.module);
			cfg.module = strdup(v);
		} else if (strcmp(a, "--slot") == 0) {
			free(cfg.slot);
			cfg.slot = strdup(v);
		} else if (strcmp(a, "--token") == 0) {
			free(cfg.tokenlabel);
			cfg.tokenlabel = strdup(v);
		} else if (strcmp(a, "--key-id") == 0) {
			free(cfg.key_id);
			cfg.key_id = strdup(v);
		} else if (strcmp(a, "--chain") == 0) {
			free(cfg.chain_file);
			cfg.chain_file = strdup(v);
		} else if (strcmp(a, "--ca-file") == 0) {
			strv_push(&cfg.ca_files, &cfg.nca, v);
		} else if (strcmp(a, "--kyso-port") == 0) {
			if (!parse_port(v, &cfg.kyso_port))
				rc = fail_usage(a);
			cfg.kyso_on = cfg.kyso_port != 0;
		} else if (strcmp(a, "--vgca-port") == 0) {
			if (!parse_port(v, &cfg.vgca_port))
				rc = fail_usage(a);
			cfg.vgca_on = cfg.vgca_port != 0;
		} else if (strcmp(a, "--vnpt-ports") == 0) {
			if (!parse_vnpt_ports(&cfg, v))
				rc = fail_usage(a);
		} else if (strcmp(a, "--queue") == 0) {
			int q;
			if (!parse_port(v, &q) || q < 1 || q > 1000)
				rc = fail_usage(a);
			else
				cfg.queue_max = (size_t)q;
		} else if (strcmp(a, "--timeout") == 0) {
			int t;
			if (!parse_port(v, &t) || t < 1 || t > 3600)
				rc = fail_usage(a);
			else
				cfg.timeout_secs = (unsigned)t;
		} else if (strcmp(a, "--message-timeout") == 0 ||
		           strcmp(a, "--idle-timeout") == 0) {
			int t;
			if (!parse_port(v, &t) || t < 1 || t > 3600)
				rc = fail_usage(a);
			else if (a[2] == 'm')
				cfg.msg_secs = (unsigned)t;
			else
				cfg.idle_secs = (unsigned)t;
		} else if (strcmp(a, "--max-connections") == 0 ||
		           strcmp(a, "--max-per-origin") == 0) {
			int n;
			if (!parse_port(v, &n) || n < 1 || n > 4096)
				rc = fail_usage(a);
			else if (a[6] == 'c')
				cfg.max_conns = (size_t)n;
			else
				cfg.max_per_origin = (size_t)n;
		} else if (strcmp(a, "--pin-cache") == 0) {
			if (!parse_duration(v, &cfg.pin_cache_secs))
				rc = fail_usage(a);
		} else if (strcmp(a, "--export-ca") == 0) {
			export_ca = v;
		} else {
			fprintf(stderr, _("kyso-agent: unknown option %s\n"), a);
			agent_usage(stderr);
			rc = KYSO_EXIT_USAGE;
			break;
		}
		i++;
	}
	if (rc == KYSO_EXIT_OK && cfg.state_dir == NULL) {
		char *d = NULL;
		const char *base = kyso_path_state_user();
		/* a fresh account has no ~/.local/state yet: made (0700) as every
		 * XDG program does */
		if (kyso_mkdirs(base, 0700) != 0)
			kyso_debug("agent: mkdir %s: %s", base, strerror(errno));
		if (asprintf(&d, "%s/agent", base) < 0)
			rc = KYSO_EXIT_PROBLEM;
		else
			cfg.state_dir = d;
	}
	if (rc == KYSO_EXIT_OK && export_ca != NULL) {
		if (ag_tls_export_ca(cfg.state_dir, export_ca, &err) != KYSO_OK) {
			fprintf(stderr, "kyso-agent: %s\n", kyso_error_message(&err));
			rc = (int)kyso_err_exit(err.code);
		}
		ag_config_free(&cfg);
		return rc;
	}
	if (rc == KYSO_EXIT_OK) {
		ag_config_load_files(&cfg);
		ag_spawn_hooks_install();
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = ag_server_run(&cfg);
		curl_global_cleanup();
	}
	ag_config_free(&cfg);
	return rc;
}
