/*
 * metrics: the in-memory counters behind GET /metrics and their
 * rendering. Per route (an index into the server's constant route table,
 * plus one slot for requests no route matched) a count per HTTP status
 * and a latency histogram with fixed buckets; connections, outbox
 * attempts, the scheduler's heartbeat and lag. Every counter is an atomic
 * written with relaxed order: the request path takes no lock and a scrape
 * sees each counter's own latest value (not a snapshot of all at once,
 * which Prometheus does not need). The arrays are allocated by
 * metrics_init before the server's threads exist and never freed.
 *
 * The gauges that live in the database (outbox depth, oldest row, dead
 * rows) are read at scrape time on the request's connection; their SQL
 * only reads the outbox table, through its (status, kind, id) index.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/metrics.h"

#define STATUS_SLOTS	600	/* 0 (no answer), 100..599 */
#define METRICS_MAX	(4 * 1024 * 1024)

/* Upper bounds of the latency buckets, in microseconds; +Inf follows. */
static const int64_t	 bucket_us[] = { 1000, 2500, 5000, 10000, 25000,
			    50000, 100000, 250000, 500000, 1000000, 2500000,
			    5000000, 10000000 };
#define NBUCKETS	(sizeof(bucket_us) / sizeof(bucket_us[0]) + 1)

struct route_counters {
	atomic_uint_fast64_t	 status[STATUS_SLOTS];
	atomic_uint_fast64_t	 bucket[NBUCKETS];	/* not cumulative */
	atomic_uint_fast64_t	 sum_us;
	atomic_uint_fast64_t	 count;
};

static const struct route	*table;
static size_t			 ntable;
static struct route_counters	*per_route;	/* ntable + 1 */
static atomic_int_fast64_t	 conns_open;
static atomic_uint_fast64_t	 conns_total;
static atomic_uint_fast64_t	 outbox_sent[2], outbox_failed[2];
static atomic_int_fast64_t	 beat_ns;	/* 0: not yet */
static atomic_int_fast64_t	 lag_ms;
static int64_t			 started_ms;

int
metrics_init(const struct route *t, size_t n)
{
	size_t	 i, k;

	/* A server started again (tests) keeps counting the same table. */
	if (per_route != NULL)
		return t == table && n == ntable ? 0 : -1;
	per_route = calloc(n + 1, sizeof(*per_route));
	if (per_route == NULL)
		return -1;
	for (i = 0; i <= n; i++) {
		for (k = 0; k < STATUS_SLOTS; k++)
			atomic_init(&per_route[i].status[k], 0);
		for (k = 0; k < NBUCKETS; k++)
			atomic_init(&per_route[i].bucket[k], 0);
		atomic_init(&per_route[i].sum_us, 0);
		atomic_init(&per_route[i].count, 0);
	}
	table = t;
	ntable = n;
	started_ms = clock_now_ms();
	return 0;
}

void
metrics_request(const struct route *route, int status, int64_t ns)
{
	struct route_counters	*c;
	size_t			 i = ntable, b;
	int64_t			 us = ns / 1000;

	if (per_route == NULL)
		return;
	if (route != NULL && route >= table && route < table + ntable)
		i = (size_t)(route - table);
	c = &per_route[i];
	if (status < 100 || status >= STATUS_SLOTS)
		status = 0;
	if (us < 0)
		us = 0;
	for (b = 0; b < NBUCKETS - 1 && us > bucket_us[b]; b++)
		;
	atomic_fetch_add_explicit(&c->status[status], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&c->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->sum_us, (uint64_t)us,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
}

void
metrics_connection(int delta)
{
	atomic_fetch_add_explicit(&conns_open, delta, memory_order_relaxed);
	if (delta > 0)
		atomic_fetch_add_explicit(&conns_total, 1,
		    memory_order_relaxed);
}

void
metrics_outbox_attempt(const char *kind, bool delivered)
{
	size_t	 k = strcmp(kind, "email") == 0 ? 0 : 1;

	atomic_fetch_add_explicit(delivered ? &outbox_sent[k] :
	    &outbox_failed[k], 1, memory_order_relaxed);
}

void
metrics_scheduler_beat(int64_t due_ms)
{
	int64_t	 late = clock_now_ms() - due_ms;

	atomic_store_explicit(&lag_ms, late > 0 ? late : 0,
	    memory_order_relaxed);
	atomic_store_explicit(&beat_ns, clock_mono_ns(),
	    memory_order_relaxed);
}

int64_t
metrics_scheduler_silence_ms(void)
{
	int64_t	 beat = atomic_load_explicit(&beat_ns, memory_order_relaxed);

	if (beat == 0)
		return -1;
	return (clock_mono_ns() - beat) / 1000000;
}

/* Rendering. */

static uint64_t
get(atomic_uint_fast64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* Appends s as a label value: backslash, quote and newline escaped. */
static int
label(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if ((*s == '\\' || *s == '"') && buf_puts(out, "\\") == -1)
			return -1;
		if (*s == '\n') {
			if (buf_puts(out, "\\n") == -1)
				return -1;
		} else if (buf_append(out, s, 1) == -1)
			return -1;
	}
	return 0;
}

/* method="M",route="R" of slot i (no trailing comma). */
static int
route_labels(struct buf *out, size_t i)
{
	if (buf_puts(out, "method=\"") == -1 ||
	    label(out, i < ntable ? table[i].method : "*") == -1 ||
	    buf_puts(out, "\",route=\"") == -1 ||
	    label(out, i < ntable ? table[i].pattern : "(unmatched)") == -1)
		return -1;
	return buf_puts(out, "\"");
}

static int
help(struct buf *out, const char *name, const char *type, const char *text)
{
	return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text,
	    name, type);
}

static int
render_requests(struct buf *out)
{
	size_t		 i, k;
	uint64_t	 v;

	if (help(out, "reviewd_http_requests_total", "counter",
	    "Finished HTTP requests by route pattern and status (0: no "
	    "answer was sent).") == -1)
		return -1;
	for (i = 0; i <= ntable; i++) {
		for (k = 0; k < STATUS_SLOTS; k++) {
			v = get(&per_route[i].status[k]);
			if (v == 0)
				continue;
			if (buf_puts(out, "reviewd_http_requests_total{") ==
			    -1 || route_labels(out, i) == -1 ||
			    buf_printf(out, ",status=\"%zu\"} %llu\n", k,
			    (unsigned long long)v) == -1)
				return -1;
		}
	}
	return 0;
}

static int
render_latency(struct buf *out)
{
	static const char	 name[] =
				    "reviewd_http_request_duration_seconds";
	size_t			 i, b;
	uint64_t		 cum, count;
	int			 rc;

	if (help(out, name, "histogram", "Time from the request head to "
	    "the end of the answer, by route pattern.") == -1)
		return -1;
	for (i = 0; i <= ntable; i++) {
		count = get(&per_route[i].count);
		if (count == 0)
			continue;
		cum = 0;
		for (b = 0; b < NBUCKETS; b++) {
			cum += get(&per_route[i].bucket[b]);
			if (buf_printf(out, "%s_bucket{", name) == -1 ||
			    route_labels(out, i) == -1)
				return -1;
			if (b < NBUCKETS - 1)
				rc = buf_printf(out, ",le=\"%g\"} %llu\n",
				    (double)bucket_us[b] / 1e6,
				    (unsigned long long)cum);
			else
				rc = buf_printf(out, ",le=\"+Inf\"} %llu\n",
				    (unsigned long long)cum);
			if (rc == -1)
				return -1;
		}
		/* The +Inf bucket is the count: the buckets were read one
		 * by one while requests went on finishing. */
		if (buf_printf(out, "%s_sum{", name) == -1 ||
		    route_labels(out, i) == -1 ||
		    buf_printf(out, "} %.6f\n%s_count{", (double)get(
		    &per_route[i].sum_us) / 1e6, name) == -1 ||
		    route_labels(out, i) == -1 ||
		    buf_printf(out, "} %llu\n", (unsigned long long)cum) == -1)
			return -1;
	}
	return 0;
}

/* A counter of the outbox per kind (email, webhook). */
static int
outbox_counter(struct buf *out, const char *name, const char *text,
    atomic_uint_fast64_t counts[2])
{
	static const char *const kinds[] = { "email", "webhook" };
	size_t	 k;

	if (help(out, name, "counter", text) == -1)
		return -1;
	for (k = 0; k < 2; k++) {
		if (buf_printf(out, "%s{kind=\"%s\"} %llu\n", name, kinds[k],
		    (unsigned long long)get(&counts[k])) == -1)
			return -1;
	}
	return 0;
}

static int
render_process(struct buf *out)
{
	int64_t	 silence = metrics_scheduler_silence_ms();

	if (help(out, "reviewd_http_connections_open", "gauge",
	    "HTTP connections open now.") == -1 ||
	    buf_printf(out, "reviewd_http_connections_open %lld\n",
	    (long long)atomic_load_explicit(&conns_open,
	    memory_order_relaxed)) == -1 ||
	    help(out, "reviewd_http_connections_total", "counter",
	    "HTTP connections accepted.") == -1 ||
	    buf_printf(out, "reviewd_http_connections_total %llu\n",
	    (unsigned long long)get(&conns_total)) == -1 ||
	    outbox_counter(out, "reviewd_outbox_sent_total", "Outbox rows "
	    "delivered (e-mails handed to the transport, webhooks answered "
	    "2xx).", outbox_sent) == -1 ||
	    outbox_counter(out, "reviewd_outbox_failed_total", "Outbox "
	    "delivery attempts that failed (retried later or given up).",
	    outbox_failed) == -1)
		return -1;
	return help(out, "reviewd_scheduler_lag_seconds", "gauge",
	    "How late the scheduler's last round started after the time "
	    "its work was due.") == -1 ||
	    buf_printf(out, "reviewd_scheduler_lag_seconds %.3f\n",
	    (double)atomic_load_explicit(&lag_ms, memory_order_relaxed) /
	    1e3) == -1 ||
	    help(out, "reviewd_scheduler_heartbeat_age_seconds", "gauge",
	    "Time since the scheduler thread last completed a round "
	    "(-1: not yet).") == -1 ||
	    buf_printf(out, "reviewd_scheduler_heartbeat_age_seconds "
	    "%.3f\n", silence < 0 ? -1.0 : (double)silence / 1e3) == -1 ||
	    help(out, "reviewd_start_time_seconds", "gauge",
	    "When the daemon started, seconds since the epoch.") == -1 ||
	    buf_printf(out, "reviewd_start_time_seconds %lld\n",
	    (long long)(started_ms / 1000)) == -1 ? -1 : 0;
}

/* Rows waiting (pending, delivering) and given up (dead), per kind and
 * status, with the oldest waiting row's creation time. */
static const char sql_outbox_depth[] =
    "SELECT kind, status, count(*), min(created_at) FROM outbox "
    "WHERE status IN ('pending', 'delivering', 'dead') "
    "GROUP BY kind, status";

static int
render_outbox(struct buf *out, struct db *db)
{
	static const char *const kinds[] = { "email", "webhook" };
	static const char *const states[] = { "pending", "delivering",
	    "dead" };
	struct db_stmt	*st;
	int64_t		 rows[2][3] = { { 0 } }, oldest[2] = { 0, 0 }, now;
	size_t		 k, s;
	int		 rc, ret = -1;

	st = db_prepare(db, sql_outbox_depth);
	if (st == NULL)
		return -1;
	while ((rc = db_step(db, st)) == DB_ROW) {
		k = strcmp(db_text(st, 0), "email") == 0 ? 0 : 1;
		for (s = 0; s < 3; s++) {
			if (strcmp(db_text(st, 1), states[s]) == 0)
				break;
		}
		if (s == 3)
			continue;
		rows[k][s] = db_int(st, 2);
		if (s < 2 && (oldest[k] == 0 || db_int(st, 3) < oldest[k]))
			oldest[k] = db_int(st, 3);
	}
	if (rc != DB_DONE)
		goto out;
	now = clock_now_ms();
	if (help(out, "reviewd_outbox_rows", "gauge", "Outbox rows waiting "
	    "(pending, delivering) or given up (dead), by kind.") == -1)
		goto out;
	for (k = 0; k < 2; k++) {
		for (s = 0; s < 3; s++) {
			if (buf_printf(out, "reviewd_outbox_rows{kind=\"%s\","
			    "status=\"%s\"} %lld\n", kinds[k], states[s],
			    (long long)rows[k][s]) == -1)
				goto out;
		}
	}
	if (help(out, "reviewd_outbox_oldest_age_seconds", "gauge",
	    "Age of the oldest waiting outbox row, by kind (0: none "
	    "waits).") == -1)
		goto out;
	for (k = 0; k < 2; k++) {
		if (buf_printf(out, "reviewd_outbox_oldest_age_seconds"
		    "{kind=\"%s\"} %.3f\n", kinds[k], oldest[k] == 0 ||
		    oldest[k] > now ? 0.0 : (double)(now - oldest[k]) / 1e3) ==
		    -1)
			goto out;
	}
	ret = 0;
out:
	db_release(st);
	return ret;
}

/* The size of path+suffix in bytes; 0 when it does not exist. */
static long long
file_size(const char *path, const char *suffix)
{
	char		 name[CONFIG_PATH + 8];
	struct stat	 sb;

	if (snprintf(name, sizeof(name), "%s%s", path, suffix) >=
	    (int)sizeof(name) || stat(name, &sb) == -1)
		return 0;
	return (long long)sb.st_size;
}

/* SQLite: the file and its WAL as they are on disk. PostgreSQL: the
 * database's size as the server counts it; its WAL is the server's, for
 * the server's own monitoring (docs/operations.md), so no gauge here. */
static int
render_database(struct buf *out, struct db *db, const struct config *cfg)
{
	static const char	 sql_size[] =
	    "SELECT pg_database_size(current_database())";
	bool			 pg = db_backend() == DB_POSTGRESQL;
	int64_t			 size = pg ? 0 : file_size(cfg->db_path, "");
	int64_t			 background, by_commit;

	if (pg && db_one_int(db, sql_size, &size, "") == -1)
		return -1;
	if (help(out, "reviewd_database_size_bytes", "gauge",
	    "Size of the database.") == -1 ||
	    buf_printf(out, "reviewd_database_size_bytes %lld\n",
	    (long long)size) == -1)
		return -1;
	if (pg)
		return 0;
	db_checkpoint_counts(&background, &by_commit);
	return help(out, "reviewd_database_wal_size_bytes", "gauge",
	    "Size of the database's write-ahead log.") == -1 ||
	    buf_printf(out, "reviewd_database_wal_size_bytes %lld\n",
	    file_size(cfg->db_path, "-wal")) == -1 ||
	    help(out, "reviewd_database_checkpoints_total", "counter",
	    "Write-ahead log checkpoints: by the checkpointer thread, or by "
	    "a commit (only when the log outgrew the thread).") == -1 ||
	    buf_printf(out, "reviewd_database_checkpoints_total{by=\""
	    "checkpointer\"} %lld\nreviewd_database_checkpoints_total{by=\""
	    "commit\"} %lld\n", (long long)background,
	    (long long)by_commit) == -1 ? -1 : 0;
}

int
metrics_get(ROUTE_HANDLER_PARAMS)
{
	struct buf	 out;
	size_t		 len;
	char		*text;
	int		 ret = -1;

	buf_init(&out, METRICS_MAX);
	if (per_route == NULL || render_requests(&out) == -1 ||
	    render_latency(&out) == -1 || render_process(&out) == -1) {
		api_error_internal(err);
		goto out;
	}
	if (render_database(&out, req->db, req->cfg) == -1 ||
	    render_outbox(&out, req->db) == -1) {
		db_fail(req->db, err);
		goto out;
	}
	text = buf_detach(&out, &len);
	if (text == NULL) {
		api_error_internal(err);
		goto out;
	}
	response_release(res);
	res->status = 200;
	res->body = text;
	res->body_len = len;
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	ret = 0;
out:
	buf_release(&out);
	return ret;
}
