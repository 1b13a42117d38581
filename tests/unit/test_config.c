/*
 * Unit tests of configuration parsing: defaults, each kind of key, and
 * every error with its FILE:LINE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/config.h"

static void
test_defaults(void **state)
{
	struct config	 cfg;

	(void)state;
	config_defaults(&cfg);
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	assert_true(config_listen_is_loopback(&cfg));
	assert_string_equal(cfg.db_path, "var/reviewd.db");
	assert_string_equal(cfg.maildir, "var/mail");
	assert_int_equal(cfg.mail_transport, MAIL_TRANSPORT_MAILDIR);
	assert_int_equal(cfg.threads, 4);
	assert_int_equal(cfg.max_body_bytes, 1048576);
	assert_int_equal(cfg.findreviewer_reply_days, 5);
	assert_false(cfg.clock_control);
	assert_string_equal(cfg.admin_token, "");
}

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
	assert_int_equal(cfg.smtp_starttls, MAIL_STARTTLS_REQUIRED);
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_true(cfg.clock_control);
}

static void
test_errors(void **state)
{
	static const struct {
		const char	*text, *want;
	} cases[] = {
		{ "[server]\nthreds = 4\n",
		    "t.ini:2: unknown key 'threds' in section [server]" },
		{ "[server]\n\n[bogus]\n", "t.ini:3: unknown section [bogus]" },
		{ "[server]\nthreads = 0\n", "t.ini:2: [server] threads: "
		    "expected an integer from 1 to 256" },
		{ "[server]\nthreads = 4x\n", "t.ini:2: [server] threads: "
		    "expected an integer from 1 to 256" },
		{ "[testing]\nclock_control = maybe\n", "t.ini:2: [testing] "
		    "clock_control: expected true or false" },
		{ "[server]\nlisten = 127.0.0.1\n", "t.ini:2: [server] "
		    "listen: expected IPV4:PORT or [IPV6]:PORT" },
		{ "[server]\nlisten = 1.2.3.4:99999\n", "t.ini:2: [server] "
		    "listen: expected IPV4:PORT or [IPV6]:PORT" },
		{ "[mail]\ntransport = pigeon\n", "t.ini:2: [mail] transport: "
		    "expected maildir or smtp" },
		{ "[server]\nthreads = 2\nthreads = 3\n",
		    "t.ini:3: [server] threads is set twice" },
		{ "[server]\nno equals sign\n", "t.ini:2: syntax error "
		    "(expected [section] or key = value)" },
		{ "[server]\nlisten = 0.0.0.0:80\n[testing]\nclock_control = "
		    "true\n", "t.ini:4: [testing] clock_control is refused when "
		    "[server] listen is not a loopback address" },
		{ "[mail]\ntransport = smtp\n", "t.ini:2: [mail] transport = "
		    "smtp needs [mail] smtp_url" },
		{ "[admin]\ntoken = short\n", "t.ini:2: [admin] token: must "
		    "be empty (generated) or at least 16 characters" },
		{ "[links]\nmaster_key = abc\n", "t.ini:2: [links] master_key: "
		    "must be empty or the base64 of 32 random bytes (head -c 32 "
		    "/dev/urandom | base64)" },
	};
	struct config	 cfg;
	char		 err[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(config_parse_string(cases[i].text, "t.ini",
		    &cfg, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].want);
	}
}

static void
test_load_missing_file(void **state)
{
	struct config	 cfg;
	char		 err[512];

	(void)state;
	assert_int_equal(config_load("/nonexistent/reviewd.ini", &cfg, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/reviewd.ini:0: cannot open: No "
	    "such file or directory");
	assert_int_equal(config_load("/", &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "/:0: not a regular file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
