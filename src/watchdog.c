/*
 * watchdog: the systemd watchdog thread (see watchdog.h). It shares with
 * the main thread only its sleeper (a stop flag, CLOCK_MONOTONIC sleeps,
 * sleeper.h); it reads the scheduler's heartbeat through metrics'
 * atomics and asks the HTTP server over a loopback socket, as a client
 * would: a server whose threads are stuck does not answer, whatever its
 * own state says.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <systemd/sd-daemon.h>

#include "reviewd/clock.h"
#include "reviewd/log.h"
#include "reviewd/metrics.h"
#include "reviewd/sleeper.h"
#include "reviewd/watchdog.h"
#include "reviewd/writer.h"

static struct sleeper		 dog = SLEEPER_INIT;
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

static void *
run(void *arg)
{
	int64_t		 interval = period_ms / 3, silence;
	const char	*why, *last = NULL;

	(void)arg;
	if (interval < 100)
		interval = 100;
	while (!sleeper_wait(&dog, interval)) {
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
	uint64_t	 usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	period_ms = (int64_t)(usec / 1000);
	set_target(cfg, port);
	started_ns = clock_mono_ns();
	if (sleeper_start(&dog, "watchdog", run, NULL) == -1)
		return -1;
	log_info("watchdog: pinging systemd every %lld ms while HTTP and "
	    "the scheduler are alive", (long long)(period_ms / 3));
	return 0;
}

void
watchdog_stop(void)
{
	sleeper_stop(&dog, "watchdog");
}
