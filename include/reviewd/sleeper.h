#ifndef REVIEWD_SLEEPER_H
#define REVIEWD_SLEEPER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * A background thread that sleeps between rounds until its time is up,
 * it is woken or it is stopped (the watchdog's; the scheduler and the
 * outbox lanes sleep the same way). Its sleeps use CLOCK_MONOTONIC, so a
 * moved wall clock neither shortens nor stretches them. Declare one as
 * `static struct sleeper s = SLEEPER_INIT;`.
 */
struct sleeper {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	bool		 woken;		/* under lock */
	atomic_bool	 stopping;
	bool		 running;	/* the starting thread's */
};

#define SLEEPER_INIT	{ .lock = PTHREAD_MUTEX_INITIALIZER }

/* Starts fn(arg) on a new thread; name prefixes the log lines. 0, or -1
 * (logged). */
int	sleeper_start(struct sleeper *s, const char *name,
	    void *(*fn)(void *), void *arg);

/* ms from now on CLOCK_MONOTONIC, as pthread_cond_timedwait on a
 * sleeper's (or any monotonic) condition variable takes it. */
void	sleeper_deadline(int64_t ms, struct timespec *ts);

/* On s's thread: sleeps up to ms or until woken or stopped; true when
 * stopped. */
bool	sleeper_wait(struct sleeper *s, int64_t ms);

/* Ends the current or next sleep of s's thread early. Any thread. */
void	sleeper_wake(struct sleeper *s);

/* Whether sleeper_stop was called. Any thread. */
bool	sleeper_stopping(struct sleeper *s);

/* Tells the thread to stop, wakes it and waits for it; safe when never
 * started. name as for sleeper_start. */
void	sleeper_stop(struct sleeper *s, const char *name);

#endif
