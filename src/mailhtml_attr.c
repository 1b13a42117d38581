/*
 * mailhtml_attr: the attribute values of an invitation template's HTML,
 * for the walk of mailhtml.c (see mailhtml.h for the rules): inline
 * style (listed properties, plain values, opaque colours, readable font
 * sizes, bounded lengths), bgcolor and size attributes, link and image
 * URLs, and alt and title text. Pure functions: any thread.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/mailhtml.h"
#include "reviewd/mailhtml_scan.h"

#define MAX_SIZE	200.0	/* px: bounds the arithmetic (no inf, NaN) */
#define MAX_LENGTH	800.0	/* px of a margin, padding, width...: more
				 * only pushes what follows out of view */
#define SHOWN_ATTR_MAX	1024	/* bytes of an alt or title text */

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
check_shown_attribute(struct mailhtml_scan *sc, const char *at,
    const char *name, const char *v, size_t n)
{
	char		 text[SHOWN_ATTR_MAX], why[200];
	const char	*amp;

	if (n >= sizeof(text))
		return mailhtml_fail(sc, at, "%s is longer than %d bytes", name,
		    SHOWN_ATTR_MAX - 1);
	for (amp = memchr(v, '&', n); amp != NULL; amp = memchr(amp + 1,
	    '&', n - (size_t)(amp + 1 - v))) {
		if ((size_t)(v + n - amp) < 5 || strncmp(amp, "&amp;", 5) != 0)
			return mailhtml_fail(sc, at, "%s may use no character "
			    "reference but &amp;", name);
	}
	memcpy(text, v, n);
	text[n] = '\0';
	if (mailhtml_check_text(text, sc->site, why, sizeof(why)) == -1)
		return mailhtml_fail(sc, at, "%s: %s", name, why);
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
set_color(struct mailhtml_scan *sc, const char *at, const char *prop,
    const char *value)
{
	long	 c;

	if (strcmp(value, "inherit") == 0)
		return 0;
	if ((c = parse_color(value)) == -1)
		return mailhtml_fail(sc, at, "%s \"%.40s\" is not allowed: "
		    "write an opaque colour as #rgb, #rrggbb or a colour "
		    "name", prop,
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
			px = x * MAILHTML_BASE_SIZE;
		else if (*unit == '%')
			px = x <= 100 ? 0 : MAX_LENGTH + 1;
		else if (isalpha((unsigned char)*unit))
			px = MAX_LENGTH + 1;	/* vh, cm, in: none of ours */
		else
			px = unitless_is_factor ? x * MAILHTML_BASE_SIZE : x;
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

/* The style attribute: declarations of listed properties with plain
 * values. */
static int
check_style(struct mailhtml_scan *sc, const char *at, const char *v, size_t len)
{
	char		 prop[32], value[256], why[80];
	const char	*p = v, *end = v + len, *semi, *colon, *a, *b;
	size_t		 n, i;
	double		 size;

	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)v[i]) && strchr(" \t\n:;#%.,'\"-!",
		    v[i]) == NULL)
			return mailhtml_fail(sc, at, "style uses '%c'; style "
			    "values may only use letters, digits, spaces and # "
			    "%% . , ' \" - ! (no url(), expressions or "
			    "escapes)", v[i]);
	}
	while (p < end) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		for (a = p; a < semi && mailhtml_is_space(*a); a++)
			;
		if (a == semi) {
			p = semi + 1;
			continue;
		}
		colon = memchr(a, ':', (size_t)(semi - a));
		if (colon == NULL)
			return mailhtml_fail(sc, at, "style has a declaration "
			    "without ':'");
		for (b = colon; b > a && mailhtml_is_space(b[-1]); b--)
			;
		n = (size_t)(b - a);
		if (n == 0 || n >= sizeof(prop))
			return mailhtml_fail(sc, at, "style has an unknown "
			    "property");
		for (i = 0; i < n; i++)
			prop[i] = (char)tolower((unsigned char)a[i]);
		prop[n] = '\0';
		if (!mailhtml_in_list(style_props, prop))
			return mailhtml_fail(sc, at, "the style property "
			    "\"%s\" is not allowed", prop);
		for (a = colon + 1; a < semi && mailhtml_is_space(*a); a++)
			;
		for (b = semi; b > a && mailhtml_is_space(b[-1]); b--)
			;
		n = (size_t)(b - a);
		if (n == 0 || n >= sizeof(value) || memchr(a, ':', n) != NULL)
			return mailhtml_fail(sc, at, "the style property "
			    "\"%s\" has no plain value", prop);
		for (i = 0; i < n; i++)
			value[i] = (char)tolower((unsigned char)a[i]);
		value[n] = '\0';
		if (strstr(value, "transparent") != NULL)
			return mailhtml_fail(sc, at, "style may not make text "
			    "transparent");
		/* CSS reads 0-9px as 0 and -9px: a minus before a digit
		 * is a sign unless it follows a letter (1e-3) */
		for (i = 0; i < n; i++) {
			if (value[i] == '-' && (i == 0 ||
			    !isalpha((unsigned char)value[i - 1])) &&
			    (isdigit((unsigned char)value[i + 1]) ||
			    value[i + 1] == '.'))
				return mailhtml_fail(sc, at, "style may not "
				    "use negative lengths (%s)", prop);
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
			return mailhtml_fail(sc, at, "the style property "
			    "\"%s\" has %s", prop, why);
		if (strcmp(prop, "font-size") == 0) {
			size = font_px(value, mailhtml_top_look(sc)->size,
			    sc->root_size);
			/* also false for NaN: 1e309px makes inf, and 0em of
			 * it NaN, which no < would catch */
			if (!(size >= 0 && size <= MAX_SIZE))
				return mailhtml_fail(sc, at, "font-size \"%s\" "
				    "is not a plain size up to "
				    "%.0fpx", value, MAX_SIZE);
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
url_value(struct mailhtml_scan *sc, const char *at, const char *v, size_t n,
    char *url, size_t urllen)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		if (o + 1 >= urllen)
			return mailhtml_fail(sc, at, "a URL is too long");
		if (v[i] == '&') {
			if (n - i < 5 || strncasecmp(v + i, "&amp;", 5) != 0)
				return mailhtml_fail(sc, at, "a URL may use no "
				    "character reference but &amp;");
			i += 4;
		}
		url[o++] = v[i];
	}
	url[o] = '\0';
	return 0;
}

static int
check_href(struct mailhtml_scan *sc, const char *at, const char *v, size_t n,
    bool *review)
{
	char	 url[2048], host[MAILHTML_HOST_MAX + 1];

	*review = is_placeholder(v, n, "link");
	if (*review || is_placeholder(v, n, "unsubscribeLink"))
		return 0;
	if (url_value(sc, at, v, n, url, sizeof(url)) == -1)
		return -1;
	if (mailhtml_url_host(url, host) == -1)
		return mailhtml_fail(sc, at, "href \"%.60s\" is not allowed: a "
		    "link goes to {{link}}, {{unsubscribeLink}} or an http(s) "
		    "URL on the business's own website", url);
	if (!mailhtml_site_ok(host, sc->site))
		return mailhtml_fail(sc, at, "href \"%.60s\" goes to %s; links "
		    "may only go to {{link}}, {{unsubscribeLink}} or the "
		    "business's own website (%s)", url, host, sc->site !=
		    NULL ? sc->site : "none is set");
	return 0;
}

static int
check_src(struct mailhtml_scan *sc, const char *at, const char *v, size_t n)
{
	char	 url[2048], host[MAILHTML_HOST_MAX + 1];

	if (url_value(sc, at, v, n, url, sizeof(url)) == -1)
		return -1;
	if (strncasecmp(url, "https://", 8) != 0 || mailhtml_url_host(url,
	    host) == -1)
		return mailhtml_fail(sc, at, "an image must come from an "
		    "https:// URL (\"%.60s\" is not one)", url);
	return 0;
}

int
mailhtml_attribute(struct mailhtml_scan *sc, const char *name,
    const char **pp, bool *review)
{
	const char	*p = *pp, *v, *at = *pp;
	size_t		 n;
	bool		 quoted;

	while (mailhtml_is_space(*p))
		p++;
	if (*p != '=') {		/* no value: <td nowrap> */
		v = "";
		n = 0;
		quoted = false;
	} else {
		for (p++; mailhtml_is_space(*p); p++)
			;
		quoted = *p == '"' || *p == '\'';
		if (quoted) {
			const char	*close = strchr(p + 1, *p);

			if (close == NULL)
				return mailhtml_fail(sc, at, "the value of %s "
				    "is not closed", name);
			v = p + 1;
			n = (size_t)(close - v);
			p = close + 1;
		} else {
			v = p;
			while (*p != '\0' && !mailhtml_is_space(*p) &&
			    *p != '>' && strchr("\"'<=`", *p) == NULL)
				p++;
			n = (size_t)(p - v);
			if (n == 0)
				return mailhtml_fail(sc, at, "%s has an empty "
				    "value", name);
		}
		if (!quoted && memmem(v, n, "{{", 2) != NULL)
			return mailhtml_fail(sc, at, "a placeholder in the "
			    "value of %s must be in quotes", name);
		if (memchr(v, '<', n) != NULL || memchr(v, '>', n) != NULL)
			return mailhtml_fail(sc, at, "the value of %s may not "
			    "contain '<' or '>'; write &lt; and &gt;", name);
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
			return mailhtml_fail(sc, at, "%s is not a plain "
			    "number", name);
		memcpy(num, v, n);
		num[n] = '\0';
		if (lengths_ok(num, false, why, sizeof(why)) == -1)
			return mailhtml_fail(sc, at, "%s has %s", name, why);
	}
	if (strcmp(name, "href") == 0)
		return check_href(sc, at, v, n, review);
	if (strcmp(name, "src") == 0)
		return check_src(sc, at, v, n);
	if (strcmp(name, "style") == 0)
		return check_style(sc, at, v, n);
	if (strcmp(name, "target") == 0 && (n != 6 || strncasecmp(v,
	    "_blank", 6) != 0))
		return mailhtml_fail(sc, at, "target may only be _blank");
	return 0;
}
