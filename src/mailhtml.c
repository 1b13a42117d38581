/*
 * mailhtml: the e-mail rules for invitation templates (see mailhtml.h).
 *
 * The HTML check is one left-to-right pass over the template, refusing at
 * the first thing outside the allow-list. It is stricter than HTML on
 * purpose wherever parsers disagree (a bare '<', attributes not separated
 * by spaces, duplicate attributes, unquoted placeholders), so what we
 * checked is what a mail client shows. Work is linear in the input and
 * nothing recurses. Pure functions, no state: any thread.
 *
 * This file walks the template: elements, text and the URLs in the text
 * as rendered; mailhtml_attr.c checks attribute values. What the two
 * share is mailhtml_scan.h.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/mailhtml.h"
#include "reviewd/mailhtml_scan.h"

#define ATTRS_MAX	32
#define MIN_SIZE	10.0	/* px, the smallest text allowed */
#define NEAR_COLOR	32	/* channels closer than this: unreadable */

static const char *const tags[] = {
	"a", "abbr", "b", "blockquote", "body", "br", "caption", "center",
	"code", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr",
	"html", "i", "img", "li", "meta", "ol", "p", "pre", "s", "small",
	"span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
	"thead", "title", "tr", "u", "ul", NULL
};

static const char *const void_tags[] = { "br", "hr", "img", "meta", NULL };

/* Attributes any allowed tag may have; then those of one tag. */
static const char *const common_attrs[] = {
	"style", "class", "id", "title", "dir", "lang", "align", "valign",
	"width", "height", "bgcolor", "border", "cellpadding", "cellspacing",
	"colspan", "rowspan", NULL
};

static const struct {
	const char	*tag;
	const char	*attrs[4];
} tag_attrs[] = {
	{ "a", { "href", "target", "rel", NULL } },
	{ "img", { "src", "alt", NULL } },
	{ "meta", { "charset", NULL } },
};

bool
mailhtml_in_list(const char *const *list, const char *s)
{
	size_t	 i;

	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], s) == 0)
			return true;
	}
	return false;
}

bool
mailhtml_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

int
mailhtml_fail(struct mailhtml_scan *sc, const char *p, const char *fmt, ...)
{
	const char	*q;
	size_t		 line = 1, pos, i;
	int		 n = 0;
	va_list		 ap;

	if (sc->mapping && sc->nruns > 0) {
		/* p is in the rendered text: back to the template */
		pos = (size_t)(p - sc->text);
		for (i = sc->nruns; i > 1 && sc->runs[i - 1].off > pos; i--)
			;
		p = sc->runs[i - 1].src + (pos - sc->runs[i - 1].off);
	}
	if (sc->start != NULL) {
		for (q = sc->start; q < p; q++)
			line += *q == '\n';
		n = snprintf(sc->why, sc->whylen, "line %zu: ", line);
		if (n < 0 || (size_t)n >= sc->whylen)
			return -1;
	}
	va_start(ap, fmt);
	(void)vsnprintf(sc->why + n, sc->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
host_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-';
}

bool
mailhtml_logo_ok(const char *url, const char *site)
{
	char	 host[256];

	return strncmp(url, "https://", 8) == 0 &&
	    mailhtml_site(url, host, sizeof(host)) == 0 &&
	    mailhtml_site_ok(host, site);
}

/* The business's own site: the host itself or one of its subdomains. */
bool
mailhtml_site_ok(const char *host, const char *site)
{
	size_t	 hl = strlen(host), sl;

	if (site == NULL || *site == '\0')
		return false;
	sl = strlen(site);
	return strcmp(host, site) == 0 || (hl > sl &&
	    host[hl - sl - 1] == '.' && strcmp(host + hl - sl, site) == 0);
}

/* Length of "http://" or "https://" at s (any case), else 0. */
static size_t
scheme_len(const char *s)
{
	if (strncasecmp(s, "http://", 7) == 0)
		return 7;
	if (strncasecmp(s, "https://", 8) == 0)
		return 8;
	return 0;
}

/*
 * The host of the URL at url (whole string) into host, lowercase: a plain
 * [a-z0-9.-] name followed by the end, a port, a path, a query or a
 * fragment. No userinfo, percent-encoding, backslashes or spaces: those are
 * where a host hides from a check like this one. 0 or -1.
 */
int
mailhtml_url_host(const char *url, char host[MAILHTML_HOST_MAX + 1])
{
	size_t		 s = scheme_len(url), n = 0;
	const char	*p;

	if (s == 0)
		return -1;
	for (p = url + s; host_char(*p); p++) {
		if (n == MAILHTML_HOST_MAX)
			return -1;
		host[n++] = (char)tolower((unsigned char)*p);
	}
	host[n] = '\0';
	if (n == 0 || host[0] == '.' || host[n - 1] == '.')
		return -1;
	if (*p == ':') {
		if (!isdigit((unsigned char)p[1]))
			return -1;
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
		return -1;
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == '\\' || *p == 0x7f)
			return -1;
	}
	return 0;
}

int
mailhtml_site(const char *url, char *out, size_t outlen)
{
	char	 host[MAILHTML_HOST_MAX + 1];
	char	*h = host;
	int	 n;

	if (url == NULL || mailhtml_url_host(url, host) == -1)
		return -1;
	if (strncmp(h, "www.", 4) == 0 && strchr(h + 4, '.') != NULL)
		h += 4;
	n = snprintf(out, outlen, "%s", h);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/*
 * Whether the run host (n bytes, lowercase, no trailing dots) names a host
 * a mail client would link or a reader would type, written without scheme
 * or "www.": labels joined by dots, the last one 2+ letters, and either a
 * label before it of 2+ characters ("evil-bank.com") or a '/' after it
 * ("t.co/x"); or four numbers (an IPv4 address). Initials ("J.R.R.
 * Tolkien", "e.g.") do not count. *skip is set to where the host starts
 * in the run (after an empty label: "a..evil.com").
 */
static bool
bare_host(const char *host, size_t n, char after, size_t *skip)
{
	size_t	 i, start = 0, labels = 0, len = 0, digits = 0;
	bool	 long_label = false, letters = true, numeric = true;

	for (i = 0; i <= n; i++) {
		if (i < n && host[i] != '.') {
			len++;
			letters = letters && isalpha((unsigned char)host[i]);
			numeric = numeric && isdigit((unsigned char)host[i]);
			continue;
		}
		if (len == 0) {		/* an empty label starts over */
			start = i + 1;
			labels = digits = 0;
			long_label = false;
		} else {
			labels++;
			digits += numeric;
			if (i < n && len >= 2)
				long_label = true;
		}
		if (i < n) {
			len = 0;
			letters = numeric = true;
		}
	}
	*skip = start;
	if (labels == 4 && digits == 4)
		return true;
	return labels >= 2 && len >= 2 && letters && (long_label ||
	    after == '/');
}

/*
 * Whether a placeholder starts or ends at p glued to what is around it:
 * "{{business}}.com", "evil-bank.{{name}}", "{{name}}{{business}}". Its
 * value passes mailhtml_check_value alone, but with the template's text
 * it could spell a host. A '.' after one that ends a sentence, '-' and
 * other punctuation are fine.
 */
static bool
glued(const char *p, const char *text, const char *end)
{
	char	 c;

	if (end - p >= 2 && p[0] == '{' && p[1] == '{' && p > text) {
		c = p[-1];
		return isalnum((unsigned char)c) || strchr("./:@}", c) != NULL;
	}
	if (end - p >= 3 && p[0] == '}' && p[1] == '}') {
		c = p[2];
		return isalnum((unsigned char)c) || strchr("/:@{", c) != NULL ||
		    (c == '.' && end - p >= 4 && isalnum((unsigned char)p[3]));
	}
	return false;
}

/*
 * Scans text (len bytes, plain text as a reader sees it) for URLs a mail
 * client would make clickable or a reader would type: "http://",
 * "https://", "www." and bare host names (bare_host). Each one's host must
 * be on the site. 0 or -1 via fail.
 */
static int
scan_urls(struct mailhtml_scan *sc, const char *text, size_t len)
{
	char		 host[MAILHTML_HOST_MAX + 1];
	const char	*p, *end = text + len, *h, *next;
	size_t		 n, s, skip, run;
	bool		 word, bare;

	for (p = text; p < end; p++) {
		/* the text lies inside a NUL-terminated string: reading a
		 * few bytes past end is safe, and a match needs none of
		 * them */
		if (sc->start != NULL && glued(p, text, end))
			return mailhtml_fail(sc, p, "a placeholder may not "
			    "touch a word, '.', '/', ':', '@' or another "
			    "placeholder: with its value it could spell a host "
			    "name; put a space around it");
		word = p == text || !host_char(p[-1]);
		s = scheme_len(p);
		if (p + s > end)
			s = 0;
		bare = s == 0 && (end - p < 4 || strncasecmp(p, "www.",
		    4) != 0 || !word);
		if (bare && (!word || !host_char(*p)))
			continue;
		for (h = p + s; bare && h < end && (*h == '.' || *h == '-');
		    h++)
			;
		for (run = 0; h + run < end && host_char(h[run]); run++)
			;
		next = h + run;
		if (run > MAILHTML_HOST_MAX && !bare)
			return mailhtml_fail(sc, p, "a URL in the text has a "
			    "host name that is too long");
		if (run > MAILHTML_HOST_MAX) {
			/* a host name is a suffix of the run that fits:
			 * from the first label that starts in the last
			 * MAILHTML_HOST_MAX bytes */
			for (h = next - MAILHTML_HOST_MAX; h < next &&
			    h[-1] != '.'; h++)
				;
		}
		for (n = 0; h + n < next; n++)
			host[n] = (char)tolower((unsigned char)h[n]);
		/* the end of a sentence, a dash after the name */
		while (n > 0 && (host[n - 1] == '.' || host[n - 1] == '-'))
			n--;
		host[n] = '\0';
		skip = 0;
		if (bare && (!bare_host(host, n, h + n < end ? h[n] : '\0',
		    &skip) || (h + n < end && h[n] == '@'))) {
			/* no host, or the name before an address's '@' */
			p = next > p ? next - 1 : p;
			continue;
		}
		if (!bare && h + n < end && (h[n] == '@' || h[n] == '\\' ||
		    h[n] == '%'))
			return mailhtml_fail(sc, p, "a URL in the text hides "
			    "its host behind '%c'", h[n]);
		if (!mailhtml_site_ok(host + skip, sc->site) &&
		    sc->start == NULL)
			return mailhtml_fail(sc, p, "may not name a URL or "
			    "host (\"%.60s\"): it is shown in the invitation "
			    "e-mail%s%s%s", host + skip, sc->site != NULL ?
			    " (only the business's own website, " : "",
			    sc->site != NULL ? sc->site : "", sc->site !=
			    NULL ? ")" : "");
		if (!mailhtml_site_ok(host + skip, sc->site))
			return mailhtml_fail(sc, p, "the text names the %s "
			    "\"%.60s\"; URLs and host names may only go to the "
			    "business's own website (%s)", bare ? "host name" :
			    "URL host", host + skip, sc->site != NULL ?
			    sc->site : "none is set");
		p = next > p ? next - 1 : p;
	}
	return 0;
}

/* True for bytes a reader sees: ASCII letters and digits, and UTF-8
 * sequences other than the invisible spaces and joiners. */
static bool
visible(const char *p, const char *end)
{
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 left = (size_t)(end - p);

	if (isalnum(u[0]))
		return true;
	if (u[0] < 0xc2)
		return false;
	if (u[0] == 0xc2 && left >= 2 && (u[1] == 0xa0 || u[1] == 0xad))
		return false;		/* no-break space, soft hyphen */
	if (u[0] == 0xe2 && left >= 3 && u[1] == 0x80 && ((u[2] >= 0x8b &&
	    u[2] <= 0x8f) || (u[2] >= 0xa8 && u[2] <= 0xaf)))
		return false;		/* zero-width, separators */
	if (u[0] == 0xe2 && left >= 3 && u[1] == 0x81 && u[2] >= 0xa0)
		return false;		/* word joiner and invisibles */
	if (u[0] == 0xef && left >= 3 && u[1] == 0xbb && u[2] == 0xbf)
		return false;		/* byte order mark */
	return u[0] >= 0xc2;
}

/*
 * A character reference in text that spells URL syntax (":", "/", ".",
 * "@", a letter or digit) hides a URL from scan_urls while the reader's
 * mail client still makes it a link: refused.
 */
static int
check_reference(struct mailhtml_scan *sc, const char *p)
{
	static const char *const named[] = { "&colon;", "&sol;", "&period;",
	    "&commat;", "&bsol;", "&fullstop;", NULL };
	unsigned long	 v;
	char		*end;
	size_t		 i;

	for (i = 0; named[i] != NULL; i++) {
		if (strncasecmp(p, named[i], strlen(named[i])) == 0)
			return mailhtml_fail(sc, p, "the character reference "
			    "%s is not allowed in text; write the "
			    "character", named[i]);
	}
	if (p[1] != '#')
		return 0;
	if (p[2] == 'x' || p[2] == 'X')
		v = strtoul(p + 3, &end, 16);
	else
		v = strtoul(p + 2, &end, 10);
	if (end == p + 2 || end == p + 3)
		return 0;
	if (v < 0x80 && (isalnum((int)v) || v == ':' || v == '/' ||
	    v == '.' || v == '@' || v == '\\'))
		return mailhtml_fail(sc, p, "the character reference %.*s is "
		    "not allowed in text; write the character",
		    (int)(end - p + (*end == ';')), p);
	return 0;
}

/*
 * The length of the character reference at p ("&name;" or "&#...;"), 0 when
 * '&' starts none; *shown says whether it is a character a reader sees
 * (not a space, joiner or other invisible).
 */
static size_t
reference(const char *p, const char *end, bool *shown)
{
	static const char *const blank[] = { "nbsp", "shy", "zwnj", "zwj",
	    "ensp", "emsp", "thinsp", "hairsp", "nobreak", "zerowidthspace",
	    "lrm", "rlm", "tab", "newline", NULL };
	char		 name[16];
	unsigned long	 v;
	size_t		 n;

	for (n = 1; p + n < end && n < sizeof(name) && (isalnum((unsigned
	    char)p[n]) || (n == 1 && p[n] == '#')); n++)
		name[n - 1] = (char)tolower((unsigned char)p[n]);
	if (n == 1 || p + n >= end || p[n] != ';')
		return 0;
	name[n - 1] = '\0';
	if (name[0] != '#') {
		*shown = !mailhtml_in_list(blank, name);
		return n + 1;
	}
	v = name[1] == 'x' ? strtoul(name + 2, NULL, 16) :
	    strtoul(name + 1, NULL, 10);
	*shown = !(v <= 0x20 || v == 0xa0 || v == 0xad || (v >= 0x2000 &&
	    v <= 0x200f) || (v >= 0x2028 && v <= 0x202f) || (v >= 0x2060 &&
	    v <= 0x206f) || v == 0xfeff);
	return n + 1;
}

/* The length of the invisible UTF-8 sequence at p (no-break space, soft
 * hyphen, zero-width characters, joiners, marks), 0 if none. */
static size_t
invisible(const char *p, const char *end)
{
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 left = (size_t)(end - p);

	if (u[0] == 0xc2 && left >= 2 && (u[1] == 0xa0 || u[1] == 0xad))
		return 2;
	if (u[0] == 0xe2 && left >= 3 && u[1] == 0x80 && ((u[2] >= 0x8b &&
	    u[2] <= 0x8f) || (u[2] >= 0xa8 && u[2] <= 0xaf)))
		return 3;
	if (u[0] == 0xe2 && left >= 3 && u[1] == 0x81 && u[2] >= 0xa0)
		return 3;
	if (u[0] == 0xef && left >= 3 && u[1] == 0xbb && u[2] == 0xbf)
		return 3;
	return 0;
}

/* Appends n bytes from src to the rendered text; 0 or -1. */
static int
put_text(struct mailhtml_scan *sc, const char *src, size_t n)
{
	struct mailhtml_run	*r;
	size_t		 cap;

	if (sc->nruns == 0 || src != sc->src_next) {
		if (sc->nruns == sc->runcap) {
			cap = sc->runcap == 0 ? 64 : 2 * sc->runcap;
			r = reallocarray(sc->runs, cap, sizeof(*r));
			if (r == NULL)
				return mailhtml_fail(sc, src, "out of memory");
			sc->runs = r;
			sc->runcap = cap;
		}
		sc->runs[sc->nruns].off = sc->tlen;
		sc->runs[sc->nruns++].src = src;
	}
	/* never longer than the template: text is copied, each tag of 3+
	 * bytes becomes at most one '\n' */
	if (n > sc->tcap - sc->tlen)
		return mailhtml_fail(sc, src, "the text is longer than the "
		    "template");
	memcpy(sc->text + sc->tlen, src, n);
	sc->tlen += n;
	sc->src_next = src + n;
	return 0;
}

/* Ends a line of the rendered text at the tag at: block elements
 * separate the words around them. 0 or -1. */
static int
put_break(struct mailhtml_scan *sc, const char *at)
{
	if (sc->tlen == 0 || sc->text[sc->tlen - 1] == '\n')
		return 0;
	sc->src_next = NULL;		/* a run of its own, at the tag */
	if (put_text(sc, at, 1) == -1)
		return -1;
	sc->text[sc->tlen - 1] = '\n';
	sc->src_next = NULL;
	return 0;
}

static const struct mailhtml_look base_look = {
	0x000000, 0xffffff, MAILHTML_BASE_SIZE
};

const struct mailhtml_look *
mailhtml_top_look(const struct mailhtml_scan *sc)
{
	return sc->depth > 0 ? &sc->stack[sc->depth - 1].look : &base_look;
}

/* Whether colours a and b are too close to tell apart. */
static bool
near_color(long a, long b)
{
	int	 i;
	long	 d;

	for (i = 0; i < 24; i += 8) {
		d = ((a >> i) & 0xff) - ((b >> i) & 0xff);
		if (d >= NEAR_COLOR || d <= -NEAR_COLOR)
			return false;
	}
	return true;
}

/*
 * Text between tags: checked, and added to the rendered text without its
 * invisible characters (a zero-width space must not split a URL from the
 * scan that a reader still sees whole).
 */
static int
text_run(struct mailhtml_scan *sc, const char *p, const char *end)
{
	const struct mailhtml_look *lk = mailhtml_top_look(sc);
	const char	*q;
	size_t		 n;
	bool		 shown, any = false;

	for (q = p; q < end; q++) {
		if (sc->in_head && !mailhtml_is_space(*q))
			return mailhtml_fail(sc, q, "text is not allowed in "
			    "<head>");
		if (sc->body_done && !mailhtml_is_space(*q))
			return mailhtml_fail(sc, q, "nothing may follow "
			    "</body>");
		if (*q == '&') {
			if (check_reference(sc, q) == -1)
				return -1;
			if ((n = reference(q, end, &shown)) > 0) {
				if (shown && put_text(sc, q, n) == -1)
					return -1;
				any = any || shown;
				q += n - 1;
				continue;
			}
		}
		if ((n = invisible(q, end)) > 0) {
			q += n - 1;
			continue;
		}
		any = any || visible(q, end);
		if (put_text(sc, q, 1) == -1)
			return -1;
	}
	if (!any)
		return 0;
	if (sc->in_review_link)
		sc->link_text = true;
	if (near_color(lk->color, lk->bg))
		return mailhtml_fail(sc, p, "text in <%s> is #%06lx on #%06lx; "
		    "text must stand out from its background", sc->depth > 0 ?
		    sc->stack[sc->depth - 1].tag : "body", lk->color,
		    lk->bg);
	return 0;
}

static bool
attr_allowed(const char *tag, const char *attr)
{
	size_t	 i;

	if (mailhtml_in_list(common_attrs, attr))
		return true;
	for (i = 0; i < sizeof(tag_attrs) / sizeof(tag_attrs[0]); i++) {
		if (strcmp(tag_attrs[i].tag, tag) == 0)
			return mailhtml_in_list(tag_attrs[i].attrs, attr);
	}
	return false;
}

/* Reads a name of letters, digits and '-' (lowercased); its length, 0 if
 * none or too long. */
static size_t
read_name(const char *p, char out[MAILHTML_NAME_MAX])
{
	size_t	 n;

	if (!isalpha((unsigned char)*p))
		return 0;
	for (n = 0; isalnum((unsigned char)p[n]) || p[n] == '-'; n++) {
		if (n + 1 == MAILHTML_NAME_MAX)
			return 0;
		out[n] = (char)tolower((unsigned char)p[n]);
	}
	out[n] = '\0';
	return n;
}

/* Tags that do not end a line of the rendered text. */
static const char *const inline_tags[] = {
	"a", "abbr", "b", "code", "em", "i", "img", "s", "small", "span",
	"strong", "sub", "sup", "u", NULL
};

/* The look of the element tag opens, before its attributes: what it
 * inherits, a link's colour, the smaller text of some tags. */
static void
open_look(struct mailhtml_scan *sc, const char *tag)
{
	sc->next = *mailhtml_top_look(sc);
	sc->next_css_bg = false;
	if (strcmp(tag, "a") == 0)
		sc->next.color = 0x0000ee;	/* a client's link colour */
	if (strcmp(tag, "small") == 0 || strcmp(tag, "sub") == 0 ||
	    strcmp(tag, "sup") == 0)
		sc->next.size /= 1.2;
	else if (strcmp(tag, "h5") == 0)
		sc->next.size *= 0.83;
	else if (strcmp(tag, "h6") == 0)
		sc->next.size *= 0.67;
}

/* <title>'s text, up to </title>; *pp left at its end tag. */
static int
title_text(struct mailhtml_scan *sc, const char *at, const char **pp)
{
	const char	*close;
	int		 r;

	for (close = *pp; (close = strchr(close, '<')) != NULL; close++) {
		if (strncasecmp(close, "</title", 7) == 0)
			break;
		return mailhtml_fail(sc, close, "<title> may hold only text; "
		    "write '<' as &lt;");
	}
	if (close == NULL)
		return mailhtml_fail(sc, at, "<title> is not closed");
	sc->in_head = false;
	r = text_run(sc, *pp, close);
	sc->in_head = true;
	*pp = close;
	return r;
}

/*
 * The attributes of the start tag <tag at *pp (just after its name), each
 * allowed on tag, once, and checked; *pp left at its '>' or "/>". *href
 * says whether one was an href, *review whether that href is {{link}}.
 */
static int
attributes(struct mailhtml_scan *sc, const char *at, const char *tag,
    const char **pp, bool *href, bool *review)
{
	char		 name[MAILHTML_NAME_MAX];
	char		 seen[ATTRS_MAX][MAILHTML_NAME_MAX];
	const char	*p = *pp;
	size_t		 n, nseen = 0, i;
	bool		 r;

	for (;;) {
		if (*p == '>' || (p[0] == '/' && p[1] == '>'))
			break;
		if (!mailhtml_is_space(*p))
			return mailhtml_fail(sc, at, "<%s> has '%c' where a "
			    "space, an attribute or '>' must be", tag, *p);
		while (mailhtml_is_space(*p))
			p++;
		if (*p == '>' || (p[0] == '/' && p[1] == '>'))
			break;
		if ((n = read_name(p, name)) == 0)
			return mailhtml_fail(sc, at, "<%s> has a malformed "
			    "attribute", tag);
		if (strncmp(name, "on", 2) == 0)
			return mailhtml_fail(sc, at, "event handler attributes "
			    "(%s) are not allowed", name);
		if (!attr_allowed(tag, name))
			return mailhtml_fail(sc, at, "the attribute %s is not "
			    "allowed on <%s>", name, tag);
		for (i = 0; i < nseen; i++) {
			if (strcmp(seen[i], name) == 0)
				return mailhtml_fail(sc, at, "<%s> has %s "
				    "twice", tag, name);
		}
		if (nseen == ATTRS_MAX)
			return mailhtml_fail(sc, at, "<%s> has too many "
			    "attributes", tag);
		memcpy(seen[nseen++], name, sizeof(name));
		p += n;
		r = false;
		if (mailhtml_attribute(sc, name, &p, &r) == -1)
			return -1;
		if (strcmp(name, "href") == 0) {
			*href = true;
			*review = r;
		}
	}
	*pp = p;
	return 0;
}

/* A start tag at p ('<' then a letter); *pp left after its '>'. */
static int
start_tag(struct mailhtml_scan *sc, const char **pp)
{
	char		 tag[MAILHTML_NAME_MAX];
	const char	*p = *pp + 1, *at = *pp;
	size_t		 n;
	bool		 review = false, href = false, is_void;

	if ((n = read_name(p, tag)) == 0 || !mailhtml_in_list(tags, tag))
		return mailhtml_fail(sc, at, "the tag <%.*s> is not allowed",
		    (int)strcspn(p, " \t\r\n/>"), p);
	if (sc->body_done)
		return mailhtml_fail(sc, at, "nothing may follow </body>");
	is_void = mailhtml_in_list(void_tags, tag);
	open_look(sc, tag);
	p += n;
	if (attributes(sc, at, tag, &p, &href, &review) == -1)
		return -1;
	if (*p == '/' && !is_void)
		return mailhtml_fail(sc, at, "<%s/> does not close <%s> in "
		    "HTML; write <%s></%s>", tag, tag, tag, tag);
	p += *p == '/' ? 2 : 1;
	if (sc->in_head && strcmp(tag, "title") != 0 &&
	    strcmp(tag, "meta") != 0)
		return mailhtml_fail(sc, at, "<%s> is not allowed in "
		    "<head>%s", tag, strcmp(tag, "body") == 0 ? "; close it "
		    "with </head> first" : "");
	if (!mailhtml_in_list(inline_tags, tag) && put_break(sc, at) == -1)
		return -1;
	if (!is_void) {
		if (!(sc->next.size >= MIN_SIZE))
			return mailhtml_fail(sc, at, "the font-size of <%s> "
			    "would be %.1fpx; text must be at least %.0fpx "
			    "(relative sizes multiply)", tag, sc->next.size,
			    MIN_SIZE);
		if (sc->depth == MAILHTML_DEPTH_MAX)
			return mailhtml_fail(sc, at, "elements are nested more "
			    "than %d deep", MAILHTML_DEPTH_MAX);
		memcpy(sc->stack[sc->depth].tag, tag, sizeof(tag));
		sc->stack[sc->depth++].look = sc->next;
		if (strcmp(tag, "html") == 0)
			sc->root_size = sc->next.size;
	}
	if (strcmp(tag, "head") == 0)
		sc->in_head = true;
	else if (strcmp(tag, "title") == 0) {
		if (title_text(sc, at, &p) == -1)
			return -1;
	} else if (strcmp(tag, "a") == 0) {
		if (sc->in_a)
			return mailhtml_fail(sc, at, "a link inside a link is "
			    "not allowed");
		if (!href)
			return mailhtml_fail(sc, at, "<a> needs an href");
		sc->in_a = true;
		sc->in_review_link = review;
		sc->link_text = false;
	}
	*pp = p;
	return 0;
}

static int
end_tag(struct mailhtml_scan *sc, const char **pp)
{
	char		 tag[MAILHTML_NAME_MAX];
	const char	*p = *pp + 2, *at = *pp;
	size_t		 n;

	if ((n = read_name(p, tag)) == 0 || !mailhtml_in_list(tags, tag))
		return mailhtml_fail(sc, at, "the end tag </%.*s> is not "
		    "allowed", (int)strcspn(p, " \t\r\n>"), p);
	if (mailhtml_in_list(void_tags, tag))
		return mailhtml_fail(sc, at, "</%s> closes an element that has "
		    "no end tag", tag);
	for (p += n; mailhtml_is_space(*p); p++)
		;
	if (*p != '>')
		return mailhtml_fail(sc, at, "</%s> must end with '>'", tag);
	/* every element closed, in order: nothing the business leaves
	 * open may wrap the platform's footer */
	if (sc->depth == 0)
		return mailhtml_fail(sc, at, "</%s> closes nothing", tag);
	if (strcmp(sc->stack[sc->depth - 1].tag, tag) != 0)
		return mailhtml_fail(sc, at, "</%s> found where </%s> must "
		    "close <%s> first", tag, sc->stack[sc->depth - 1].tag,
		    sc->stack[sc->depth - 1].tag);
	sc->depth--;
	if (strcmp(tag, "a") == 0) {
		if (sc->in_review_link && sc->link_text)
			sc->review_link = true;
		sc->in_a = sc->in_review_link = false;
	} else if (strcmp(tag, "head") == 0)
		sc->in_head = false;
	else if (strcmp(tag, "body") == 0)
		sc->body_done = true;
	if (!mailhtml_in_list(inline_tags, tag) && put_break(sc, at) == -1)
		return -1;
	*pp = p + 1;
	return 0;
}

/* The markup pass of mailhtml_check: tags and text runs, into sc. */
static int
markup(struct mailhtml_scan *sc, const char *html)
{
	const char	*p = html, *lt;

	while (*p != '\0') {
		lt = strchr(p, '<');
		if (lt == NULL)
			lt = p + strlen(p);
		if (lt > p && text_run(sc, p, lt) == -1)
			return -1;
		p = lt;
		if (*p == '\0')
			break;
		if (strncmp(p, "<!--", 4) == 0)
			return mailhtml_fail(sc, p, "HTML comments are not "
			    "allowed");
		if (strncasecmp(p, "<!doctype", 9) == 0) {
			lt = strchr(p, '>');
			if (lt == NULL || memchr(p + 1, '<',
			    (size_t)(lt - p)) != NULL)
				return mailhtml_fail(sc, p, "the doctype is "
				    "not closed");
			p = lt + 1;
			continue;
		}
		if (p[1] == '!' || p[1] == '?')
			return mailhtml_fail(sc, p, "comments, CDATA and "
			    "processing instructions are not allowed");
		if (p[1] == '/') {
			if (end_tag(sc, &p) == -1)
				return -1;
			continue;
		}
		if (!isalpha((unsigned char)p[1]))
			return mailhtml_fail(sc, p, "a '<' that starts no tag "
			    "must be written &lt;");
		if (start_tag(sc, &p) == -1)
			return -1;
	}
	if (sc->depth > 0)
		return mailhtml_fail(sc, p, "<%s> is not closed; close every "
		    "element (</%s>)", sc->stack[sc->depth - 1].tag,
		    sc->stack[sc->depth - 1].tag);
	if (!sc->review_link)
		return mailhtml_fail(sc, p, "the review link must be the href "
		    "of an <a> with visible text: <a href=\"{{link}}\">Write a "
		    "review</a>");
	/* URLs as the reader sees them: "htt<b></b>p://" is one word */
	sc->mapping = true;
	return scan_urls(sc, sc->text, sc->tlen);
}

static void
scan_init(struct mailhtml_scan *sc, const char *start, const char *site,
    char *why, size_t whylen)
{
	memset(sc, 0, sizeof(*sc));
	sc->start = start;
	sc->site = site;
	sc->why = why;
	sc->whylen = whylen;
	sc->root_size = MAILHTML_BASE_SIZE;
	if (whylen > 0)
		why[0] = '\0';
}

int
mailhtml_check(const char *html, const char *site, char *why,
    size_t whylen)
{
	struct mailhtml_scan	 sc;
	int		 ret = -1;

	scan_init(&sc, html, site, why, whylen);
	sc.tcap = strlen(html) + 1;
	/* zeroed, with room past tcap: scan_urls looks a few bytes ahead
	 * and must find NULs there, as in the NUL-terminated strings */
	if ((sc.text = calloc(1, sc.tcap + 16)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (markup(&sc, html) == -1)
		goto out;
	ret = 0;
out:
	free(sc.text);
	free(sc.runs);
	return ret;
}

/* The URLs in text on site; reasons name lines when lines. */
static int
check_urls(const char *text, bool lines, const char *site, char *why,
    size_t whylen)
{
	struct mailhtml_scan	 sc;

	scan_init(&sc, lines ? text : NULL, site, why, whylen);
	return scan_urls(&sc, text, strlen(text));
}

int
mailhtml_check_text(const char *text, const char *site, char *why,
    size_t whylen)
{
	return check_urls(text, true, site, why, whylen);
}

int
mailhtml_check_value(const char *value, const char *site, char *why,
    size_t whylen)
{
	return check_urls(value, false, site, why, whylen);
}
