#ifndef REVIEWD_INVITATIONS_INTERNAL_H
#define REVIEWD_INVITATIONS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/api_error.h"
#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/ids.h"

/*
 * What the files of the invitations module share, and nobody else: the
 * module is invitations.c (input, storing, quota, creation) with
 * invitations_history.c, invitations_upload.c, invitations_templates.c,
 * invitations_unsubscribe.c, invitations_dispatch.c and
 * invitations_links.c. Together they own the tables invitations and
 * invitation_events; other modules go through their public headers.
 */

#define INV_NAME_MAX		200	/* characters of a shown name */
#define INV_REF_MAX		200	/* characters of a reference */
#define INV_URL_MAX		2048
#define INV_PRODUCTS_MAX	50	/* products of one invitation */
#define INV_TEMPLATE_MAX	(64 * 1024)	/* bytes of a template part */

/* One invitation as submitted, before it is stored. Strings borrowed. */
struct inv_input {
	const char	*email, *name, *reference, *locale;
	const char	*sender_email, *sender_name, *reply_to, *location_id;
	const char	*template_id, *redirect_uri;
	json_t		*tags;		/* owned array of strings */
	json_t		*products;	/* owned array of product objects */
	json_t		*skus;		/* owned array of catalogue SKUs */
	bool		 service;
	int64_t		 send_at;
};

/*
 * Reads one invitation in Trustpilot's shape (reference section 7.1) from
 * o into in (strings borrowed from o). Errors go to err with their field
 * names, prefixed by prefix ("" for none). 0, or -1 with in released.
 */
int	inv_input_read(json_t *o, const char *prefix, bool reference_required,
	    struct inv_input *in, struct api_error *err);

/* Frees what in owns and clears it; a cleared in is fine. */
void	inv_input_release(struct inv_input *in);

/* Whether s is a locale such as "en" or "en-US" (or "en_US"). */
bool	inv_locale_ok(const char *s);

/* Reads o[key] as one line of at most max characters without control
 * characters into *out (borrowed; NULL when absent and not required);
 * a bad one adds a 400 naming key to err. */
void	inv_read_line(json_t *o, const char *key, bool required, size_t max,
	    const char **out, struct api_error *err);

/* Copies the details of sub into err with "prefix." before each field
 * (the whole of sub under prefix, or "body", when it has no details). */
void	inv_prefixed(struct api_error *err, const struct api_error *sub,
	    const char *prefix);

/* A name to greet by from an address: its local part with dots as
 * spaces ("anna.smith@example.com" gives "anna smith"). */
void	inv_local_name(const char *email, char *out, size_t outlen);

/*
 * What inv_store learns about a unit once for many invitations stored in
 * one transaction (a CSV chunk): zeroed before the transaction's first,
 * not kept past its end (another writer may change both in between).
 */
struct inv_store_ctx {
	char		 locale[8];		/* the unit's default; "" */
	bool		 unsubscribes_known;
	bool		 unsubscribes;		/* anyone unsubscribed */
};

/*
 * Stores one checked invitation inside the caller's transaction, applying
 * suppression: an unsubscribed address, a reference already invited and
 * an address invited within the repeat period are stored as skipped with
 * the reason. ctx: NULL, or one for the transaction (above). Writes its
 * id, and the reason (a static string) or NULL to *skip_reason when not
 * NULL. 0, or -1 with err.
 */
int	inv_store(struct db *db, const char *bu, struct inv_input *in,
	    const char *origin, struct inv_store_ctx *ctx,
	    char id_out[IDS_ID_LEN + 1], const char **skip_reason,
	    struct api_error *err);

/* The catalogue products of bu for the SKUs in skus (an array of
 * strings), as invitation products. An SKU not in the catalogue is
 * appended to unknown, or with unknown NULL refused (400 naming it). New
 * reference, or NULL with err (400, 5xx). */
json_t	*inv_catalogue_products(struct db *db, const char *bu, json_t *skus,
	    json_t *unknown, struct api_error *err);

/* The compact JSON text of the array a, "[]" when a is NULL; free() it.
 * NULL when out of memory. */
char	*inv_array_text(json_t *a);

/* The default locale of unit bu. 0 or -1 (see db_fail). */
int	inv_unit_locale(struct db *db, const char *bu, char locale[8]);

/* Appends an event to the invitation's history; detail may be NULL.
 * 0 or -1 (see db_fail). */
int	inv_event_add(struct db *db, const char *id, const char *kind,
	    const char *detail, int64_t at);

/* The JSON text of column col as a new value; an empty array when it
 * does not parse (or is NULL). */
json_t	*inv_parsed(struct db_stmt *st, int col);

/* {"limit", "used", "remaining", "windowHours"}: unit bu's daily quota
 * now; limit and remaining null when there is no limit. NULL on
 * failure. */
json_t	*inv_quota_json(struct db *db, const char *bu);

/* The invitation's API JSON into *out (new reference); 404 unless it
 * belongs to bu (NULL: any). 0, or -1 with err. */
int	inv_load_json(struct db *db, const char *id, const char *bu,
	    json_t **out, struct api_error *err);

#endif
