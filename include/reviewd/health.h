#ifndef REVIEWD_HEALTH_H
#define REVIEWD_HEALTH_H

#include "reviewd/request.h"

/* With [testing] clock_control: sets the test clock's offset saved by the
 * last POST /v1/admin/clock, so it survives restarts. 0 or -1. */
int	health_clock_restore(struct db *db);

/* Operational endpoints: liveness, readiness, the test clock. */
route_handler	health_live, health_ready, health_clock_get, health_clock_set;

#endif
