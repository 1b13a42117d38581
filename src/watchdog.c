/*
 * watchdog: the systemd watchdog thread (see watchdog.h). It shares with
 * the main thread only its stop flag under a mutex + condition variable
 * (CLOCK_MONOTONIC); it reads the scheduler's heartbeat through metrics'
 * atomics and asks the HTTP server over a loopback socket, as a client
 * would: a server whose threads are stuck does not answer, whatever its
 * own state says.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <systemd/sd-daemon.h>

#include "reviewd/clock.h"
#include "reviewd/log.h"
#include "reviewd/metrics.h"
#include "reviewd/watchdog.h"
#include "reviewd/writer.h"

static pthread_mutex_t		 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 cond;
static bool			 stopping;
static bool			 running;
static pthread_t		 thread;
static struct sockaddr_storage	 target;
static socklen_t		 target_len;
static int64_t			 period_ms;	/* WatchdogSec */
static int64_t			 started_ns;

/* The listen address with port, the unspecified address as loopback. */
static void
set_target(const struct config *cfg, unsigned port)
{
	struct sockaddr_in	*in4 = (struct sockaddr_in *)&target;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)&target;

	memcpy(&target, &cfg->listen_addr, sizeof(target));
	if (target.ss_family == AF_INET6) {
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)port);
		target_len = sizeof(*in6);
	} else {
		if (in4->sin_addr.s_addr == htonl(INADDR_ANY))
			in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in4->sin_port = htons((uint16_t)port);
		target_len = sizeof(*in4);
	}
}

/* GET /healthz on our own port within timeout_ms: true on a 200. */
static bool
http_alive(int64_t timeout_ms)
{
	static const char	 req[] = "GET /healthz HTTP/1.1\r\n"
				    "Host: localhost\r\nConnection: close\r\n"
				    "X-Request-Id: watchdog\r\n\r\n";
	struct timeval		 tv;
	char			 got[16];
	size_t			 have = 0;
	ssize_t			 n;
	int			 fd;
	bool			 ok = false;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	fd = socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return false;
	/* On Linux SO_SNDTIMEO bounds connect(2) too. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&target, target_len) == -1 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		goto out;
	while (have < 12) {
		n = read(fd, got + have, 12 - have);
		if (n <= 0)
			goto out;
		have += (size_t)n;
	}
	ok = memcmp(got, "HTTP/1.1 200", 12) == 0 ||
	    memcmp(got, "HTTP/1.0 200", 12) == 0;
out:
	(void)close(fd);
	return ok;
}

/* Waits ms or until stopped; true when stopped. */
static bool
wait_ms(int64_t ms)
{
	struct timespec	 until;
	bool		 stop;

	(void)clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	if (pthread_mutex_lock(&lock) != 0)
		return true;
	while (!stopping) {
		if (pthread_cond_timedwait(&cond, &lock, &until) == ETIMEDOUT)
			break;
	}
	stop = stopping;
	(void)pthread_mutex_unlock(&lock);
	return stop;
}

static void *
run(void *arg)
{
	int64_t		 interval = period_ms / 3, silence;
	const char	*why, *last = NULL;

	(void)arg;
	if (interval < 100)
		interval = 100;
	while (!wait_ms(interval)) {
		/* Before its first round ends the scheduler counts as
		 * silent since the watchdog started. */
		silence = metrics_scheduler_silence_ms();
		if (silence < 0)
			silence = (clock_mono_ns() - started_ns) / 1000000;
		why = NULL;
		if (silence >= period_ms)
			why = "the scheduler has not ended a round";
		else if (writer_busy_ms() >= period_ms)
			why = "the writer has not finished a group";
		else if (!http_alive(interval))
			why = "GET /healthz did not answer 200";
		if (why == NULL) {
			(void)sd_notify(0, "WATCHDOG=1");
			if (last != NULL)
				log_info("watchdog: pinging again");
		} else if (why != last)
			log_warn("watchdog: not pinging systemd: %s "
			    "(scheduler silent for %lld ms)", why,
			    (long long)silence);
		last = why;
	}
	return NULL;
}

int
watchdog_start(const struct config *cfg, unsigned port)
{
	pthread_condattr_t	 attr;
	uint64_t		 usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	period_ms = (int64_t)(usec / 1000);
	set_target(cfg, port);
	started_ns = clock_mono_ns();
	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&cond, &attr) != 0) {
		log_error("watchdog: cannot create the condition variable");
		return -1;
	}
	(void)pthread_condattr_destroy(&attr);
	if (pthread_create(&thread, NULL, run, NULL) != 0) {
		log_error("watchdog: cannot start the thread");
		return -1;
	}
	running = true;
	log_info("watchdog: pinging systemd every %lld ms while HTTP and "
	    "the scheduler are alive", (long long)(period_ms / 3));
	return 0;
}

void
watchdog_stop(void)
{
	if (!running)
		return;
	if (pthread_mutex_lock(&lock) == 0) {
		stopping = true;
		(void)pthread_cond_signal(&cond);
		(void)pthread_mutex_unlock(&lock);
	}
	if (pthread_join(thread, NULL) != 0)
		log_error("watchdog: join failed");
	running = false;
}
