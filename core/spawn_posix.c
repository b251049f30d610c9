/* Child processes: fork/exec with captured stdout and a timeout. */
#include "kyso_core.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static kyso_err_t read_child(int fd, kyso_buf_t *out, size_t out_max, int timeout_ms, pid_t pid,
                             bool *timed_out)
{
	uint64_t deadline = timeout_ms > 0 ? kyso_now_ms() + (uint64_t)timeout_ms : 0;
	char chunk[4096];
	*timed_out = false;
	for (;;) {
		int wait_ms = -1;
		if (deadline != 0) {
			uint64_t now = kyso_now_ms();
			if (now >= deadline) {
				*timed_out = true;
				kill(pid, SIGKILL);
				return KYSO_OK;
			}
			wait_ms = (int)(deadline - now);
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int pr = poll(&pfd, 1, wait_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return KYSO_ERR_IO;
		if (pr == 0)
			continue; /* deadline check at loop top */
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return KYSO_OK;
		if (out != NULL && out->len < out_max) {
			size_t take = (size_t)n;
			if (take > out_max - out->len)
				take = out_max - out->len;
			kyso_err_t rc = kyso_buf_append(out, chunk, take);
			if (rc != KYSO_OK)
				return rc;
		}
	}
}

kyso_err_t kyso_spawn(const char *const argv[], kyso_buf_t *out, size_t out_max, int timeout_ms,
                      int *status, kyso_error_t *err)
{
	int pipefd[2];
	*status = -1;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	bool timed_out = false;
	kyso_err_t rc = read_child(pipefd[0], out, out_max, timeout_ms, pid, &timed_out);
	close(pipefd[0]);
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR)
			return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, "waitpid: %s",
			                      strerror(errno));
	}
	if (rc != KYSO_OK)
		return kyso_error_set(err, rc, _("Reading the output of %s failed"), argv[0]);
	if (timed_out)
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, _("%s did not finish in %d ms"),
		                      argv[0], timeout_ms);
	if (WIFEXITED(ws)) {
		*status = WEXITSTATUS(ws);
		if (*status == 127)
			return kyso_error_set(err, KYSO_ERR_NOT_FOUND, _("Program not found: %s"),
			                      argv[0]);
	}
	return KYSO_OK;
}
