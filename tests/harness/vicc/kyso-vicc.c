/*
 * kyso-vicc: a virtual smart card for the vpcd reader driver (vsmartcard-vpcd).
 *
 * It connects to the TCP port of a vpcd reader inside pcscd, presents an ATR
 * and answers APDUs through an applet (default: a minimal ISO card).
 * SIGUSR1 removes the card (closes the socket), SIGUSR2 inserts it again
 * (reconnects), SIGTERM/SIGINT exit cleanly.
 */
#include "vicc_applet.h"
#include "vpcd_link.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE     2
#define EXIT_NO_READER 3

struct vicc_opts {
	const char *host;
	const char *port;
	const char *atr_hex;
	const char *applet;
	const char *apdu_log;
	long remove_after; /* -1: never */
	long connect_timeout;
	int start_removed;
	int verbose;
};

struct vicc_run {
	struct vicc_opts o;
	struct vicc_config cfg;
	const struct vicc_applet *applet;
	void *card;
	FILE *log;
	int fd;
	int inserted;
	long apdus;
	struct timespec deadline;
	sigset_t waitmask;
};

static volatile sig_atomic_t got_remove, got_insert, got_term;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_remove = 1;
	else if (sig == SIGUSR2)
		got_insert = 1;
	else
		got_term = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: kyso-vicc --port N [--host 127.0.0.1] [--atr HEX] [--applet NAME]\n"
	           "                 [--aid HEX]... [--fid HEX]... [--applet-opt KEY=VALUE]...\n"
	           "                 [--apdu-log FILE] [--remove-after-apdus N] [--start-removed]\n"
	           "                 [--connect-timeout SECS] [-v]\n"
	           "A virtual card for the vpcd reader: connects to vpcd's TCP port N.\n"
	           "  --atr HEX               ATR to present (required unless the applet has one)\n"
	           "  --aid HEX               known DF name; SELECT of others gives 6A82 "
	           "(repeatable)\n"
	           "  --fid HEX               known 2-byte file id; others give 6A82 (repeatable)\n"
	           "  --apdu-log FILE         append '> C-APDU', '< R-APDU' and '# event' lines\n"
	           "  --remove-after-apdus N  answer N APDUs, then drop the connection when the\n"
	           "                          next one arrives (card pulled mid-command; once)\n"
	           "  --start-removed         wait for SIGUSR2 before inserting the card\n"
	           "  --connect-timeout SECS  give up when vpcd is unreachable this long (30)\n"
	           "Signals: SIGUSR1 remove the card, SIGUSR2 insert it, SIGTERM exit.\n"
	           "Exit: 0 on SIGTERM, 2 usage, 3 vpcd unreachable.\n"
	           "Applets:\n");
	vicc_applet_print_list();
}

static void log_event(struct vicc_run *r, const char *what)
{
	if (r->log != NULL)
		fprintf(r->log, "# %s\n", what);
	if (r->o.verbose)
		fprintf(stderr, "kyso-vicc: %s\n", what);
}

static void log_bytes(struct vicc_run *r, char dir, const uint8_t *b, size_t len)
{
	if (r->log != NULL) {
		fprintf(r->log, "%c ", dir);
		vicc_hex_fprint(r->log, b, len);
		fputc('\n', r->log);
	}
	if (r->o.verbose) {
		fprintf(stderr, "kyso-vicc: %c ", dir);
		vicc_hex_fprint(stderr, b, len);
		fputc('\n', stderr);
	}
}

static int add_id(struct vicc_id *list, size_t *n, const char *hex, size_t need_len)
{
	if (*n >= VICC_MAX_LIST)
		return -1;
	struct vicc_id *id = &list[*n];
	if (vicc_hex_decode(hex, id->v, sizeof(id->v), &id->len) != 0 || id->len == 0)
		return -1;
	if (need_len != 0 && id->len != need_len)
		return -1;
	(*n)++;
	return 0;
}

static int parse_long(const char *s, long min, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(struct vicc_run *r, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"port", required_argument, NULL, 'p'},
	        {"host", required_argument, NULL, 'H'},
	        {"atr", required_argument, NULL, 'a'},
	        {"aid", required_argument, NULL, 'A'},
	        {"fid", required_argument, NULL, 'F'},
	        {"applet", required_argument, NULL, 'x'},
	        {"applet-opt", required_argument, NULL, 'o'},
	        {"apdu-log", required_argument, NULL, 'l'},
	        {"remove-after-apdus", required_argument, NULL, 'R'},
	        {"start-removed", no_argument, NULL, 'S'},
	        {"connect-timeout", required_argument, NULL, 't'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct vicc_opts *o = &r->o;
	long port;
	int c;

	o->host = "127.0.0.1";
	o->applet = "iso";
	o->remove_after = -1;
	o->connect_timeout = 30;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_long(optarg, 1, &port) != 0 || port > 65535)
				goto bad;
			o->port = optarg;
			break;
		case 'H':
			o->host = optarg;
			break;
		case 'a':
			o->atr_hex = optarg;
			break;
		case 'A':
			if (add_id(r->cfg.aids, &r->cfg.n_aids, optarg, 0) != 0)
				goto bad;
			break;
		case 'F':
			if (add_id(r->cfg.fids, &r->cfg.n_fids, optarg, 2) != 0)
				goto bad;
			break;
		case 'x':
			o->applet = optarg;
			break;
		case 'o':
			if (r->cfg.n_opts >= VICC_MAX_LIST || strchr(optarg, '=') == NULL)
				goto bad;
			r->cfg.opts[r->cfg.n_opts++] = optarg;
			break;
		case 'l':
			o->apdu_log = optarg;
			break;
		case 'R':
			if (parse_long(optarg, 0, &o->remove_after) != 0)
				goto bad;
			break;
		case 'S':
			o->start_removed = 1;
			break;
		case 't':
			if (parse_long(optarg, 0, &o->connect_timeout) != 0)
				goto bad;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || o->port == NULL) {
		fprintf(stderr, "kyso-vicc: --port is required and no operands are taken\n");
		usage(stderr);
		return -1;
	}
	return 0;
bad:
	for (const struct option *lo = longopts; lo->name != NULL; lo++) {
		if (lo->val == c) {
			fprintf(stderr, "kyso-vicc: bad value for --%s: %s\n", lo->name, optarg);
			break;
		}
	}
	return -1;
}

static int setup_card(struct vicc_run *r)
{
	r->applet = vicc_applet_find(r->o.applet);
	if (r->applet == NULL) {
		fprintf(stderr, "kyso-vicc: unknown applet '%s'\n", r->o.applet);
		return -1;
	}
	const char *atr = r->o.atr_hex != NULL ? r->o.atr_hex : r->applet->default_atr;
	if (atr == NULL) {
		fprintf(stderr, "kyso-vicc: --atr is required for applet '%s'\n", r->applet->name);
		return -1;
	}
	if (vicc_hex_decode(atr, r->cfg.atr, sizeof(r->cfg.atr), &r->cfg.atr_len) != 0 ||
	    r->cfg.atr_len < 2) {
		fprintf(stderr, "kyso-vicc: bad ATR '%s' (2 to 33 hex bytes)\n", atr);
		return -1;
	}
	r->card = r->applet->create(&r->cfg);
	return r->card != NULL ? 0 : -1;
}

static int setup_log(struct vicc_run *r)
{
	if (r->o.apdu_log == NULL)
		return 0;
	r->log = fopen(r->o.apdu_log, "ae");
	if (r->log == NULL) {
		fprintf(stderr, "kyso-vicc: cannot open %s: %s\n", r->o.apdu_log, strerror(errno));
		return -1;
	}
	if (setvbuf(r->log, NULL, _IOLBF, 0) != 0) {
		fprintf(stderr, "kyso-vicc: setvbuf failed\n");
		return -1;
	}
	return 0;
}

static int setup_signals(struct vicc_run *r)
{
	static const int sigs[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGINT};
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigemptyset(&sa.sa_mask) != 0 || sigemptyset(&block) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL) != 0 || sigaddset(&block, sigs[i]) != 0)
			return -1;
	}
	/* Signals stay blocked except while waiting in ppoll(). */
	if (sigprocmask(SIG_BLOCK, &block, &r->waitmask) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigdelset(&r->waitmask, sigs[i]) != 0)
			return -1;
	}
	return 0;
}

static void start_deadline(struct vicc_run *r)
{
	if (clock_gettime(CLOCK_MONOTONIC, &r->deadline) != 0)
		r->deadline.tv_sec = 0;
	r->deadline.tv_sec += r->o.connect_timeout;
}

static int past_deadline(const struct vicc_run *r)
{
	struct timespec now;
	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return 1;
	return now.tv_sec > r->deadline.tv_sec ||
	       (now.tv_sec == r->deadline.tv_sec && now.tv_nsec >= r->deadline.tv_nsec);
}

static void drop_link(struct vicc_run *r)
{
	if (r->fd >= 0 && close(r->fd) != 0 && r->o.verbose)
		fprintf(stderr, "kyso-vicc: close: %s\n", strerror(errno));
	r->fd = -1;
}

static void handle_signals(struct vicc_run *r)
{
	if (got_remove) {
		got_remove = 0;
		drop_link(r);
		if (r->inserted)
			log_event(r, "removed");
		r->inserted = 0;
	}
	if (got_insert) {
		got_insert = 0;
		if (!r->inserted) {
			r->inserted = 1;
			start_deadline(r);
			log_event(r, "inserted");
		}
	}
}

/* Try to reach vpcd once. 0 connected or retry later, -1 gave up. */
static int try_connect(struct vicc_run *r)
{
	r->fd = vpcd_connect(r->o.host, r->o.port);
	if (r->fd >= 0) {
		r->applet->reset(r->card);
		log_event(r, "connected");
		return 0;
	}
	if (past_deadline(r)) {
		fprintf(stderr, "kyso-vicc: cannot reach vpcd at %s:%s: %s\n", r->o.host, r->o.port,
		        strerror(errno));
		return -1;
	}
	return 0;
}

static int answer_control(struct vicc_run *r, uint8_t ctrl)
{
	switch (ctrl) {
	case VPCD_CTRL_OFF:
		log_event(r, "power-off");
		return 0;
	case VPCD_CTRL_ON:
		log_event(r, "power-on");
		r->applet->reset(r->card);
		return 0;
	case VPCD_CTRL_RESET:
		log_event(r, "reset");
		r->applet->reset(r->card);
		return 0;
	case VPCD_CTRL_ATR:
		return vpcd_send(r->fd, r->cfg.atr, r->cfg.atr_len);
	default:
		if (r->o.verbose)
			fprintf(stderr, "kyso-vicc: unknown control byte %02X\n", ctrl);
		return 0;
	}
}

static int answer_apdu(struct vicc_run *r, const uint8_t *capdu, size_t len)
{
	static uint8_t out[VICC_MAX_MSG];
	struct vicc_rapdu rapdu = {.buf = out, .cap = sizeof(out), .len = 0};

	log_bytes(r, '>', capdu, len);
	if (r->o.remove_after >= 0 && r->apdus >= r->o.remove_after) {
		r->o.remove_after = -1; /* one shot */
		if (vpcd_abort(r->fd) != 0 && r->o.verbose)
			fprintf(stderr, "kyso-vicc: abort: %s\n", strerror(errno));
		r->fd = -1;
		r->inserted = 0;
		log_event(r, "removed mid-command");
		return 0;
	}
	r->apdus++;
	if (r->applet->process_apdu(r->card, capdu, len, &rapdu) != 0) {
		rapdu.len = 0;
		if (vicc_rapdu_sw(&rapdu, SW_UNKNOWN) != 0)
			return -1;
	}
	log_bytes(r, '<', rapdu.buf, rapdu.len);
	return vpcd_send(r->fd, rapdu.buf, rapdu.len);
}

/* Read and answer one message from vpcd. */
static void serve_one(struct vicc_run *r)
{
	static uint8_t in[VICC_MAX_MSG];
	size_t len = 0;

	int rc = vpcd_recv(r->fd, in, sizeof(in), &len);
	if (rc != 0) {
		log_event(r, rc > 0 ? "vpcd closed the connection" : "vpcd read error");
		drop_link(r);
		start_deadline(r);
		return;
	}
	if (len == 1)
		rc = answer_control(r, in[0]);
	else if (len > 1)
		rc = answer_apdu(r, in, len);
	if (rc != 0) {
		log_event(r, "vpcd write error");
		drop_link(r);
		start_deadline(r);
	}
}

static int run(struct vicc_run *r)
{
	struct timespec retry = {.tv_sec = 0, .tv_nsec = 100000000L};

	r->fd = -1;
	r->inserted = !r->o.start_removed;
	start_deadline(r);
	for (;;) {
		handle_signals(r);
		if (got_term)
			break;
		if (r->inserted && r->fd < 0) {
			if (try_connect(r) != 0)
				return EXIT_NO_READER;
			if (r->fd < 0) {
				if (ppoll(NULL, 0, &retry, &r->waitmask) < 0 && errno != EINTR)
					return 1;
				continue;
			}
		}
		if (r->fd < 0) { /* removed: wait for a signal */
			if (ppoll(NULL, 0, NULL, &r->waitmask) < 0 && errno != EINTR)
				return 1;
			continue;
		}
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		int n = ppoll(&pfd, 1, NULL, &r->waitmask);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		if (pfd.revents != 0)
			serve_one(r);
	}
	log_event(r, "exit");
	return 0;
}

int main(int argc, char **argv)
{
	static struct vicc_run r;
	int rc;

	if (parse_args(&r, argc, argv) != 0)
		return EXIT_USAGE;
	if (setup_card(&r) != 0)
		return EXIT_USAGE;
	if (setup_log(&r) != 0 || setup_signals(&r) != 0) {
		r.applet->destroy(r.card);
		return 1;
	}
	rc = run(&r);
	drop_link(&r);
	r.applet->destroy(r.card);
	if (r.log != NULL && fclose(r.log) != 0)
		rc = rc != 0 ? rc : 1;
	return rc;
}
