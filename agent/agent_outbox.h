/* kyso-agent's daily delivery of doctor reports left in the outbox. */
#ifndef KYSO_AGENT_OUTBOX_H
#define KYSO_AGENT_OUTBOX_H
/* Cheap; call it from the service loop. At most once a day (a stamp file in
 * the state folder remembers the last run, across restarts) it starts
 * `kyso doctor --send-pending`, detached. */
void ag_outbox_tick(void);
#endif
