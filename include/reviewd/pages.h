#ifndef REVIEWD_PAGES_H
#define REVIEWD_PAGES_H

#include <stddef.h>

#include "reviewd/buf.h"

/*
 * Server-rendered HTML for reviewers, and the one HTML escaper every piece
 * of HTML we produce (pages, e-mail HTML parts) goes through.
 */

/* Appends s to out with & < > " ' escaped. 0, or -1 when out is full. */
int	pages_escape(struct buf *out, const char *s);

#endif
