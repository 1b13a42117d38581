#ifndef REVIEWD_MAILHTML_H
#define REVIEWD_MAILHTML_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The e-mail rules for what a business writes into an invitation template:
 * an allow-list check of the HTML part and a link check of the text part.
 * A template that fails is refused, never rewritten, and the reason names
 * the line. Pure functions: any thread.
 *
 * HTML rules: only the tags and attributes of a fixed list; no comments,
 * CDATA, processing instructions, scripts, styles sheets, forms, frames or
 * event handler attributes; a '<' that starts no tag must be written
 * "&lt;" (also in attribute values and <title>); every element closed in
 * order and nothing after </body>, so the platform's footer, added after
 * the business's markup, is outside all of it; inline style only with
 * listed properties and plain values (no url(), escapes or negative
 * lengths); colours only opaque (#rgb, #rrggbb, a name) and text never in
 * (nearly) its background's colour; text at least 10px after relative
 * sizes multiply; images only from https:// URLs; a link's href only
 * {{link}}, {{unsubscribeLink}} or an http(s) URL on the business's own
 * site (its host or a subdomain); URLs and bare host names
 * ("evil-bank.com/login") in the text as rendered (tags between the
 * letters do not split a word, block elements do) only to that site too;
 * and at least one <a href="{{link}}"> whose content has visible text.
 *
 * A host name without scheme counts when it is labels joined by dots, the
 * last 2+ letters, with a label before it of 2+ characters or a '/' after
 * it, or an IPv4 address: "J. R. R. Tolkien" and "e.g." are no host names.
 */

#define MAILHTML_WHY	256

/*
 * Checks the HTML part html. site is the business's website host
 * (lowercase, see mailhtml_site) or NULL when it has none (then no link
 * but the placeholders is allowed). 0 when it passes, -1 with a sentence
 * ("line N: ...") in why.
 */
int	mailhtml_check(const char *html, const char *site, char *why,
	    size_t whylen);

/* Checks the text part: every http(s)://, www. URL and bare host name in
 * it on site. 0, or -1 with why ("line N: ..."). */
int	mailhtml_check_text(const char *text, const char *site, char *why,
	    size_t whylen);

/*
 * Checks a value that fills a placeholder or a header (a consumer's or
 * sender's name, a display name): no URL or host name, except on site
 * (NULL: none at all). 0, or -1 with a reason in why (no line).
 */
int	mailhtml_check_value(const char *value, const char *site, char *why,
	    size_t whylen);

/*
 * The site links may go to, from a business's websiteUrl: its host,
 * lowercased, without a leading "www.". 0, or -1 when url is not an
 * http(s) URL with a plain host name.
 */
int	mailhtml_site(const char *url, char *out, size_t outlen);

/* Whether url may be a business's logo in its e-mails: https, on site
 * (mailhtml_site's; NULL: nowhere). */
bool	mailhtml_logo_ok(const char *url, const char *site);

#endif
