/* Once a day: `kyso doctor --send-pending`, so that a report that could not
 * reach the helpdesk's collector is delivered when it is back. */
#include "agent_outbox.h"

#include "kyso_core.h"
#include "kyso_platform.h"
#include "kyso_process.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#define DAY 86400

void ag_outbox_tick(void)
{
	static time_t next_look;
	time_t now = time(NULL);
	if (now < next_look)
		return;
	next_look = now + 3600; /* look at the stamp once an hour */
	char stamp[4200], log[4200], self[4200], box[4200];
	struct stat st;
	snprintf(box, sizeof(box), "%s/outbox", kyso_path_state_user());
	if (stat(box, &st) != 0)
		return; /* nothing pending (the doctor makes it, --send-pending removes it) */
	snprintf(stamp, sizeof(stamp), "%s/outbox-sent.stamp", kyso_path_state_user());
	snprintf(log, sizeof(log), "%s/outbox.log", kyso_path_state_user());
	if (stat(stamp, &st) == 0 && now - st.st_mtime < DAY)
		return;
	kyso_error_t err;
	kyso_error_clear(&err);
	if (kyso_file_write_atomic(stamp, "", 0, 0600, &err) != KYSO_OK) {
		kyso_debug("agent: outbox: %s", kyso_error_message(&err));
		return; /* no state folder yet: try again in an hour */
	}
	snprintf(self, sizeof(self), "%s/kyso", kyso_path_exe_dir());
	char *kyso = kyso_find_program(stat(self, &st) == 0 ? self : "kyso");
	if (kyso == NULL) {
		kyso_debug("agent: outbox: no kyso program to run");
		return;
	}
	const char *argv[] = {kyso, "doctor", "--send-pending", NULL};
	long pid = 0;
	if (kyso_spawn_detached(argv, log, &pid, &err) != KYSO_OK)
		kyso_warn("agent: outbox: %s", kyso_error_message(&err));
	else
		kyso_info("agent: delivering pending doctor reports (process %ld)", pid);
	free(kyso);
}
