#ifndef REVIEWD_MAILHTML_SCAN_H
#define REVIEWD_MAILHTML_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Inside the mailhtml module only (see mailhtml.h): the state of one check
 * and what its two halves share. mailhtml.c walks the template (elements,
 * text, URLs in the rendered text); mailhtml_attr.c checks attribute
 * values (style, colours, sizes, lengths, link and image URLs, alt and
 * title text). No other file includes this header.
 */

#define MAILHTML_HOST_MAX	254
#define MAILHTML_NAME_MAX	16	/* bytes of a tag or attribute name */
#define MAILHTML_DEPTH_MAX	128	/* open elements */
#define MAILHTML_BASE_SIZE	16.0	/* px, a mail client's default size */

/* How an element's text looks: colours as 0xrrggbb, size in px. */
struct mailhtml_look {
	long		 color;
	long		 bg;
	double		 size;
};

struct mailhtml_elem {
	char			 tag[MAILHTML_NAME_MAX];
	struct mailhtml_look	 look;
};

/* A piece of the rendered text and where in the template it came from. */
struct mailhtml_run {
	size_t		 off;		/* in the rendered text */
	const char	*src;
};

struct mailhtml_scan {
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
	struct mailhtml_elem	 stack[MAILHTML_DEPTH_MAX];	/* open */
	size_t		 depth;
	struct mailhtml_look	 next;	/* of the element being opened */
	bool		 next_css_bg;	/* ... its style set the background */
	double		 root_size;	/* for rem */
	/* the text as rendered: runs joined, tags dropped, blocks broken */
	char		*text;
	size_t		 tlen, tcap;
	struct mailhtml_run	*runs;
	size_t		 nruns, runcap;
	const char	*src_next;	/* where the last run's source ends */
	bool		 mapping;	/* fail() gets a pointer into text */
};

/* From mailhtml.c. */

/* Fills sc->why with "line N: " and the reason for the byte at p; -1. */
int	mailhtml_fail(struct mailhtml_scan *sc, const char *p,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Whether s is in the NULL-terminated list. */
bool	mailhtml_in_list(const char *const *list, const char *s);

/* An HTML space: ' ', tab, newline, carriage return, form feed. */
bool	mailhtml_is_space(char c);

/* The host of the http(s) URL url into host, lowercase; 0, or -1 when
 * url is no URL with a plain host name. */
int	mailhtml_url_host(const char *url, char host[MAILHTML_HOST_MAX + 1]);

/* Whether host is site or one of its subdomains (never when site is NULL
 * or empty). */
bool	mailhtml_site_ok(const char *host, const char *site);

/* The look of the innermost open element (the base look when none). */
const struct mailhtml_look	*mailhtml_top_look(
				    const struct mailhtml_scan *sc);

/* From mailhtml_attr.c. */

/*
 * Checks the value of the attribute name (allowed on its tag, read) at
 * *pp, the text after the name, and leaves *pp after the value. Colours
 * and sizes go to sc->next; *review is set when it is an href of
 * {{link}}. 0, or -1 via mailhtml_fail.
 */
int	mailhtml_attribute(struct mailhtml_scan *sc, const char *name,
	    const char **pp, bool *review);

#endif
