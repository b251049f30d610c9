/* Check 17: the signing agent. Each protocol a web page may use is spoken
 * for real, over TLS verified against the agent's local CA:
 *   kyso API           GET https://localhost:4453/v1/status
 *   VNPT-CA Plugin     wss://localhost:4433/plugin, checkPlugin (7) + getVersion (11)
 *   VGCA Sign Service  wss://127.0.0.1:8987/GetCertInfo, "get_cert_info"
 * Ports, the state directory (local CA) and the config file come from the
 * kyso-agent unit `kyso setup` wrote, which protocols kyso-agent serves from
 * config.json ("agent"), the Origin from its "origins" (docs/agent.md). */
#include "doctor_int.h"
#include "kyso_platform.h"
#include "net_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { P_KYSO, P_VNPT, P_VGCA, P_COUNT } proto_t;

static const char *const proto_ids[] = {"kyso-api", "vnpt-plugin", "vgca-sign-service"};
static const char *const proto_names[] = {"kyso API", "VNPT-CA Plugin", "VGCA Sign Service"};

#define MAX_PORTS 5

typedef struct {
	bool on;     /* to be checked */
	bool vendor; /* left to the CA's own program (config.json "agent") */
	char host[64];
	char path[128];
	int ports[MAX_PORTS];
	size_t nports;
} endpoint_t;

typedef struct {
	endpoint_t ep[P_COUNT];
	char cafile[4200];
	char unit[4200];    /* the unit file the ports came from, "" for none */
	char config[4200];  /* KYSO_CONFIG of the unit, "" for none */
	kyso_config_t *cfg; /* that config, NULL when none (then the doctor's) */
	const char *origin;
	bool from_option;
} agent_conf_t;

typedef struct {
	check_status_t st;
	kyso_net_status_t net;
	char url[300];
	char detail[512];
	char remedy[512];
	json_t *data;
} sub_t;

/* ---- configuration --------------------------------------------------------- */

static void endpoint_set(endpoint_t *e, const char *host, const char *path, int port)
{
	e->on = port > 0;
	snprintf(e->host, sizeof(e->host), "%s", host);
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->ports[0] = port;
	e->nports = port > 0 ? 1 : 0;
}

static void defaults(agent_conf_t *a)
{
	endpoint_set(&a->ep[P_KYSO], "localhost", "/v1/status", 4453);
	endpoint_set(&a->ep[P_VNPT], "localhost", "/plugin", 4433);
	static const int fallback[] = {4434, 4435, 9201, 9202};
	for (size_t i = 0; i < 4; i++)
		a->ep[P_VNPT].ports[a->ep[P_VNPT].nports++] = fallback[i];
	endpoint_set(&a->ep[P_VGCA], "127.0.0.1", "/GetCertInfo", 8987);
	snprintf(a->cafile, sizeof(a->cafile), "%s/agent/ca.pem", kyso_path_state_user());
}

static int port_of(const char *s)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	return end != s && *end == '\0' && v >= 0 && v <= 65535 ? (int)v : -1;
}

static void vnpt_ports(endpoint_t *e, const char *list)
{
	e->nports = 0;
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", list);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t != NULL && e->nports < MAX_PORTS;
	     t = strtok_r(NULL, ",", &save)) {
		int p = port_of(t);
		if (p > 0)
			e->ports[e->nports++] = p;
	}
	e->on = e->nports > 0;
}

/* Splits a systemd command line (whitespace, "double quotes"). */
static size_t split_words(char *s, char **w, size_t max)
{
	size_t n = 0;
	while (*s != '\0' && n < max) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		char *out = s;
		w[n++] = out;
		bool q = false;
		while (*s != '\0' && (q || (*s != ' ' && *s != '\t'))) {
			if (*s == '"')
				q = !q;
			else
				*out++ = *s;
			s++;
		}
		bool end = *s == '\0';
		*out = '\0';
		if (end)
			break;
		s++;
	}
	return n;
}

static void parse_exec(agent_conf_t *a, char *line)
{
	char *w[64];
	size_t n = split_words(line, w, 64);
	for (size_t i = 1; i + 1 < n; i++) {
		const char *o = w[i], *v = w[i + 1];
		int p = port_of(v);
		if (strcmp(o, "--kyso-port") == 0 && p >= 0)
			endpoint_set(&a->ep[P_KYSO], "localhost", "/v1/status", p);
		else if (strcmp(o, "--vgca-port") == 0 && p >= 0)
			endpoint_set(&a->ep[P_VGCA], "127.0.0.1", "/GetCertInfo", p);
		else if (strcmp(o, "--vnpt-ports") == 0)
			vnpt_ports(&a->ep[P_VNPT], v);
		else if (strcmp(o, "--state-dir") == 0)
			snprintf(a->cafile, sizeof(a->cafile), "%s/ca.pem", v);
		else
			continue;
		i++;
	}
}

static bool read_unit(agent_conf_t *a, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	snprintf(a->unit, sizeof(a->unit), "%s", path);
	char line[4400];
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "ExecStart=", 10) == 0)
			parse_exec(a, line + 10);
		else if (strncmp(line, "Environment=KYSO_CONFIG=", 24) == 0)
			kyso_str_printf(a->config, sizeof(a->config), "%s", line + 24);
	}
	if (fclose(f) != 0)
		kyso_debug("doctor: closing %s failed", path);
	return true;
}

static void read_units(agent_conf_t *a)
{
	char user[4200];
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && *xdg == '/')
		snprintf(user, sizeof(user), "%s/systemd/user/kyso-agent.service", xdg);
	else
		snprintf(user, sizeof(user), "%s/.config/systemd/user/kyso-agent.service",
		         home != NULL ? home : "/nonexistent");
	if (read_unit(a, user) || read_unit(a, "/etc/systemd/user/kyso-agent.service"))
		return;
	/* no systemd unit (Windows): the logon autostart entry kyso setup writes
	 * (HKCU ...\Run value kyso-agent), a command line with the same options */
	char *cmd = kyso_autostart_get("kyso-agent");
	if (cmd != NULL) {
		snprintf(a->unit, sizeof(a->unit), "%s", "autostart");
		parse_exec(a, cmd);
		free(cmd);
	}
}

/* --agent-url: https://H:P/... = kyso API, wss://H:P/plugin = VNPT, other wss = VGCA. */
static bool parse_url(agent_conf_t *a, const char *url)
{
	bool tls_ws = strncmp(url, "wss://", 6) == 0;
	if (!tls_ws && strncmp(url, "https://", 8) != 0)
		return false;
	const char *h = url + (tls_ws ? 6 : 8);
	char host[64];
	const char *rest;
	if (*h == '[') {
		const char *e = strchr(h, ']');
		if (e == NULL || (size_t)(e - h) >= sizeof(host))
			return false;
		snprintf(host, sizeof(host), "%.*s", (int)(e - h - 1), h + 1);
		rest = e + 1;
	} else {
		size_t hl = strcspn(h, ":/");
		if (hl == 0 || hl >= sizeof(host))
			return false;
		snprintf(host, sizeof(host), "%.*s", (int)hl, h);
		rest = h + hl;
	}
	int port = 443;
	if (*rest == ':') {
		char *end = NULL;
		long v = strtol(rest + 1, &end, 10);
		if (end == rest + 1 || v <= 0 || v > 65535)
			return false;
		port = (int)v;
		rest = end;
	}
	const char *path = *rest == '/' && rest[1] != '\0' ? rest : NULL;
	proto_t p = !tls_ws                                        ? P_KYSO
	            : path != NULL && strcmp(path, "/plugin") == 0 ? P_VNPT
	                                                           : P_VGCA;
	endpoint_t *e = &a->ep[p];
	if (e->on && e->nports < MAX_PORTS && strcmp(e->host, host) == 0) {
		e->ports[e->nports++] = port;
		return true;
	}
	static const char *const def_path[] = {"/v1/status", "/plugin", "/GetCertInfo"};
	endpoint_set(e, host, path != NULL && p != P_KYSO ? path : def_path[p], port);
	return true;
}

static const char *first_origin(const kyso_config_t *cfg)
{
	return cfg != NULL && cfg->origins != NULL ? cfg->origins[0] : NULL;
}

static bool agent_conf(const doctor_t *d, agent_conf_t *a, char *bad, size_t cap)
{
	memset(a, 0, sizeof(*a));
	defaults(a);
	if (d->o->agent_urls != NULL) {
		a->from_option = true;
		for (size_t p = 0; p < P_COUNT; p++)
			a->ep[p].on = false;
		for (size_t i = 0; d->o->agent_urls[i] != NULL; i++)
			if (!parse_url(a, d->o->agent_urls[i])) {
				snprintf(bad, cap, "%s", d->o->agent_urls[i]);
				return false;
			}
	} else {
		read_units(a);
	}
	if (a->config[0] != '\0') {
		kyso_error_t e;
		kyso_error_clear(&e);
		kyso_config_read_file(a->config, &a->cfg, &e);
	}
	const kyso_config_t *cfg = a->cfg != NULL ? a->cfg : d->config;
	if (!a->from_option && cfg != NULL) {
		/* a protocol kyso setup left to the CA's own program: that one should answer */
		const bool off[P_COUNT] = {false, !cfg->vnpt_plugin, !cfg->vgca_sign_service};
		for (size_t p = P_VNPT; p < P_COUNT; p++) {
			if (!off[p])
				continue;
			a->ep[p].vendor = true;
			if (!a->ep[p].on)
				endpoint_set(&a->ep[p], p == P_VNPT ? "localhost" : "127.0.0.1",
				             p == P_VNPT ? "/plugin" : "/GetCertInfo",
				             p == P_VNPT ? 4433 : 8987);
		}
	}
	a->origin = d->o->agent_origin != NULL ? d->o->agent_origin : first_origin(cfg);
	if (a->origin == NULL && a->cfg != NULL)
		a->origin = first_origin(d->config);
	if (d->o->agent_ca != NULL)
		snprintf(a->cafile, sizeof(a->cafile), "%s", d->o->agent_ca);
	return true;
}

/* ---- probes ------------------------------------------------------------------ */

static void sub_set(sub_t *s, check_status_t st, const char *remedy, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void sub_set(sub_t *s, check_status_t st, const char *remedy, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
	snprintf(s->remedy, sizeof(s->remedy), "%s", remedy != NULL ? remedy : "");
	s->st = st;
}

static void make_url(sub_t *s, const endpoint_t *e, int port, bool ws)
{
	bool ip6 = strchr(e->host, ':') != NULL;
	snprintf(s->url, sizeof(s->url), "%s://%s%s%s:%d%s", ws ? "wss" : "https", ip6 ? "[" : "",
	         e->host, ip6 ? "]" : "", port, e->path);
}

/* A vendor's plugin is trusted through the system store, kyso-agent through its CA. */
static const char *ca_for(const agent_conf_t *a, const endpoint_t *e)
{
	return e->vendor ? NULL : a->cafile;
}

/* A failed exchange: what it means, in the user's words. */
static void sub_net_failure(sub_t *s, const agent_conf_t *a, proto_t p, const char *err)
{
	const endpoint_t *e = &a->ep[p];
	switch (s->net) {
	case KYSO_NET_REFUSED:
	case KYSO_NET_UNREACHABLE:
		if (e->vendor)
			sub_set(s, ST_WARN,
			        _("Start the CA's own signing plugin/service (kyso setup left this "
			          "protocol to it), then reload the web page."),
			        _("Nothing answers at %s (%s)."), s->url, err);
		else
			sub_set(s, ST_FAIL, NULL, _("Nothing answers at %s (%s)."), s->url, err);
		break;
	case KYSO_NET_UNTRUSTED:
		sub_set(s, ST_FAIL,
		        e->vendor ? _("The CA's plugin certificate is not trusted: reinstall the "
		                      "CA's plugin.")
		                  : kyso_doctor_os_agent_untrusted_remedy(),
		        _("%s answers, but its TLS certificate is not trusted (%s; local CA %s): "
		          "browsers will refuse it."),
		        s->url, err, e->vendor ? _("system store") : a->cafile);
		break;
	case KYSO_NET_CLOSED:
		if (p != P_KYSO && a->origin == NULL)
			sub_set(s, ST_FAIL, kyso_doctor_os_agent_no_origin_remedy(),
			        _("%s refused the connection: no web system is configured for the "
			          "agent (%s)."),
			        s->url, err);
		else if (p != P_KYSO)
			sub_set(s, ST_FAIL, kyso_doctor_os_agent_refused_origin_remedy(),
			        _("%s refused the web system %s (%s)."), s->url, a->origin, err);
		else
			sub_set(s, ST_FAIL, kyso_doctor_os_agent_restart_remedy(),
			        _("%s closed the connection without an answer (%s)."), s->url, err);
		break;
	case KYSO_NET_PROTOCOL:
	case KYSO_NET_ERROR:
	case KYSO_NET_OK:
	default:
		sub_set(s, ST_FAIL, kyso_doctor_os_agent_port_remedy(),
		        _("%s does not speak the %s protocol: %s"), s->url, proto_names[p], err);
		break;
	}
}

static void probe_kyso(const doctor_t *d, const agent_conf_t *a, sub_t *s)
{
	const endpoint_t *e = &a->ep[P_KYSO];
	make_url(s, e, e->ports[0], false);
	kyso_buf_t body;
	kyso_buf_init(&body);
	long code = 0;
	char msg[256] = "";
	s->net = kyso_doctor_net_get_verified(s->url, a->cafile, kyso_doctor_timeout_ms(d),
	                                      (size_t)64 * 1024, &body, &code, msg, sizeof(msg));
	json_error_t je;
	json_t *st = s->net == KYSO_NET_OK && body.len > 0
	                     ? json_loadb((const char *)body.data, body.len, 0, &je)
	                     : NULL;
	kyso_buf_free(&body);
	if (s->net != KYSO_NET_OK) {
		sub_net_failure(s, a, P_KYSO, msg);
	} else if (code != 200 || !json_is_true(json_object_get(st, "ok"))) {
		snprintf(msg, sizeof(msg), "HTTP %ld", code);
		s->net = KYSO_NET_PROTOCOL;
		sub_net_failure(s, a, P_KYSO, msg);
	} else {
		const char *svc = json_string_value(json_object_get(st, "service"));
		const char *ver = json_string_value(json_object_get(st, "version"));
		s->data = json_pack("{s:O?}", "protocols", json_object_get(st, "protocols"));
		sub_set(s, ST_PASS, "", _("%s answers: %s %s, %lld request(s) waiting."), s->url,
		        svc != NULL ? svc : "?", ver != NULL ? ver : "?",
		        (long long)json_integer_value(json_object_get(st, "queue")));
	}
	json_decref(st);
}

/* "<result>*<callback>" -> result, or NULL when the callback does not match. */
static const char *vnpt_result(char *reply, const char *callback)
{
	char *star = reply != NULL ? strrchr(reply, '*') : NULL;
	if (star == NULL || strcmp(star + 1, callback) != 0)
		return NULL;
	*star = '\0';
	return reply;
}

static void probe_vnpt(const doctor_t *d, const agent_conf_t *a, sub_t *s)
{
	const endpoint_t *e = &a->ep[P_VNPT];
	char host[300] = "localhost";
	if (a->origin != NULL) {
		const char *h = strstr(a->origin, "://");
		snprintf(host, sizeof(host), "%s", h != NULL ? h + 3 : a->origin);
	}
	char check[512], version[512];
	snprintf(check, sizeof(check),
	         "{\"functionID\":7,\"funcCallback\":\"kysoDoctorCheck\",\"args\":[],"
	         "\"domain\":\"%s\"}",
	         host);
	snprintf(version, sizeof(version),
	         "{\"functionID\":11,\"funcCallback\":\"kysoDoctorVersion\",\"args\":[],"
	         "\"domain\":\"%s\"}",
	         host);
	const char *msgs[] = {check, version, NULL};
	/* pages try the ports in order: the first that answers is the one they use */
	json_t *tried = json_array();
	for (size_t i = 0; i < e->nports; i++) {
		make_url(s, e, e->ports[i], true);
		json_array_append_new(tried, json_string(s->url));
		kyso_ws_request_t rq = {.host = e->host,
		                        .port = e->ports[i],
		                        .path = e->path,
		                        .origin = a->origin,
		                        .cafile = ca_for(a, e),
		                        .messages = msgs,
		                        .timeout_ms = kyso_doctor_timeout_ms(d),
		                        .user_agent = "kyso-doctor/" KYSO_VERSION};
		kyso_ws_result_t r;
		kyso_ws_exchange(&rq, &r);
		s->net = r.status;
		if (r.status == KYSO_NET_REFUSED && i + 1 < e->nports) {
			kyso_ws_result_free(&r);
			continue;
		}
		if (r.status == KYSO_NET_REFUSED && e->nports > 1) {
			/* none of the ports: name the first, as pages try it first */
			char err[300];
			snprintf(err, sizeof(err), "%zu ports tried, the last: %s", e->nports,
			         r.error);
			make_url(s, e, e->ports[0], true);
			sub_net_failure(s, a, P_VNPT, err);
		} else if (r.status != KYSO_NET_OK) {
			sub_net_failure(s, a, P_VNPT, r.error);
		} else {
			const char *ok = vnpt_result(r.replies[0], "kysoDoctorCheck");
			const char *ver = vnpt_result(r.replies[1], "kysoDoctorVersion");
			if (ok == NULL || strcmp(ok, "1") != 0 || ver == NULL) {
				s->net = KYSO_NET_PROTOCOL;
				sub_net_failure(
				        s, a, P_VNPT,
				        _("checkPlugin did not answer \"1*kysoDoctorCheck\""));
			} else {
				s->data = json_pack("{s:s}", "version", ver);
				sub_set(s, ST_PASS, "",
				        _("%s answers checkPlugin and getVersion (%s) in %llu ms."),
				        s->url, ver, (unsigned long long)r.ms);
			}
		}
		kyso_ws_result_free(&r);
		break;
	}
	if (s->data == NULL)
		s->data = json_object();
	json_object_set_new(s->data, "tried", tried);
}

static void probe_vgca(const doctor_t *d, const agent_conf_t *a, sub_t *s)
{
	const endpoint_t *e = &a->ep[P_VGCA];
	make_url(s, e, e->ports[0], true);
	const char *msgs[] = {"get_cert_info", NULL};
	kyso_ws_request_t rq = {.host = e->host,
	                        .port = e->ports[0],
	                        .path = e->path,
	                        .origin = a->origin,
	                        .cafile = ca_for(a, e),
	                        .messages = msgs,
	                        .timeout_ms = kyso_doctor_timeout_ms(d),
	                        .user_agent = "kyso-doctor/" KYSO_VERSION};
	kyso_ws_result_t r;
	kyso_ws_exchange(&rq, &r);
	s->net = r.status;
	json_error_t je;
	json_t *o = r.status == KYSO_NET_OK ? json_loads(r.replies[0], 0, &je) : NULL;
	const json_t *status = json_object_get(o, "Status");
	if (r.status != KYSO_NET_OK) {
		sub_net_failure(s, a, P_VGCA, r.error);
	} else if (!json_is_integer(status) && !json_is_boolean(status)) {
		s->net = KYSO_NET_PROTOCOL;
		sub_net_failure(s, a, P_VGCA, _("the answer has no \"Status\""));
	} else {
		const char *m = json_string_value(json_object_get(o, "Message"));
		json_int_t code = json_is_integer(status) ? json_integer_value(status)
		                                          : (json_is_true(status) ? 0 : 1);
		s->data = json_pack("{s:I}", "status", code);
		if (code == 0)
			sub_set(s, ST_PASS, "", _("%s answers GetCertInfo in %llu ms."), s->url,
			        (unsigned long long)r.ms);
		else /* the protocol works; the token itself is the earlier checks' business */
			sub_set(s, ST_PASS, "",
			        _("%s answers GetCertInfo in %llu ms (Status %lld: %s)."), s->url,
			        (unsigned long long)r.ms, (long long)code, m != NULL ? m : "");
	}
	json_decref(o);
	kyso_ws_result_free(&r);
}

/* ---- the check ---------------------------------------------------------------- */

static void append(char *buf, size_t cap, const char *sep, const char *s)
{
	if (s == NULL || *s == '\0' || strstr(buf, s) != NULL)
		return;
	size_t n = strlen(buf);
	snprintf(buf + n, cap - n, "%s%s", n > 0 ? sep : "", s);
}

/* "origins" and "fetch_origins" of the agent's configuration into the check's data,
 * and as one line of text (for the text and HTML reports) */
static void origins_data(check_t *c, const kyso_config_t *cfg, char *line, size_t cap)
{
	char *const *lists[2] = {cfg != NULL ? cfg->origins : NULL,
	                         cfg != NULL ? cfg->fetch_origins : NULL};
	static const char *const ids[] = {"origins", "fetch_origins"};
	char list[2][700];
	for (size_t k = 0; k < 2; k++) {
		json_t *arr = json_array();
		list[k][0] = '\0';
		for (size_t i = 0; i < kyso_config_list_len(lists[k]); i++) {
			json_array_append_new(arr, json_string(lists[k][i]));
			append(list[k], sizeof(list[k]), ", ", lists[k][i]);
		}
		if (list[k][0] == '\0')
			snprintf(list[k], sizeof(list[k]), "-");
		kyso_doctor_ck_data(c, ids[k], arr);
	}
	snprintf(line, cap,
	         _("Web systems allowed: %s; servers the agent may download from and "
	           "upload to (VGCA): %s."),
	         list[0], list[1]);
}

static check_status_t agent_probe_all(doctor_t *d, check_t *c, char *line, size_t cap)
{
	agent_conf_t a;
	char bad[300] = "";
	if (!agent_conf(d, &a, bad, sizeof(bad))) {
		kyso_config_free(&a.cfg);
		return kyso_doctor_ck_set(c, ST_FAIL, _("Give an https:// or wss:// address."),
		                          _("Not an agent address: %s"), bad);
	}
	sub_t subs[P_COUNT];
	memset(subs, 0, sizeof(subs));
	size_t n_on = 0, n_refused = 0, n_agent = 0;
	check_status_t worst = ST_PASS;
	json_t *list = json_array();
	char remedy[1024] = "", failing[800] = "";
	for (size_t p = 0; p < P_COUNT; p++) {
		sub_t *s = &subs[p];
		if (!a.ep[p].on) {
			s->st = ST_SKIP;
			snprintf(s->detail, sizeof(s->detail), "%s",
			         _("Switched off in the agent's configuration."));
		} else {
			n_on++;
			n_agent += a.ep[p].vendor ? 0 : 1;
			if (p == P_KYSO)
				probe_kyso(d, &a, s);
			else if (p == P_VNPT)
				probe_vnpt(d, &a, s);
			else
				probe_vgca(d, &a, s);
			if (!a.ep[p].vendor &&
			    (s->net == KYSO_NET_REFUSED || s->net == KYSO_NET_UNREACHABLE))
				n_refused++;
		}
	}
	bool down = n_agent > 0 && n_refused == n_agent;
	for (size_t p = 0; p < P_COUNT; p++) {
		sub_t *s = &subs[p];
		/* one listener missing while the agent runs: that protocol's own remedy */
		if (s->st == ST_FAIL && s->remedy[0] == '\0' && !down)
			kyso_doctor_os_agent_not_listening_remedy(s->remedy, sizeof(s->remedy),
			                                          proto_names[p]);
		if (s->st == ST_FAIL && s->remedy[0] == '\0') /* agent down: said once */
			append(remedy, sizeof(remedy), " ", kyso_doctor_os_agent_start_remedy());
		if (s->st != ST_SKIP && s->st > worst)
			worst = s->st;
		if (s->st == ST_FAIL || s->st == ST_WARN) {
			char what[400];
			snprintf(what, sizeof(what), "%s (%s)", proto_names[p], s->url);
			append(remedy, sizeof(remedy), " ", s->remedy);
			append(failing, sizeof(failing), ", ", what);
		}
		json_t *o =
		        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", proto_ids[p], "protocol",
		                  proto_names[p], "status", kyso_doctor_status_id(s->st), "detail",
		                  s->detail, "remedy", s->remedy, "vendor", a.ep[p].vendor);
		if (o != NULL && s->url[0] != '\0')
			json_object_set_new(o, "url", json_string(s->url));
		if (o != NULL && s->data != NULL)
			json_object_set_new(o, "data", s->data);
		else
			json_decref(s->data);
		json_array_append_new(list, o);
	}
	kyso_doctor_ck_data(c, "protocols", list);
	kyso_doctor_ck_data(c, "ca", json_string(a.cafile));
	kyso_doctor_ck_data(c, "origin", a.origin != NULL ? json_string(a.origin) : json_null());
	kyso_doctor_ck_data(c, "config_source",
	                    json_string(a.from_option       ? "option"
	                                : a.unit[0] != '\0' ? a.unit
	                                                    : "default"));
	origins_data(c, a.cfg != NULL ? a.cfg : d->config, line, cap);
	kyso_config_free(&a.cfg);
	if (n_on == 0)
		return kyso_doctor_ck_set(
		        c, ST_SKIP, NULL, "%s",
		        _("Every agent protocol is switched off in the configuration."));
	/* an older kyso kept the local CA's key: anyone who reads it can mint
	 * certificates this machine trusts */
	char cakey[sizeof(a.cafile) + 16];
	snprintf(cakey, sizeof(cakey), "%s", a.cafile);
	char *slash = strrchr(cakey, '/');
	if (slash != NULL)
		snprintf(slash + 1, sizeof(cakey) - (size_t)(slash + 1 - cakey), "ca-key.pem");
	if (slash != NULL && access(cakey, F_OK) == 0) {
		kyso_doctor_ck_data(c, "ca_key_on_disk", json_string(cakey));
		return kyso_doctor_ck_set(
		        c, ST_FAIL,
		        _("Run kyso setup --repair: it makes a new local CA whose key is not "
		          "kept and trusts it in place of the old one."),
		        _("The private key of the agent's local CA is on disk (%s): whoever "
		          "reads it can make certificates this computer trusts."),
		        cakey);
	}
	if (down)
		return kyso_doctor_ck_set(
		        c, ST_FAIL, remedy,
		        _("No signing agent is running (nothing answers for %s): the web system "
		          "cannot reach the token."),
		        failing);
	if (worst == ST_PASS)
		return kyso_doctor_ck_set(c, ST_PASS, "",
		                          _("The signing agent answers %zu protocol(s) over "
		                            "trusted TLS."),
		                          n_on);
	return kyso_doctor_ck_set(c, worst, remedy, _("The signing agent does not work for: %s."),
	                          failing);
}

check_status_t kyso_doctor_check_agent(doctor_t *d, check_t *c)
{
	char line[1600] = "";
	check_status_t st = agent_probe_all(d, c, line, sizeof(line));
	if (line[0] != '\0') {
		size_t n = strlen(c->detail);
		snprintf(c->detail + n, sizeof(c->detail) - n, "%s%s", n > 0 ? " " : "", line);
	}
	return st;
}
