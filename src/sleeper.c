/*
 * sleeper: a background thread's timed sleep on a monotonic condition
 * variable, its wake-up and its stop (see sleeper.h). The starting thread
 * calls start and stop; the sleeping thread waits; any thread wakes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "reviewd/log.h"
#include "reviewd/sleeper.h"

int
sleeper_start(struct sleeper *s, const char *name, void *(*fn)(void *),
    void *arg)
{
	pthread_condattr_t	 attr;
	char			 shown[16];

	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&s->cond, &attr) != 0) {
		log_error("%s: cannot create the condition variable", name);
		return -1;
	}
	(void)pthread_condattr_destroy(&attr);
	/* a sleeper stopped before may start again */
	atomic_store(&s->stopping, false);
	s->woken = false;
	if (pthread_create(&s->thread, NULL, fn, arg) != 0) {
		log_error("%s: cannot start the thread", name);
		return -1;
	}
	/* top -H and perf name it; Linux takes 15 bytes */
	snprintf(shown, sizeof(shown), "%s", name);
	(void)pthread_setname_np(s->thread, shown);
	s->running = true;
	return 0;
}

void
sleeper_deadline(int64_t ms, struct timespec *ts)
{
	(void)clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

bool
sleeper_wait(struct sleeper *s, int64_t ms)
{
	struct timespec	 until;
	bool		 stop;

	sleeper_deadline(ms, &until);
	if (pthread_mutex_lock(&s->lock) != 0)
		return true;
	while (!s->woken && !atomic_load(&s->stopping)) {
		if (pthread_cond_timedwait(&s->cond, &s->lock,
		    &until) == ETIMEDOUT)
			break;
	}
	s->woken = false;
	stop = atomic_load(&s->stopping);
	(void)pthread_mutex_unlock(&s->lock);
	return stop;
}

void
sleeper_wake(struct sleeper *s)
{
	if (pthread_mutex_lock(&s->lock) != 0)
		return;
	s->woken = true;
	(void)pthread_cond_signal(&s->cond);
	(void)pthread_mutex_unlock(&s->lock);
}

bool
sleeper_stopping(struct sleeper *s)
{
	return atomic_load(&s->stopping);
}

void
sleeper_stop(struct sleeper *s, const char *name)
{
	if (!s->running)
		return;
	atomic_store(&s->stopping, true);
	sleeper_wake(s);
	if (pthread_join(s->thread, NULL) != 0)
		log_error("%s: join failed", name);
	s->running = false;
}
