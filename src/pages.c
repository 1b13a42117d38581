/*
 * pages: HTML for reviewers. Stateless; any thread. Everything not ours
 * that ends up in HTML goes through pages_escape.
 */
#include <string.h>

#include "reviewd/pages.h"

int
pages_escape(struct buf *out, const char *s)
{
	const char	*run = s;

	for (; *s != '\0'; s++) {
		const char	*rep;

		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		if (buf_append(out, run, (size_t)(s - run)) == -1 ||
		    buf_puts(out, rep) == -1)
			return -1;
		run = s + 1;
	}
	return buf_append(out, run, (size_t)(s - run));
}
