/*
 * UTF-8 and text checks (src/utf8.c, the HTML escaper of src/html.c, the
 * link checks of src/mailhtml.c) on arbitrary bytes. The UTF-8 functions
 * are compared with an independent decoder written from the table of
 * well-formed byte sequences (Unicode 3.9, table 3-7): validity, sequence
 * lengths, one-line text, length in code points, and utf8_cut of valid
 * text cut at every byte leaving the longest valid prefix. Escaped HTML
 * holds none of & < > " ' but in entities and unescapes to the input; the
 * mailhtml checks are deterministic and give a reason whenever they refuse.
 */
#include "reviewd/buf.h"
#include "reviewd/html.h"
#include "reviewd/mailhtml.h"
#include "reviewd/mailhtml_scan.h"
#include "reviewd/utf8.h"

#include "fuzz.h"

/* Length of the well-formed sequence at p (p[0] >= 0x80) and its code
 * point, or 0: table 3-7 row by row. */
static size_t
ref_sequence(const unsigned char *p, unsigned *cp)
{
	static const struct {
		unsigned char	 lo0, hi0, lo1, hi1;
		size_t		 len;
	} rows[] = {
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
		{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
		{ 0xe1, 0xec, 0x80, 0xbf, 3 },
		{ 0xed, 0xed, 0x80, 0x9f, 3 },
		{ 0xee, 0xef, 0x80, 0xbf, 3 },
		{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
		{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
		{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};
	size_t	 i, k;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (p[0] < rows[i].lo0 || p[0] > rows[i].hi0)
			continue;
		if (p[1] < rows[i].lo1 || p[1] > rows[i].hi1)
			return 0;
		for (k = 2; k < rows[i].len; k++) {
			if (p[k] < 0x80 || p[k] > 0xbf)
				return 0;
		}
		*cp = p[0] & (rows[i].len == 2 ? 0x1f : rows[i].len == 3 ?
		    0x0f : 0x07);
		for (k = 1; k < rows[i].len; k++)
			*cp = *cp << 6 | (p[k] & 0x3f);
		return rows[i].len;
	}
	return 0;
}

/* -1 when s is not valid, else its code points; *line: none is a control
 * character or a line separator. */
static long
ref_decode(const char *s, int *line)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned		 cp;
	size_t			 n;
	long			 count = 0;

	*line = 1;
	while (*p != '\0') {
		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if ((n = ref_sequence(p, &cp)) == 0)
			return -1;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
		    cp == 0x2029)
			*line = 0;
		p += n;
		count++;
	}
	return count;
}

static void
check_utf8(const char *s, size_t len)
{
	const unsigned char	*p;
	unsigned		 cp;
	char			*cut;
	long			 count;
	size_t			 n, good;
	int			 line;

	count = ref_decode(s, &line);
	FUZZ_ASSERT(utf8_valid(s) == (count >= 0));
	FUZZ_ASSERT(utf8_line(s) == (count >= 0 && line));
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x80)
			FUZZ_ASSERT(utf8_sequence(p) == ref_sequence(p, &cp));
	}
	if (count < 0)
		return;
	FUZZ_ASSERT(utf8_length(s) == (size_t)count);
	/* valid text cut at any byte: utf8_cut leaves the code points that
	 * are whole */
	cut = malloc(len + 1);
	FUZZ_ASSERT(cut != NULL);
	for (n = 0, good = 0; n <= len; n++) {
		if (n == len || ((unsigned char)s[n] & 0xc0) != 0x80)
			good = n;	/* a code point starts at n */
		memcpy(cut, s, n);
		cut[n] = '\0';
		utf8_cut(cut);
		FUZZ_ASSERT(strlen(cut) == good);
		FUZZ_ASSERT(utf8_valid(cut));
	}
	free(cut);
}

static void
check_escape(const char *s)
{
	struct buf	 b;
	const char	*p, *semi;
	char		 c;
	size_t		 i = 0;

	buf_init(&b, 8 * strlen(s) + 1);
	FUZZ_ASSERT(html_escape(&b, s) == 0);
	FUZZ_ASSERT(buf_append(&b, "", 0) == 0);
	FUZZ_ASSERT(strpbrk(b.data, "<>\"'") == NULL);
	for (p = b.data; *p != '\0'; p++, i++) {
		c = *p;
		if (c == '&') {
			semi = strchr(p, ';');
			FUZZ_ASSERT(semi != NULL);
			if (strncmp(p, "&amp;", 5) == 0)
				c = '&';
			else if (strncmp(p, "&lt;", 4) == 0)
				c = '<';
			else if (strncmp(p, "&gt;", 4) == 0)
				c = '>';
			else if (strncmp(p, "&quot;", 6) == 0)
				c = '"';
			else if (strncmp(p, "&#39;", 5) == 0)
				c = '\'';
			else
				FUZZ_ASSERT(!"an unknown entity");
			p = semi;
		}
		FUZZ_ASSERT(s[i] == c);
	}
	FUZZ_ASSERT(s[i] == '\0');
	buf_release(&b);
}

static void
check_mailhtml(const char *s)
{
	static const char *const sites[] = { NULL, "shop.example.com" };
	char	 why[MAILHTML_WHY], why2[MAILHTML_WHY], site[256];
	char	 host[MAILHTML_HOST_MAX + 1];
	size_t	 i;
	int	 rc;

	for (i = 0; i < 2; i++) {
		why[0] = why2[0] = '\0';
		rc = mailhtml_check_text(s, sites[i], why, sizeof(why));
		FUZZ_ASSERT(rc == 0 || (rc == -1 && why[0] != '\0'));
		FUZZ_ASSERT(mailhtml_check_text(s, sites[i], why2,
		    sizeof(why2)) == rc && strcmp(why, why2) == 0);
		why[0] = '\0';
		rc = mailhtml_check_value(s, sites[i], why, sizeof(why));
		FUZZ_ASSERT(rc == 0 || (rc == -1 && why[0] != '\0'));
	}
	if (mailhtml_site(s, site, sizeof(site)) == 0) {
		FUZZ_ASSERT(site[0] != '\0' && strlen(site) < sizeof(site));
		/* the URL's host, less one "www." when a name with a dot is
		 * left ("www.www.shop.example" is the site www.shop.example) */
		FUZZ_ASSERT(mailhtml_url_host(s, host) == 0);
		if (strncmp(host, "www.", 4) == 0 &&
		    strchr(host + 4, '.') != NULL)
			FUZZ_ASSERT(strcmp(site, host + 4) == 0);
		else
			FUZZ_ASSERT(strcmp(site, host) == 0);
		for (i = 0; site[i] != '\0'; i++)
			FUZZ_ASSERT(site[i] < 'A' || site[i] > 'Z');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s = fuzz_string(data, size);
	size_t	 len = strlen(s);

	check_utf8(s, len);
	check_escape(s);
	if (len < 4096)
		check_mailhtml(s);
	free(s);
	return 0;
}
