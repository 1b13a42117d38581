#ifndef REVIEWD_CONSUMERS_H
#define REVIEWD_CONSUMERS_H

#include "reviewd/request.h"

/*
 * The public consumer profile (src/consumers.c), in Trustpilot's shape:
 * what review JSON and webhooks link to as /v1/consumers/{id}. It reads
 * the reviews module's tables and writes nothing.
 *
 * A profile is made of the consumer's named reviews only: published,
 * visible, not anonymous. Its name and country are those of the newest
 * of them (never what an anonymous review was written under), and a
 * consumer without one answers 404 exactly as an unknown id does. No
 * answer carries an e-mail address.
 */

/* GET /v1/consumers/{consumerId}: {id, displayName, displayLocation,
 * countryCode, numberOfReviews, links}. */
route_handler	consumers_get;

/* GET /v1/consumers/{consumerId}/reviews: the named reviews as public
 * review objects, newest first, paged (page, perPage), filtered by
 * stars, language, businessUnitId, includeReportedReviews, orderBy
 * (createdat.desc or createdat.asc). */
route_handler	consumers_reviews;

#endif
