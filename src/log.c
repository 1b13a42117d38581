/*
 * log: leveled lines on stderr. The level is set once at start-up, before
 * any thread exists, and only read afterwards. Each line is formatted into
 * one buffer and written with one write() so lines from threads never mix.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reviewd/log.h"

static enum log_level max_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_set_level(enum log_level level)
{
	max_level = level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t	 i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char	 line[2048];
	int	 n, m;
	size_t	 len;

	if (level > max_level)
		return;
	n = snprintf(line, sizeof(line), "%s: ", level_names[level]);
	if (n < 0)
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	len = strnlen(line, sizeof(line) - 1);
	if (errnum != 0) {
		char	 ebuf[128];

		/* GNU strerror_r (we build with _GNU_SOURCE): thread-safe. */
		m = snprintf(line + len, sizeof(line) - len, ": %s",
		    strerror_r(errnum, ebuf, sizeof(ebuf)));
		if (m > 0)
			len = strnlen(line, sizeof(line) - 1);
	}
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* A short write to stderr has nowhere better to be reported. */
	(void)!write(STDERR_FILENO, line, len);
}

#define LOG_FN(name, level, with_errno)					\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	 ap;							\
	int	 saved = errno;						\
									\
	va_start(ap, fmt);						\
	vlog(level, with_errno ? saved : 0, fmt, ap);			\
	va_end(ap);							\
	errno = saved;							\
}

LOG_FN(log_error, LOG_LEVEL_ERROR, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FN(log_error_errno, LOG_LEVEL_ERROR, 1)
LOG_FN(log_warn_errno, LOG_LEVEL_WARN, 1)
