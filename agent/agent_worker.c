/* The token worker: one thread runs the token operations one at a time in
 * arrival order, from a bounded queue; finished replies go to a list the
 * network thread takes from after a wake-up. It owns the PIN cache: while a
 * PIN is remembered it wakes up to wipe it when it expires and to check every
 * AG_PRESENCE_SECS that its token is still there.
 * Verification (VerifyPdf, /v1/verify: no token, no dialog, any page may
 * ask) runs on a second thread with its own queue, so that a slow or hostile
 * PDF never holds a signature back; the PDF reader's budgets (docs/pdf.md
 * "Limits": xref entries, work, object-stream cache, all relative to the
 * file size, at most AG_MAX_PDF) bound its time and memory. */
#include "agent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct job {
	struct job *next;
	uint64_t conn;
	ag_request_t *rq;
} job_t;

typedef struct done {
	struct done *next;
	ag_reply_t *r;
} done_t;

/* A FIFO of jobs (under the worker's mutex). */
typedef struct {
	job_t *head, *tail;
} jobq_t;

static void jobq_push(jobq_t *q, job_t *j)
{
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

/* The oldest job, NULL when empty. */
static job_t *jobq_pop(jobq_t *q)
{
	job_t *j = q->head;
	if (j != NULL) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
	}
	return j;
}

static void jobq_free(jobq_t *q)
{
	job_t *j;
	while ((j = jobq_pop(q)) != NULL) {
		ag_request_free(&j->rq);
		free(j);
	}
}

struct ag_worker {
	const ag_config_t *cfg;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	clockid_t cv_clock; /* the clock cv's timed waits count on */
	jobq_t q;
	size_t queued; /* waiting + running, both queues */
	/* the verification lane */
	pthread_t vth;
	bool vth_ok;
	pthread_cond_t vcv;
	jobq_t vq; /* its jobs */
	done_t *dhead, *dtail;
	bool stop;
	ag_pincache_t *cache;
	ag_done_fn wake;
	void *wake_ctx;
};

static void post(ag_worker_t *w, ag_reply_t *r)
{
	done_t *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		ag_reply_free(&r);
		return;
	}
	d->r = r;
	pthread_mutex_lock(&w->mu);
	if (w->dtail != NULL)
		w->dtail->next = d;
	else
		w->dhead = d;
	w->dtail = d;
	pthread_mutex_unlock(&w->mu);
	w->wake(w->wake_ctx);
}

/* Waits (w->mu held) for a job or stop; with PINs remembered, at most until
 * the next expiry or presence check. true = timed out. */
static bool wait_job(ag_worker_t *w, uint64_t next_check_ms)
{
	uint64_t exp = ag_pincache_next_expiry(w->cache);
	if (exp == 0)
		return pthread_cond_wait(&w->cv, &w->mu) != 0;
	uint64_t due = exp < next_check_ms ? exp : next_check_ms;
	uint64_t now = ag_pincache_now_ms();
	uint64_t wait_ms = due > now ? due - now : 0;
	struct timespec ts;
	clock_gettime(w->cv_clock, &ts);
	ts.tv_sec += (time_t)(wait_ms / 1000);
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT;
}

/* Runs one job and posts its reply (job freed). */
static void run_job(ag_worker_t *w, job_t *j)
{
	ag_outcome_t o;
	/* the texts in the language of the request's connection */
	kyso_i18n_thread_lang(j->rq->lang[0] ? j->rq->lang : NULL);
	/* verification never sees the PIN cache */
	ag_exec(w->cfg, j->rq->op == AG_OP_VERIFY ? NULL : w->cache, j->rq, &o);
	ag_reply_t *r = ag_reply_build(j->rq, &o);
	if (r == NULL)
		r = ag_reply_error(j->rq, KYSO_ERR_NOMEM, "out of memory");
	kyso_i18n_thread_lang(NULL);
	ag_outcome_clear(&o);
	if (r != NULL) {
		r->conn = j->conn;
		r->http = j->rq->http;
	}
	ag_request_free(&j->rq);
	free(j);
	pthread_mutex_lock(&w->mu);
	w->queued--;
	pthread_mutex_unlock(&w->mu);
	if (r != NULL)
		post(w, r);
}

static void *worker_main(void *arg)
{
	ag_worker_t *w = arg;
	uint64_t next_check = 0;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->q.head == NULL && !w->stop) {
			if (ag_pincache_count(w->cache) > 0 && next_check == 0)
				next_check =
				        ag_pincache_now_ms() + (uint64_t)AG_PRESENCE_SECS * 1000u;
			if (!wait_job(w, next_check))
				continue;
			/* housekeeping of the PIN cache, outside the lock */
			pthread_mutex_unlock(&w->mu);
			ag_pincache_expire(w->cache);
			if (ag_pincache_count(w->cache) > 0 && ag_pincache_now_ms() >= next_check) {
				ag_pincache_check_tokens(w->cfg, w->cache);
				next_check = 0;
			}
			if (ag_pincache_count(w->cache) == 0)
				next_check = 0;
			pthread_mutex_lock(&w->mu);
		}
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		job_t *j = jobq_pop(&w->q);
		pthread_mutex_unlock(&w->mu);

		run_job(w, j);
	}
	return NULL;
}

/* The verification lane: jobs in arrival order, never the PIN cache. */
static void *verify_main(void *arg)
{
	ag_worker_t *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->vq.head == NULL && !w->stop)
			pthread_cond_wait(&w->vcv, &w->mu);
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		job_t *j = jobq_pop(&w->vq);
		pthread_mutex_unlock(&w->mu);
		run_job(w, j);
	}
	return NULL;
}

ag_worker_t *ag_worker_new(const ag_config_t *cfg, ag_done_fn wake, void *wake_ctx)
{
	ag_worker_t *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->cfg = cfg;
	w->wake = wake;
	w->wake_ctx = wake_ctx;
	w->cache = ag_pincache_new();
	if (w->cache == NULL) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	/* the PIN wipe waits on the monotonic clock: setting the wall clock
	 * back does not delay it */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	w->cv_clock = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 ? CLOCK_MONOTONIC
	                                                                   : CLOCK_REALTIME;
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->vcv, NULL);
	if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
		ag_pincache_free(&w->cache);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		pthread_cond_destroy(&w->vcv);
		free(w);
		return NULL;
	}
	/* without the second thread, verification shares the token thread */
	w->vth_ok = pthread_create(&w->vth, NULL, verify_main, w) == 0;
	if (!w->vth_ok)
		kyso_warn("agent: no verification thread; verifying on the token thread");
	return w;
}

void ag_worker_free(ag_worker_t **pw)
{
	ag_worker_t *w = pw != NULL ? *pw : NULL;
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_cond_signal(&w->vcv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	if (w->vth_ok)
		pthread_join(w->vth, NULL);
	jobq_free(&w->vq);
	ag_pincache_free(&w->cache); /* wipes what is remembered */
	jobq_free(&w->q);
	ag_reply_t *r;
	while ((r = ag_worker_take(w)) != NULL)
		ag_reply_free(&r);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->vcv);
	free(w);
	*pw = NULL;
}

bool ag_worker_submit(ag_worker_t *w, uint64_t conn, ag_request_t *rq)
{
	job_t *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return false;
	pthread_mutex_lock(&w->mu);
	if (w->queued >= w->cfg->queue_max) {
		pthread_mutex_unlock(&w->mu);
		free(j);
		return false;
	}
	j->conn = conn;
	j->rq = rq;
	bool verify = rq->op == AG_OP_VERIFY && w->vth_ok;
	jobq_push(verify ? &w->vq : &w->q, j);
	w->queued++;
	pthread_cond_signal(verify ? &w->vcv : &w->cv);
	pthread_mutex_unlock(&w->mu);
	return true;
}

ag_reply_t *ag_worker_take(ag_worker_t *w)
{
	pthread_mutex_lock(&w->mu);
	done_t *d = w->dhead;
	if (d != NULL) {
		w->dhead = d->next;
		if (w->dhead == NULL)
			w->dtail = NULL;
	}
	pthread_mutex_unlock(&w->mu);
	if (d == NULL)
		return NULL;
	ag_reply_t *r = d->r;
	free(d);
	return r;
}

size_t ag_worker_pending(ag_worker_t *w)
{
	pthread_mutex_lock(&w->mu);
	size_t n = w->queued;
	pthread_mutex_unlock(&w->mu);
	return n;
}
