/* Who calls the agent (docs/agent.md, "Other users"): every accepted
 * connection's peer socket is looked up in the kernel's tables (core's
 * kyso_peer.h) before anything is read from it; another OS user's
 * connection is closed at once. What was found is kept per socket so that a
 * request can name the calling program in its consent dialog when that
 * program is not a web browser. Event-loop thread only, except
 * ag_peer_consent_line (worker). */
#include "agent.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	intptr_t sock;
	kyso_peer_t peer;
	char lang[4]; /* VNPT setLanguage of this connection, "" = the agent's */
} peer_slot_t;

static peer_slot_t *slots;
static size_t nslots, capslots;

static peer_slot_t *slot_for(intptr_t sock, bool make)
{
	for (size_t i = 0; i < nslots; i++)
		if (slots[i].sock == sock)
			return &slots[i];
	if (!make)
		return NULL;
	if (nslots == capslots) {
		size_t n = capslots ? capslots * 2 : 64;
		peer_slot_t *p = realloc(slots, n * sizeof(*p));
		if (p == NULL)
			return NULL;
		slots = p;
		capslots = n;
	}
	slots[nslots].sock = sock;
	return &slots[nslots++];
}

int ag_peer_accept(intptr_t sock)
{
	kyso_peer_t peer;
	kyso_peer_owner_t who = kyso_peer_lookup(sock, &peer);
#if KYSO_TEST_HOOKS
	/* wine's TCP table has no owning processes (pid 0 for every row, wine 8):
	 * the wine tests, in a test build only, let such peers through */
	if (who == KYSO_PEER_UNKNOWN && getenv("KYSO_TEST_PEER_UNCHECKED") != NULL) {
		kyso_warn("agent: test build: a peer not in the socket tables let through "
		          "(KYSO_TEST_PEER_UNCHECKED)");
		who = KYSO_PEER_SAME_USER;
	}
#endif
	if (who == KYSO_PEER_SAME_USER) {
		peer_slot_t *s = slot_for(sock, true);
		if (s == NULL)
			return -1;
		s->peer = peer; /* a reused descriptor gets the new connection's peer */
		s->lang[0] = '\0';
		return 0;
	}
	/* a socket reused by a refused connection must not keep an old peer */
	peer_slot_t *s = slot_for(sock, false);
	if (s != NULL) {
		memset(&s->peer, 0, sizeof(s->peer));
		s->lang[0] = '\0';
	}
	if (who == KYSO_PEER_OTHER_USER && peer.pid != 0)
		kyso_warn("agent: connection from another OS user's program refused (%s: pid %u)",
		          peer.how, (unsigned)peer.pid);
	else if (who == KYSO_PEER_OTHER_USER)
		kyso_warn("agent: connection from another OS user's program refused (%s: uid %u)",
		          peer.how, (unsigned)peer.uid);
	else
		kyso_warn("agent: connection refused: its peer is not in the system's socket "
		          "tables");
	return -1;
}

void ag_peer_begin(intptr_t sock)
{
	const peer_slot_t *s = slot_for(sock, false);
	kyso_i18n_thread_lang(s != NULL && s->lang[0] ? s->lang : NULL);
}

void ag_peer_note(ag_request_t *rq, intptr_t sock)
{
	peer_slot_t *s = slot_for(sock, false);
	if (rq == NULL)
		return;
	if (s != NULL) {
		rq->peer = s->peer;
		if (rq->set_lang)
			memcpy(s->lang, rq->lang, sizeof(s->lang));
		else
			memcpy(rq->lang, s->lang, sizeof(rq->lang));
	}
	kyso_i18n_thread_lang(rq->lang[0] ? rq->lang : NULL);
}

/* the program file's name, without a directory or ".exe", lower case */
static void base_name(const char *path, char *out, size_t cap)
{
	const char *b = path;
	for (const char *p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	size_t n = 0;
	for (; b[n] && n + 1 < cap; n++)
		out[n] = (char)tolower((unsigned char)b[n]);
	out[n] = '\0';
	if (n > 4 && strcmp(out + n - 4, ".exe") == 0)
		out[n - 4] = '\0';
}

bool ag_peer_is_browser(const char *path)
{
	/* the browsers' programs that open a page's WebSocket (Chromium's
	 * network service and Firefox's socket process run the same binary) */
	static const char *const names[] = {
	        "chrome",
	        "chromium",
	        "chromium-browser",
	        "headless_shell",
	        "chrome-headless-shell",
	        "msedge",
	        "microsoft-edge",
	        "firefox",
	        "firefox-esr",
	        "firefox-bin",
	        "opera",
	        "brave",
	        "brave-browser",
	        "vivaldi",
	        "vivaldi-bin",
	        "browser", /* Cốc Cốc, Yandex */
	        "coccoc",
	        "yandex_browser",
	        "epiphany",
	        "webkitnetworkprocess",
	        "librewolf",
	        "waterfox",
	};
	char b[256];
	base_name(path, b, sizeof(b));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(b, names[i]) == 0)
			return true;
	return false;
}

void ag_peer_consent_line(const ag_request_t *rq, char *buf, size_t cap)
{
	buf[0] = '\0';
	char path[1024];
	if (!kyso_peer_program(&rq->peer, path, sizeof(path))) {
		snprintf(buf, cap, "\n%s", _("Calling program: not identified."));
		return;
	}
	if (ag_peer_is_browser(path))
		return;
	char shown[AG_NAME_SHOW];
	ag_name_shorten(path, shown, sizeof(shown));
	char line[AG_NAME_SHOW + 128];
	snprintf(line, sizeof(line), _("Calling program: %s (not a web browser)."), shown);
	snprintf(buf, cap, "\n%s", line);
}
