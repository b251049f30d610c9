/* C helpers for a private pcscd with virtual cards; see kh_vicc.h. */
#include "kh_vicc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KH_MAX_CARDS 2

struct kh_pcscd {
	char dir[PATH_MAX];
	pid_t pid;
	int port;
	char sock[PATH_MAX];
	char reader[128];
	pid_t cards[KH_MAX_CARDS];
};

/* In the child: die with the parent, log to LOG, then exec argv. */
static void exec_child(const char *const argv[], const char *log, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(127);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || dup2(in, STDIN_FILENO) < 0)
		_exit(127);
	if (log != NULL) {
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
			_exit(127);
	}
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "kh_vicc: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static pid_t spawn(const char *const argv[], const char *log)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "kh_vicc: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0)
		exec_child(argv, log, parent);
	return pid;
}

/* Run argv to completion, its stdout into out (NUL-terminated). Exit status or -1. */
static int run_capture(const char *const argv[], char *out, size_t cap)
{
	int fds[2];
	size_t len = 0;
	int status;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], out + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap - 1)
			break;
	}
	out[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* SIGTERM our child PID and reap it; SIGKILL after 10 s. */
static int stop_child(pid_t pid)
{
	struct timespec tick = {.tv_sec = 0, .tv_nsec = 100000000L};
	int status;

	if (pid <= 0)
		return 0;
	if (kill(pid, SIGTERM) != 0 && errno != ESRCH)
		return -1;
	for (int i = 0; i < 100; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		if (nanosleep(&tick, NULL) != 0 && errno != EINTR)
			return -1;
	}
	fprintf(stderr, "kh_vicc: pid %d ignored SIGTERM, killing\n", (int)pid);
	if (kill(pid, SIGKILL) != 0 || waitpid(pid, &status, 0) != pid)
		fprintf(stderr, "kh_vicc: could not kill pid %d: %s\n", (int)pid, strerror(errno));
	return -1;
}

int kh_pcsc_wait(int reader, const char *state, int secs)
{
	char idx[16], s[16], out[512];
	snprintf(idx, sizeof(idx), "%d", reader);
	snprintf(s, sizeof(s), "%d", secs);
	const char *const argv[] = {"kh-pcsc-probe", "wait", idx, state, s, NULL};
	return run_capture(argv, out, sizeof(out)) == 0 ? 0 : -1;
}

/* Undo the shell quoting of `printf %q` for the simple values kh-pcscd prints. */
static void unquote(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	if (strcmp(in, "''") == 0)
		in = "";
	for (; *in != '\0' && n + 1 < cap; in++) {
		if (*in == '\\' && in[1] != '\0')
			in++;
		out[n++] = *in;
	}
	out[n] = '\0';
}

static int parse_env(struct kh_pcscd *p, char *text)
{
	char val[PATH_MAX];
	long pid = -1;
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "export ", 7) != 0 || strchr(line, '=') == NULL)
			continue;
		char *key = line + 7;
		char *eq = strchr(key, '=');
		*eq = '\0';
		unquote(eq + 1, val, sizeof(val));
		if (strcmp(key, "PCSCLITE_CSOCK_NAME") == 0)
			snprintf(p->sock, sizeof(p->sock), "%s", val);
		else if (strcmp(key, "KH_VPCD_PORT") == 0)
			p->port = atoi(val);
		else if (strcmp(key, "KH_VPCD_READER") == 0)
			snprintf(p->reader, sizeof(p->reader), "%.127s", val);
		else if (strcmp(key, "KH_PCSCD_PID") == 0)
			pid = atol(val);
	}
	if (p->sock[0] == '\0' || pid != p->pid) {
		fprintf(stderr, "kh_vicc: unexpected kh-pcscd output (pid %ld, started %d)\n", pid,
		        (int)p->pid);
		return -1;
	}
	return 0;
}

struct kh_pcscd *kh_pcscd_start(const char *dir, unsigned int flags)
{
	char log[PATH_MAX + 16], pidfile[PATH_MAX + 16];
	static char out[8192];

	struct kh_pcscd *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	if (realpath(dir, p->dir) == NULL) {
		if (mkdir(dir, 0700) != 0 || realpath(dir, p->dir) == NULL) {
			fprintf(stderr, "kh_vicc: cannot use %s: %s\n", dir, strerror(errno));
			free(p);
			return NULL;
		}
	}
	snprintf(log, sizeof(log), "%s/pcscd.log", p->dir);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", p->dir);
	if (unlink(pidfile) != 0 && errno != ENOENT) {
		free(p);
		return NULL;
	}
	const char *const run[] = {"kh-pcscd", "run", p->dir,
	                           (flags & KH_PCSCD_NO_READER) ? "--no-reader" : NULL, NULL};
	p->pid = spawn(run, log);
	if (p->pid < 0) {
		free(p);
		return NULL;
	}
	const char *const wait[] = {"kh-pcscd", "wait", p->dir, "15", NULL};
	if (run_capture(wait, out, sizeof(out)) != 0 || parse_env(p, out) != 0 ||
	    setenv("PCSCLITE_CSOCK_NAME", p->sock, 1) != 0) {
		fprintf(stderr, "kh_vicc: private pcscd did not start; see %s\n", log);
		stop_child(p->pid);
		free(p);
		return NULL;
	}
	return p;
}

int kh_pcscd_stop(struct kh_pcscd *p)
{
	int rc = 0;
	if (p == NULL)
		return 0;
	for (int i = 0; i < KH_MAX_CARDS; i++) {
		if (stop_child(p->cards[i]) != 0)
			rc = -1;
	}
	if (stop_child(p->pid) != 0)
		rc = -1;
	free(p);
	return rc;
}

pid_t kh_pcscd_pid(const struct kh_pcscd *p)
{
	return p->pid;
}

int kh_pcscd_port(const struct kh_pcscd *p)
{
	return p->port;
}

const char *kh_pcscd_socket(const struct kh_pcscd *p)
{
	return p->sock;
}

const char *kh_pcscd_reader_name(const struct kh_pcscd *p)
{
	return p->reader;
}

static int valid_reader(const struct kh_pcscd *p, int reader)
{
	if (reader < 0 || reader >= KH_MAX_CARDS || p->port == 0) {
		fprintf(stderr, "kh_vicc: no reader %d in this pcscd\n", reader);
		return 0;
	}
	return 1;
}

pid_t kh_vicc_start(struct kh_pcscd *p, int reader, const char *atr, const char *const *extra_args)
{
	const char *argv[64];
	char port[16], apdulog[PATH_MAX + 32], log[PATH_MAX + 32];
	size_t n = 0;

	if (!valid_reader(p, reader))
		return -1;
	if (p->cards[reader] > 0 && kh_vicc_stop(p, reader) != 0)
		return -1;
	snprintf(port, sizeof(port), "%d", p->port + reader);
	snprintf(apdulog, sizeof(apdulog), "%s/vicc%d.apdu", p->dir, reader);
	snprintf(log, sizeof(log), "%s/vicc%d.log", p->dir, reader);
	argv[n++] = "kyso-vicc";
	argv[n++] = "--port";
	argv[n++] = port;
	argv[n++] = "--atr";
	argv[n++] = atr;
	argv[n++] = "--apdu-log";
	argv[n++] = apdulog;
	for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL; i++) {
		if (n + 1 >= sizeof(argv) / sizeof(argv[0]))
			return -1;
		argv[n++] = extra_args[i];
	}
	argv[n] = NULL;
	p->cards[reader] = spawn(argv, log);
	if (p->cards[reader] < 0)
		return -1;
	if (kh_pcsc_wait(reader, "present", 10) != 0) {
		fprintf(stderr, "kh_vicc: card not seen in reader %d; see %s\n", reader, log);
		return -1;
	}
	return p->cards[reader];
}

static int signal_card(struct kh_pcscd *p, int reader, int sig, const char *want)
{
	if (!valid_reader(p, reader) || p->cards[reader] <= 0)
		return -1;
	if (kill(p->cards[reader], sig) != 0)
		return -1;
	return kh_pcsc_wait(reader, want, 10);
}

int kh_vicc_remove(struct kh_pcscd *p, int reader)
{
	return signal_card(p, reader, SIGUSR1, "empty");
}

int kh_vicc_insert(struct kh_pcscd *p, int reader)
{
	return signal_card(p, reader, SIGUSR2, "present");
}

int kh_vicc_stop(struct kh_pcscd *p, int reader)
{
	if (!valid_reader(p, reader) || p->cards[reader] <= 0)
		return -1;
	int rc = stop_child(p->cards[reader]);
	p->cards[reader] = 0;
	if (kh_pcsc_wait(reader, "empty", 10) != 0)
		rc = -1;
	return rc;
}
