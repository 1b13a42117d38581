#ifndef REVIEWD_WATCHDOG_H
#define REVIEWD_WATCHDOG_H

#include "reviewd/config.h"

/*
 * The systemd watchdog (WatchdogSec=): a thread that sends WATCHDOG=1
 * every third of the period, but only while both halves of the daemon
 * are alive: the HTTP server answers GET /healthz on its own port (which
 * also asks the database), and the scheduler has ended a round within the
 * last period (metrics_scheduler_silence_ms). When either stops, the pings
 * stop and systemd restarts the service one period later.
 */

/* Starts the thread when systemd asked for pings (WATCHDOG_USEC for this
 * process), after the server listens on port and the scheduler runs.
 * 0 (also when no watchdog is wanted), or -1 (logged). */
int	watchdog_start(const struct config *cfg, unsigned port);

/* Stops the thread and waits for it; safe when never started. */
void	watchdog_stop(void);

#endif
