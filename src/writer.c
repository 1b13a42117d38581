/*
 * writer: the single writer thread and its group commit, and the threads
 * of the long lane (see writer.h). The queue is a FIFO list behind one
 * mutex; the writer takes all of it at once, so a group is every request
 * that arrived while the previous group was committing: the busier the
 * writes, the more share a commit. A long-lane thread takes one job at a
 * time. Writer, long-lane and HTTP worker threads (the submits).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/handler.h"
#include "reviewd/log.h"
#include "reviewd/scheduler.h"
#include "reviewd/writer.h"

/* A queue of jobs and the threads' signal, under queue_lock. */
struct lane {
	pthread_cond_t		 cond;
	struct writer_job	*head, *tail;
};

static pthread_mutex_t		 queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t		 queue_once = PTHREAD_ONCE_INIT;
static struct lane		 group_lane;	/* monotonic: queue_init */
static bool			 running, stopping;
static pthread_t		 writer_thread;
static _Atomic int64_t		 group_since_ns;	/* 0: idle */
static atomic_int		 expected;	/* writer_expect */

/*
 * Before a group begins, the writer waits for the requests on their way
 * to it (writer_expect) while they keep coming: one at most LINGER_GAP_NS
 * after the one before, all in LINGER_MAX_NS. Without it, when a group's
 * answers went out together, the first request back began a group of its
 * own and the others waited for its commit: groups of 1 and of 15 in
 * turn (bench/organic.sh). A request alone waits for nothing.
 */
#define LINGER_GAP_NS	200000
#define LINGER_MAX_NS	1000000

/* Two: one business's upload never waits for another's to end, and
 * uploads cannot take more than two database connections. */
#define LONG_THREADS	2

static struct lane		 long_lane = { PTHREAD_COND_INITIALIZER, NULL,
				    NULL };
static pthread_t		 long_threads[LONG_THREADS];
static int			 long_started;

/* Fails the jobs from first to last (excluded) that had not failed: their
 * changes were in a transaction that is gone. */
static void
fail_since(struct writer_job *first, struct writer_job *last,
    const struct api_error *why)
{
	struct writer_job	*j;

	for (j = first; j != last; j = j->next) {
		if (j->err->status == 0)
			*j->err = *why;
	}
}

/* The error of a group whose transaction a later job's error took with
 * it: the request may be sent again. */
static void
lost_group(struct api_error *err)
{
	api_error_set(err, 503, NULL, "The change could not be stored; "
	    "retry shortly");
	api_error_header(err, "Retry-After", "1");
}

/* Runs the handlers of jobs (a list) in the transaction begun (began:
 * db_group_begin answered 0) and commits it; a job whose handler fails
 * leaves nothing (its savepoint is rolled back) and the others stand.
 * Answers how many jobs ran. */
static int
run_group(struct db *db, bool began, struct writer_job *jobs)
{
	struct writer_job	*j, *first = jobs;
	struct api_error	 why = { 0 };
	int			 n = 0;

	if (!began) {
		db_fail(db, &why);
		fail_since(jobs, NULL, &why);
		return 0;
	}
	for (j = jobs; j != NULL; j = j->next) {
		n++;
		j->req->db = db;
		db_fault_clear(db);
		if (j->handler(j->req, j->res, j->err) == -1)
			handler_failed(db, j->err);
		if (db_group_job_end(db))
			continue;
		/* The job's error rolled the whole transaction back. */
		lost_group(&why);
		fail_since(first, j->next, &why);
		first = j->next;
		if (first != NULL && db_group_begin(db) == -1) {
			memset(&why, 0, sizeof(why));
			db_fail(db, &why);
			fail_since(first, NULL, &why);
			return n;
		}
	}
	/* Also when the last job's error took the transaction: it ends the
	 * group (and lets the next writer in). */
	if (db_group_commit(db, &why) == -1)
		fail_since(first, NULL, &why);
	return n;
}


static void
queue_init(void)
{
	pthread_condattr_t	 attr;

	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&group_lane.cond, &attr) != 0) {
		log_error("writer: no monotonic condition variable");
		(void)pthread_cond_init(&group_lane.cond, NULL);
	}
	(void)pthread_condattr_destroy(&attr);
}

/* Waits, under queue_lock, until l holds a job (true) or the writer
 * stops with none queued (false). */
static bool
lane_wait(struct lane *l)
{
	while (l->head == NULL && !stopping)
		pthread_cond_wait(&l->cond, &queue_lock);
	return l->head != NULL;
}

/* Waits while the requests expected keep joining the queue (see
 * LINGER_GAP_NS). Under queue_lock, with a job queued. */
static void
linger(void)
{
	struct writer_job	*tail;
	struct timespec		 ts;
	int64_t			 end = clock_mono_ns() + LINGER_MAX_NS, until;

	while (atomic_load(&expected) > 0 && !stopping) {
		tail = group_lane.tail;
		until = clock_mono_ns() + LINGER_GAP_NS;
		if (until > end)
			until = end;
		ts.tv_sec = until / 1000000000;
		ts.tv_nsec = until % 1000000000;
		(void)pthread_cond_timedwait(&group_lane.cond, &queue_lock,
		    &ts);
		if (group_lane.tail == tail || clock_mono_ns() >= end)
			break;
	}
}

static void *
writer_main(void *arg)
{
	struct writer_job	*jobs, *j, *next;
	struct db		*db = db_thread();
	int64_t			 t0, t1;
	int			 n;
	bool			 began;

	(void)arg;
	if (db == NULL)
		log_error("writer: no database connection; writes fail");
	pthread_mutex_lock(&queue_lock);
	while (lane_wait(&group_lane)) {
		linger();
		/* The transaction first, then the jobs: what arrives while
		 * the writer waits for its turn to write (another connection
		 * commits, see db_group_begin) joins this group. */
		pthread_mutex_unlock(&queue_lock);
		t0 = clock_mono_ns();
		atomic_store(&group_since_ns, t0);
		began = db != NULL && db_group_begin(db) == 0;
		pthread_mutex_lock(&queue_lock);
		jobs = group_lane.head;
		group_lane.head = group_lane.tail = NULL;
		pthread_mutex_unlock(&queue_lock);
		t1 = clock_mono_ns();
		n = run_group(db, began, jobs);
		log_debug("writer: group of %d requests, %lld us to begin, "
		    "%lld us to run and commit", n,
		    (long long)((t1 - t0) / 1000),
		    (long long)((clock_mono_ns() - t1) / 1000));
		/* The handlers may have scheduled work; the scheduler's
		 * connection sees it only now. */
		scheduler_wake();
		for (j = jobs; j != NULL; j = next) {
			next = j->next;
			j->done(j);
		}
		atomic_store(&group_since_ns, 0);
		pthread_mutex_lock(&queue_lock);
	}
	pthread_mutex_unlock(&queue_lock);
	db_thread_close();
	return NULL;
}

/* Appends job to lane l and wakes its thread. Under queue_lock. */
static void
enqueue(struct lane *l, struct writer_job *job)
{
	job->next = NULL;
	if (l->tail != NULL)
		l->tail->next = job;
	else
		l->head = job;
	l->tail = job;
	pthread_cond_signal(&l->cond);
}

/* A long-lane thread: each job's handler alone, on the thread's own
 * connection, with the transactions the handler makes itself. */
static void *
long_main(void *arg)
{
	struct writer_job	*job;
	struct db		*db;
	bool			 late;

	(void)arg;
	pthread_mutex_lock(&queue_lock);
	while (lane_wait(&long_lane)) {
		job = long_lane.head;
		long_lane.head = job->next;
		if (long_lane.head == NULL)
			long_lane.tail = NULL;
		/* An upload not begun when the daemon stops is not begun:
		 * it may take longer than the stop may wait. */
		late = stopping;
		pthread_mutex_unlock(&queue_lock);
		db = late ? NULL : db_thread();
		job->req->db = db;
		if (late) {
			api_error_set(job->err, 503, NULL, "The server is "
			    "stopping; send the upload again shortly");
			api_error_header(job->err, "Retry-After", "5");
		} else if (db == NULL)
			db_fail(NULL, job->err);
		else {
			db_fault_clear(db);
			if (job->handler(job->req, job->res, job->err) == -1)
				handler_failed(db, job->err);
			db_thread_check();
		}
		job->done(job);
		pthread_mutex_lock(&queue_lock);
	}
	pthread_mutex_unlock(&queue_lock);
	db_thread_close();
	return NULL;
}

int64_t
writer_busy_ms(void)
{
	int64_t	 since = atomic_load(&group_since_ns);

	return since == 0 ? 0 : (clock_mono_ns() - since) / 1000000;
}

int
writer_start(void)
{
	int	 ret = 0;

	(void)pthread_once(&queue_once, queue_init);
	pthread_mutex_lock(&queue_lock);
	stopping = false;
	if (!running && pthread_create(&writer_thread, NULL, writer_main,
	    NULL) != 0) {
		log_error("writer: cannot start its thread");
		ret = -1;
	} else if (!running) {
		(void)pthread_setname_np(writer_thread, "writer");
		running = true;
	}
	/* Without its threads the long lane is not used (writer_submit
	 * fails and the caller runs the handler). */
	while (running && long_started < LONG_THREADS &&
	    pthread_create(&long_threads[long_started], NULL, long_main,
	    NULL) == 0)
		(void)pthread_setname_np(long_threads[long_started++],
		    "long lane");
	pthread_mutex_unlock(&queue_lock);
	return ret;
}

int
writer_submit(struct writer_job *job, enum writer_lane lane)
{
	bool	 group = lane == WRITER_GROUP;
	int	 ret = -1;

	pthread_mutex_lock(&queue_lock);
	/* a lane without its threads is not used */
	if (!stopping && (group ? running : long_started > 0)) {
		enqueue(group ? &group_lane : &long_lane, job);
		ret = 0;
	}
	pthread_mutex_unlock(&queue_lock);
	return ret;
}

void
writer_expect(void)
{
	atomic_fetch_add(&expected, 1);
}

void
writer_unexpect(void)
{
	atomic_fetch_sub(&expected, 1);
}

void
writer_stop(void)
{
	int	 i;

	pthread_mutex_lock(&queue_lock);
	if (!running) {
		pthread_mutex_unlock(&queue_lock);
		return;
	}
	stopping = true;
	pthread_cond_signal(&group_lane.cond);
	pthread_cond_broadcast(&long_lane.cond);
	pthread_mutex_unlock(&queue_lock);
	pthread_join(writer_thread, NULL);
	/* long_started is read by submitters only while !stopping */
	for (i = 0; i < long_started; i++)
		pthread_join(long_threads[i], NULL);
	pthread_mutex_lock(&queue_lock);
	long_started = 0;
	running = false;
	pthread_mutex_unlock(&queue_lock);
}
