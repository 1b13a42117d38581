/*
 * clock: now, and the API's time formats. The only mutable state is the test
 * offset, an atomic read by every thread and written by the admin clock
 * endpoint. Date arithmetic is done here (days_from_civil) instead of with
 * timegm/gmtime so it is pure and needs no locale or TZ.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reviewd/clock.h"

static _Atomic int64_t test_offset_ms;

int64_t
clock_now_ms(void)
{
	struct timespec	 ts;

	/* CLOCK_REALTIME cannot fail with a valid clock id and pointer. */
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    atomic_load(&test_offset_ms);
}

int64_t
clock_offset_ms(void)
{
	return atomic_load(&test_offset_ms);
}

void
clock_set_offset_ms(int64_t offset)
{
	atomic_store(&test_offset_ms, offset);
}

int64_t
clock_mono_ns(void)
{
	struct timespec	 ts;

	/* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t
clock_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		 era;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* The UTC date of ms and its ms past midnight: days since the epoch in
 * *days, the civil date in *y, *m, *d. -1 when the year is outside
 * 0001..9999. */
static int
civil_from_ms(int64_t ms, int64_t *days, int64_t *rem, int64_t *y,
    unsigned *m, unsigned *d)
{
	*days = ms / 86400000;
	*rem = ms % 86400000;
	if (*rem < 0) {
		*rem += 86400000;
		(*days)--;
	}
	civil_from_days(*days, y, m, d);
	return *y < 1 || *y > 9999 ? -1 : 0;
}

int
clock_format(int64_t ms, char out[CLOCK_ISO_LEN])
{
	/* digit by digit: lists write three of these a review, and
	 * snprintf's format parsing cost more than the digits */
	static const struct {
		int		 at, width;
	} field[7] = { { 0, 4 }, { 5, 2 }, { 8, 2 }, { 11, 2 }, { 14, 2 },
	    { 17, 2 }, { 20, 3 } };
	int64_t		 days, rem, y, v[7];
	unsigned	 m, d;
	int		 i, j;

	if (civil_from_ms(ms, &days, &rem, &y, &m, &d) == -1)
		return -1;
	v[0] = y;
	v[1] = m;
	v[2] = d;
	v[3] = rem / 3600000;
	v[4] = rem / 60000 % 60;
	v[5] = rem / 1000 % 60;
	v[6] = rem % 1000;
	memcpy(out, "0000-00-00T00:00:00.000Z", CLOCK_ISO_LEN);
	for (i = 0; i < 7; i++)
		for (j = field[i].width - 1; j >= 0; j--, v[i] /= 10)
			out[field[i].at + j] = (char)('0' + v[i] % 10);
	return 0;
}

int
clock_format_rfc5322(int64_t ms, char out[CLOCK_RFC5322_LEN])
{
	static const char *const wday[] = { "Thu", "Fri", "Sat", "Sun", "Mon",
	    "Tue", "Wed" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t		 days, rem, y;
	unsigned	 m, d;
	int		 n;

	if (civil_from_ms(ms, &days, &rem, &y, &m, &d) == -1)
		return -1;
	n = snprintf(out, CLOCK_RFC5322_LEN, "%s, %02u %s %04d %02d:%02d:%02d "
	    "+0000", wday[((days % 7) + 7) % 7], d, mon[m - 1], (int)y,
	    (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60));
	return n > 0 && n < CLOCK_RFC5322_LEN ? 0 : -1;
}

/* Reads exactly n digits. */
static int
digits(const char **p, int n, int *out)
{
	int	 v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Reads 1 or 2 digits (US format allows 9/7/2013). */
static int
digits12(const char **p, int *out)
{
	if ((*p)[0] >= '0' && (*p)[0] <= '9' && (*p)[1] >= '0' &&
	    (*p)[1] <= '9')
		return digits(p, 2, out);
	return digits(p, 1, out);
}

static bool
accept(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	bool	 leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

struct civil {
	int	 year, month, day, hour, min, sec, ms;
	int	 offset_min;
};

static int
parse_fraction(const char **p, int *ms)
{
	int	 scale = 100, n = 0;

	*ms = 0;
	while (**p >= '0' && **p <= '9') {
		*ms += (**p - '0') * scale;
		scale /= 10;
		(*p)++;
		n++;
	}
	return n == 0 || n > 9 ? -1 : 0;
}

static int
parse_time(const char **p, struct civil *c)
{
	if (digits(p, 2, &c->hour) == -1 || !accept(p, ':') ||
	    digits(p, 2, &c->min) == -1)
		return -1;
	if (accept(p, ':')) {
		if (digits(p, 2, &c->sec) == -1)
			return -1;
		if ((accept(p, '.') || accept(p, ',')) &&
		    parse_fraction(p, &c->ms) == -1)
			return -1;
	}
	return 0;
}

static int
parse_zone(const char **p, struct civil *c)
{
	int	 sign, hh, mm = 0;

	if (accept(p, 'Z') || accept(p, 'z'))
		return 0;
	if (**p != '+' && **p != '-')
		return **p == '\0' ? 0 : -1;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (digits(p, 2, &hh) == -1)
		return -1;
	(void)accept(p, ':');
	if (digits(p, 2, &mm) == -1)
		return -1;
	if (hh > 23 || mm > 59)
		return -1;
	c->offset_min = sign * (hh * 60 + mm);
	return 0;
}

static int
parse_iso(const char **p, struct civil *c)
{
	if (digits(p, 4, &c->year) == -1 || !accept(p, '-') ||
	    digits(p, 2, &c->month) == -1 || !accept(p, '-') ||
	    digits(p, 2, &c->day) == -1)
		return -1;
	if (**p == '\0')
		return 0;
	if (!accept(p, 'T') && !accept(p, 't') && !accept(p, ' '))
		return -1;
	if (parse_time(p, c) == -1)
		return -1;
	return parse_zone(p, c);
}

static int
parse_us(const char **p, struct civil *c)
{
	if (digits12(p, &c->month) == -1 || !accept(p, '/') ||
	    digits12(p, &c->day) == -1 || !accept(p, '/') ||
	    digits(p, 4, &c->year) == -1)
		return -1;
	if (**p == '\0')
		return 0;
	if (!accept(p, ' ') || digits12(p, &c->hour) == -1 ||
	    !accept(p, ':') || digits(p, 2, &c->min) == -1)
		return -1;
	if (accept(p, ':') && digits(p, 2, &c->sec) == -1)
		return -1;
	if (accept(p, ' ')) {
		bool	 pm;

		if (strcmp(*p, "AM") == 0 || strcmp(*p, "am") == 0)
			pm = false;
		else if (strcmp(*p, "PM") == 0 || strcmp(*p, "pm") == 0)
			pm = true;
		else
			return -1;
		if (c->hour < 1 || c->hour > 12)
			return -1;
		c->hour = c->hour % 12 + (pm ? 12 : 0);
		*p += 2;
	}
	return 0;
}

int
clock_parse(const char *s, int64_t *out_ms)
{
	struct civil	 c;
	const char	*p = s;
	int		 r;

	memset(&c, 0, sizeof(c));
	if (strchr(s, '/') != NULL)
		r = parse_us(&p, &c);
	else
		r = parse_iso(&p, &c);
	if (r == -1 || *p != '\0')
		return -1;
	if (c.year < 1 || c.month < 1 || c.month > 12 || c.day < 1 ||
	    c.day > days_in_month(c.year, c.month) || c.hour > 23 ||
	    c.min > 59 || c.sec > 59)
		return -1;
	*out_ms = (clock_days_from_civil(c.year, (unsigned)c.month,
	    (unsigned)c.day) * 86400 + c.hour * 3600 + c.min * 60 + c.sec -
	    (int64_t)c.offset_min * 60) * 1000 + c.ms;
	return 0;
}
