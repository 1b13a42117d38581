/*
 * Unit tests of the e-mail rules for invitation templates: accepted and
 * refused HTML, text part URLs, the site of a websiteUrl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/mailhtml.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define LINK		"<a href=\"{{link}}\">Write a review</a>"

static void
test_html_accepted(void **state)
{
	static const char *const ok[] = {
		LINK,
		"<p>Hello {{name}},</p><p>" LINK "</p>",
		"<a href='{{ link }}'>Review</a>",
		"<a href=\"{{link}}\"><b>Review</b> us</a>",
		"<a href=\"{{link}}\">{{link}}</a>",
		"<a href=\"{{link}}\">Bewertung schreiben</a>",
		"<a href=\"{{link}}\">\xc3\xa9</a>",
		"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" "
		    "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1.dtd\">"
		    "<html><head><meta charset=\"utf-8\"><title>Hi "
		    "&lt;there&gt;</title></head><body>" LINK "</body>"
		    "</html>\n",
		"<table width=600 cellpadding=\"0\"><tr><td valign=\"top\" "
		    "bgcolor=#ffffff></td></tr></table>",
		"<p style=\"color: #333; font-family: 'Helvetica', sans-serif;"
		    " font-size: 14px; margin: 0 auto\">" LINK "</p>",
		LINK "<a href=\"https://example.com/shop?a=1&amp;b=2\">Shop"
		    "</a>",
		LINK "<a href=\"https://www.shop.example.com:8443/x#y\">Shop"
		    "</a>",
		LINK "<a href=\"HTTP://EXAMPLE.COM\" target=\"_blank\">x</a>",
		LINK "<img src=\"https://cdn.other.net/logo.png\" alt=\"Logo\""
		    " width=\"120\"/>",
		LINK "<p>See https://example.com/faq. Or www.example.com.</p>",
		LINK "<p>&copy; 2026 &amp; &#39;us&#39; &lt;3</p>",
		LINK "<a href=\"{{unsubscribeLink}}\">Unsubscribe</a>",
		LINK "<br><hr/><br />",
		"<A HREF=\"{{link}}\">Review</A>",
		/* initials, abbreviations and numbers are no host names */
		LINK "<p>J. R. R. Tolkien, e.g. Dr. Smith, i.e. version 2.0 "
		    "of J.R.R. Tolkien&#39;s A.B. Smith, 3.5 stars.</p>",
		LINK "<p>Shop at shop.example.com/sale or example.com.</p>",
		LINK "<p>shop</p><p>example.com</p><div>www</div>evil",
		LINK "<p>Review: {{link}}. Ihr {{business}}-Team, "
		    "({{name}})</p>",
		"<div style=\"font-size:1.2em\"><p style=\"font-size:90%\">"
		    "<small>" LINK "</small></p></div>",
		"<table><tr><td bgcolor=\"#000\" style=\"color:white\">" LINK
		    "</td></tr></table>",
		"<p style=\"background-color:#333333;color:#eeeeee\"><a "
		    "href=\"{{link}}\" style=\"color:orange\">Review</a></p>",
	};
	char	 why[MAILHTML_WHY];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		char	 doc[2048];

		/* the table sample carries no link of its own */
		snprintf(doc, sizeof(doc), "%s%s", ok[i], strstr(ok[i],
		    "{{link}}") != NULL || strstr(ok[i], "{{ link }}") !=
		    NULL ? "" : LINK);
		why[0] = '\0';
		if (mailhtml_check(doc, "example.com", why, sizeof(why)) != 0)
			fail_msg("refused: \"%s\": %s", doc, why);
	}
}

static void
test_html_refused(void **state)
{
	static const struct {
		const char	*html;
		const char	*why;	/* part of the reason */
	} bad[] = {
		/* the audit's template: the link in a comment, a foreign
		 * one in view */
		{ "<!-- <a href=\"{{link}}\">x</a> --><a "
		    "href=\"https://evil.example.net/login\">Review</a>",
		    "comments" },
		{ "<p>hello</p>", "review link" },
		{ "<a href=\"{{link}}\"></a>", "review link" },
		{ "<a href=\"{{link}}\">   &nbsp;</a>", "review link" },
		{ "<a href=\"{{link}}\">\xc2\xa0\xe2\x80\x8b</a>",
		    "review link" },
		{ "<a href=\"{{link}}\"><img src=\"https://x.example.com/"
		    "a.png\"></a>", "review link" },
		{ "<head><a href=\"{{link}}\">x</a></head>", "<head>" },
		{ "<title><a href=\"{{link}}\">x</a></title>",
		    "<title> may hold only text" },
		{ LINK "<script>alert(1)</script>", "<script>" },
		{ LINK "<style>a{}</style>", "<style>" },
		{ LINK "<form action=\"https://example.com\">", "<form>" },
		{ LINK "<iframe src=\"https://example.com\">", "<iframe>" },
		{ LINK "<object>", "<object>" },
		{ LINK "<svg>", "<svg>" },
		{ LINK "<p onclick=\"x()\">", "event handler" },
		{ LINK "<p OnMouseOver=\"x()\">", "event handler" },
		{ LINK "<p hidden>", "hidden" },
		{ LINK "<a href=\"https://evil.example.net/\">x</a>",
		    "evil.example.net" },
		{ LINK "<a href=\"https://example.com.evil.net/\">x</a>",
		    "example.com.evil.net" },
		{ LINK "<a href=\"https://notexample.com/\">x</a>",
		    "notexample.com" },
		{ LINK "<a href=\"https://example.com@evil.net/\">x</a>",
		    "not allowed" },
		{ LINK "<a href=\"https://example.com\\@evil.net/\">x</a>",
		    "not allowed" },
		{ LINK "<a href=\"https://evil%2Enet/\">x</a>",
		    "not allowed" },
		{ LINK "<a href=\"https://example&#46;com/\">x</a>",
		    "character reference" },
		{ LINK "<a href=\"javascript:alert(1)\">x</a>",
		    "not allowed" },
		{ LINK "<a href=\"mailto:a@example.com\">x</a>",
		    "not allowed" },
		{ LINK "<a href=\"//evil.net/\">x</a>", "not allowed" },
		{ LINK "<a href=\"{{link}}x\">y</a>", "not allowed" },
		{ LINK "<a href=\" https://example.com\">x</a>",
		    "not allowed" },
		{ LINK "<a>x</a>", "needs an href" },
		{ "<a href=\"{{link}}\"><a href=\"{{link}}\">x</a></a>",
		    "inside a link" },
		{ LINK "<img src=\"http://example.com/a.png\">", "https" },
		{ LINK "<img src=\"data:image/png;base64,AAAA\">", "https" },
		{ LINK "<img srcset=\"https://a.example.com/x 2x\">",
		    "srcset" },
		{ LINK "<p style=\"background: url(https://x.net/a)\">",
		    "style uses '('" },
		{ LINK "<p style=\"display:none\">", "display" },
		{ LINK "<p style=\"visibility: hidden\">", "visibility" },
		{ LINK "<p style=\"font-size:0\">", "font-size" },
		{ LINK "<p style=\"font-size:1px\">", "font-size" },
		{ LINK "<p style=\"margin-left:-9999px\">", "negative" },
		{ LINK "<p style=\"color:transparent\">", "transparent" },
		{ LINK "<p style=\"color:\\65 \">", "style uses" },
		{ LINK "<p style=\"color:red;/**/\">", "style uses" },
		{ LINK "<![CDATA[x]]>", "CDATA" },
		{ LINK "<?php x ?>", "processing" },
		{ LINK "a < b", "&lt;" },
		{ LINK "<p/onclick=\"x\">", "where a space" },
		{ LINK "<p title=\"a\"title=\"b\">", "where a space" },
		{ LINK "<p title=\"a\" title=\"b\">", "twice" },
		{ "<a href=\"https://example.com/\" href=\"{{link}}\">x</a>",
		    "twice" },
		{ LINK "<p title={{name}}>", "quotes" },
		{ LINK "<p title=\"x>", "not closed" },
		{ LINK "</script>", "</script>" },
		{ LINK "</br>", "no end tag" },
		{ LINK "<p>Visit https://evil.example.net/login</p>",
		    "evil.example.net" },
		{ LINK "<p>Visit www.evil.example.net</p>",
		    "www.evil.example.net" },
		{ LINK "<p>https&#58;//evil.net</p>", "&#58" },
		{ LINK "<p>https&colon;//evil.net</p>", "&colon;" },
		{ LINK "<p>https://example.com@evil.net</p>", "'@'" },
		{ LINK "<p>http://<b>evil.net</b></p>", "URL host" },
		{ LINK "<a href=\"{{link}}\" target=\"_top\">x</a>",
		    "_blank" },
		/* host names without scheme */
		{ LINK "<p>Verify at secure-evil-bank.com/login</p>",
		    "host name \"secure-evil-bank.com\"" },
		{ LINK "<p>Go to t.co/x</p>", "\"t.co\"" },
		{ LINK "<p>Go to 10.0.0.1/login</p>", "\"10.0.0.1\"" },
		{ LINK "<p>Call --evil-bank.com.</p>", "\"evil-bank.com\"" },
		{ LINK "<p>Write to a.b@evil-bank.com</p>",
		    "\"evil-bank.com\"" },
		{ LINK "<p>www.example.com.evil.net</p>",
		    "example.com.evil.net" },
		/* URLs split by tags or invisible characters */
		{ LINK "<p>htt<b></b>p://evil-bank.com/login</p>",
		    "\"evil-bank.com\"" },
		{ LINK "<p>w<b></b>ww.evil.com</p>", "\"www.evil.com\"" },
		{ LINK "<p>evil-<span>bank</span>.com</p>",
		    "\"evil-bank.com\"" },
		{ LINK "<p>http&#8203;://evil.net</p>", "\"evil.net\"" },
		{ LINK "<p>www\xe2\x80\x8b.evil.net</p>", "\"www.evil.net\"" },
		{ LINK "<p>www&zwnj;.evil.net</p>", "\"www.evil.net\"" },
		{ LINK "<title>evil-bank.com/x</title>", "evil-bank.com" },
		/* placeholders glued into a host name */
		{ LINK "<p>Visit {{business}}.com/login</p>",
		    "placeholder may not touch" },
		{ LINK "<p>evil-bank.{{name}}</p>", "placeholder may not" },
		{ LINK "<p>{{name}}{{business}}</p>", "placeholder may not" },
		{ LINK "<p>{{name}}<b></b>.com</p>", "placeholder may not" },
		{ LINK "<p>http://{{name}}</p>", "URL host" },
		/* hidden text */
		{ LINK "<p style=\"color:#ffffff00\">x</p>", "opaque" },
		{ LINK "<p style=\"color:#0000\">x</p>", "opaque" },
		{ LINK "<p style=\"background-color:#fff0\">x</p>", "opaque" },
		{ LINK "<p style=\"color:currentcolor\">x</p>", "opaque" },
		{ LINK "<p bgcolor=\"#ffffff00\">x</p>", "opaque" },
		{ LINK "<p style=\"color:#fff;background-color:#fff\">x</p>",
		    "stand out" },
		{ LINK "<p style=\"color:#fffffe\">x</p>", "stand out" },
		{ "<div style=\"background-color:#0000ee\">" LINK "</div>",
		    "stand out" },
		{ LINK "<table><tr><td bgcolor=\"#fff\" style=\"color:"
		    "#fafafa\">Hidden</td></tr></table>", "stand out" },
		{ "<p style=\"font-size:70%\"><span style=\"font-size:70%\">"
		    LINK "</span></p>", "at least 10px" },
		{ "<small><small><small>" LINK "</small></small></small>",
		    "at least 10px" },
		{ LINK "<p style=\"font-size:0.5em\">x</p>", "at least 10px" },
		{ LINK "<p style=\"font-size:5vw\">x</p>", "plain size" },
		/* inf, then 0 x inf = NaN, which no < catches */
		{ "<span style=\"font-size:1e309px\"><span style=\"font-size:"
		    "0em\">" LINK "</span></span>", "plain size" },
		{ LINK "<p style=\"font-size:300px\">x</p>", "plain size" },
		/* what follows the link pushed out of view */
		{ LINK "<p style=\"margin-bottom:99999px\">x</p>", "length" },
		{ LINK "<p style=\"padding:0 0 5000em\">x</p>", "length" },
		{ LINK "<p style=\"line-height:1000\">x</p>", "length" },
		{ LINK "<table><tr><td height=\"100000\">x</td></tr></table>",
		    "height" },
		/* text readers see when images are blocked, or as a tooltip */
		{ LINK "<img src=\"https://shop.example/a.png\" alt=\"Visit "
		    "www.evil-bank.com\">", "alt" },
		{ LINK "<p title=\"evil-bank.com/login\">x</p>", "title" },
		{ LINK "<p title=\"evil&#46;com\">x</p>", "reference" },
		/* CSS reads 0-99999px as 0 and -99999px */
		{ LINK "<p style=\"margin:0 0 0-99999px 0\">x</p>",
		    "negative" },
		/* nothing left open around the footer */
		{ LINK "<div style=\"color:#fff\">", "<div> is not closed" },
		{ "<a href=\"{{link}}\">Review", "<a> is not closed" },
		{ "<div>" LINK "</p>", "</p> found where </div>" },
		{ LINK "</div>", "closes nothing" },
		{ LINK "<div/>", "does not close" },
		{ LINK "<p title=\"</body>\">x</p>", "'<' or '>'" },
		{ "<html><body>" LINK "</body><p>x</p></html>",
		    "follow </body>" },
		{ "<html><body>" LINK "</body>x</html>", "follow </body>" },
		{ "<html><head><body>" LINK "</body></head></html>",
		    "</head> first" },
	};
	char	 why[MAILHTML_WHY];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		why[0] = '\0';
		if (mailhtml_check(bad[i].html, "example.com", why,
		    sizeof(why)) != -1)
			fail_msg("accepted: \"%s\"", bad[i].html);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("\"%s\": reason \"%s\" lacks \"%s\"",
			    bad[i].html, why, bad[i].why);
		if (strncmp(why, "line ", 5) != 0)
			fail_msg("\"%s\": reason \"%s\" names no line",
			    bad[i].html, why);
	}
}

static void
test_html_lines_and_no_site(void **state)
{
	char	 why[MAILHTML_WHY];

	(void)state;
	assert_int_equal(mailhtml_check("<p>\n" LINK "\n<!-- x -->",
	    "example.com", why, sizeof(why)), -1);
	assert_string_equal(why, "line 3: HTML comments are not allowed");
	/* without a website only the placeholders may be linked */
	assert_int_equal(mailhtml_check(LINK, NULL, why, sizeof(why)), 0);
	assert_int_equal(mailhtml_check(LINK "<a href=\"https://example."
	    "com/\">x</a>", NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "none is set"));
	/* a tiny reason buffer is not overrun */
	assert_int_equal(mailhtml_check("<script>", "example.com", why, 12),
	    -1);
	assert_int_equal(strlen(why), 11);
}

static void
test_text(void **state)
{
	static const char *const ok[] = {
		"Hello {{name}}, review us: {{link}}",
		"Our shop: https://example.com/shop and www.example.com.",
		"Mail us at help@example.com.",
		"HTTPS://SUB.EXAMPLE.COM/x",
	};
	static const char *const bad[] = {
		"Review: https://evil.net/{{link}}",
		"Log in at www.evil.net",
		"http://example.com.evil.net/",
		"https://example.com@evil.net/",
		"https:///nothing",
		"Verify: secure-evil-bank.com/login",
		"Or evil-bank.com.",
		"{{business}}.com/login {{link}}",
	};
	char	 why[MAILHTML_WHY];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		if (mailhtml_check_text(ok[i], "example.com", why,
		    sizeof(why)) != 0)
			fail_msg("refused: \"%s\": %s", ok[i], why);
	}
	for (i = 0; i < NELEM(bad); i++) {
		if (mailhtml_check_text(bad[i], "example.com", why,
		    sizeof(why)) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
	}
}

/* Placeholder values: names that carry a URL or a host name. */
static void
test_value(void **state)
{
	static const char *const ok[] = {
		"Anna", "J. R. R. Tolkien", "J.R.R. Tolkien",
		"Anna-Lena O'Neil", "Dr. Smith", "M\xc3\xbcller GmbH & Co. KG",
		"St. John", "A.B. Smith", "Example Shop", "Shop.example",
		"3.5 Sterne",
	};
	static const char *const bad[] = {
		"Anna, your account is locked: verify at "
		    "http://evil.example/v",
		"secure-evil-bank.com/login", "www.evil.com", "evil.com",
		"t.co/x", "Anna (evil-bank.com)", "1.2.3.4", "Dr.Smith",
		"HTTPS://X", "anna@evil-bank.com",
	};
	char	 why[MAILHTML_WHY];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		if (mailhtml_check_value(ok[i], "shop.example", why,
		    sizeof(why)) != 0)
			fail_msg("refused: \"%s\": %s", ok[i], why);
	}
	for (i = 0; i < NELEM(bad); i++) {
		if (mailhtml_check_value(bad[i], "shop.example", why,
		    sizeof(why)) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
		if (strncmp(why, "line", 4) == 0)
			fail_msg("\"%s\": reason names a line: %s", bad[i],
			    why);
	}
	/* a long word is no host; a host after a long label still is */
	{
		char	 v[400];

		memset(v, 'a', 300);
		v[300] = '\0';
		assert_int_equal(mailhtml_check_value(v, NULL, why,
		    sizeof(why)), 0);
		memcpy(v + 300, "..evil-bank.com", 16);
		assert_int_equal(mailhtml_check_value(v, NULL, why,
		    sizeof(why)), -1);
		assert_non_null(strstr(why, "\"evil-bank.com\""));
		v[300] = '.';
		v[301] = 'x';
		assert_int_equal(mailhtml_check_value(v, NULL, why,
		    sizeof(why)), -1);
		assert_non_null(strstr(why, "evil-bank.com"));
	}
	/* without a site not even the business's own name as a host */
	assert_int_equal(mailhtml_check_value("Shop.example", NULL, why,
	    sizeof(why)), -1);
}

static void
test_site(void **state)
{
	static const struct {
		const char	*url, *site;
	} ok[] = {
		{ "https://example.com", "example.com" },
		{ "https://www.Example.com/shop", "example.com" },
		{ "http://shop.example.co.uk:8080", "shop.example.co.uk" },
		{ "https://www.localhost", "www.localhost" },
	};
	static const char *const bad[] = {
		"", "example.com", "ftp://example.com", "https://",
		"https://a@example.com", "https://exa mple.com",
		"https://ex%41mple.com", "javascript:alert(1)",
	};
	char	 site[256];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		assert_int_equal(mailhtml_site(ok[i].url, site, sizeof(site)),
		    0);
		assert_string_equal(site, ok[i].site);
	}
	for (i = 0; i < NELEM(bad); i++) {
		if (mailhtml_site(bad[i], site, sizeof(site)) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_accepted),
		cmocka_unit_test(test_html_refused),
		cmocka_unit_test(test_html_lines_and_no_site),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_site),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
