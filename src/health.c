/*
 * health: the operational endpoints: liveness, readiness and the test
 * clock ([testing] clock_control), whose offset it keeps in settings.
 */
#include <stdio.h>
#include <stdlib.h>

#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/health.h"
#include "reviewd/json.h"
#include "reviewd/outbox.h"
#include "reviewd/scheduler.h"
#include "reviewd/settings.h"

static const char sql_ping[] = "SELECT 1";

int
health_live(ROUTE_HANDLER_PARAMS)
{
	if (db_exists(req->db, sql_ping, "") != DB_ROW) {
		api_error_set(err, 503, NULL, "The database does not answer");
		return -1;
	}
	return response_json(res, 200, json_pack("{s:s}", "status", "ok"),
	    err);
}

/*
 * Ready while the database answers (once draining, every route answers
 * 503: first_call). A paused e-mail lane (its transport refuses the
 * session: issue 16) leaves the daemon ready, since the API works and
 * the mail waits, but says so: "degraded", with the reason and the time
 * of the next try.
 */
int
health_ready(ROUTE_HANDLER_PARAMS)
{
	char		 why[256];
	const char	*fault;
	int64_t		 since, until;
	json_t		*o = NULL, *mail = NULL;	/* owned */

	/* once draining, every route answers 503 (first_call) */
	if ((fault = db_writable()) != NULL) {
		/* the storage fault (issue 16): reads are still served */
		api_error_set(err, 503, NULL, "Not ready for writes: %s; "
		    "reads are served", fault);
		api_error_set(err, 503, "writes", "%s", fault);
		return -1;
	}
	if (!outbox_paused(OUTBOX_EMAIL, why, sizeof(why), &since, &until))
		return health_live(req, res, err);
	if (db_exists(req->db, sql_ping, "") != DB_ROW) {
		api_error_set(err, 503, NULL, "The database does not answer");
		return -1;
	}
	if ((mail = json_pack("{s:s, s:s}", "state", "paused", "reason",
	    why)) == NULL || json_set_time(mail, "since", since) == -1 ||
	    json_set_time(mail, "retryAt", until) == -1 ||
	    (o = json_pack("{s:s, s:O}", "status", "degraded", "mail",
	    mail)) == NULL) {
		api_error_internal(err);
		json_decref(mail);
		return -1;
	}
	json_decref(mail);
	return response_json(res, 200, o, err);
}

static int
clock_reply(struct response *res, struct api_error *err)
{
	json_t	*o = json_object();	/* owned, taken by response_json */
	int64_t	 now = clock_now_ms();

	if (o == NULL || json_set_time(o, "now", now) == -1 ||
	    json_object_set_new(o, "nowMs", json_integer(now)) == -1 ||
	    json_object_set_new(o, "offsetMs",
	    json_integer(clock_offset_ms())) == -1 ||
	    json_object_set_new(o, "schedulerPasses",
	    json_integer((json_int_t)scheduler_passes())) == -1) {
		json_decref(o);
		o = NULL;
	}
	return response_json(res, 200, o, err);
}

/* The test clock exists only with [testing] clock_control = true. */
static int
clock_enabled(const struct request *req, struct api_error *err)
{
	if (req->cfg->clock_control)
		return 0;
	api_error_set(err, 404, NULL, "No resource at this path");
	return -1;
}

int
health_clock_get(ROUTE_HANDLER_PARAMS)
{
	if (clock_enabled(req, err) == -1)
		return -1;
	return clock_reply(res, err);
}

#define OFFSET_SETTING	"test_clock_offset_ms"

/* The test clock survives a restart, so tests can stop the daemon across
 * a deadline and see it handled after the start. */
static int
save_offset(struct request *req, struct api_error *err)
{
	char	 value[32];

	snprintf(value, sizeof(value), "%lld", (long long)clock_offset_ms());
	if (settings_put(req->db, OFFSET_SETTING, value) == -1) {
		db_fail(req->db, err);
		return -1;
	}
	return 0;
}

int
health_clock_restore(struct db *db)
{
	char	 value[32];
	bool	 found;

	if (settings_get(db, OFFSET_SETTING, value, sizeof(value),
	    &found) == -1)
		return -1;
	if (found)
		clock_set_offset_ms(strtoll(value, NULL, 10));
	return 0;
}

/* {"advanceMs": n} or {"advanceSeconds": n} or {"now": time}; the clock
 * only moves forward, as real time does. */
int
health_clock_set(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "advanceMs", "advanceSeconds",
	    "now", NULL };
	json_t		*body;	/* borrowed */
	int64_t		 ms = 0, s = 0, target;
	const char	*now = NULL;

	if (clock_enabled(req, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	json_read_int(body, "advanceMs", false, 0, INT64_C(1) << 50, &ms, err);
	json_read_int(body, "advanceSeconds", false, 0, INT64_C(1) << 40, &s,
	    err);
	if (json_read_string(body, "now", false, 1, 64, &now, err) == 0 &&
	    now != NULL) {
		if (clock_parse(now, &target) == -1)
			api_error_set(err, 400, "now", "must be a time such "
			    "as 2026-01-31T12:00:00Z");
		else if (target < clock_now_ms())
			api_error_set(err, 400, "now", "must not be in the "
			    "past: the clock only moves forward");
		else
			ms += target - clock_now_ms();
	}
	if (err->status != 0)
		return -1;
	clock_set_offset_ms(clock_offset_ms() + ms + s * 1000);
	if (save_offset(req, err) == -1)
		return -1;
	scheduler_wake();
	return clock_reply(res, err);
}
