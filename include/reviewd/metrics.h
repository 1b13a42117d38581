#ifndef REVIEWD_METRICS_H
#define REVIEWD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reviewd/request.h"
#include "reviewd/router.h"

/*
 * Metrics: counters kept in memory as C11 atomics (relaxed: each is a
 * tally, none orders anything), so the request path takes no lock, and
 * GET /metrics, which renders them with the gauges read at scrape time
 * (outbox depth and age, database and WAL size) in the Prometheus text
 * exposition format (version 0.0.4). Counters start at zero with the
 * process. Any thread may count; metrics_init runs before any does.
 */

/* Sizes the per-route counters for the server's route table (kept,
 * borrowed: it is constant). Call once, before the server starts. 0, or
 * -1 when out of memory. */
int	metrics_init(const struct route *table, size_t n);

/* Counts one finished request: route NULL when none matched, status 0
 * when no answer was sent, ns its duration. */
void	metrics_request(const struct route *route, int status, int64_t ns);

/* A connection opened (+1) or closed (-1). */
void	metrics_connection(int delta);

/* One delivery attempt of an outbox row of kind ("email" or "webhook")
 * ended: delivered, or failed (to be retried or given up). */
void	metrics_outbox_attempt(const char *kind, bool delivered);

/* The scheduler's heartbeat, once a round, with the time (clock_now_ms)
 * the round was due: records the round's lateness and that the thread
 * is alive. */
void	metrics_scheduler_beat(int64_t due_ms);

/* Milliseconds since the scheduler's last heartbeat (monotonic), or -1
 * when it has not beaten yet. */
int64_t	metrics_scheduler_silence_ms(void);

/* GET /metrics (admin token). */
route_handler	metrics_get;

#endif
