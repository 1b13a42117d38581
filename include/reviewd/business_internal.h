#ifndef REVIEWD_BUSINESS_INTERNAL_H
#define REVIEWD_BUSINESS_INTERNAL_H

#include <stdbool.h>

#include <jansson.h>

#include "reviewd/db.h"
#include "reviewd/handler.h"

/*
 * What the files of the business module share, and nobody else:
 * business.c (units, applications, users, settings) and
 * business_units.c (the public unit endpoints clients call first:
 * search, all, web-links, profileinfo, the latest reviews). Together
 * they own business_units, business_users and api_apps.
 */

#define BUSINESS_STARS_COUNT(n)						\
	"(SELECT coalesce(sum(n), 0) FROM business_unit_counts c "	\
	"WHERE c.business_unit_id = business_units.id AND c.stars = " #n "), "
/* The columns business_unit_json reads, in the order of the enum. */
#define BUSINESS_UNIT_COLUMNS						\
	"id, display_name, domain, website_url, country, status, "	\
	"notification_email, sender_name, default_locale, created_at, "	\
	BUSINESS_STARS_COUNT(1) BUSINESS_STARS_COUNT(2)			\
	BUSINESS_STARS_COUNT(3) BUSINESS_STARS_COUNT(4)			\
	BUSINESS_STARS_COUNT(5) "updated_at"

enum { COL_ID, COL_NAME, COL_DOMAIN, COL_WEBSITE, COL_COUNTRY, COL_STATUS,
    COL_EMAIL, COL_SENDER, COL_LOCALE, COL_CREATED, COL_STARS1,
    COL_UPDATED = COL_STARS1 + 5 };

/* The row under st (BUSINESS_UNIT_COLUMNS) as Trustpilot's business unit
 * object, with a self link under public_url (NULL: none); private adds
 * the business's own settings. NULL when out of memory. */
json_t	*business_unit_json(struct db_stmt *st, const char *public_url,
	    bool private);

/*
 * Answers {"links": [next-page], "businessUnits": [...]} with page p of
 * the units sql (BUSINESS_UNIT_COLUMNS) finds, as business_unit_json
 * shapes them: fmt describes its parameters (as db_bind), LIMIT and
 * OFFSET come after them. 0, or -1 with err set.
 */
int	business_units_answer(struct request *req, struct response *res,
	    const struct handler_page *p, bool private, const char *sql,
	    struct api_error *err, const char *fmt, ...);

#endif
