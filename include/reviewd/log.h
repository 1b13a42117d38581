#ifndef REVIEWD_LOG_H
#define REVIEWD_LOG_H

/*
 * Leveled logging to stderr, one line per event with key=value fields.
 * journald adds timestamps. Never pass secrets, tokens, e-mails or bodies.
 */
enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Sets the most verbose level printed; call before threads start. */
void	log_set_level(enum log_level level);

/* Parses "error", "warn", "info", "debug"; 0 on success, -1 otherwise. */
int	log_level_parse(const char *s, enum log_level *out);

void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* As log_error/log_warn with ": strerror(errno)" appended. */
void	log_error_errno(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warn_errno(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
