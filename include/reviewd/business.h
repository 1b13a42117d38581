#ifndef REVIEWD_BUSINESS_H
#define REVIEWD_BUSINESS_H

#include <jansson.h>

#include "reviewd/db.h"
#include "reviewd/request.h"

/*
 * Business units, their API applications and users: the public profile,
 * the business's own view and settings, provisioning (admin API and CLI).
 */

/* Creates a business unit from {name, domain, websiteUrl?, country?,
 * notificationEmail?, senderName?, defaultLocale?}. On success *out is the
 * new unit's private JSON (caller's); public_url prefixes its links. 0, or
 * -1 with err set. */
int	business_create(struct db *db, const char *public_url, json_t *fields,
	    json_t **out, struct api_error *err);

/* *out = {"businessUnits": [private views, oldest first]}. 0 or -1. */
int	business_list(struct db *db, const char *public_url, json_t **out,
	    struct api_error *err);

/* Creates an API application of business unit bu. *out = {"id", "key",
 * "secret", "businessUnitId", "name"}: the only time the secret is shown.
 * 0, or -1 with err set (404 for an unknown unit). */
int	business_app_create(struct db *db, const char *bu, const char *name,
	    json_t **out, struct api_error *err);

/* Creates a business user (for the OAuth password grant). *out = {"id",
 * "username", "businessUnitId"}. 0, or -1 with err set. */
int	business_user_create(struct db *db, const char *bu,
	    const char *username, const char *password, json_t **out,
	    struct api_error *err);

/* The public JSON of the unit with this domain; 404 when none. */
int	business_public_by_domain(struct db *db, const char *domain,
	    const char *public_url, json_t **out, struct api_error *err);

route_handler	business_find, business_get_public, business_list_private,
		business_get_private, business_patch, business_admin_list,
		business_admin_create;

/* for oauth_authorize: makes app_id a public OAuth client, which has no
 * secret (its hash is emptied, which no secret's hash equals) and proves
 * itself with PKCE. 0, or -1 on a database error. */
int	business_app_forget_secret(struct db *db, const char *app_id);

#endif
