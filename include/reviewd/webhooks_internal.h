#ifndef REVIEWD_WEBHOOKS_INTERNAL_H
#define REVIEWD_WEBHOOKS_INTERNAL_H

#include <jansson.h>

/* Shared by webhooks.c (emitting, delivery) and webhooks_subscriptions.c
 * (the handlers); not for other modules. */

#define URL_MAX		2048	/* the longest subscription URL */

/* Trustpilot's envelope of event name with eventData data (borrowed), or
 * NULL when out of memory. */
json_t	*webhooks_envelope(const char *name, json_t *data);

#endif
