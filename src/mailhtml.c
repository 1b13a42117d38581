/*
 * mailhtml: the e-mail rules for invitation templates (see mailhtml.h).
 *
 * The HTML check is one left-to-right pass over the template, refusing at
 * the first thing outside the allow-list. It is stricter than HTML on
 * purpose wherever parsers disagree (a bare '<', attributes not separated
 * by spaces, duplicate attributes, unquoted placeholders), so what we
 * checked is what a mail client shows. Work is linear in the input and
 * nothing recurses. Pure functions, no state: any thread.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/mailhtml.h"

#define HOST_MAX	254
#define NAME_MAX_LEN	16
#define ATTRS_MAX	32
#define DEPTH_MAX	128	/* open elements */
#define BASE_SIZE	16.0	/* px, a mail client's default font size */
#define MIN_SIZE	10.0	/* px, the smallest text allowed */
#define MAX_SIZE	200.0	/* px: bounds the arithmetic (no inf, NaN) */
#define MAX_LENGTH	800.0	/* px of a margin, padding, width...: more
				 * only pushes what follows out of view */
#define SHOWN_ATTR_MAX	1024	/* bytes of an alt or title text */
#define NEAR_COLOR	32	/* channels closer than this: unreadable */

/* How an element's text looks: colours as 0xrrggbb, size in px. */
struct look {
	long		 color;
	long		 bg;
	double		 size;
};

struct elem {
	char		 tag[NAME_MAX_LEN];
	struct look	 look;
};

/* A piece of the rendered text and where in the template it came from. */
struct run {
	size_t		 off;		/* in the rendered text */
	const char	*src;
};

struct scan {
	const char	*start;		/* for line numbers; NULL: none */
	const char	*site;		/* may be NULL */
	char		*why;
	size_t		 whylen;
	bool		 in_head;
	bool		 in_a;
	bool		 in_review_link;	/* inside <a href="{{link}}"> */
	bool		 link_text;	/* ... and it has visible text */
	bool		 review_link;	/* one such link was complete */
	bool		 body_done;	/* </body> seen */
	struct elem	 stack[DEPTH_MAX];	/* open elements */
	size_t		 depth;
	struct look	 next;		/* of the element being opened */
	bool		 next_css_bg;	/* ... its style set the background */
	double		 root_size;	/* for rem */
	/* the text as rendered: runs joined, tags dropped, blocks broken */
	char		*text;
	size_t		 tlen, tcap;
	struct run	*runs;
	size_t		 nruns, runcap;
	const char	*src_next;	/* where the last run's source ends */
	bool		 mapping;	/* fail() gets a pointer into text */
};

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

static const char *const style_props[] = {
	"color", "background-color", "font-family", "font-weight",
	"font-style", "font-size", "text-align", "text-decoration",
	"line-height", "vertical-align", "width", "max-width",
	"margin", "margin-top", "margin-right", "margin-bottom",
	"margin-left", "padding", "padding-top", "padding-right",
	"padding-bottom", "padding-left", "border", "border-top",
	"border-right", "border-bottom", "border-left", "border-color",
	"border-width", "border-style", "border-radius", "border-collapse",
	NULL
};

static bool
in_list(const char *const *list, const char *s)
{
	size_t	 i;

	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], s) == 0)
			return true;
	}
	return false;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Fills why with "line N: " and the reason for the byte at p; -1. */
static int
fail(struct scan *sc, const char *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct scan *sc, const char *p, const char *fmt, ...)
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

/* The business's own site: the host itself or one of its subdomains. */
static bool
site_ok(const char *host, const char *site)
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
static int
url_host(const char *url, char host[HOST_MAX + 1])
{
	size_t		 s = scheme_len(url), n = 0;
	const char	*p;

	if (s == 0)
		return -1;
	for (p = url + s; host_char(*p); p++) {
		if (n == HOST_MAX)
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
	char	 host[HOST_MAX + 1];
	char	*h = host;
	int	 n;

	if (url == NULL || url_host(url, host) == -1)
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
scan_urls(struct scan *sc, const char *text, size_t len)
{
	char		 host[HOST_MAX + 1];
	const char	*p, *end = text + len, *h, *next;
	size_t		 n, s, skip, run;
	bool		 word, bare;

	for (p = text; p < end; p++) {
		/* the text lies inside a NUL-terminated string: reading a
		 * few bytes past end is safe, and a match needs none of
		 * them */
		if (sc->start != NULL && glued(p, text, end))
			return fail(sc, p, "a placeholder may not touch a "
			    "word, '.', '/', ':', '@' or another placeholder: "
			    "with its value it could spell a host name; put "
			    "a space around it");
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
		if (run > HOST_MAX && !bare)
			return fail(sc, p, "a URL in the text has a host name "
			    "that is too long");
		if (run > HOST_MAX) {
			/* a host name is a suffix of the run that fits:
			 * from the first label that starts in the last
			 * HOST_MAX bytes */
			for (h = next - HOST_MAX; h < next && h[-1] != '.'; h++)
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
			return fail(sc, p, "a URL in the text hides its host "
			    "behind '%c'", h[n]);
		if (!site_ok(host + skip, sc->site) && sc->start == NULL)
			return fail(sc, p, "may not name a URL or host "
			    "(\"%.60s\"): it is shown in the invitation "
			    "e-mail%s%s%s", host + skip, sc->site != NULL ?
			    " (only the business's own website, " : "",
			    sc->site != NULL ? sc->site : "", sc->site !=
			    NULL ? ")" : "");
		if (!site_ok(host + skip, sc->site))
			return fail(sc, p, "the text names the %s \"%.60s\"; "
			    "URLs and host names may only go to the "
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
check_reference(struct scan *sc, const char *p)
{
	static const char *const named[] = { "&colon;", "&sol;", "&period;",
	    "&commat;", "&bsol;", "&fullstop;", NULL };
	unsigned long	 v;
	char		*end;
	size_t		 i;

	for (i = 0; named[i] != NULL; i++) {
		if (strncasecmp(p, named[i], strlen(named[i])) == 0)
			return fail(sc, p, "the character reference %s is not "
			    "allowed in text; write the character", named[i]);
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
		return fail(sc, p, "the character reference %.*s is not "
		    "allowed in text; write the character",
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
		*shown = !in_list(blank, name);
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
put_text(struct scan *sc, const char *src, size_t n)
{
	struct run	*r;
	size_t		 cap;

	if (sc->nruns == 0 || src != sc->src_next) {
		if (sc->nruns == sc->runcap) {
			cap = sc->runcap == 0 ? 64 : 2 * sc->runcap;
			r = reallocarray(sc->runs, cap, sizeof(*r));
			if (r == NULL)
				return fail(sc, src, "out of memory");
			sc->runs = r;
			sc->runcap = cap;
		}
		sc->runs[sc->nruns].off = sc->tlen;
		sc->runs[sc->nruns++].src = src;
	}
	/* never longer than the template: text is copied, each tag of 3+
	 * bytes becomes at most one '\n' */
	if (n > sc->tcap - sc->tlen)
		return fail(sc, src, "the text is longer than the template");
	memcpy(sc->text + sc->tlen, src, n);
	sc->tlen += n;
	sc->src_next = src + n;
	return 0;
}

/* Ends a line of the rendered text at the tag at: block elements
 * separate the words around them. 0 or -1. */
static int
put_break(struct scan *sc, const char *at)
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

static const struct look base_look = { 0x000000, 0xffffff, BASE_SIZE };

static const struct look *
top_look(const struct scan *sc)
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
text_run(struct scan *sc, const char *p, const char *end)
{
	const struct look *lk = top_look(sc);
	const char	*q;
	size_t		 n;
	bool		 shown, any = false;

	for (q = p; q < end; q++) {
		if (sc->in_head && !is_space(*q))
			return fail(sc, q, "text is not allowed in <head>");
		if (sc->body_done && !is_space(*q))
			return fail(sc, q, "nothing may follow </body>");
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
		return fail(sc, p, "text in <%s> is #%06lx on #%06lx; text "
		    "must stand out from its background", sc->depth > 0 ?
		    sc->stack[sc->depth - 1].tag : "body", lk->color,
		    lk->bg);
	return 0;
}

/* A colour value: #rgb, #rrggbb or a name, as 0xrrggbb; -1 for other
 * values (no alpha, no "transparent", no currentcolor). */
static long
parse_color(const char *v)
{
	static const struct {
		const char	*name;
		long		 rgb;
	} names[] = {
		{ "black", 0x000000 }, { "white", 0xffffff },
		{ "gray", 0x808080 }, { "grey", 0x808080 },
		{ "silver", 0xc0c0c0 }, { "darkgray", 0xa9a9a9 },
		{ "darkgrey", 0xa9a9a9 }, { "lightgray", 0xd3d3d3 },
		{ "lightgrey", 0xd3d3d3 }, { "red", 0xff0000 },
		{ "darkred", 0x8b0000 }, { "maroon", 0x800000 },
		{ "orange", 0xffa500 }, { "yellow", 0xffff00 },
		{ "olive", 0x808000 }, { "lime", 0x00ff00 },
		{ "green", 0x008000 }, { "darkgreen", 0x006400 },
		{ "teal", 0x008080 }, { "aqua", 0x00ffff },
		{ "cyan", 0x00ffff }, { "blue", 0x0000ff },
		{ "darkblue", 0x00008b }, { "navy", 0x000080 },
		{ "purple", 0x800080 }, { "fuchsia", 0xff00ff },
		{ "magenta", 0xff00ff },
	};
	size_t	 i, n = strlen(v);
	long	 x = 0;

	if (v[0] != '#') {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strcmp(names[i].name, v) == 0)
				return names[i].rgb;
		}
		return -1;
	}
	if (n != 4 && n != 7)
		return -1;
	for (i = 1; i < n; i++) {
		if (!isxdigit((unsigned char)v[i]))
			return -1;
		x = x * 16 + (isdigit((unsigned char)v[i]) ? v[i] - '0' :
		    tolower((unsigned char)v[i]) - 'a' + 10);
		if (n == 4)
			x = x * 16 + (x & 0xf);
	}
	return x;
}

/*
 * alt and title are text a reader sees (alt when images are blocked, as
 * many clients do by default; title as a tooltip): the rules for URLs in
 * text apply, and no character reference but &amp; may hide a host.
 */
static int
check_shown_attribute(struct scan *sc, const char *at, const char *name,
    const char *v, size_t n)
{
	char		 text[SHOWN_ATTR_MAX], why[200];
	const char	*amp;

	if (n >= sizeof(text))
		return fail(sc, at, "%s is longer than %d bytes", name,
		    SHOWN_ATTR_MAX - 1);
	for (amp = memchr(v, '&', n); amp != NULL; amp = memchr(amp + 1,
	    '&', n - (size_t)(amp + 1 - v))) {
		if ((size_t)(v + n - amp) < 5 || strncmp(amp, "&amp;", 5) != 0)
			return fail(sc, at, "%s may use no character reference "
			    "but &amp;", name);
	}
	memcpy(text, v, n);
	text[n] = '\0';
	if (mailhtml_check_text(text, sc->site, why, sizeof(why)) == -1)
		return fail(sc, at, "%s: %s", name, why);
	return 0;
}

/*
 * A font-size value as px, relative sizes taken from parent (em, %,
 * larger, smaller) and root (rem); -1 when it is not a plain size.
 */
static double
font_px(const char *v, double parent, double root)
{
	static const struct {
		const char	*word;
		double		 px;
	} words[] = {
		{ "xx-small", 9 }, { "x-small", 10 }, { "small", 13 },
		{ "medium", 16 }, { "large", 18 }, { "x-large", 24 },
		{ "xx-large", 32 },
	};
	char	*unit;
	double	 x;
	size_t	 i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(words[i].word, v) == 0)
			return words[i].px;
	}
	if (strcmp(v, "larger") == 0)
		return parent * 1.2;
	if (strcmp(v, "smaller") == 0)
		return parent / 1.2;
	if (strcmp(v, "inherit") == 0)
		return parent;
	if (!isdigit((unsigned char)*v) && *v != '.')
		return -1;
	x = strtod(v, &unit);
	if (strcmp(unit, "px") == 0)
		return x;
	if (strcmp(unit, "pt") == 0)
		return x * 4 / 3;
	if (strcmp(unit, "em") == 0)
		return x * parent;
	if (strcmp(unit, "rem") == 0)
		return x * root;
	if (strcmp(unit, "%") == 0)
		return x * parent / 100;
	return -1;
}

/* A color, background-color or bgcolor value into the look of the
 * element being opened. */
static int
set_color(struct scan *sc, const char *at, const char *prop,
    const char *value)
{
	long	 c;

	if (strcmp(value, "inherit") == 0)
		return 0;
	if ((c = parse_color(value)) == -1)
		return fail(sc, at, "%s \"%.40s\" is not allowed: write an "
		    "opaque colour as #rgb, #rrggbb or a colour name", prop,
		    value);
	if (strcmp(prop, "color") == 0)
		sc->next.color = c;
	else if (strcmp(prop, "background-color") == 0) {
		sc->next.bg = c;
		sc->next_css_bg = true;
	} else if (!sc->next_css_bg)
		sc->next.bg = c;	/* bgcolor: the style wins */
	return 0;
}

/* The style attribute: declarations of listed properties with plain
 * values. */
/*
 * Whether the lengths in a value stay within what a layout needs: a huge
 * margin, padding, border, line height or width after the review link
 * pushes the footer where nobody scrolls. Numbers after '#' are colours.
 * 0, or -1 (reason in why).
 */
static int
lengths_ok(const char *value, bool unitless_is_factor, char *why,
    size_t whylen)
{
	const char	*p = value;
	char		*unit;
	double		 x, px;

	while (*p != '\0') {
		if (*p == '#') {
			while (isalnum((unsigned char)*p) || *p == '#')
				p++;
			continue;
		}
		if ((!isdigit((unsigned char)*p) && *p != '.') ||
		    (p > value && isalpha((unsigned char)p[-1]))) {
			p++;
			continue;
		}
		x = strtod(p, &unit);
		if (unit == p) {
			p++;
			continue;
		}
		if (strncmp(unit, "px", 2) == 0)
			px = x;
		else if (strncmp(unit, "pt", 2) == 0)
			px = x * 4 / 3;
		else if (strncmp(unit, "rem", 3) == 0 ||
		    strncmp(unit, "em", 2) == 0)
			px = x * BASE_SIZE;
		else if (*unit == '%')
			px = x <= 100 ? 0 : MAX_LENGTH + 1;
		else if (isalpha((unsigned char)*unit))
			px = MAX_LENGTH + 1;	/* vh, cm, in...: none of ours */
		else
			px = unitless_is_factor ? x * BASE_SIZE : x;
		/* also false for NaN and inf */
		if (!(px <= MAX_LENGTH)) {
			(void)snprintf(why, whylen, "a length of more than "
			    "%.0fpx (or 100%%)", MAX_LENGTH);
			return -1;
		}
		p = unit;
	}
	return 0;
}

static int
check_style(struct scan *sc, const char *at, const char *v, size_t len)
{
	char		 prop[32], value[256], why[80];
	const char	*p = v, *end = v + len, *semi, *colon, *a, *b;
	size_t		 n, i;
	double		 size;

	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)v[i]) && strchr(" \t\n:;#%.,'\"-!",
		    v[i]) == NULL)
			return fail(sc, at, "style uses '%c'; style values "
			    "may only use letters, digits, spaces and "
			    "# %% . , ' \" - ! (no url(), expressions or "
			    "escapes)", v[i]);
	}
	while (p < end) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		for (a = p; a < semi && is_space(*a); a++)
			;
		if (a == semi) {
			p = semi + 1;
			continue;
		}
		colon = memchr(a, ':', (size_t)(semi - a));
		if (colon == NULL)
			return fail(sc, at, "style has a declaration without "
			    "':'");
		for (b = colon; b > a && is_space(b[-1]); b--)
			;
		n = (size_t)(b - a);
		if (n == 0 || n >= sizeof(prop))
			return fail(sc, at, "style has an unknown property");
		for (i = 0; i < n; i++)
			prop[i] = (char)tolower((unsigned char)a[i]);
		prop[n] = '\0';
		if (!in_list(style_props, prop))
			return fail(sc, at, "the style property \"%s\" is not "
			    "allowed", prop);
		for (a = colon + 1; a < semi && is_space(*a); a++)
			;
		for (b = semi; b > a && is_space(b[-1]); b--)
			;
		n = (size_t)(b - a);
		if (n == 0 || n >= sizeof(value) || memchr(a, ':', n) != NULL)
			return fail(sc, at, "the style property \"%s\" has "
			    "no plain value", prop);
		for (i = 0; i < n; i++)
			value[i] = (char)tolower((unsigned char)a[i]);
		value[n] = '\0';
		if (strstr(value, "transparent") != NULL)
			return fail(sc, at, "style may not make text "
			    "transparent");
		/* CSS reads 0-9px as 0 and -9px: a minus before a digit
		 * is a sign unless it follows a letter (1e-3) */
		for (i = 0; i < n; i++) {
			if (value[i] == '-' && (i == 0 ||
			    !isalpha((unsigned char)value[i - 1])) &&
			    (isdigit((unsigned char)value[i + 1]) ||
			    value[i + 1] == '.'))
				return fail(sc, at, "style may not use "
				    "negative lengths (%s)", prop);
		}
		if (strcmp(prop, "color") == 0 ||
		    strcmp(prop, "background-color") == 0) {
			if (set_color(sc, at, prop, value) == -1)
				return -1;
		} else if ((strncmp(prop, "margin", 6) == 0 ||
		    strncmp(prop, "padding", 7) == 0 ||
		    strncmp(prop, "border", 6) == 0 ||
		    strcmp(prop, "line-height") == 0 ||
		    strstr(prop, "width") != NULL) &&
		    lengths_ok(value, strcmp(prop, "line-height") == 0,
		    why, sizeof(why)) == -1)
			return fail(sc, at, "the style property \"%s\" has %s",
			    prop, why);
		if (strcmp(prop, "font-size") == 0) {
			size = font_px(value, top_look(sc)->size,
			    sc->root_size);
			/* also false for NaN: 1e309px makes inf, and 0em of
			 * it NaN, which no < would catch */
			if (!(size >= 0 && size <= MAX_SIZE))
				return fail(sc, at, "font-size \"%s\" is not a "
				    "plain size up to %.0fpx", value, MAX_SIZE);
			sc->next.size = size;
		}
		p = semi + 1;
	}
	return 0;
}

/* Whether s (n bytes) is exactly the placeholder {{name}} (spaces inside
 * the braces allowed, as the renderer allows them). */
static bool
is_placeholder(const char *s, size_t n, const char *name)
{
	size_t	 k = strlen(name);

	if (n < 4 || strncmp(s, "{{", 2) != 0 || strncmp(s + n - 2, "}}",
	    2) != 0)
		return false;
	s += 2;
	n -= 4;
	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	while (n > 0 && s[n - 1] == ' ')
		n--;
	return n == k && strncmp(s, name, k) == 0;
}

/*
 * A URL attribute value (n bytes, raw) into url with "&amp;" decoded; any
 * other character reference is refused, it could hide the host.
 */
static int
url_value(struct scan *sc, const char *at, const char *v, size_t n,
    char *url, size_t urllen)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		if (o + 1 >= urllen)
			return fail(sc, at, "a URL is too long");
		if (v[i] == '&') {
			if (n - i < 5 || strncasecmp(v + i, "&amp;", 5) != 0)
				return fail(sc, at, "a URL may use no "
				    "character reference but &amp;");
			i += 4;
		}
		url[o++] = v[i];
	}
	url[o] = '\0';
	return 0;
}

static int
check_href(struct scan *sc, const char *at, const char *v, size_t n,
    bool *review)
{
	char	 url[2048], host[HOST_MAX + 1];

	*review = is_placeholder(v, n, "link");
	if (*review || is_placeholder(v, n, "unsubscribeLink"))
		return 0;
	if (url_value(sc, at, v, n, url, sizeof(url)) == -1)
		return -1;
	if (url_host(url, host) == -1)
		return fail(sc, at, "href \"%.60s\" is not allowed: a link "
		    "goes to {{link}}, {{unsubscribeLink}} or an http(s) URL "
		    "on the business's own website", url);
	if (!site_ok(host, sc->site))
		return fail(sc, at, "href \"%.60s\" goes to %s; links may "
		    "only go to {{link}}, {{unsubscribeLink}} or the "
		    "business's own website (%s)", url, host, sc->site !=
		    NULL ? sc->site : "none is set");
	return 0;
}

static int
check_src(struct scan *sc, const char *at, const char *v, size_t n)
{
	char	 url[2048], host[HOST_MAX + 1];

	if (url_value(sc, at, v, n, url, sizeof(url)) == -1)
		return -1;
	if (strncasecmp(url, "https://", 8) != 0 || url_host(url,
	    host) == -1)
		return fail(sc, at, "an image must come from an https:// URL "
		    "(\"%.60s\" is not one)", url);
	return 0;
}

static bool
attr_allowed(const char *tag, const char *attr)
{
	size_t	 i;

	if (in_list(common_attrs, attr))
		return true;
	for (i = 0; i < sizeof(tag_attrs) / sizeof(tag_attrs[0]); i++) {
		if (strcmp(tag_attrs[i].tag, tag) == 0)
			return in_list(tag_attrs[i].attrs, attr);
	}
	return false;
}

/* Reads a name of letters, digits and '-' (lowercased); its length, 0 if
 * none or too long. */
static size_t
read_name(const char *p, char out[NAME_MAX_LEN])
{
	size_t	 n;

	if (!isalpha((unsigned char)*p))
		return 0;
	for (n = 0; isalnum((unsigned char)p[n]) || p[n] == '-'; n++) {
		if (n + 1 == NAME_MAX_LEN)
			return 0;
		out[n] = (char)tolower((unsigned char)p[n]);
	}
	out[n] = '\0';
	return n;
}

/* One attribute's value at *pp; checks it. Leaves *pp after it. */
static int
attribute(struct scan *sc, const char *name, const char **pp, bool *review)
{
	const char	*p = *pp, *v, *at = *pp;
	size_t		 n;
	bool		 quoted;

	while (is_space(*p))
		p++;
	if (*p != '=') {		/* no value: <td nowrap> */
		v = "";
		n = 0;
		quoted = false;
	} else {
		for (p++; is_space(*p); p++)
			;
		quoted = *p == '"' || *p == '\'';
		if (quoted) {
			const char	*close = strchr(p + 1, *p);

			if (close == NULL)
				return fail(sc, at, "the value of %s is not "
				    "closed", name);
			v = p + 1;
			n = (size_t)(close - v);
			p = close + 1;
		} else {
			v = p;
			while (*p != '\0' && !is_space(*p) && *p != '>' &&
			    strchr("\"'<=`", *p) == NULL)
				p++;
			n = (size_t)(p - v);
			if (n == 0)
				return fail(sc, at, "%s has an empty value",
				    name);
		}
		if (!quoted && memmem(v, n, "{{", 2) != NULL)
			return fail(sc, at, "a placeholder in the value of %s "
			    "must be in quotes", name);
		if (memchr(v, '<', n) != NULL || memchr(v, '>', n) != NULL)
			return fail(sc, at, "the value of %s may not contain "
			    "'<' or '>'; write &lt; and &gt;", name);
	}
	*pp = p;
	if (strcmp(name, "bgcolor") == 0) {
		char	 c[16];
		size_t	 i;

		for (i = 0; i < n && i + 1 < sizeof(c); i++)
			c[i] = (char)tolower((unsigned char)v[i]);
		c[i] = '\0';
		return set_color(sc, at, name, i == n ? c : "?");
	}
	if (strcmp(name, "alt") == 0 || strcmp(name, "title") == 0)
		return check_shown_attribute(sc, at, name, v, n);
	if (strcmp(name, "height") == 0 || strcmp(name, "width") == 0 ||
	    strcmp(name, "cellpadding") == 0 ||
	    strcmp(name, "cellspacing") == 0 || strcmp(name, "border") == 0) {
		char	 num[32], why[80];

		if (n >= sizeof(num))
			return fail(sc, at, "%s is not a plain number", name);
		memcpy(num, v, n);
		num[n] = '\0';
		if (lengths_ok(num, false, why, sizeof(why)) == -1)
			return fail(sc, at, "%s has %s", name, why);
	}
	if (strcmp(name, "href") == 0)
		return check_href(sc, at, v, n, review);
	if (strcmp(name, "src") == 0)
		return check_src(sc, at, v, n);
	if (strcmp(name, "style") == 0)
		return check_style(sc, at, v, n);
	if (strcmp(name, "target") == 0 && (n != 6 || strncasecmp(v,
	    "_blank", 6) != 0))
		return fail(sc, at, "target may only be _blank");
	return 0;
}

/* Tags that do not end a line of the rendered text. */
static const char *const inline_tags[] = {
	"a", "abbr", "b", "code", "em", "i", "img", "s", "small", "span",
	"strong", "sub", "sup", "u", NULL
};

/* The look of the element tag opens, before its attributes: what it
 * inherits, a link's colour, the smaller text of some tags. */
static void
open_look(struct scan *sc, const char *tag)
{
	sc->next = *top_look(sc);
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
title_text(struct scan *sc, const char *at, const char **pp)
{
	const char	*close;
	int		 r;

	for (close = *pp; (close = strchr(close, '<')) != NULL; close++) {
		if (strncasecmp(close, "</title", 7) == 0)
			break;
		return fail(sc, close, "<title> may hold only text; write "
		    "'<' as &lt;");
	}
	if (close == NULL)
		return fail(sc, at, "<title> is not closed");
	sc->in_head = false;
	r = text_run(sc, *pp, close);
	sc->in_head = true;
	*pp = close;
	return r;
}

/* A start tag at p ('<' then a letter); *pp left after its '>'. */
static int
start_tag(struct scan *sc, const char **pp)
{
	char		 tag[NAME_MAX_LEN], name[NAME_MAX_LEN];
	char		 seen[ATTRS_MAX][NAME_MAX_LEN];
	const char	*p = *pp + 1, *at = *pp;
	size_t		 n, nseen = 0, i;
	bool		 review = false, href = false, r, is_void;

	if ((n = read_name(p, tag)) == 0 || !in_list(tags, tag))
		return fail(sc, at, "the tag <%.*s> is not allowed",
		    (int)strcspn(p, " \t\r\n/>"), p);
	if (sc->body_done)
		return fail(sc, at, "nothing may follow </body>");
	is_void = in_list(void_tags, tag);
	open_look(sc, tag);
	p += n;
	for (;;) {
		if (*p == '>' || (p[0] == '/' && p[1] == '>'))
			break;
		if (!is_space(*p))
			return fail(sc, at, "<%s> has '%c' where a space, an "
			    "attribute or '>' must be", tag, *p);
		while (is_space(*p))
			p++;
		if (*p == '>' || (p[0] == '/' && p[1] == '>'))
			break;
		if ((n = read_name(p, name)) == 0)
			return fail(sc, at, "<%s> has a malformed attribute",
			    tag);
		if (strncmp(name, "on", 2) == 0)
			return fail(sc, at, "event handler attributes (%s) "
			    "are not allowed", name);
		if (!attr_allowed(tag, name))
			return fail(sc, at, "the attribute %s is not allowed "
			    "on <%s>", name, tag);
		for (i = 0; i < nseen; i++) {
			if (strcmp(seen[i], name) == 0)
				return fail(sc, at, "<%s> has %s twice", tag,
				    name);
		}
		if (nseen == ATTRS_MAX)
			return fail(sc, at, "<%s> has too many attributes",
			    tag);
		memcpy(seen[nseen++], name, sizeof(name));
		p += n;
		r = false;
		if (attribute(sc, name, &p, &r) == -1)
			return -1;
		if (strcmp(name, "href") == 0) {
			href = true;
			review = r;
		}
	}
	if (*p == '/' && !is_void)
		return fail(sc, at, "<%s/> does not close <%s> in HTML; write "
		    "<%s></%s>", tag, tag, tag, tag);
	p += *p == '/' ? 2 : 1;
	if (sc->in_head && strcmp(tag, "title") != 0 &&
	    strcmp(tag, "meta") != 0)
		return fail(sc, at, "<%s> is not allowed in <head>%s", tag,
		    strcmp(tag, "body") == 0 ? "; close it with </head> "
		    "first" : "");
	if (!in_list(inline_tags, tag) && put_break(sc, at) == -1)
		return -1;
	if (!is_void) {
		if (!(sc->next.size >= MIN_SIZE))
			return fail(sc, at, "the font-size of <%s> would be "
			    "%.1fpx; text must be at least %.0fpx (relative "
			    "sizes multiply)", tag, sc->next.size, MIN_SIZE);
		if (sc->depth == DEPTH_MAX)
			return fail(sc, at, "elements are nested more than "
			    "%d deep", DEPTH_MAX);
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
			return fail(sc, at, "a link inside a link is not "
			    "allowed");
		if (!href)
			return fail(sc, at, "<a> needs an href");
		sc->in_a = true;
		sc->in_review_link = review;
		sc->link_text = false;
	}
	*pp = p;
	return 0;
}

static int
end_tag(struct scan *sc, const char **pp)
{
	char		 tag[NAME_MAX_LEN];
	const char	*p = *pp + 2, *at = *pp;
	size_t		 n;

	if ((n = read_name(p, tag)) == 0 || !in_list(tags, tag))
		return fail(sc, at, "the end tag </%.*s> is not allowed",
		    (int)strcspn(p, " \t\r\n>"), p);
	if (in_list(void_tags, tag))
		return fail(sc, at, "</%s> closes an element that has no end "
		    "tag", tag);
	for (p += n; is_space(*p); p++)
		;
	if (*p != '>')
		return fail(sc, at, "</%s> must end with '>'", tag);
	/* every element closed, in order: nothing the business leaves
	 * open may wrap the platform's footer */
	if (sc->depth == 0)
		return fail(sc, at, "</%s> closes nothing", tag);
	if (strcmp(sc->stack[sc->depth - 1].tag, tag) != 0)
		return fail(sc, at, "</%s> found where </%s> must close <%s> "
		    "first", tag, sc->stack[sc->depth - 1].tag,
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
	if (!in_list(inline_tags, tag) && put_break(sc, at) == -1)
		return -1;
	*pp = p + 1;
	return 0;
}

/* The markup pass of mailhtml_check: tags and text runs, into sc. */
static int
markup(struct scan *sc, const char *html)
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
			return fail(sc, p, "HTML comments are not allowed");
		if (strncasecmp(p, "<!doctype", 9) == 0) {
			lt = strchr(p, '>');
			if (lt == NULL || memchr(p + 1, '<',
			    (size_t)(lt - p)) != NULL)
				return fail(sc, p, "the doctype is not "
				    "closed");
			p = lt + 1;
			continue;
		}
		if (p[1] == '!' || p[1] == '?')
			return fail(sc, p, "comments, CDATA and processing "
			    "instructions are not allowed");
		if (p[1] == '/') {
			if (end_tag(sc, &p) == -1)
				return -1;
			continue;
		}
		if (!isalpha((unsigned char)p[1]))
			return fail(sc, p, "a '<' that starts no tag must be "
			    "written &lt;");
		if (start_tag(sc, &p) == -1)
			return -1;
	}
	if (sc->depth > 0)
		return fail(sc, p, "<%s> is not closed; close every element "
		    "(</%s>)", sc->stack[sc->depth - 1].tag,
		    sc->stack[sc->depth - 1].tag);
	if (!sc->review_link)
		return fail(sc, p, "the review link must be the href of an "
		    "<a> with visible text: <a href=\"{{link}}\">Write a "
		    "review</a>");
	/* URLs as the reader sees them: "htt<b></b>p://" is one word */
	sc->mapping = true;
	return scan_urls(sc, sc->text, sc->tlen);
}

static void
scan_init(struct scan *sc, const char *start, const char *site, char *why,
    size_t whylen)
{
	memset(sc, 0, sizeof(*sc));
	sc->start = start;
	sc->site = site;
	sc->why = why;
	sc->whylen = whylen;
	sc->root_size = BASE_SIZE;
	if (whylen > 0)
		why[0] = '\0';
}

int
mailhtml_check(const char *html, const char *site, char *why,
    size_t whylen)
{
	struct scan	 sc;
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

int
mailhtml_check_text(const char *text, const char *site, char *why,
    size_t whylen)
{
	struct scan	 sc;

	scan_init(&sc, text, site, why, whylen);
	return scan_urls(&sc, text, strlen(text));
}

int
mailhtml_check_value(const char *value, const char *site, char *why,
    size_t whylen)
{
	struct scan	 sc;

	scan_init(&sc, NULL, site, why, whylen);
	return scan_urls(&sc, value, strlen(value));
}
