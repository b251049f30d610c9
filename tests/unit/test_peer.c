/* core's kyso_peer (peer_posix.c): the owner of the other end of a loopback
 * TCP connection, through each of the kernel's tables (sock_diag and
 * /proc/net/tcp{,6}), for this user's client and, when run as root, for a
 * client of another uid; the program holding the client socket. */
#include "kyso_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct {
	int lst, cli, srv;
} pair_t;

/* a listening socket on the loopback of family; false when the family has
 * no loopback here */
static bool listen_lo(int family, int *lst, struct sockaddr_storage *ss, socklen_t *sl)
{
	*lst = socket(family, SOCK_STREAM, 0);
	if (*lst < 0)
		return false;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*sl = sizeof(*a);
	}
	if (bind(*lst, (struct sockaddr *)ss, *sl) != 0 || listen(*lst, 4) != 0 ||
	    getsockname(*lst, (struct sockaddr *)ss, sl) != 0) {
		close(*lst);
		return false;
	}
	return true;
}

static void check_family(int family)
{
	int lst;
	struct sockaddr_storage ss;
	socklen_t sl;
	if (!listen_lo(family, &lst, &ss, &sl)) {
		assert_int_equal(family, AF_INET6); /* IPv4 loopback always exists */
		return;
	}
	int cli = socket(family, SOCK_STREAM, 0);
	assert_true(cli >= 0);
	assert_int_equal(connect(cli, (struct sockaddr *)&ss, sl), 0);
	int srv = accept(lst, NULL, NULL);
	assert_true(srv >= 0);
	struct stat st;
	assert_int_equal(fstat(cli, &st), 0);
	const char *hows[] = {"sock_diag", "proc"};
	for (size_t i = 0; i < 2; i++) {
		kyso_peer_t p;
		assert_int_equal(kyso_peer_lookup_with(srv, hows[i], &p), KYSO_PEER_SAME_USER);
		assert_int_equal(p.uid, (uint32_t)geteuid());
		/* the client's socket, not our own end */
		assert_int_equal(p.inode, (uint64_t)st.st_ino);
		assert_string_equal(p.how, hows[i]);
	}
	kyso_peer_t p;
	assert_int_equal(kyso_peer_lookup(srv, &p), KYSO_PEER_SAME_USER);
	char prog[1024], self[1024];
	assert_true(kyso_peer_program(&p, prog, sizeof(prog)));
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_string_equal(prog, self);
	/* an unknown table, a socket that is not connected */
	assert_int_equal(kyso_peer_lookup_with(srv, "netstat", &p), KYSO_PEER_UNKNOWN);
	assert_int_equal(kyso_peer_lookup(lst, &p), KYSO_PEER_UNKNOWN);
	close(cli);
	close(srv);
	close(lst);
}

static void test_peer_same_user(void **state)
{
	(void)state;
	check_family(AF_INET);
	check_family(AF_INET6);
}

/* root: a child turned into uid 65534 connects; both tables say another user */
static void test_peer_other_user(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip(); /* cmocka reports it as skipped, not passed */
		return;
	}
	int lst;
	struct sockaddr_storage ss;
	socklen_t sl;
	assert_true(listen_lo(AF_INET, &lst, &ss, &sl));
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c = 0;
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0 || connect(s, (struct sockaddr *)&ss, sl) != 0)
			_exit(3);
		if (write(ready[1], "x", 1) != 1)
			_exit(4);
		(void)c;
		for (;;)
			pause(); /* holds the connection until the parent kills it */
	}
	close(ready[1]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	int srv = accept(lst, NULL, NULL);
	assert_true(srv >= 0);
	const char *hows[] = {"sock_diag", "proc"};
	for (size_t i = 0; i < 2; i++) {
		kyso_peer_t p;
		assert_int_equal(kyso_peer_lookup_with(srv, hows[i], &p), KYSO_PEER_OTHER_USER);
		assert_int_equal(p.uid, 65534);
	}
	close(srv);
	close(ready[0]);
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	close(lst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_peer_same_user),
	        cmocka_unit_test(test_peer_other_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
