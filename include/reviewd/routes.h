#ifndef REVIEWD_ROUTES_H
#define REVIEWD_ROUTES_H

#include <stddef.h>

#include "reviewd/router.h"

/* Every route of the daemon, literal routes before parameter routes. */
extern const struct route	routes_table[];
extern const size_t		routes_count;

#endif
