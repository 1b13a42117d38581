#ifndef REVIEWD_FINDREVIEWER_JSON_H
#define REVIEWD_FINDREVIEWER_JSON_H

#include <stdbool.h>

#include <jansson.h>

/*
 * The API's shape of Find Reviewer requests. A stored request is the
 * object {"id", "status", "message", "response" (JSON text or null),
 * "respondedAt", "created", "deadline" (ms), "requested" (array)} that
 * the readers build with json_object in SQL.
 */

/* One stored request r (borrowed) as a findReviewer.requests item; a
 * new reference, NULL when out of memory. */
json_t	*findreviewer_json_request(json_t *r);

/* The review's findReviewer object {"isEligible", "requests"} from the
 * stored requests, a JSON array as text (NULL: none); a new reference. */
json_t	*findreviewer_json(const char *requests, bool eligible);

#endif
