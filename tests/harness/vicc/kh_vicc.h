/*
 * C helpers for tests that need a private pcscd and virtual cards (the C side
 * of kh-pcscd and pcscd.sh). Link the `kh_vicc_c` library; kh-pcscd, kyso-vicc
 * and kh-pcsc-probe must be in PATH (the test environment puts them there).
 *
 *   struct kh_pcscd *p = kh_pcscd_start(tmpdir, 0);   // sets PCSCLITE_CSOCK_NAME
 *   pid_t card = kh_vicc_start(p, 0, "3B9F...96", NULL);
 *   ... PC/SC calls ...
 *   kh_vicc_remove(p, 0); kh_vicc_insert(p, 0);
 *   kh_pcscd_stop(p);                                  // stops the cards too
 *
 * pcscd and the cards are children of the test with PR_SET_PDEATHSIG, so
 * they are stopped even when the test crashes. Errors go to stderr.
 * libpcsclite reads PCSCLITE_CSOCK_NAME once, at the first PC/SC call of the
 * process: start the private pcscd before any PC/SC call, one per process.
 */
#ifndef KYSO_KH_VICC_H
#define KYSO_KH_VICC_H

#include <sys/types.h>

#define KH_PCSCD_NO_READER 0x1 /* pcscd without any reader */

struct kh_pcscd;

/* Start a private pcscd in DIR (created if missing), wait until it is ready,
 * set PCSCLITE_CSOCK_NAME in this process. NULL on failure. */
struct kh_pcscd *kh_pcscd_start(const char *dir, unsigned int flags);
/* Stop the cards and pcscd (SIGTERM, wait) and free. 0 ok, -1 on trouble. */
int kh_pcscd_stop(struct kh_pcscd *p);

pid_t kh_pcscd_pid(const struct kh_pcscd *p);
/* vpcd TCP port of reader 0 (reader i uses port + i); 0 with no reader. */
int kh_pcscd_port(const struct kh_pcscd *p);
const char *kh_pcscd_socket(const struct kh_pcscd *p);
/* Friendly name of the vpcd readers ("Kyso VPCD"), "" with no reader. */
const char *kh_pcscd_reader_name(const struct kh_pcscd *p);

/* Start kyso-vicc with ATR (hex) in READER (0 or 1) plus extra arguments
 * (NULL-terminated, may be NULL); wait until PC/SC sees the card. A card
 * already in that reader is stopped first. Returns its PID or -1. */
pid_t kh_vicc_start(struct kh_pcscd *p, int reader, const char *atr, const char *const *extra_args);
/* Pull the card out (SIGUSR1) / put it back (SIGUSR2) / end it (SIGTERM), and
 * wait until the reader shows the change. 0 ok, -1 on failure or timeout. */
int kh_vicc_remove(struct kh_pcscd *p, int reader);
int kh_vicc_insert(struct kh_pcscd *p, int reader);
int kh_vicc_stop(struct kh_pcscd *p, int reader);

/* Wait until reader INDEX is "present", "empty" or "absent" (kh-pcsc-probe wait). */
int kh_pcsc_wait(int reader, const char *state, int secs);

#endif
