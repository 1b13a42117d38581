#ifndef REVIEWD_MAILER_INTERNAL_H
#define REVIEWD_MAILER_INTERNAL_H

#include <stddef.h>

/*
 * What the files of the mailer module share, and nobody else:
 * mailer_compose.c (addresses, checks, templates, composition) and
 * mailer.c (the transports).
 */

/* The address inside [mail] from ("Name <addr>" or "addr"): its display
 * name into name (empty when none) and its address into addr. */
void	from_parts(const char *from, char *name, size_t namelen, char *addr,
	    size_t addrlen);

#endif
