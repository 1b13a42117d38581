/*
 * Unit tests of configuration parsing: defaults, each kind of key with its
 * bounds, listen addresses, every error with its FILE:LINE, the rules that
 * involve two keys, and reading a file.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reviewd/config.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define OFF(f)		offsetof(struct config, f)

/* A key's field in cfg, for table-driven checks. */
static int64_t
int_field(const struct config *cfg, size_t off)
{
	int64_t	 v;

	memcpy(&v, (const char *)cfg + off, sizeof(v));
	return v;
}

static const char *
str_field(const struct config *cfg, size_t off)
{
	return (const char *)cfg + off;
}

/* Parses text as "t.ini"; returns config_parse_string's result. */
static int
parse(const char *text, struct config *cfg, char *err, size_t errlen)
{
	err[0] = '\0';
	return config_parse_string(text, "t.ini", cfg, err, errlen);
}

static void
check_defaults(const struct config *cfg)
{
	const struct sockaddr_in	*in4;

	assert_string_equal(cfg->listen, "127.0.0.1:8080");
	assert_int_equal(cfg->listen_addr.ss_family, AF_INET);
	in4 = (const struct sockaddr_in *)&cfg->listen_addr;
	assert_int_equal(ntohs(in4->sin_port), 8080);
	assert_int_equal(ntohl(in4->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(cfg->listen_addr_len, sizeof(struct sockaddr_in));
	assert_true(config_listen_is_loopback(cfg));
	assert_string_equal(cfg->public_url, "http://127.0.0.1:8080");
	assert_int_equal(cfg->threads, 4);
	assert_int_equal(cfg->max_body_bytes, 1048576);
	assert_int_equal(cfg->connection_timeout_s, 30);
	assert_int_equal(cfg->max_connections, 1024);
	assert_int_equal(cfg->max_upload_bytes, 67108864);
	assert_string_equal(cfg->db_path, "var/reviewd.db");
	assert_string_equal(cfg->migrations_dir, "");
	assert_int_equal(cfg->mail_transport, MAIL_TRANSPORT_MAILDIR);
	assert_string_equal(cfg->maildir, "var/mail");
	assert_string_equal(cfg->smtp_url, "");
	assert_string_equal(cfg->smtp_user, "");
	assert_string_equal(cfg->smtp_password, "");
	assert_string_equal(cfg->mail_from, "reviewd <noreply@localhost>");
	assert_int_equal(cfg->smtp_starttls, MAIL_STARTTLS_OPPORTUNISTIC);
	assert_int_equal(cfg->smtp_timeout_s, 300);
	assert_int_equal(cfg->smtp_data_timeout_s, 600);
	assert_int_equal(cfg->outbox_batch, 500);
	assert_int_equal(cfg->outbox_lease_s, 60);
	assert_int_equal(cfg->outbox_give_up_s, 259200);
	assert_int_equal(cfg->outbox_retry_base_s, 10);
	assert_int_equal(cfg->outbox_retry_cap_s, 3600);
	assert_int_equal(cfg->review_confirm_ttl_h, 72);
	assert_int_equal(cfg->review_duplicate_days, 365);
	assert_int_equal(cfg->invitation_link_days, 30);
	assert_int_equal(cfg->invitation_repeat_days, 30);
	assert_int_equal(cfg->invitation_dispatch_batch, 200);
	assert_int_equal(cfg->findreviewer_reply_days, 5);
	assert_string_equal(cfg->afs_domain, "afs.localhost");
	assert_int_equal(cfg->afs_max_message_bytes, 10485760);
	assert_string_equal(cfg->links_master_key, "");
	assert_false(cfg->webhooks_allow_private);
	assert_int_equal(cfg->webhooks_timeout_s, 30);
	assert_int_equal(cfg->webhooks_per_destination, 4);
	assert_string_equal(cfg->admin_token, "");
	assert_int_equal(cfg->access_token_ttl_s, 360000);
	assert_int_equal(cfg->refresh_token_ttl_s, 2592000);
	assert_int_equal(cfg->token_requests_per_minute, 60);
	assert_int_equal(cfg->log_level, LOG_LEVEL_INFO);
	assert_false(cfg->clock_control);
}

static void
test_defaults(void **state)
{
	static const char *const empty[] = { "", "\n", "; only a comment\n",
	    "# another comment\n\n", "[server]\n", "[server]\n[mail]\n\n" };
	struct config	 cfg;
	char		 err[512];
	size_t		 i;

	(void)state;
	config_defaults(&cfg);
	check_defaults(&cfg);
	/* text without keys leaves every default */
	for (i = 0; i < NELEM(empty); i++) {
		memset(&cfg, 0xa5, sizeof(cfg));
		assert_int_equal(parse(empty[i], &cfg, err, sizeof(err)), 0);
		check_defaults(&cfg);
	}
}

/* Every integer key: both bounds accepted, one past each refused. */
static void
test_int_keys(void **state)
{
	static const struct {
		const char	*section, *name;
		size_t		 off;
		int64_t		 min, max;
	} keys[] = {
		{ "server", "threads", OFF(threads), 1, 256 },
		{ "server", "max_body_bytes", OFF(max_body_bytes), 1024,
		    1073741824 },
		{ "server", "connection_timeout_s", OFF(connection_timeout_s),
		    1, 3600 },
		{ "server", "max_connections", OFF(max_connections), 1,
		    65536 },
		{ "server", "max_upload_bytes", OFF(max_upload_bytes), 1024,
		    1073741824 },
		{ "mail", "timeout_s", OFF(smtp_timeout_s), 1, 3600 },
		{ "mail", "data_timeout_s", OFF(smtp_data_timeout_s), 1, 3600 },
		{ "outbox", "batch_size", OFF(outbox_batch), 1, 1000 },
		{ "outbox", "lease_s", OFF(outbox_lease_s), 5, 3600 },
		{ "outbox", "give_up_after_s", OFF(outbox_give_up_s), 60,
		    2592000 },
		{ "outbox", "retry_base_s", OFF(outbox_retry_base_s), 1, 3600 },
		{ "outbox", "retry_cap_s", OFF(outbox_retry_cap_s), 1, 86400 },
		{ "reviews", "confirm_ttl_h", OFF(review_confirm_ttl_h), 1,
		    8760 },
		{ "reviews", "duplicate_window_days",
		    OFF(review_duplicate_days), 0, 36500 },
		{ "invitations", "link_valid_days", OFF(invitation_link_days),
		    1, 3650 },
		{ "invitations", "repeat_period_days",
		    OFF(invitation_repeat_days), 0, 3650 },
		{ "invitations", "dispatch_batch",
		    OFF(invitation_dispatch_batch), 1, 10000 },
		{ "findreviewer", "reply_days", OFF(findreviewer_reply_days),
		    1, 60 },
		{ "afs", "max_message_bytes", OFF(afs_max_message_bytes), 1024,
		    104857600 },
		{ "webhooks", "timeout_s", OFF(webhooks_timeout_s), 1, 300 },
		{ "webhooks", "concurrency", OFF(webhooks_concurrency), 1,
		    1000 },
		{ "webhooks", "per_destination",
		    OFF(webhooks_per_destination), 1, 100 },
		{ "auth", "access_token_ttl_s", OFF(access_token_ttl_s), 60,
		    31536000 },
		{ "auth", "refresh_token_ttl_s", OFF(refresh_token_ttl_s), 60,
		    31536000 },
		{ "auth", "token_requests_per_minute",
		    OFF(token_requests_per_minute), 1, 100000 },
	};
	static const char *const junk[] = { "", "4x", "x4", "1.5", "0x10",
	    "99999999999999999999", "-99999999999999999999", "1 2" };
	struct config	 cfg;
	char		 text[256], err[512], want[512];
	size_t		 i, j;

	(void)state;
	for (i = 0; i < NELEM(keys); i++) {
		snprintf(want, sizeof(want), "t.ini:2: [%s] %s: expected an "
		    "integer from %lld to %lld", keys[i].section, keys[i].name,
		    (long long)keys[i].min, (long long)keys[i].max);
		/* the bounds are inclusive */
		snprintf(text, sizeof(text), "[%s]\n%s = %lld\n",
		    keys[i].section, keys[i].name, (long long)keys[i].min);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
		assert_int_equal(int_field(&cfg, keys[i].off), keys[i].min);
		snprintf(text, sizeof(text), "[%s]\n%s=%lld\n",
		    keys[i].section, keys[i].name, (long long)keys[i].max);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
		assert_int_equal(int_field(&cfg, keys[i].off), keys[i].max);
		/* one past either bound */
		snprintf(text, sizeof(text), "[%s]\n%s = %lld\n",
		    keys[i].section, keys[i].name, (long long)keys[i].min - 1);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), -1);
		assert_string_equal(err, want);
		snprintf(text, sizeof(text), "[%s]\n%s = %lld\n",
		    keys[i].section, keys[i].name, (long long)keys[i].max + 1);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), -1);
		assert_string_equal(err, want);
		for (j = 0; j < NELEM(junk); j++) {
			snprintf(text, sizeof(text), "[%s]\n%s = %s\n",
			    keys[i].section, keys[i].name, junk[j]);
			assert_int_equal(parse(text, &cfg, err, sizeof(err)),
			    -1);
			assert_string_equal(err, want);
		}
	}
}

/* String keys are stored as written, surrounding blanks dropped. */
static void
test_string_keys(void **state)
{
	static const struct {
		const char	*text;
		size_t		 off;
		const char	*want;
	} cases[] = {
		{ "[server]\npublic_url = https://reviews.example.com\n",
		    OFF(public_url), "https://reviews.example.com" },
		{ "[server]\npublic_url = http://a.b:8080/base\n",
		    OFF(public_url), "http://a.b:8080/base" },
		{ "[database]\npath = /var/lib/reviewd/r.db\n", OFF(db_path),
		    "/var/lib/reviewd/r.db" },
		{ "[database]\nmigrations = /usr/share/reviewd/migrations\n",
		    OFF(migrations_dir), "/usr/share/reviewd/migrations" },
		{ "[database]\nmigrations =\n", OFF(migrations_dir), "" },
		{ "[mail]\nmaildir =   /srv/mail   \n", OFF(maildir),
		    "/srv/mail" },
		{ "[mail]\nsmtp_url = smtp://mx.example.com:587\n",
		    OFF(smtp_url), "smtp://mx.example.com:587" },
		{ "[mail]\nsmtp_url = smtps://mx.example.com\n", OFF(smtp_url),
		    "smtps://mx.example.com" },
		{ "[mail]\nsmtp_user = robot\n", OFF(smtp_user), "robot" },
		{ "[mail]\nsmtp_password = p=ss word!\n", OFF(smtp_password),
		    "p=ss word!" },
		{ "[mail]\nfrom = Reviews <reviews@example.com>\n",
		    OFF(mail_from), "Reviews <reviews@example.com>" },
		{ "[afs]\ndomain = afs.example.com\n", OFF(afs_domain),
		    "afs.example.com" },
		{ "[links]\nmaster_key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAA=\n", OFF(links_master_key),
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" },
		{ "[links]\nmaster_key = q+/0123456789abcdefghijklmnopqrstuv"
		    "wxyzABCD=\n", OFF(links_master_key),
		    "q+/0123456789abcdefghijklmnopqrstuvwxyzABCD=" },
		{ "[links]\nmaster_key =\n", OFF(links_master_key), "" },
		{ "[admin]\ntoken = 0123456789abcdef\n", OFF(admin_token),
		    "0123456789abcdef" },
		{ "[admin]\ntoken =\n", OFF(admin_token), "" },
	};
	struct config	 cfg;
	char		 err[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		assert_int_equal(parse(cases[i].text, &cfg, err, sizeof(err)),
		    0);
		assert_string_equal(str_field(&cfg, cases[i].off),
		    cases[i].want);
	}
}

/* Enumerations and booleans. */
static void
test_choice_keys(void **state)
{
	static const struct {
		const char	*text;
		int		 want;
	} transport[] = {
		{ "[mail]\ntransport = maildir\n", MAIL_TRANSPORT_MAILDIR },
		{ "[mail]\ntransport = smtp\nsmtp_url = smtp://h\n",
		    MAIL_TRANSPORT_SMTP },
	}, starttls[] = {
		{ "[mail]\nstarttls = required\n", MAIL_STARTTLS_REQUIRED },
		{ "[mail]\nstarttls = opportunistic\n",
		    MAIL_STARTTLS_OPPORTUNISTIC },
		{ "[mail]\nstarttls = off\n", MAIL_STARTTLS_OFF },
	}, level[] = {
		{ "[log]\nlevel = error\n", LOG_LEVEL_ERROR },
		{ "[log]\nlevel = warn\n", LOG_LEVEL_WARN },
		{ "[log]\nlevel = info\n", LOG_LEVEL_INFO },
		{ "[log]\nlevel = debug\n", LOG_LEVEL_DEBUG },
	};
	static const struct {
		const char	*value;
		bool		 want;
	} bools[] = {
		{ "true", true }, { "yes", true }, { "on", true },
		{ "1", true }, { "false", false }, { "no", false },
		{ "off", false }, { "0", false },
	};
	struct config	 cfg;
	char		 text[128], err[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(transport); i++) {
		assert_int_equal(parse(transport[i].text, &cfg, err,
		    sizeof(err)), 0);
		assert_int_equal(cfg.mail_transport, transport[i].want);
	}
	for (i = 0; i < NELEM(starttls); i++) {
		assert_int_equal(parse(starttls[i].text, &cfg, err,
		    sizeof(err)), 0);
		assert_int_equal(cfg.smtp_starttls, starttls[i].want);
	}
	for (i = 0; i < NELEM(level); i++) {
		assert_int_equal(parse(level[i].text, &cfg, err, sizeof(err)),
		    0);
		assert_int_equal(cfg.log_level, level[i].want);
	}
	for (i = 0; i < NELEM(bools); i++) {
		snprintf(text, sizeof(text), "[webhooks]\n"
		    "allow_private_targets = %s\n", bools[i].value);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
		assert_int_equal(cfg.webhooks_allow_private, bools[i].want);
		snprintf(text, sizeof(text), "[testing]\nclock_control = %s\n",
		    bools[i].value);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
		assert_int_equal(cfg.clock_control, bools[i].want);
	}
}

static void
test_listen(void **state)
{
	static const struct {
		const char	*value;
		int		 family;
		unsigned	 port;
		bool		 loopback;
	} ok[] = {
		{ "127.0.0.1:0", AF_INET, 0, true },
		{ "127.0.0.1:8080", AF_INET, 8080, true },
		{ "127.255.255.254:65535", AF_INET, 65535, true },
		{ "0.0.0.0:80", AF_INET, 80, false },
		{ "10.1.2.3:8080", AF_INET, 8080, false },
		{ "128.0.0.1:1", AF_INET, 1, false },
		{ "[::1]:0", AF_INET6, 0, true },
		{ "[::1]:8443", AF_INET6, 8443, true },
		{ "[::]:8080", AF_INET6, 8080, false },
		{ "[2001:db8::1]:443", AF_INET6, 443, false },
		/* a mapped address is not taken for loopback: refuse, not
		 * guess, when clock_control asks */
		{ "[::ffff:127.0.0.1]:80", AF_INET6, 80, false },
	};
	static const char *const bad[] = { "127.0.0.1", "127.0.0.1:", ":80",
	    "localhost:80", "127.0.0.1:65536", "127.0.0.1:-1",
	    "127.0.0.1:80x", "127.0.0.1:99999999999999999999", "::1:80",
	    "[::1]", "[::1]:", "[127.0.0.1]:80", "[::1:80", "::1]:80",
	    "256.0.0.1:80", "1.2.3:80", "[]:80", "[::g]:80",
	    /* public_url follows listen: no blank or control in the port */
	    "127.0.0.1:\t80", "127.0.0.1:\v80", "127.0.0.1:\f80",
	    "127.0.0.1: 80", "127.0.0.1:+80", "[::1]:\r80" };
	struct config	 cfg;
	char		 text[128], err[512], want[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		snprintf(text, sizeof(text), "[server]\nlisten = %s\n",
		    ok[i].value);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
		assert_string_equal(cfg.listen, ok[i].value);
		assert_int_equal(cfg.listen_addr.ss_family, ok[i].family);
		if (ok[i].family == AF_INET) {
			assert_int_equal(cfg.listen_addr_len,
			    sizeof(struct sockaddr_in));
			assert_int_equal(ntohs(((struct sockaddr_in *)
			    &cfg.listen_addr)->sin_port), ok[i].port);
		} else {
			assert_int_equal(cfg.listen_addr_len,
			    sizeof(struct sockaddr_in6));
			assert_int_equal(ntohs(((struct sockaddr_in6 *)
			    &cfg.listen_addr)->sin6_port), ok[i].port);
		}
		assert_int_equal(config_listen_is_loopback(&cfg),
		    ok[i].loopback);
	}
	for (i = 0; i < NELEM(bad); i++) {
		snprintf(text, sizeof(text), "[server]\nlisten = %s\n", bad[i]);
		snprintf(want, sizeof(want), "t.ini:2: [server] listen: "
		    "expected IPV4:PORT or [IPV6]:PORT");
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), -1);
		assert_string_equal(err, want);
	}
}

#define KEY_WHY	"t.ini:2: [links] master_key: must be empty or the base64 " \
	"of 32 random bytes (head -c 32 /dev/urandom | base64)"
#define CLOCK_WHY	"[testing] clock_control is refused when [server] " \
	"listen is not a loopback address"

/* Every error names the file, the line and the key or section. */
static void
test_errors(void **state)
{
	static const struct {
		const char	*text, *want;
	} cases[] = {
		{ "[server]\nthreds = 4\n",
		    "t.ini:2: unknown key 'threds' in section [server]" },
		{ "; c\n\n[server]\nthreads = 4\n\n# c\nthredas = 1\n",
		    "t.ini:7: unknown key 'thredas' in section [server]" },
		{ "[server]\nTHREADS = 4\n",
		    "t.ini:2: unknown key 'THREADS' in section [server]" },
		{ "[mail]\nthreads = 4\n",
		    "t.ini:2: unknown key 'threads' in section [mail]" },
		{ "threads = 4\n",
		    "t.ini:1: unknown key 'threads' in section []" },
		/* an unknown section is refused even with no keys */
		{ "[bogus]\n", "t.ini:1: unknown section [bogus]" },
		{ "[server]\n\n[bogus]\n", "t.ini:3: unknown section [bogus]" },
		{ "[server]\nthreads = 4\n[mail]\n[nope]\n",
		    "t.ini:4: unknown section [nope]" },
		{ "[Server]\n", "t.ini:1: unknown section [Server]" },
		{ "[server\nthreads = 4\n",
		    "t.ini:1: unknown section [server" },
		{ "[server]\r\nthreads = 5\r\n[bogus]\r\n",
		    "t.ini:3: unknown section [bogus]" },
		/* values */
		{ "[server]\nthreads = 0\n", "t.ini:2: [server] threads: "
		    "expected an integer from 1 to 256" },
		{ "[server]\nthreads = 4x\n", "t.ini:2: [server] threads: "
		    "expected an integer from 1 to 256" },
		{ "[server]\nthreads =\n", "t.ini:2: [server] threads: "
		    "expected an integer from 1 to 256" },
		{ "[testing]\nclock_control = maybe\n", "t.ini:2: [testing] "
		    "clock_control: expected true or false" },
		{ "[webhooks]\nallow_private_targets = TRUE\n", "t.ini:2: "
		    "[webhooks] allow_private_targets: expected true or "
		    "false" },
		{ "[testing]\nclock_control =\n", "t.ini:2: [testing] "
		    "clock_control: expected true or false" },
		{ "[server]\nlisten = 127.0.0.1\n", "t.ini:2: [server] "
		    "listen: expected IPV4:PORT or [IPV6]:PORT" },
		{ "[server]\nlisten = 1.2.3.4:99999\n", "t.ini:2: [server] "
		    "listen: expected IPV4:PORT or [IPV6]:PORT" },
		{ "[mail]\ntransport = pigeon\n", "t.ini:2: [mail] transport: "
		    "expected maildir or smtp" },
		{ "[mail]\ntransport = SMTP\n", "t.ini:2: [mail] transport: "
		    "expected maildir or smtp" },
		{ "[mail]\nstarttls = yes\n", "t.ini:2: [mail] starttls: "
		    "expected required, opportunistic or off" },
		{ "[log]\nlevel = verbose\n", "t.ini:2: [log] level: expected "
		    "error, warn, info or debug" },
		{ "[log]\nlevel = INFO\n", "t.ini:2: [log] level: expected "
		    "error, warn, info or debug" },
		{ "[server]\npublic_url = ftp://example.com\n", "t.ini:2: "
		    "[server] public_url: expected an http:// or https:// URL "
		    "without a trailing slash" },
		{ "[server]\npublic_url = https://example.com/\n", "t.ini:2: "
		    "[server] public_url: expected an http:// or https:// URL "
		    "without a trailing slash" },
		{ "[server]\npublic_url =\n", "t.ini:2: [server] public_url: "
		    "expected an http:// or https:// URL without a trailing "
		    "slash" },
		{ "[mail]\nsmtp_url = http://mx.example.com\n", "t.ini:2: "
		    "[mail] smtp_url: expected an smtp:// or smtps:// URL" },
		{ "[mail]\nfrom = a\tb <a@b.co>\n", "t.ini:2: [mail] from: "
		    "control characters are not allowed" },
		{ "[mail]\nsmtp_password = pa\x7fss\n", "t.ini:2: [mail] "
		    "smtp_password: control characters are not allowed" },
		{ "[mail]\nfrom = Caf\xe9 <a@b.co>\n", "t.ini:2: [mail] from: "
		    "must be UTF-8 text" },
		{ "[admin]\ntoken = short\n", "t.ini:2: [admin] token: must "
		    "be empty (generated) or at least 16 characters" },
		{ "[admin]\ntoken = 0123456789abcde\n", "t.ini:2: [admin] "
		    "token: must be empty (generated) or at least 16 "
		    "characters" },
		{ "[links]\nmaster_key = abc\n", KEY_WHY },
		/* 44 characters but two '=': 31 bytes */
		{ "[links]\nmaster_key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAA==\n", KEY_WHY },
		/* base64url alphabet, not base64 */
		{ "[links]\nmaster_key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAA-_=\n", KEY_WHY },
		/* duplicates, also across a repeated section */
		{ "[server]\nthreads = 2\nthreads = 3\n",
		    "t.ini:3: [server] threads is set twice" },
		{ "[server]\nthreads = 2\n[mail]\nmaildir = m\n[server]\n"
		    "threads = 3\n", "t.ini:6: [server] threads is set twice" },
		{ "[server]\nthreads = 4\nthreads = 4\n",
		    "t.ini:3: [server] threads is set twice" },
		/* syntax */
		{ "[server]\nno equals sign\n", "t.ini:2: syntax error "
		    "(expected [section] or key = value)" },
		{ "[server]\nthreads = 4\n\nnonsense\n", "t.ini:4: syntax "
		    "error (expected [section] or key = value)" },
		/* the first error wins */
		{ "[server]\nthreads = 0\nbogus = 1\n", "t.ini:2: [server] "
		    "threads: expected an integer from 1 to 256" },
		{ "[server]\nbogus = 1\nthreads = 0\n",
		    "t.ini:2: unknown key 'bogus' in section [server]" },
	};
	struct config	 cfg;
	char		 err[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		assert_int_equal(parse(cases[i].text, &cfg, err, sizeof(err)),
		    -1);
		assert_string_equal(err, cases[i].want);
	}
}

/* Rules across keys: the error names the line of the key that decides. */
static void
test_combinations(void **state)
{
	static const struct {
		const char	*text, *want;	/* want NULL: accepted */
	} cases[] = {
		{ "[server]\nlisten = 0.0.0.0:80\n[testing]\nclock_control = "
		    "true\n", "t.ini:4: " CLOCK_WHY },
		{ "; test\n[testing]\nclock_control = on\n\n[server]\n"
		    "listen = 10.0.0.1:8080\n", "t.ini:3: " CLOCK_WHY },
		{ "[server]\nlisten = [::]:8080\n[testing]\n  clock_control=1"
		    "\n", "t.ini:4: " CLOCK_WHY },
		{ "[server]\nlisten = 127.0.0.1:0\n[testing]\nclock_control = "
		    "true\n", NULL },
		{ "[server]\nlisten = [::1]:0\n[testing]\nclock_control = "
		    "yes\n", NULL },
		{ "[server]\nlisten = 0.0.0.0:80\n[testing]\nclock_control = "
		    "false\n", NULL },
		{ "[testing]\nclock_control = true\n", NULL },
		{ "[mail]\ntransport = smtp\n", "t.ini:2: [mail] transport = "
		    "smtp needs [mail] smtp_url" },
		{ "[mail]\nmaildir = m\nsmtp_url =\n\ntransport = smtp\n",
		    "t.ini:5: [mail] transport = smtp needs [mail] smtp_url" },
		{ "[mail]\ntransport = smtp\nsmtp_url = smtp://127.0.0.1:25\n",
		    NULL },
		{ "[mail]\nsmtp_url = smtp://127.0.0.1:25\n", NULL },
	};
	struct config	 cfg;
	char		 err[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		if (cases[i].want == NULL) {
			assert_int_equal(parse(cases[i].text, &cfg, err,
			    sizeof(err)), 0);
			assert_string_equal(err, "");
		} else {
			assert_int_equal(parse(cases[i].text, &cfg, err,
			    sizeof(err)), -1);
			assert_string_equal(err, cases[i].want);
		}
	}
}

/* Several keys at once, with comments and blank lines between them. */
static void
test_values(void **state)
{
	struct config	 cfg;
	char		 err[512];
	const char	*text =
	    "; a comment\n"
	    "[server]\n"
	    "listen = [::1]:0\n"
	    "threads = 8\n"
	    "public_url = https://reviews.example.com\n"
	    "\n"
	    "[mail]\n"
	    "transport = smtp\n"
	    "smtp_url = smtps://mail.example.com:465\n"
	    "starttls = required\n"
	    "[log]\n"
	    "level = debug\n"
	    "[testing]\n"
	    "clock_control = yes\n";

	(void)state;
	assert_int_equal(config_parse_string(text, "t.ini", &cfg, err,
	    sizeof(err)), 0);
	assert_int_equal(cfg.threads, 8);
	assert_true(config_listen_is_loopback(&cfg));
	assert_string_equal(cfg.public_url, "https://reviews.example.com");
	assert_int_equal(cfg.mail_transport, MAIL_TRANSPORT_SMTP);
	assert_string_equal(cfg.smtp_url, "smtps://mail.example.com:465");
	assert_int_equal(cfg.smtp_starttls, MAIL_STARTTLS_REQUIRED);
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_true(cfg.clock_control);
	/* keys not given keep their defaults */
	assert_string_equal(cfg.db_path, "var/reviewd.db");
	assert_int_equal(cfg.max_body_bytes, 1048576);
}

/* A template for mkstemp/mkdtemp under $TMPDIR (or /tmp) in path. */
static void
temp_name(char *path, size_t pathlen)
{
	const char	*dir = getenv("TMPDIR");

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	assert_true(snprintf(path, pathlen, "%s/reviewd-unit-XXXXXX", dir) <
	    (int)pathlen);
}

/* Writes len bytes of text to a new temporary file; its path to path. */
static void
temp_file(const void *text, size_t len, char *path, size_t pathlen)
{
	int	 fd;

	temp_name(path, pathlen);
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void
test_load(void **state)
{
	struct config	 cfg;
	char		 err[1200], want[1200], path[512], dir[512];
	static const char good[] = "[server]\nthreads = 7\n[log]\n"
	    "level = warn\n";
	static const char bad[] = "[server]\nthreads = 7\n\nbogus = 1\n";
	static const char nul[] = "[server]\nthreads = 7\0\n";

	(void)state;
	assert_int_equal(config_load("/nonexistent/reviewd.ini", &cfg, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/reviewd.ini:0: cannot open: No "
	    "such file or directory");
	assert_int_equal(config_load("/", &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "/:0: not a regular file");

	temp_name(dir, sizeof(dir));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_load(dir, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:0: not a regular file", dir);
	assert_string_equal(err, want);
	assert_int_equal(rmdir(dir), 0);

	temp_file(good, sizeof(good) - 1, path, sizeof(path));
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.threads, 7);
	assert_int_equal(cfg.log_level, LOG_LEVEL_WARN);
	assert_string_equal(cfg.db_path, "var/reviewd.db");
	assert_int_equal(unlink(path), 0);

	/* an empty file gives the defaults */
	temp_file("", 0, path, sizeof(path));
	memset(&cfg, 0x5a, sizeof(cfg));
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	check_defaults(&cfg);
	assert_int_equal(unlink(path), 0);

	/* errors carry the path as the file name */
	temp_file(bad, sizeof(bad) - 1, path, sizeof(path));
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: unknown key 'bogus' in section "
	    "[server]", path);
	assert_string_equal(err, want);
	assert_int_equal(unlink(path), 0);

	temp_file(nul, sizeof(nul) - 1, path, sizeof(path));
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:0: contains a NUL byte", path);
	assert_string_equal(err, want);
	assert_int_equal(unlink(path), 0);
}

/* A short err buffer gets a cut, terminated message, never an overflow. */
static void
test_short_err(void **state)
{
	struct config	 cfg;
	char		 err[12];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(config_parse_string("[bogus]\n", "t.ini", &cfg, err,
	    8), -1);
	assert_string_equal(err, "t.ini:1");
	assert_int_equal(err[8], 'x');
}

/* Lines libinih would misread are refused with their own line number. */
static void
test_lines_libinih_misreads(void **state)
{
	struct config	 cfg;
	char		 err[512], text[512];
	int		 n;

	(void)state;
	n = snprintf(text, sizeof(text), "[server]\npublic_url = "
	    "https://example.com/%0166dthreads=9\n", 0);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(config_parse_string(text, "t.ini", &cfg, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t.ini:2: line longer than 198 bytes");
	/* 199 bytes: libinih would read its newline as a line of its own */
	n = snprintf(text, sizeof(text), "[server]\npublic_url = "
	    "https://example.com/%0166d\nthreads = 0\n", 0);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(config_parse_string(text, "t.ini", &cfg, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t.ini:2: line longer than 198 bytes");
	assert_int_equal(config_parse_string("[server]\nno equals\n"
	    "bogus = 1\n", "t.ini", &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "t.ini:2: syntax error (expected [section] "
	    "or key = value)");
	assert_int_equal(config_parse_string("[server]\nthreads = 4\n  8\n",
	    "t.ini", &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "t.ini:3: indented line after a key (values "
	    "are one line)");
	/* indented keys right after a section header are fine */
	assert_int_equal(config_parse_string("[server]\n  threads = 4\n",
	    "t.ini", &cfg, err, sizeof(err)), 0);
}

/* [server] trusted_proxies: addresses and networks, and who is in them. */
static void
test_trusted_proxies(void **state)
{
	static const struct {
		const char	*addr;
		bool		 trusted;
	} cases[] = {
		{ "127.0.0.3", true },
		{ "127.0.0.4", false },
		{ "10.0.0.1", true },
		{ "10.255.255.255", true },
		{ "11.0.0.1", false },
		{ "192.168.1.64", true },	/* /26: .64 to .127 */
		{ "192.168.1.127", true },
		{ "192.168.1.63", false },
		{ "192.168.1.128", false },
		{ "::ffff:10.1.2.3", true },	/* IPv4-mapped is IPv4 */
		{ "::ffff:11.1.2.3", false },
		{ "fd00::1", true },
		{ "fd00:0:0:1::1", false },
		{ "2001:db8::1", false },
		{ "::1", false },
	};
	static const char *const bad[] = { "localhost", "10.0.0.0/33",
	    "::1/129", "1.2.3.4/", "1.2.3.4/x", "1.2.3.4/-1", "1.2.3",
	    "[::1]", "10.0.0.1;10.0.0.2" };
	struct config	 cfg;
	char		 err[256], text[256];
	unsigned char	 a[16];
	size_t		 i;
	int		 family;

	(void)state;
	assert_int_equal(parse("[server]\ntrusted_proxies = 127.0.0.3, "
	    "10.0.0.0/8,192.168.1.64/26  fd00::/64\n", &cfg, err,
	    sizeof(err)), 0);
	assert_int_equal(cfg.nproxies, 4);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		family = strchr(cases[i].addr, ':') != NULL ? AF_INET6 :
		    AF_INET;
		assert_int_equal(inet_pton(family, cases[i].addr, a), 1);
		assert_int_equal(config_trusted_proxy(&cfg, family, a),
		    cases[i].trusted);
	}
	/* /0 takes every address of its family; empty takes none */
	assert_int_equal(parse("[server]\ntrusted_proxies = 0.0.0.0/0\n",
	    &cfg, err, sizeof(err)), 0);
	assert_int_equal(inet_pton(AF_INET, "203.0.113.1", a), 1);
	assert_true(config_trusted_proxy(&cfg, AF_INET, a));
	assert_int_equal(parse("[server]\ntrusted_proxies =\n", &cfg, err,
	    sizeof(err)), 0);
	assert_int_equal(cfg.nproxies, 0);
	assert_false(config_trusted_proxy(&cfg, AF_INET, a));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[server]\ntrusted_proxies = "
		    "%s\n", bad[i]);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "t.ini:2:"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_libinih_misreads),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_int_keys),
		cmocka_unit_test(test_string_keys),
		cmocka_unit_test(test_choice_keys),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_combinations),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_short_err),
		cmocka_unit_test(test_trusted_proxies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
