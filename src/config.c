/*
 * config: the INI file over built-in defaults. One table lists every key
 * with its default, its setter and its bounds; defaults are applied through
 * the same setters, so a default is valid by construction. Runs once at
 * start-up on the main thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "reviewd/buf.h"
#include "reviewd/config.h"
#include "reviewd/utf8.h"

#define CONFIG_MAX_FILE	(1024 * 1024)
#define WHY_LEN		160

struct key;
typedef int setter(struct config *, const struct key *, const char *,
    char *why);

/* A word of a closed set and the value it stands for; NULL ends a list. */
struct word {
	const char	*name;
	int		 value;
};

struct key {
	const char	*section;
	const char	*name;
	const char	*default_value;
	setter		*set;
	size_t		 offset;
	size_t		 size;		/* strings: capacity; words: size */
	int64_t		 min, max;	/* integers: inclusive bounds */
	const struct word *words;	/* words: the closed set */
	const char	*expected;	/* words: the set, for an error */
};

static setter set_string, set_int, set_word, set_listen, set_url,
    set_smtp_url, set_header_text, set_log_level, set_admin_token,
    set_master_key, set_proxies, set_platform_name, set_db_url;

static const struct word bools[] = { { "true", 1 }, { "yes", 1 },
    { "1", 1 }, { "on", 1 }, { "false", 0 }, { "no", 0 }, { "0", 0 },
    { "off", 0 }, { NULL, 0 } };
static const struct word transports[] = {
    { "maildir", MAIL_TRANSPORT_MAILDIR },
    { "smtp", MAIL_TRANSPORT_SMTP }, { NULL, 0 } };
static const struct word backends[] = {
    { "sqlite", CONFIG_DB_SQLITE },
    { "postgresql", CONFIG_DB_POSTGRESQL }, { NULL, 0 } };
static const struct word starttls[] = {
    { "required", MAIL_STARTTLS_REQUIRED },
    { "opportunistic", MAIL_STARTTLS_OPPORTUNISTIC },
    { "off", MAIL_STARTTLS_OFF }, { NULL, 0 } };

#define STR(sec, name, def, field, fn)					\
	{ sec, name, def, fn, offsetof(struct config, field),		\
	    sizeof(((struct config *)0)->field), 0, 0, NULL, NULL }
#define INT(sec, name, def, field, lo, hi)				\
	{ sec, name, def, set_int, offsetof(struct config, field), 0, lo, hi, \
	    NULL, NULL }
#define OTHER(sec, name, def, field, fn)				\
	{ sec, name, def, fn, offsetof(struct config, field), 0, 0, 0, NULL, \
	    NULL }
#define WORD(sec, name, def, field, words, expected)			\
	{ sec, name, def, set_word, offsetof(struct config, field),	\
	    sizeof(((struct config *)0)->field), 0, 0, words, expected }

static const struct key keys[] = {
	STR("server", "listen", "127.0.0.1:8080", listen, set_listen),
	STR("server", "public_url", "http://127.0.0.1:8080", public_url,
	    set_url),
	INT("server", "threads", "4", threads, 1, 256),
	INT("server", "max_body_bytes", "1048576", max_body_bytes, 1024,
	    1073741824),
	INT("server", "connection_timeout_s", "30", connection_timeout_s, 1,
	    3600),
	INT("server", "max_connections", "1024", max_connections, 1, 65536),
	INT("server", "max_upload_bytes", "67108864", max_upload_bytes, 1024,
	    1073741824),
	INT("server", "max_public_body_bytes", "131072",
	    max_public_body_bytes, 1024, 1073741824),
	INT("server", "max_connections_per_ip", "64", max_connections_per_ip,
	    0, 65536),
	INT("server", "request_head_timeout_s", "10", request_head_timeout_s,
	    1, 3600),
	INT("server", "request_body_timeout_s", "30", request_body_timeout_s,
	    1, 3600),
	INT("server", "min_body_rate_bytes_s", "16384", min_body_rate_bytes_s,
	    1, 1073741824),
	STR("server", "trusted_proxies", "", trusted_proxies, set_proxies),
	INT("server", "list_cache_bytes", "16777216", list_cache_bytes, 0,
	    1073741824),
	STR("database", "path", "var/reviewd.db", db_path, set_string),
	STR("database", "migrations", "", migrations_dir, set_string),
	/* issue 17: the engine; url is PostgreSQL's (libpq's URL form) */
	WORD("database", "backend", "sqlite", db_backend, backends,
	    "sqlite or postgresql"),
	STR("database", "url", "", db_url, set_db_url),
	WORD("mail", "transport", "maildir", mail_transport, transports,
	    "maildir or smtp"),
	STR("mail", "maildir", "var/mail", maildir, set_string),
	STR("mail", "smtp_url", "", smtp_url, set_smtp_url),
	STR("mail", "smtp_user", "", smtp_user, set_header_text),
	STR("mail", "smtp_password", "", smtp_password, set_header_text),
	STR("mail", "from", "reviewd <noreply@localhost>", mail_from,
	    set_header_text),
	WORD("mail", "starttls", "opportunistic", smtp_starttls, starttls,
	    "required, opportunistic or off"),
	/* issue 16: SMTP waits per RFC 5321 4.5.3.2, webhook lanes */
	INT("mail", "timeout_s", "300", smtp_timeout_s, 1, 3600),
	INT("mail", "data_timeout_s", "600", smtp_data_timeout_s, 1, 3600),
	STR("mail", "platform_name", "reviewd", mail_platform_name,
	    set_platform_name),
	INT("outbox", "batch_size", "500", outbox_batch, 1, 1000),
	INT("outbox", "lease_s", "60", outbox_lease_s, 5, 3600),
	INT("outbox", "give_up_after_s", "259200", outbox_give_up_s, 60,
	    2592000),
	INT("outbox", "retry_base_s", "10", outbox_retry_base_s, 1, 3600),
	INT("outbox", "retry_cap_s", "3600", outbox_retry_cap_s, 1, 86400),
	INT("reviews", "confirm_ttl_h", "72", review_confirm_ttl_h, 1, 8760),
	INT("reviews", "duplicate_window_days", "365", review_duplicate_days,
	    0, 36500),
	INT("reviews", "submissions_per_address_day", "5",
	    review_submissions_per_day, 1, 1000),
	INT("reviews", "submissions_per_address_day_all", "20",
	    review_submissions_per_day_all, 1, 100000),
	INT("invitations", "link_valid_days", "30", invitation_link_days, 1,
	    3650),
	INT("invitations", "repeat_period_days", "30", invitation_repeat_days,
	    0, 3650),
	INT("invitations", "dispatch_batch", "200", invitation_dispatch_batch,
	    1, 10000),
	INT("invitations", "idempotency_hours", "24", invitation_idempotency_h,
	    1, 8760),
	INT("invitations", "daily_limit_per_unit", "100000",
	    invitation_daily_limit, 0, 100000000),
	INT("findreviewer", "reply_days", "5", findreviewer_reply_days, 1, 60),
	STR("afs", "domain", "afs.localhost", afs_domain, set_header_text),
	INT("afs", "max_message_bytes", "10485760", afs_max_message_bytes,
	    1024, 104857600),
	STR("links", "master_key", "", links_master_key, set_master_key),
	WORD("links", "generate_master_key", "true",
	    links_generate_master_key, bools, "true or false"),
	WORD("webhooks", "allow_private_targets", "false",
	    webhooks_allow_private, bools, "true or false"),
	INT("webhooks", "timeout_s", "30", webhooks_timeout_s, 1, 300),
	INT("webhooks", "concurrency", "32", webhooks_concurrency, 1, 1000),
	INT("webhooks", "per_destination", "4", webhooks_per_destination, 1,
	    100),
	STR("admin", "token", "", admin_token, set_admin_token),
	INT("auth", "access_token_ttl_s", "360000", access_token_ttl_s, 60,
	    31536000),
	INT("auth", "refresh_token_ttl_s", "2592000", refresh_token_ttl_s, 60,
	    31536000),
	INT("auth", "token_requests_per_minute", "60",
	    token_requests_per_minute, 1, 100000),
	INT("auth", "max_failures", "10", auth_max_failures, 1, 100000),
	INT("auth", "failure_window_s", "900", auth_failure_window_s, 1,
	    86400),
	INT("ratelimit", "app_per_minute", "6000", ratelimit_app_per_minute,
	    0, 100000000),
	INT("ratelimit", "address_per_minute", "6000",
	    ratelimit_address_per_minute, 0, 100000000),
	OTHER("log", "level", "info", log_level, set_log_level),
	WORD("testing", "clock_control", "false", clock_control, bools,
	    "true or false"),
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static void *
field(struct config *cfg, const struct key *k)
{
	return (char *)cfg + k->offset;
}

static int
set_string(struct config *cfg, const struct key *k, const char *v, char *why)
{
	int	 n = snprintf(field(cfg, k), k->size, "%s", v);

	if (n < 0 || (size_t)n >= k->size) {
		snprintf(why, WHY_LEN, "value longer than %zu bytes",
		    k->size - 1);
		return -1;
	}
	return 0;
}

/* Text that ends up in a header or a log line: no control characters. */
static int
set_header_text(struct config *cfg, const struct key *k, const char *v,
    char *why)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(why, WHY_LEN, "control characters are not "
			    "allowed");
			return -1;
		}
	}
	/* what is not UTF-8 cannot be encoded in a mail header (RFC 2047):
	 * every message would fail (a fuzz finding, tests/fuzz/crashes) */
	if (!utf8_valid(v)) {
		snprintf(why, WHY_LEN, "must be UTF-8 text");
		return -1;
	}
	return set_string(cfg, k, v, why);
}

/* Empty (link keys cannot be stored) or base64 of exactly 32 bytes. */
static int
set_master_key(struct config *cfg, const struct key *k, const char *v,
    char *why)
{
	size_t	 len = strlen(v), pad = 0;

	while (pad < len && v[len - 1 - pad] == '=')
		pad++;
	if (*v != '\0' && (len != 44 || pad != 1 ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/") != 43)) {
		snprintf(why, WHY_LEN, "must be empty or the base64 of 32 "
		    "random bytes (head -c 32 /dev/urandom | base64)");
		return -1;
	}
	return set_string(cfg, k, v, why);
}

/* The header text v, unless bad says why it is refused (the setters
 * below check, this stores). */
static int
set_checked(struct config *cfg, const struct key *k, const char *v,
    char *why, const char *bad)
{
	if (bad != NULL) {
		snprintf(why, WHY_LEN, "%s", bad);
		return -1;
	}
	return set_header_text(cfg, k, v, why);
}

/* The platform's name in "<sender> via <platform>" and the invitation
 * footer: never empty, no control characters. */
static int
set_platform_name(struct config *cfg, const struct key *k, const char *v,
    char *why)
{
	return set_checked(cfg, k, v, why, *v == '\0' || strlen(v) > 64 ?
	    "must be 1 to 64 characters" : NULL);
}

/* Empty (a token is generated) or long enough not to be guessed. */
static int
set_admin_token(struct config *cfg, const struct key *k, const char *v,
    char *why)
{
	return set_checked(cfg, k, v, why, *v != '\0' && strlen(v) < 16 ?
	    "must be empty (generated) or at least 16 characters" : NULL);
}

static int
set_url(struct config *cfg, const struct key *k, const char *v, char *why)
{
	size_t	 len = strlen(v);
	bool	 ok = (strncmp(v, "http://", 7) == 0 ||
		    strncmp(v, "https://", 8) == 0) && len >= 9 &&
		    v[len - 1] != '/';

	return set_checked(cfg, k, v, why, ok ? NULL : "expected an http:// "
	    "or https:// URL without a trailing slash");
}

static int
set_smtp_url(struct config *cfg, const struct key *k, const char *v,
    char *why)
{
	return set_checked(cfg, k, v, why, *v != '\0' &&
	    strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0 ?
	    "expected an smtp:// or smtps:// URL" : NULL);
}

/* [database] url: "" or a libpq URL, postgresql:// or postgres://, no
 * control characters (it may hold a password: keep the file private). */
static int
set_db_url(struct config *cfg, const struct key *k, const char *v, char *why)
{
	if (v[0] != '\0' && strncmp(v, "postgresql://", 13) != 0 &&
	    strncmp(v, "postgres://", 11) != 0) {
		snprintf(why, WHY_LEN, "expected postgresql://user@host/db");
		return -1;
	}
	return set_header_text(cfg, k, v, why);
}

static int
set_int(struct config *cfg, const struct key *k, const char *v, char *why)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < k->min ||
	    n > k->max) {
		snprintf(why, WHY_LEN, "expected an integer from %lld to %lld",
		    (long long)k->min, (long long)k->max);
		return -1;
	}
	*(int64_t *)field(cfg, k) = n;
	return 0;
}

/* A word of k->words, stored as the field's type: a bool (value 1 is
 * true) or an enum, which the assertion below lets us store as an int;
 * another word is "expected <k->expected>" in why. */
static int
set_word(struct config *cfg, const struct key *k, const char *v, char *why)
{
	const struct word	*w;

	for (w = k->words; w->name != NULL; w++) {
		if (strcmp(v, w->name) != 0)
			continue;
		if (k->size == sizeof(bool))
			*(bool *)field(cfg, k) = w->value == 1;
		else
			*(int *)field(cfg, k) = w->value;
		return 0;
	}
	snprintf(why, WHY_LEN, "expected %s", k->expected);
	return -1;
}

_Static_assert(sizeof(enum mail_transport) == sizeof(int) &&
    sizeof(enum mail_starttls) == sizeof(int) && sizeof(bool) != sizeof(int),
    "set_word stores enums as int and tells bools by their size");

static int
set_log_level(struct config *cfg, const struct key *k, const char *v,
    char *why)
{
	if (log_level_parse(v, field(cfg, k)) == -1) {
		snprintf(why, WHY_LEN, "expected error, warn, info or debug");
		return -1;
	}
	return 0;
}

/* "A.B.C.D:PORT" or "[IPv6]:PORT"; port 0 lets the kernel choose. */
static int
set_listen(struct config *cfg, const struct key *k, const char *v, char *why)
{
	char			 host[INET6_ADDRSTRLEN + 2];
	const char		*colon, *hs = v;
	size_t			 hl;
	char			*end;
	long			 port;
	struct sockaddr_in	*in4 = (struct sockaddr_in *)&cfg->listen_addr;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)&cfg->listen_addr;

	colon = strrchr(v, ':');
	if (colon == NULL)
		goto bad;
	hl = (size_t)(colon - v);
	if (hl >= 2 && v[0] == '[' && v[hl - 1] == ']') {
		hs = v + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	/* digits only: strtol alone would take leading blanks and controls
	 * ("127.0.0.1:\t80"), which public_url then inherits */
	if (strspn(colon + 1, "0123456789") != strlen(colon + 1))
		goto bad;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 0 ||
	    port > 65535)
		goto bad;
	memset(&cfg->listen_addr, 0, sizeof(cfg->listen_addr));
	if (hs == v && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		cfg->listen_addr_len = sizeof(*in4);
	} else if (hs != v && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		cfg->listen_addr_len = sizeof(*in6);
	} else
		goto bad;
	return set_string(cfg, k, v, why);
bad:
	snprintf(why, WHY_LEN, "expected IPV4:PORT or [IPV6]:PORT");
	return -1;
}

/* "ADDR[/BITS]" into *net; 0 or -1. */
static int
parse_net(const char *v, size_t len, struct config_net *net)
{
	char		 text[INET6_ADDRSTRLEN + 5];
	char		*slash, *end;
	long		 bits;
	unsigned	 max;

	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, v, len);
	text[len] = '\0';
	slash = strchr(text, '/');
	if (slash != NULL)
		*slash = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, text, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, text, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else
		return -1;
	net->prefix = max;
	if (slash == NULL)
		return 0;
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || errno != 0 || bits < 0 ||
	    bits > (long)max)
		return -1;
	net->prefix = (unsigned)bits;
	return 0;
}

/* Addresses or networks (ADDR/BITS), separated by commas or spaces. */
static int
set_proxies(struct config *cfg, const struct key *k, const char *v,
    char *why)
{
	const char	*p = v;
	size_t		 len;

	cfg->nproxies = 0;
	for (;;) {
		p += strspn(p, ", ");
		if (*p == '\0')
			break;
		len = strcspn(p, ", ");
		if (cfg->nproxies == CONFIG_MAX_PROXIES) {
			snprintf(why, WHY_LEN, "at most %d addresses or "
			    "networks", CONFIG_MAX_PROXIES);
			return -1;
		}
		if (parse_net(p, len, &cfg->proxies[cfg->nproxies]) == -1) {
			snprintf(why, WHY_LEN, "expected IP addresses or "
			    "networks (ADDR/BITS), separated by commas");
			return -1;
		}
		cfg->nproxies++;
		p += len;
	}
	return set_string(cfg, k, v, why);
}

bool
config_trusted_proxy(const struct config *cfg, int family,
    const unsigned char *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	const struct config_net	*net;
	size_t			 i;
	unsigned		 full, rest;

	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	for (i = 0; i < cfg->nproxies; i++) {
		net = &cfg->proxies[i];
		if (net->family != family)
			continue;
		full = net->prefix / 8;
		rest = net->prefix % 8;
		if (memcmp(net->addr, addr, full) != 0)
			continue;
		if (rest == 0 || ((net->addr[full] ^ addr[full]) &
		    (0xff << (8 - rest)) & 0xff) == 0)
			return true;
	}
	return false;
}

bool
config_listen_is_loopback(const struct config *cfg)
{
	const struct sockaddr_in	*in4;
	const struct sockaddr_in6	*in6;

	if (cfg->listen_addr.ss_family == AF_INET) {
		in4 = (const struct sockaddr_in *)&cfg->listen_addr;
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	}
	in6 = (const struct sockaddr_in6 *)&cfg->listen_addr;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

void
config_defaults(struct config *cfg)
{
	char	 why[WHY_LEN];
	size_t	 i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++) {
		/* The defaults are constants checked by the unit tests. */
		(void)keys[i].set(cfg, &keys[i], keys[i].default_value, why);
	}
}

struct parse {
	struct config	*cfg;
	bool		 set[NKEYS];	/* false: still the default */
	char		 why[WHY_LEN + 128];
	int		 error_line;
};

static int
known_section(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		if (strlen(keys[i].section) == len &&
		    strncmp(keys[i].section, name, len) == 0)
			return 1;
	}
	return 0;
}

/* The first character of the line at line that is not a blank; *end
 * its end (its newline or the NUL). */
static const char *
line_start(const char *line, const char **end)
{
	const char	*p = line;

	*end = strchr(line, '\n');
	if (*end == NULL)
		*end = line + strlen(line);
	while (p < *end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * libinih reports keys, not section headers, so an unknown section with no
 * keys would pass silently; it also cuts lines at 200 bytes and reads the
 * rest as another line. Check every line here first: headers, length and
 * shape, each with its line number. 198: libinih reads 199 bytes at a
 * time, so a line of 199 leaves its newline to be read as one more line
 * (a fuzz finding: every later line number was one too high).
 */
#define LINE_MAX_BYTES	198

static int
check_lines(const char *text, struct parse *ps)
{
	const char	*line = text, *p, *end;
	int		 lineno = 1;
	bool		 after_key = false;

	for (; *line != '\0'; lineno++) {
		p = line_start(line, &end);
		ps->error_line = lineno;
		if (end - line > LINE_MAX_BYTES) {
			snprintf(ps->why, sizeof(ps->why), "line longer than "
			    "%d bytes", LINE_MAX_BYTES);
			return -1;
		}
		if (p < end && *p == '[') {
			const char	*close;

			close = memchr(p, ']', (size_t)(end - p));
			if (close == NULL || !known_section(p + 1,
			    (size_t)(close - p - 1))) {
				snprintf(ps->why, sizeof(ps->why),
				    "unknown section %.*s",
				    (int)(close == NULL ? end - p :
				    close - p + 1), p);
				return -1;
			}
			after_key = false;
		} else if (p < end && *p != ';' && *p != '#' && *p != '\r') {
			/* libinih would read it as more of the key above */
			if (after_key && p > line) {
				snprintf(ps->why, sizeof(ps->why), "indented "
				    "line after a key (values are one line)");
				return -1;
			}
			if (memchr(p, '=', (size_t)(end - p)) == NULL) {
				snprintf(ps->why, sizeof(ps->why), "syntax "
				    "error (expected [section] or key = "
				    "value)");
				return -1;
			}
			after_key = true;
		}
		line = *end == '\0' ? end : end + 1;
	}
	ps->error_line = 0;
	return 0;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse	*ps = user;
	char		 why[WHY_LEN];
	size_t		 i;

	if (ps->why[0] != '\0')
		return 0;
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			break;
	}
	if (i == NKEYS) {
		snprintf(ps->why, sizeof(ps->why), "unknown key '%s' in "
		    "section [%s]", name, section);
		return 0;
	}
	if (ps->set[i]) {
		snprintf(ps->why, sizeof(ps->why), "[%s] %s is set twice",
		    section, name);
		return 0;
	}
	if (keys[i].set(ps->cfg, &keys[i], value, why) == -1) {
		snprintf(ps->why, sizeof(ps->why), "[%s] %s: %s", section,
		    name, why);
		return 0;
	}
	ps->set[i] = true;
	return 1;
}

/* The line of a key set in text, for errors found after parsing. */
static int
key_line(const char *text, const char *section, const char *name)
{
	const char	*line = text, *p, *end;
	size_t		 slen = strlen(section), nlen = strlen(name);
	int		 lineno = 1, in_section = 0;

	for (; *line != '\0'; lineno++) {
		p = line_start(line, &end);
		if (*p == '[')
			in_section = strncmp(p + 1, section, slen) == 0 &&
			    p[1 + slen] == ']';
		else if (in_section && strncmp(p, name, nlen) == 0 &&
		    strchr(" \t=:", p[nlen]) != NULL)
			return lineno;
		line = *end == '\0' ? end : end + 1;
	}
	return 0;
}

/* Whether section/name was set in the file (not left at its default). */
static bool
key_set(const struct parse *ps, const char *section, const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return ps->set[i];
	}
	return false;
}

/* public_url, when not set, follows listen: "http://" and its address,
 * with localhost for the unspecified one (0.0.0.0, [::]). */
static int
follow_listen(struct parse *ps)
{
	struct config	*cfg = ps->cfg;
	const char	*port = strrchr(cfg->listen, ':');
	const char	*host = cfg->listen;
	int		 hostlen, n;

	if (key_set(ps, "server", "public_url") || port == NULL)
		return 0;
	hostlen = (int)(port - cfg->listen);
	if ((hostlen == 7 && strncmp(host, "0.0.0.0", 7) == 0) ||
	    (hostlen == 4 && strncmp(host, "[::]", 4) == 0)) {
		host = "localhost";
		hostlen = 9;
	}
	n = snprintf(cfg->public_url, sizeof(cfg->public_url), "http://%.*s%s",
	    hostlen, host, port);
	if (n < 0 || (size_t)n >= sizeof(cfg->public_url)) {
		snprintf(ps->why, sizeof(ps->why), "[server] public_url: too "
		    "long when made from listen; set it");
		return -1;
	}
	return 0;
}

/* Rules that involve more than one key. */
static int
check_combinations(struct parse *ps, const char *text)
{
	struct config	*cfg = ps->cfg;

	if (follow_listen(ps) == -1)
		return -1;

	if (cfg->clock_control && !config_listen_is_loopback(cfg)) {
		snprintf(ps->why, sizeof(ps->why), "[testing] clock_control "
		    "is refused when [server] listen is not a loopback "
		    "address");
		ps->error_line = key_line(text, "testing",
		    "clock_control");
		return -1;
	}
	if (cfg->db_backend == CONFIG_DB_POSTGRESQL && cfg->db_url[0] == '\0') {
		snprintf(ps->why, sizeof(ps->why), "[database] backend = "
		    "postgresql needs [database] url");
		ps->error_line = key_line(text, "database", "backend");
		return -1;
	}
	/* a key generated beside the database file would be one daemon's;
	 * every daemon on the database must seal and open with the same */
	if (cfg->db_backend == CONFIG_DB_POSTGRESQL &&
	    cfg->links_master_key[0] == '\0' &&
	    cfg->links_generate_master_key) {
		snprintf(ps->why, sizeof(ps->why), "[database] backend = "
		    "postgresql needs [links] master_key (the same in every "
		    "daemon), or generate_master_key = false");
		ps->error_line = key_line(text, "database", "backend");
		return -1;
	}
	if (cfg->mail_transport == MAIL_TRANSPORT_SMTP &&
	    cfg->smtp_url[0] == '\0') {
		snprintf(ps->why, sizeof(ps->why), "[mail] transport = smtp "
		    "needs [mail] smtp_url");
		ps->error_line = key_line(text, "mail", "transport");
		return -1;
	}
	return 0;
}

static int
parse_text(const char *text, const char *name, struct config *cfg, char *err,
    size_t errlen)
{
	struct parse	 ps;
	int		 r;

	memset(&ps, 0, sizeof(ps));
	ps.cfg = cfg;
	if (check_lines(text, &ps) == -1)
		goto fail;
	r = ini_parse_string(text, on_key, &ps);
	if (r != 0) {
		ps.error_line = r;
		if (ps.why[0] == '\0')
			snprintf(ps.why, sizeof(ps.why), "syntax error "
			    "(expected [section] or key = value)");
		goto fail;
	}
	if (check_combinations(&ps, text) == -1)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s:%d: %s", name, ps.error_line, ps.why);
	return -1;
}

int
config_parse_string(const char *text, const char *name, struct config *cfg,
    char *err, size_t errlen)
{
	config_defaults(cfg);
	return parse_text(text, name, cfg, err, errlen);
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct buf	 text;
	struct stat	 st;
	char		 chunk[8192];
	ssize_t		 n;
	int		 fd = -1, ret = -1;
	const char	*name = path != NULL ? path : CONFIG_DEFAULT_PATH;

	buf_init(&text, CONFIG_MAX_FILE);
	config_defaults(cfg);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (path == NULL && errno == ENOENT) {
			ret = 0;
			goto out;
		}
		snprintf(err, errlen, "%s:0: cannot open: %s", name,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s:0: not a regular file", name);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s:0: cannot read: %s", name,
			    strerror(errno));
			goto out;
		}
		if (buf_append(&text, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "%s:0: larger than %d bytes",
			    name, CONFIG_MAX_FILE);
			goto out;
		}
	}
	if (memchr(text.data == NULL ? "" : text.data, '\0', text.len) !=
	    NULL) {
		snprintf(err, errlen, "%s:0: contains a NUL byte", name);
		goto out;
	}
	ret = parse_text(text.data == NULL ? "" : text.data, name, cfg, err,
	    errlen);
out:
	if (fd != -1)
		close(fd);
	buf_release(&text);
	return ret;
}

static const struct config	*shared;

void
config_share(const struct config *cfg)
{
	shared = cfg;
}

const struct config *
config_shared(void)
{
	return shared;
}
