#ifndef REVIEWD_CLOCK_H
#define REVIEWD_CLOCK_H

#include <stdint.h>

/*
 * The one source of time (ms since the Unix epoch, UTC) and the time formats
 * of the API. Tests may move the clock forward (see clock_set_offset_ms);
 * everything that compares against "now" must call clock_now_ms().
 */

/* "2017-05-20T09:34:44.000Z" plus NUL. */
#define CLOCK_ISO_LEN	25

/* Wall clock plus the test offset. Any thread. */
int64_t	clock_now_ms(void);

/* The offset added to the wall clock; only the admin clock endpoint (enabled
 * by [testing] clock_control) changes it. Any thread. */
int64_t	clock_offset_ms(void);
void	clock_set_offset_ms(int64_t offset);

/* CLOCK_MONOTONIC in ns, for deadlines and durations within the process
 * (not moved by the test offset). Any thread. */
int64_t	clock_mono_ns(void);

/* Formats ms as UTC ISO-8601 with milliseconds into out. 0 or -1 when the
 * time is outside years 0001..9999. */
int	clock_format(int64_t ms, char out[CLOCK_ISO_LEN]);

/* "Sun, 22 Nov 2026 22:49:41 +0000" plus NUL. */
#define CLOCK_RFC5322_LEN	32

/* Formats ms as an RFC 5322 Date header value (UTC). 0 or -1. */
int	clock_format_rfc5322(int64_t ms, char out[CLOCK_RFC5322_LEN]);

/*
 * Parses the time formats the API accepts, all read as UTC unless a zone is
 * given:
 *   ISO-8601  YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][Z|(+|-)hh[:]mm]
 *   US        MM/DD/YYYY[ hh:mm[:ss][ AM|PM]]   (Trustpilot's doc example)
 * A missing time is 00:00:00. Returns 0 and sets *out_ms, or -1 (the whole
 * string must be consumed; out of range fields are rejected).
 */
int	clock_parse(const char *s, int64_t *out_ms);

/* Days since 1970-01-01 of a proleptic Gregorian date (no validation). */
int64_t	clock_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
