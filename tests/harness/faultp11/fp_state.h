/* Failed user-PIN tries of the simulated token. Kept in the file named by
 * KYSO_FAULT_STATE (so it survives across processes, like a real token's
 * counter), or in memory when that variable is not set. */
#ifndef FP_STATE_H
#define FP_STATE_H

unsigned fp_state_pin_fails(void);
void fp_state_set_pin_fails(unsigned fails);

#endif
