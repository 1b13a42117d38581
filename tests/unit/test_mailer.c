/*
 * Unit tests of addresses, message checks (header injection), templates
 * and composition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/config.h"
#include "reviewd/mailer.h"

static void
test_addresses(void **state)
{
	static const char *const ok[] = { "a@b.co",
	    "first.last+tag@example.co.uk", "x_y@sub-domain.example.com" };
	static const char *const bad[] = { "", "a", "@b.co", "a@", "a@b",
	    "a..b@c.de", ".a@c.de", "a.@c.de", "a@-b.de", "a@b-.de",
	    "a b@c.de", "a@b..de", "a\r\n@c.de", "\"q\"@c.de", "a@[1.2.3.4]" };
	char	 long_addr[300];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(mailer_address_valid(ok[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(mailer_address_valid(bad[i]));
	memset(long_addr, 'a', sizeof(long_addr));
	memcpy(long_addr + 250, "@b.co", 6);
	assert_false(mailer_address_valid(long_addr));
}

static void
test_injection_refused(void **state)
{
	static const struct {
		const char	*key, *value;
	} cases[] = {
		{ "to", "a@b.co\r\nBcc: v@x.yz" },
		{ "toName", "X\nBcc: v@x.yz" },
		{ "subject", "Hi\rthere" },
		{ "replyTo", "r@b.co\nX: y" },
	};
	json_t		*msg;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct api_error	 err;

		memset(&err, 0, sizeof(err));
		msg = json_pack("{s:s, s:s, s:s, s:s}", "to", "a@b.co",
		    "subject", "s", "text", "t", "html", "h");
		json_object_set_new(msg, cases[i].key,
		    json_string(cases[i].value));
		assert_int_equal(mailer_check(msg, &err), -1);
		assert_int_equal(err.status, 400);
		assert_string_equal(err.details[0].field, cases[i].key);
		json_decref(msg);
	}
}

static void
test_render_and_compose(void **state)
{
	struct config	 cfg;
	struct buf	 out;
	json_t		*vars, *msg;

	(void)state;
	config_defaults(&cfg);
	vars = json_pack("{s:s, s:s}", "name", "<Ann>", "instance", "x");
	msg = json_pack("{s:s, s:s}", "to", "ann@b.co", "toName",
	    "Zoë \"Q\"");
	assert_int_equal(mailer_render("mail-test", "da-DK", vars, msg), 0);
	assert_string_equal(json_string_value(json_object_get(msg, "subject")),
	    "Testbesked fra reviewd");
	assert_non_null(strstr(json_string_value(json_object_get(msg,
	    "html")), "&lt;Ann&gt;"));
	assert_non_null(strstr(json_string_value(json_object_get(msg,
	    "text")), "<Ann>"));
	/* an unknown locale falls back to English */
	assert_int_equal(mailer_render("mail-test", "xx", vars, msg), 0);
	assert_string_equal(json_string_value(json_object_get(msg, "subject")),
	    "reviewd test message");
	json_object_set_new(msg, "subject", json_string("Prüfung"));
	buf_init(&out, 1 << 20);
	assert_int_equal(mailer_compose(&cfg, msg, "abc123", 0, &out), 0);
	assert_non_null(strstr(out.data, "Message-ID: <abc123@localhost>\r\n"));
	assert_non_null(strstr(out.data, "Date: Thu, 01 Jan 1970 00:00:00 "
	    "+0000\r\n"));
	assert_non_null(strstr(out.data, "Subject: =?UTF-8?B?UHLDvGZ1bmc=?="));
	assert_non_null(strstr(out.data, "To: =?UTF-8?B?"));
	assert_non_null(strstr(out.data, "multipart/alternative"));
	assert_null(strstr(out.data, "Prüfung"));
	buf_release(&out);
	json_decref(vars);
	json_decref(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_injection_refused),
		cmocka_unit_test(test_render_and_compose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
