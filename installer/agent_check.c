/* Does the agent answer? Through core's TLS client (kyso_ws.h), trusting
 * only the local CA setup installed and checking the host name the browser
 * checks: GET /v1/status of the kyso API, a VNPT-CA Plugin checkPlugin
 * frame, a VGCA Sign Service frame. */
#include "kyso_config.h"
#include "setup_int.h"

#include "kyso_platform.h"
#include "kyso_process.h"
#include "kyso_ws.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK_TIMEOUT_S 10

/* TLS to 127.0.0.1:port, the certificate chaining to cafile and naming host;
 * msg gets kyso_ws's reason in the words the install report uses. */
static void net_msg(kyso_net_status_t st, int port, const char *why, char *msg, size_t cap)
{
	if (st == KYSO_NET_REFUSED || st == KYSO_NET_UNREACHABLE)
		snprintf(msg, cap, _("nothing listens on 127.0.0.1:%d (%s)"), port, why);
	else if (st == KYSO_NET_UNTRUSTED)
		snprintf(msg, cap, _("TLS: the certificate is not trusted with the local CA (%s)"),
		         why);
	else
		snprintf(msg, cap, "%s", why);
}

static kyso_ws_request_t request(int port, const char *host, const char *path, const char *cafile)
{
	return (kyso_ws_request_t){.host = host,
	                           .port = port,
	                           .path = path,
	                           .cafile = cafile,
	                           .timeout_ms = CHECK_TIMEOUT_S * 1000,
	                           .user_agent = "kyso-setup/" KYSO_VERSION,
	                           .address = "127.0.0.1"};
}

bool kyso_setup_check_kyso_status(int port, const char *cafile, char *version, size_t vcap,
                                  char *msg, size_t cap)
{
	kyso_ws_request_t rq = request(port, "localhost", "/v1/status", cafile);
	kyso_buf_t ans;
	kyso_buf_init(&ans);
	char why[256];
	kyso_net_status_t st = kyso_tls_get(&rq, 65536, &ans, why, sizeof(why));
	const char *buf = ans.data != NULL ? (const char *)ans.data : "";
	const char *body = strstr(buf, "\r\n\r\n");
	bool ok = false;
	if (st != KYSO_NET_OK && ans.len == 0) {
		net_msg(st, port, why, msg, cap);
	} else if (ans.len < 12 || strncmp(buf, "HTTP/1.1 200", 12) != 0 || body == NULL) {
		snprintf(msg, cap, _("GET /v1/status: unexpected answer \"%.60s\""),
		         ans.len > 0 ? buf : "(none)");
	} else {
		json_error_t je;
		json_t *doc = json_loads(body + 4, 0, &je);
		const char *svc = json_string_value(json_object_get(doc, "service"));
		ok = svc != NULL && strcmp(svc, "kyso-agent") == 0;
		const char *ver = json_string_value(json_object_get(doc, "version"));
		snprintf(version, vcap, "%s", ver != NULL ? ver : "");
		if (ok)
			snprintf(msg, cap, _("GET /v1/status answered (kyso-agent %s)"), version);
		else
			snprintf(msg, cap, "%s",
			         _("GET /v1/status: the answer is not kyso-agent's"));
		json_decref(doc);
	}
	kyso_buf_free(&ans);
	return ok;
}

bool kyso_setup_check_https_any(int port, const char *host, const char *cafile, char *msg,
                                size_t cap)
{
	kyso_ws_request_t rq = request(port, host, "/", cafile);
	kyso_buf_t ans;
	kyso_buf_init(&ans);
	char why[256];
	kyso_net_status_t st = kyso_tls_get(&rq, 1024, &ans, why, sizeof(why));
	bool ok = ans.len > 9 && strncmp((const char *)ans.data, "HTTP/1.1 ", 9) == 0;
	if (ok)
		snprintf(msg, cap, "%s", _("answers over TLS with the local CA's certificate"));
	else if (st != KYSO_NET_OK)
		net_msg(st, port, why, msg, cap);
	else
		snprintf(msg, cap, "%s", _("no HTTP answer over TLS"));
	kyso_buf_free(&ans);
	return ok;
}

bool kyso_setup_check_ws(int port, const char *host, const char *path, const char *origin,
                         const char *frame, const char *cafile, char *reply, size_t rcap, char *msg,
                         size_t cap)
{
	reply[0] = '\0';
	const char *msgs[] = {frame, NULL};
	kyso_ws_request_t rq = request(port, host, path, cafile);
	rq.origin = origin;
	rq.messages = msgs;
	kyso_ws_result_t r;
	kyso_ws_exchange(&rq, &r);
	bool ok = r.status == KYSO_NET_OK && r.replies[0] != NULL && r.replies[0][0] != '\0';
	if (ok) {
		snprintf(reply, rcap, "%s", r.replies[0]);
	} else if (r.status == KYSO_NET_PROTOCOL && r.http_status != 0) {
		snprintf(msg, cap, _("WebSocket %s refused (answer \"%.40s\")"), path, r.error);
	} else if (r.status == KYSO_NET_CLOSED || r.status == KYSO_NET_OK) {
		snprintf(msg, cap, _("WebSocket %s: no answer to the request"), path);
	} else {
		net_msg(r.status, port, r.error, msg, cap);
	}
	kyso_ws_result_free(&r);
	return ok;
}

long kyso_setup_pidfile_read(const char *file)
{
	char *s = file != NULL ? kyso_setup_read_text(file) : NULL;
	long pid = s != NULL ? strtol(s, NULL, 10) : 0;
	free(s);
	return pid;
}

/* ---- does it answer? ------------------------------------------------------------------------ */

static char *first_origin(const kyso_setup_plan_t *p)
{
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_config_t *c = NULL;
	kyso_config_read_file(p->config_file, &c, &e);
	char *o = c != NULL && c->origins != NULL ? strdup(c->origins[0]) : NULL;
	kyso_config_free(&c);
	return o;
}

static json_t *proto_entry(const char *name, const char *url, bool enabled, const char *note)
{
	return json_pack("{s:s, s:s, s:b, s:s?}", "name", name, "url", url, "enabled", enabled,
	                 "note", note);
}

json_t *kyso_setup_agent_check_answers(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                                       bool *all_ok)
{
	(void)o;
	*all_ok = false;
	/* the trust anchor the browsers got: the system store's copy, else the agent's */
	char cafile[PATH_MAX];
	if (p->ca_system != NULL && access(p->ca_system, R_OK) == 0)
		snprintf(cafile, sizeof(cafile), "%s", p->ca_system);
	else
		snprintf(cafile, sizeof(cafile), "%s/ca.pem", p->agent_state);
	char *origin = first_origin(p);
	json_t *protocols = json_array();
	char url[128], msg[512], version[64] = "", reply[4096];
	bool ok = true, answered = false;

	/* kyso API: wait for the agent to listen (up to 30 s: a cold start under
	 * a sanitizer build is slow) */
	snprintf(url, sizeof(url), "https://localhost:%d/v1/", p->kyso_port);
	for (uint64_t end = kyso_now_ms() + 30000; !answered && kyso_now_ms() < end;) {
		answered = kyso_setup_check_kyso_status(p->kyso_port, cafile, version,
		                                        sizeof(version), msg, sizeof(msg));
		/* an agent started in the background that has exited will not answer */
		if (!answered && !p->agent_systemd &&
		    !kyso_process_alive(kyso_setup_pidfile_read(p->agent_pidfile), "kyso-agent"))
			break;
		if (!answered)
			usleep(200 * 1000);
	}
	json_t *e = proto_entry("kyso-api", url, true, NULL);
	json_object_set_new(e, "answers", json_boolean(answered));
	json_object_set_new(e, "detail", json_string(msg));
	json_array_append_new(protocols, e);
	ok = ok && answered;

	struct {
		const char *name, *host, *path, *frame, *expect;
		int port, proto;
	} ws[] = {
	        {"vnpt-ca-plugin", "localhost", "/plugin",
	         "{\"functionID\":7,\"funcCallback\":\"kysoSetupCheck\",\"args\":[]}",
	         "1*kysoSetupCheck", p->vnpt_port, AGENT_PROTO_VNPT},
	        {"vgca-sign-service", "127.0.0.1", "/Config", "{}", NULL, p->vgca_port,
	         AGENT_PROTO_VGCA},
	};
	for (size_t i = 0; i < 2; i++) {
		snprintf(url, sizeof(url), "wss://%s:%d%s", ws[i].host, ws[i].port,
		         i == 0 ? "/plugin" : "/");
		if (kyso_setup_plan_proto_off(p, ws[i].proto)) {
			char note[256];
			snprintf(note, sizeof(note),
			         _("port %d is the vendor's (its plugin is in use or installed): "
			           "kyso-agent leaves this protocol off"),
			         ws[i].port);
			json_array_append_new(protocols, proto_entry(ws[i].name, url, false, note));
			continue;
		}
		bool good;
		if (origin == NULL) {
			good = kyso_setup_check_https_any(ws[i].port, ws[i].host, cafile, msg,
			                                  sizeof(msg));
			if (good)
				snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "; %s",
				         _("WebSocket not checked: no web origin is allowed yet "
				           "(kyso setup --origin URL)"));
		} else {
			good = kyso_setup_check_ws(ws[i].port, ws[i].host, ws[i].path, origin,
			                           ws[i].frame, cafile, reply, sizeof(reply), msg,
			                           sizeof(msg));
			if (good && ws[i].expect != NULL && strcmp(reply, ws[i].expect) != 0) {
				good = false;
				snprintf(msg, sizeof(msg), _("unexpected answer \"%.80s\""), reply);
			} else if (good && ws[i].expect == NULL) {
				json_error_t je;
				json_t *r = json_loads(reply, 0, &je);
				good = json_is_integer(json_object_get(r, "Status"));
				json_decref(r);
				if (!good)
					snprintf(msg, sizeof(msg), _("unexpected answer \"%.80s\""),
					         reply);
			}
			if (good)
				snprintf(msg, sizeof(msg), _("answers over wss (origin %s)"),
				         origin);
		}
		e = proto_entry(ws[i].name, url, true, NULL);
		json_object_set_new(e, "answers", json_boolean(good));
		json_object_set_new(e, "detail", json_string(msg));
		json_array_append_new(protocols, e);
		ok = ok && good;
	}
	*all_ok = ok;
	json_t *r =
	        json_pack("{s:s, s:s, s:s, s:b, s:s?, s:s, s:o}", "unit", p->unit_file, "program",
	                  p->agent_path, "started_by", p->agent_systemd ? "systemd" : "process",
	                  "answers", ok, "version", version[0] ? version : NULL, "trust_anchor",
	                  cafile, "protocols", protocols);
	if (!p->agent_systemd) {
		long pid = kyso_setup_pidfile_read(p->agent_pidfile);
		if (pid > 0)
			json_object_set_new(r, "pid", json_integer(pid));
		json_object_set_new(r, "pidfile", json_string(p->agent_pidfile));
		json_object_set_new(r, "log", json_string(p->agent_log));
	}
	if (!ok)
		json_object_set_new(
		        r, "remedy",
		        json_string(
		                p->agent_systemd
		                        ? _("See `systemctl --user status kyso-agent` and "
		                            "`journalctl --user -u kyso-agent`; fix what it says "
		                            "(a port in use, a missing library), then run "
		                            "`kyso setup --repair`.")
		                        : _("See the agent's log (\"log\" above); fix what it "
		                            "says (a port in use, a missing library), then run "
		                            "`kyso setup --repair`.")));
	free(origin);
	return r;
}
