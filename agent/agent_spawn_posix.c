/* POSIX (agent_spawn_win.c on Windows). libassuan starts pinentry with fork() + exec() by default.
 * The agent is multi-threaded (network thread + token worker), and between fork() and exec() the
 * child may only call async-signal-safe functions: libassuan's child code calls setenv() (malloc)
 * and, under a sanitizer runtime that takes no allocator lock across fork (clang 14 ASan), such a
 * child can deadlock on a lock another thread held at the time of the fork. This installs libassuan
 * system hooks whose spawn uses posix_spawn(): glibc runs the child on a
 * separate stack with CLONE_VM|CLONE_VFORK and only performs the prepared file
 * actions before execve(), so nothing of the parent's heap or locks is
 * touched in the child. Everything else stays libassuan's default. */
#include "agent.h"

#include <assuan.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* environ plus _assuan_pipe_connect_pid=<our pid> (what libassuan's at-fork
 * hook sets in the child: pinentry uses it to notice a dead client) */
static char **child_env(void)
{
	size_t n = 0;
	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (env == NULL)
		return NULL;
	static const char key[] = "_assuan_pipe_connect_pid=";
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], key, sizeof(key) - 1) != 0)
			env[o++] = environ[i];
	char *mine = NULL;
	if (asprintf(&mine, "%s%lu", key, (unsigned long)getpid()) < 0) {
		free(env);
		return NULL;
	}
	env[o] = mine;
	return env;
}

static bool in_list(const assuan_fd_t *list, int fd)
{
	for (; list != NULL && *list != ASSUAN_INVALID_FD; list++)
		if (*list == fd)
			return true;
	return false;
}

/* The file actions of libassuan's child: fd_in -> 0, fd_out -> 1 (/dev/null
 * when invalid), stderr -> /dev/null unless it is in fd_child_list, every
 * other descriptor not in the list closed. */
static int child_actions(posix_spawn_file_actions_t *fa, assuan_fd_t fd_in, assuan_fd_t fd_out,
                         const assuan_fd_t *keep)
{
	int rc = 0;
	if (fd_out == ASSUAN_INVALID_FD)
		rc = posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	else if (fd_out != STDOUT_FILENO)
		rc = posix_spawn_file_actions_adddup2(fa, fd_out, STDOUT_FILENO);
	if (rc == 0 && fd_in == ASSUAN_INVALID_FD)
		rc = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	else if (rc == 0 && fd_in != STDIN_FILENO)
		rc = posix_spawn_file_actions_adddup2(fa, fd_in, STDIN_FILENO);
	if (rc == 0 && !in_list(keep, STDERR_FILENO))
		rc = posix_spawn_file_actions_addopen(fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	/* close what is not kept: explicitly up to the highest kept descriptor
	 * (closing one that is not open is not an error for glibc), then all
	 * from there on */
	int top = STDERR_FILENO;
	for (const assuan_fd_t *k = keep; k != NULL && *k != ASSUAN_INVALID_FD; k++)
		if (*k > top)
			top = *k;
	for (int fd = STDERR_FILENO + 1; rc == 0 && fd <= top; fd++)
		if (!in_list(keep, fd))
			rc = posix_spawn_file_actions_addclose(fa, fd);
	if (rc == 0)
		rc = posix_spawn_file_actions_addclosefrom_np(fa, top + 1);
	return rc;
}

static int spawn_hook(assuan_context_t ctx, pid_t *r_pid, const char *name, const char **argv,
                      assuan_fd_t fd_in, assuan_fd_t fd_out, assuan_fd_t *fd_child_list,
                      void (*atfork)(void *opaque, int reserved), void *atforkvalue,
                      unsigned int flags)
{
	(void)ctx;
	(void)flags; /* ASSUAN_SPAWN_DETACHED only matters on Windows */
	/* atfork is libassuan's pipe-connect hook (plus the caller's, which the
	 * agent never passes): it only sets the environment entry child_env()
	 * provides. Code cannot run in a posix_spawn child. */
	(void)atfork;
	(void)atforkvalue;
	if (name == NULL) {
		/* fork without exec: not possible with posix_spawn, never asked */
		errno = ENOSYS;
		return -1;
	}
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa) != 0) {
		errno = ENOMEM;
		return -1;
	}
	int rc = child_actions(&fa, fd_in, fd_out, fd_child_list);
	posix_spawnattr_t attr;
	bool attr_ok = rc == 0 && posix_spawnattr_init(&attr) == 0;
	if (rc == 0 && !attr_ok)
		rc = ENOMEM;
	if (rc == 0) {
		/* the child starts with default signal dispositions and an
		 * empty mask, whatever the agent's threads block */
		sigset_t all, none;
		sigfillset(&all);
		sigemptyset(&none);
		rc = posix_spawnattr_setsigdefault(&attr, &all);
		if (rc == 0)
			rc = posix_spawnattr_setsigmask(&attr, &none);
		if (rc == 0)
			rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
			                                             POSIX_SPAWN_SETSIGMASK);
	}
	char **env = rc == 0 ? child_env() : NULL;
	if (rc == 0 && env == NULL)
		rc = ENOMEM;
	pid_t pid = -1;
	if (rc == 0)
		rc = posix_spawn(&pid, name, &fa, &attr, (char *const *)argv, env);
	if (env != NULL) {
		for (size_t i = 0; env[i] != NULL; i++)
			if (strncmp(env[i], "_assuan_pipe_connect_pid=", 25) == 0)
				free(env[i]);
		free(env);
	}
	if (attr_ok)
		posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		kyso_debug("agent: cannot start %s: %s", name, strerror(rc));
		errno = rc;
		return -1;
	}
	*r_pid = pid;
	return 0;
}

static struct assuan_system_hooks hooks = {
        .version = ASSUAN_SYSTEM_HOOKS_VERSION,
        .usleep = __assuan_usleep,
        .pipe = __assuan_pipe,
        .close = __assuan_close,
        .read = __assuan_read,
        .write = __assuan_write,
        .recvmsg = __assuan_recvmsg,
        .sendmsg = __assuan_sendmsg,
        .spawn = spawn_hook,
        .waitpid = __assuan_waitpid,
        .socketpair = __assuan_socketpair,
        .socket = __assuan_socket,
        .connect = __assuan_connect,
};

void ag_spawn_hooks_install(void)
{
	assuan_set_system_hooks(&hooks);
}
