#ifndef REVIEWD_BUSINESS_UNITS_H
#define REVIEWD_BUSINESS_UNITS_H

#include "reviewd/request.h"

/*
 * The public business-unit endpoints clients call first, in Trustpilot's
 * shapes (apikey): GET /v1/business-units/search (query, country, page,
 * perpage), /v1/business-units/all (country, page, perPage up to 1000),
 * /v1/business-units/{id}/web-links (locale), .../{id}/profileinfo, and
 * GET /v1/reviews/latest (language, count or perPage, page; the 1000
 * newest published service reviews of all units).
 */
route_handler	business_units_search, business_units_all,
		business_units_web_links, business_units_profile_info,
		business_units_latest_reviews;

#endif
