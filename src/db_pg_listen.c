/*
 * db on PostgreSQL, wake-ups between daemons (issue 17): one listener
 * thread per daemon on its own connection LISTENs on reviewd_wake and
 * calls the scheduler's wake on another daemon's NOTIFY; db_notify_wake
 * asks that thread to NOTIFY (through a pipe: the thread polls its socket
 * and the pipe). db_pg_ops (db_pg.c) holds these as listen_start,
 * listen_stop and notify_wake.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "reviewd/clock.h"
#include "reviewd/db_pg_internal.h"
#include "reviewd/log.h"

/*
 * Wake-ups between daemons (LISTEN/NOTIFY). The listener thread owns its
 * connection; other threads only set want_notify and write a byte to the
 * pipe. A NOTIFY of this connection comes back to it too: it is told
 * from others' by the server process that sent it.
 */

#define LISTEN_RETRY_MS		1000

static struct {
	pthread_t	 thread;
	bool		 running;
	atomic_bool	 stopping;
	atomic_bool	 want_notify;
	int		 pipe[2];	/* [1] written by db_notify_wake */
	char		*conninfo;
	void		(*on_wake)(void);
}			 listener = { .pipe = { -1, -1 } };

static const char sql_listen[] = "LISTEN reviewd_wake";
static const char sql_notify[] = "NOTIFY reviewd_wake";

/* Runs sql on the listener's connection; 0 or -1 (logged). */
static int
listener_exec(PGconn *conn, const char *sql)
{
	PGresult	*res = PQexec(conn, sql);
	int		 ret = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_error("db: listener: %s: %s", sql, PQerrorMessage(conn));
		ret = -1;
	}
	PQclear(res);
	return ret;
}

/* Empties the wake-up pipe; what was asked stays in want_notify. */
static void
drain_pipe(void)
{
	char	 drain[64];

	while (read(listener.pipe[0], drain, sizeof(drain)) > 0)
		;
}

/*
 * Connects without blocking, watching the pipe meanwhile: a stop must not
 * wait for a server that does not answer (libpq's connect_timeout only
 * bounds PQconnectdb, so this loop keeps its own deadline). The
 * connection, or NULL (logged; also when the daemon is stopping).
 */
static PGconn *
listener_dial(void)
{
	const char			*keys[3], *values[3];
	PGconn				*conn;
	PostgresPollingStatusType	 st = PGRES_POLLING_WRITING;
	struct pollfd			 fds[2];
	int64_t				 deadline, left;

	pg_connect_params(listener.conninfo, keys, values);
	deadline = clock_mono_ns() / 1000000 + PG_CONNECT_TIMEOUT_S * 1000;
	conn = PQconnectStartParams(keys, values, 1);
	if (conn == NULL || PQstatus(conn) == CONNECTION_BAD)
		goto fail;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED)
			goto fail;
		fds[0].fd = PQsocket(conn);
		fds[0].events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		fds[1].fd = listener.pipe[0];
		fds[1].events = POLLIN;
		left = deadline - clock_mono_ns() / 1000000;
		if (left <= 0) {
			log_error("db: listener: PostgreSQL did not answer "
			    "within %d s", PG_CONNECT_TIMEOUT_S);
			PQfinish(conn);
			return NULL;
		}
		if (poll(fds, 2, (int)left) == -1 && errno != EINTR)
			goto fail;
		drain_pipe();
		if (atomic_load(&listener.stopping)) {
			PQfinish(conn);
			return NULL;
		}
		if ((fds[0].revents & (fds[0].events | POLLERR | POLLHUP)) != 0)
			st = PQconnectPoll(conn);
	}
	return conn;
fail:
	log_error("db: listener: cannot connect to PostgreSQL: %s",
	    conn != NULL ? PQerrorMessage(conn) : "no memory");
	PQfinish(conn);
	return NULL;
}

/* A connection that LISTENs, or NULL (logged). */
static PGconn *
listener_connect(void)
{
	PGconn	*conn = listener_dial();

	if (conn == NULL)
		return NULL;
	if (listener_exec(conn, sql_listen) == -1) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* Whether a NOTIFY of another connection came (frees them all). */
static bool
notified(PGconn *conn)
{
	PGnotify	*n;
	bool		 other = false;

	while ((n = PQnotifies(conn)) != NULL) {
		if (n->be_pid != PQbackendPID(conn))
			other = true;
		PQfreemem(n);
	}
	return other;
}

static void *
listen_run(void *arg)
{
	PGconn		*conn = NULL;
	struct pollfd	 fds[2];
	bool		 wake;

	(void)arg;
	while (!atomic_load(&listener.stopping)) {
		if (conn == NULL) {
			if ((conn = listener_connect()) == NULL) {
				fds[0].fd = listener.pipe[0];
				fds[0].events = POLLIN;
				(void)poll(fds, 1, LISTEN_RETRY_MS);
				drain_pipe();
				continue;
			}
			listener.on_wake();	/* some may have been missed */
			/* and ours, asked for while it was away */
			if (atomic_exchange(&listener.want_notify, false) &&
			    listener_exec(conn, sql_notify) == -1)
				goto lost;
		}
		fds[0].fd = PQsocket(conn);
		fds[0].events = POLLIN;
		fds[1].fd = listener.pipe[0];
		fds[1].events = POLLIN;
		fds[0].revents = fds[1].revents = 0;
		if (poll(fds, 2, -1) == -1 && errno != EINTR) {
			log_error("db: listener: poll: %s; retrying",
			    strerror(errno));
			(void)poll(NULL, 0, LISTEN_RETRY_MS);
			continue;
		}
		drain_pipe();
		wake = false;
		if (atomic_exchange(&listener.want_notify, false) &&
		    listener_exec(conn, sql_notify) == -1)
			goto lost;
		if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0 &&
		    PQconsumeInput(conn) == 0)
			goto lost;
		wake = notified(conn);
		if (wake)
			listener.on_wake();
		continue;
lost:
		log_error("db: listener: lost its connection; reconnecting");
		PQfinish(conn);
		conn = NULL;
	}
	PQfinish(conn);
	return NULL;
}

int
pg_listen_start(const char *conninfo, void (*on_wake)(void))
{
	int	 i;

	if (pipe(listener.pipe) == -1) {
		log_error("db: listener: pipe: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (fcntl(listener.pipe[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(listener.pipe[i], F_SETFD, FD_CLOEXEC) == -1) {
			log_error("db: listener: fcntl: %s", strerror(errno));
			return -1;
		}
	}
	if ((listener.conninfo = strdup(conninfo)) == NULL)
		return -1;
	listener.on_wake = on_wake;
	atomic_store(&listener.stopping, false);
	if (pthread_create(&listener.thread, NULL, listen_run, NULL) != 0) {
		log_error("db: listener: cannot start the thread");
		return -1;
	}
	(void)pthread_setname_np(listener.thread, "pg listener");
	listener.running = true;
	return 0;
}

void
pg_notify_wake(void)
{
	if (!listener.running)
		return;
	atomic_store(&listener.want_notify, true);
	/* full (EAGAIN): a wake-up is pending anyway */
	(void)!write(listener.pipe[1], "w", 1);
}

void
pg_listen_stop(void)
{
	int	 i;

	if (listener.running) {
		atomic_store(&listener.stopping, true);
		(void)!write(listener.pipe[1], "s", 1);
		if (pthread_join(listener.thread, NULL) != 0)
			log_error("db: listener: join failed");
		listener.running = false;
	}
	for (i = 0; i < 2; i++) {
		if (listener.pipe[i] != -1)
			(void)close(listener.pipe[i]);
		listener.pipe[i] = -1;
	}
	free(listener.conninfo);
	listener.conninfo = NULL;
}
