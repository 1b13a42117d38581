/*
 * Unit tests of addresses, message checks (header injection), templates,
 * composition, and the maildir batch (flush, its take-back, unflush;
 * several threads sending into one batch).
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "reviewd/config.h"
#include "reviewd/mailer.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_addresses(void **state)
{
	static const char *const ok[] = {
		"a@b.co", "first.last+tag@example.co.uk",
		"x_y@sub-domain.example.com", "A.B@EXAMPLE.COM",
		"1@2.3", "a-b@c.de", "a@b-c.de", "a@b--c.de",
		"!#$%&'*+-/=?^_`{|}~@example.com", "a.b.c.d@e.f.g.h",
		"\xc3\xa6@\xc3\xb8.dk",
	};
	static const char *const bad[] = {
		"", "a", "@", "@b.co", "a@", "a@b", "a@b.", "a@.b.co",
		"a..b@c.de", ".a@c.de", "a.@c.de", ".@c.de",
		"a@-b.de", "a@b-.de", "a@b.-de", "a@b.de-",
		"a b@c.de", "a@b c.de", " a@b.co", "a@b.co ",
		"a@b..de", "a@b_c.de", "a@b.co.", "a@@b.co", "a@b@c.de",
		"a\r\n@c.de", "a@c.de\r\nBcc: x@y.zz", "a\n@c.de",
		"a\t@c.de", "a@c\x7f.de",
		"\"q\"@c.de", "a@[1.2.3.4]", "(c)a@b.co", "a(c)@b.co",
		"<a@b.co>", "a@b.co>", "a,b@c.de", "a;b@c.de", "a:b@c.de",
		"a\\b@c.de", "a@b/c.de",
		"a\xc2\x97@c.de", "a\xe2\x80\xa8@c.de",	/* C1, line separator */
	};
	char	 addr[300];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		if (!mailer_address_valid(ok[i]))
			fail_msg("refused: \"%s\"", ok[i]);
	}
	for (i = 0; i < NELEM(bad); i++) {
		if (mailer_address_valid(bad[i]))
			fail_msg("accepted: \"%s\"", bad[i]);
	}

	/* MAILER_ADDRESS_MAX = 254 bytes is the longest accepted: 64 + '@'
	 * + 63 + '.' + 63 + '.' + 61 */
	memset(addr, 'a', sizeof(addr));
	addr[64] = '@';
	addr[128] = '.';
	addr[192] = '.';
	addr[254] = '\0';
	assert_int_equal(strlen(addr), MAILER_ADDRESS_MAX);
	assert_true(mailer_address_valid(addr));
	addr[254] = 'a';
	addr[255] = '\0';
	assert_false(mailer_address_valid(addr));
	/* the old shape: 250 bytes of local part */
	memset(addr, 'a', sizeof(addr));
	memcpy(addr + 250, "@b.co", 6);
	assert_false(mailer_address_valid(addr));
	/* a DNS label is at most 63 bytes */
	memset(addr, 'a', sizeof(addr));
	addr[1] = '@';
	addr[2 + 63] = '.';
	memcpy(addr + 2 + 64, "de", 3);
	assert_true(mailer_address_valid(addr));
	memset(addr, 'a', sizeof(addr));
	addr[1] = '@';
	addr[2 + 64] = '.';
	memcpy(addr + 2 + 65, "de", 3);
	assert_false(mailer_address_valid(addr));
}

static void
test_header_safe(void **state)
{
	static const struct {
		const char	*s;
		bool		 want;
	} cases[] = {
		{ "", true }, { "Hello, world", true },
		{ "Zo\xc3\xab \"Q\"", true }, { "a\rb", false },
		{ "a\nb", false }, { "a\tb", false }, { "a\x7f", false },
		{ "\x1b[0m", false },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		assert_int_equal(mailer_header_safe(cases[i].s),
		    cases[i].want);
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

/* A built part is set only when it is UTF-8 (json_string's own check is
 * skipped for speed: this one must hold). */
static void
test_set_text(void **state)
{
	json_t	*msg = json_object();

	(void)state;
	assert_int_equal(mailer_set_text(msg, "text", "Gr\xc3\xbc\xc3\x9f "
	    "<p style=\"margin:0\">"), 0);
	assert_string_equal(json_string_value(json_object_get(msg, "text")),
	    "Gr\xc3\xbc\xc3\x9f <p style=\"margin:0\">");
	assert_int_equal(mailer_set_text(msg, "html", "<p>abcdefgh M\xfcller"),
	    -1);
	assert_null(json_object_get(msg, "html"));
	json_decref(msg);
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

/* The longest line of text, CRLF not counted. */
static size_t
longest_line(const char *s)
{
	size_t	 n, max = 0;

	for (; *s != '\0'; s += n + (s[n] != '\0')) {
		n = strcspn(s, "\n");
		if ((n > 0 && s[n - 1] == '\r' ? n - 1 : n) > max)
			max = n > 0 && s[n - 1] == '\r' ? n - 1 : n;
	}
	return max;
}

/* The header name's value unfolded (CRLF removed) into dst; with words,
 * its RFC 2047 B encoded-words decoded (the white space between them
 * dropped). */
static void
header_value(const char *msg, const char *name, bool words, char *dst,
    size_t dstlen)
{
	const char	*p = strstr(msg, name), *end, *q;
	size_t		 len = 0, n;

	assert_non_null(p);
	p += strlen(name);
	for (end = p; !(end[0] == '\r' && end[1] == '\n' && end[2] != ' ');
	    end++)
		;
	while (p < end) {
		if (p[0] == '\r' && p[1] == '\n') {
			p += words ? 3 : 2;
			continue;
		}
		if (words && *p == ' ')
			break;	/* an address follows the words */
		if (words) {
			assert_int_equal(strncmp(p, "=?UTF-8?B?", 10), 0);
			q = strstr(p + 10, "?=");
			assert_non_null(q);
			assert_true(q + 2 - p <= 75);
			assert_int_equal(sodium_base642bin(
			    (unsigned char *)dst + len, dstlen - len - 1,
			    p + 10, (size_t)(q - p - 10), NULL, &n, NULL,
			    sodium_base64_VARIANT_ORIGINAL), 0);
			len += n;
			p = q + 2;
			continue;
		}
		assert_true(len + 1 < dstlen);
		dst[len++] = *p++;
	}
	dst[len] = '\0';
}

/* RFC 5322 2.1.1: no line past 998 octets, even with the longest subject
 * (998) and names a message may have;
 * folded at spaces when it can, else encoded-words; both give the same
 * text back. */
static void
test_long_headers(void **state)
{
	static char	 spaced[999], word[1200], name[996], got[4096];
	struct config	 cfg;
	struct buf	 out;
	json_t		*msg;
	size_t		 i;

	(void)state;
	config_defaults(&cfg);
	for (i = 0; i < sizeof(spaced) - 1; i++)
		spaced[i] = i % 7 == 6 ? ' ' : (char)('a' + i % 26);
	for (i = 0; i < sizeof(word) - 1; i++)
		word[i] = (char)('A' + i % 26);
	for (i = 0; i < sizeof(name) - 1; i++)
		name[i] = i % 9 == 8 ? ' ' : (i % 50 == 0 ? '"' : 'n');
	msg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "to", "ann@b.co",
	    "toName", name, "subject", spaced, "text", "t", "html", "h",
	    "headers", "X-Long", word);
	buf_init(&out, 1 << 20);
	assert_int_equal(mailer_compose(&cfg, msg, "long1", 0, &out), 0);
	assert_true(longest_line(out.data) <= 998);
	header_value(out.data, "\r\nSubject: ", false, got, sizeof(got));
	assert_string_equal(got, spaced);
	header_value(out.data, "\r\nX-Long: ", true, got, sizeof(got));
	assert_string_equal(got, word);
	header_value(out.data, "\r\nTo: ", true, got, sizeof(got));
	assert_non_null(strstr(out.data, " <ann@b.co>\r\n"));
	assert_int_equal(strncmp(got, name, strlen(name)), 0);
	/* short ones stay as they were */
	buf_reset(&out);
	json_object_set_new(msg, "subject", json_string("Hi there"));
	json_object_set_new(msg, "toName", json_string("Ann"));
	assert_int_equal(mailer_compose(&cfg, msg, "long2", 0, &out), 0);
	assert_non_null(strstr(out.data, "\r\nSubject: Hi there\r\n"));
	assert_non_null(strstr(out.data, "\r\nTo: \"Ann\" <ann@b.co>\r\n"));
	buf_release(&out);
	json_decref(msg);
}

static bool
in_maildir(const struct config *cfg, const char *sub, const char *id)
{
	char		 path[PATH_MAX + 64];
	struct stat	 sb;

	snprintf(path, sizeof(path), "%s/%s/%s.reviewd", cfg->maildir, sub,
	    id);
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static void
send_two(struct mailer *m)
{
	json_t	*msg = json_pack("{s:s, s:s, s:s, s:s}", "to", "ann@b.co",
	    "subject", "Hi", "text", "Hello", "html", "<p>Hello</p>");
	char	 why[256];

	assert_int_equal(mailer_send(m, "aaa1", msg, why, sizeof(why)),
	    MAILER_SENT);
	assert_int_equal(mailer_send(m, "bbb2", msg, why, sizeof(why)),
	    MAILER_SENT);
	json_decref(msg);
}

/* A message in new/ must be one its caller records: a flush that fails
 * half-way takes back the renames it did, and unflush takes back a whole
 * flushed batch (its record could not be committed). */
static void
test_maildir_flush_takes_back(void **state)
{
	struct config	 cfg;
	struct mailer	*m;
	char		 dir[] = "/tmp/reviewd-mailer-XXXXXX";
	char		 path[PATH_MAX + 64];
	char		 why[256];

	(void)state;
	config_defaults(&cfg);
	assert_non_null(mkdtemp(dir));
	snprintf(cfg.maildir, sizeof(cfg.maildir), "%s", dir);
	assert_int_equal(mailer_init(&cfg), 0);

	/* the second rename fails: new/bbb2.reviewd is a directory */
	snprintf(path, sizeof(path), "%s/new/bbb2.reviewd", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	m = mailer_open(&cfg);
	send_two(m);
	assert_int_equal(mailer_flush(m, why, sizeof(why)), -1);
	assert_false(in_maildir(&cfg, "new", "aaa1"));
	assert_false(in_maildir(&cfg, "tmp", "aaa1"));
	assert_false(in_maildir(&cfg, "tmp", "bbb2"));
	assert_int_equal(rmdir(path), 0);

	/* a whole batch flushed, then taken back */
	send_two(m);
	assert_int_equal(mailer_flush(m, why, sizeof(why)), 0);
	assert_true(in_maildir(&cfg, "new", "aaa1"));
	assert_true(in_maildir(&cfg, "new", "bbb2"));
	mailer_unflush(m);
	assert_false(in_maildir(&cfg, "new", "aaa1"));
	assert_false(in_maildir(&cfg, "new", "bbb2"));

	/* a batch flushed and kept: the next send starts a new batch */
	send_two(m);
	assert_int_equal(mailer_flush(m, why, sizeof(why)), 0);
	mailer_unflush(NULL);
	mailer_close(m);
	assert_true(in_maildir(&cfg, "new", "aaa1"));
	assert_true(in_maildir(&cfg, "new", "bbb2"));
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

#define SENDERS		4
#define SENT_EACH	250

struct sender {
	struct mailer	*m;
	int		 first;
	int		 failed;
};

static void *
send_share(void *arg)
{
	struct sender	*s = arg;
	json_t		*msg;
	char		 id[32], text[64], why[256];
	int		 i;

	for (i = s->first; i < s->first + SENT_EACH; i++) {
		snprintf(id, sizeof(id), "m%04d", i);
		snprintf(text, sizeof(text), "message %04d", i);
		msg = json_pack("{s:s, s:s, s:s, s:s}", "to", "ann@b.co",
		    "subject", "Hi", "text", text, "html", "<p>Hi</p>");
		if (msg == NULL || mailer_send(s->m, id, msg, why,
		    sizeof(why)) != MAILER_SENT)
			s->failed++;
		json_decref(msg);
	}
	return NULL;
}

/* Regular files in dir/sub (-1 when it cannot be read). */
static int
files_in(const char *dir, const char *sub)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The dispatch renders a batch on several threads into one session
 * (invitations_dispatch.c): every message sent is in the batch, once,
 * whichever thread sent it; a flush delivers them all and an unflush
 * takes them all back. */
static void
test_maildir_several_senders(void **state)
{
	struct config	 cfg;
	struct mailer	*m;
	struct sender	 s[SENDERS];
	pthread_t	 tid[SENDERS];
	char		 dir[] = "/tmp/reviewd-mailer-XXXXXX";
	char		 cmd[PATH_MAX + 16], id[16], why[256];
	int		 i;

	(void)state;
	config_defaults(&cfg);
	assert_non_null(mkdtemp(dir));
	snprintf(cfg.maildir, sizeof(cfg.maildir), "%s", dir);
	assert_int_equal(mailer_init(&cfg), 0);
	assert_non_null(m = mailer_open(&cfg));
	for (i = 0; i < SENDERS; i++) {
		s[i].m = m;
		s[i].first = i * SENT_EACH;
		s[i].failed = 0;
		assert_int_equal(pthread_create(&tid[i], NULL, send_share,
		    &s[i]), 0);
	}
	for (i = 0; i < SENDERS; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(s[i].failed, 0);
	}
	assert_int_equal(files_in(dir, "tmp"), SENDERS * SENT_EACH);
	assert_int_equal(files_in(dir, "new"), 0);
	assert_int_equal(mailer_flush(m, why, sizeof(why)), 0);
	assert_int_equal(files_in(dir, "tmp"), 0);
	assert_int_equal(files_in(dir, "new"), SENDERS * SENT_EACH);
	for (i = 0; i < SENDERS * SENT_EACH; i += 97) {
		snprintf(id, sizeof(id), "m%04d", i);
		assert_true(in_maildir(&cfg, "new", id));
	}
	mailer_unflush(m);
	assert_int_equal(files_in(dir, "new"), 0);
	mailer_close(m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_header_safe),
		cmocka_unit_test(test_injection_refused),
		cmocka_unit_test(test_set_text),
		cmocka_unit_test(test_render_and_compose),
		cmocka_unit_test(test_long_headers),
		cmocka_unit_test(test_maildir_flush_takes_back),
		cmocka_unit_test(test_maildir_several_senders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
