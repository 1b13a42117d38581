#ifndef REVIEWD_WRITER_H
#define REVIEWD_WRITER_H

#include <stdint.h>

#include "reviewd/api_error.h"
#include "reviewd/request.h"

/*
 * The single writer with group commit. Write requests are not run on
 * their HTTP worker: they are queued to one thread that runs the handlers
 * of all requests waiting, one after the other, in one transaction on its
 * own connection (each handler's transaction a savepoint in it, see
 * db_group_begin), commits once, and only then lets each request answer.
 * Many requests share one fsync, no request waits in SQLite's busy
 * handler behind another, and an answered write is durable as before.
 *
 * The long lane: requests whose handler runs for seconds and commits in
 * chunks of its own (uploads) run on two threads of their own, each job
 * alone on the thread's connection, so they hold neither the writer nor
 * an HTTP worker (whose other connections would wait for them).
 */

struct writer_job {
	struct request		*req;	/* req->db is set by the writer */
	struct response		*res;
	struct api_error	*err;
	route_handler		*handler;
	/* Called on the writer thread once the job's group has committed
	 * (or failed: err set), or on the long-lane thread once its handler
	 * has run; the job is the caller's again. */
	void			(*done)(struct writer_job *);
	struct writer_job	*next;	/* the queue's */
};

/* Starts the writer thread. 0 or -1. */
int	writer_start(void);

enum writer_lane {
	WRITER_GROUP,	/* the writer thread: a transaction for the group */
	WRITER_LONG	/* a long-lane thread: the handler alone */
};

/* Queues job to lane. 0, or -1 when the lane does not run (the caller
 * runs the handler itself). */
int	writer_submit(struct writer_job *job, enum writer_lane lane);

/* A request whose write will be queued (writer_submit) has begun
 * (writer_expect), or is queued or will not be (writer_unexpect, once
 * for each writer_expect): the writer lets the requests on their way
 * join the group it is about to begin (src/writer.c, linger). Any
 * thread. */
void	writer_expect(void);
void	writer_unexpect(void);

/* How long the group the writer runs now has run, in milliseconds; 0
 * while it waits for work (the watchdog's sign of a stuck writer). */
int64_t	writer_busy_ms(void);

/* Runs what is queued (long lane too), then stops the threads; a no-op
 * when they do not run. */
void	writer_stop(void);

#endif
