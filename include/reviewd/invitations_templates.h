#ifndef REVIEWD_INVITATIONS_TEMPLATES_H
#define REVIEWD_INVITATIONS_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>

#include "reviewd/db.h"
#include "reviewd/request.h"

/*
 * Invitation e-mail templates: the built-in ones ("default-en", ...) and
 * those a business writes (invitation_templates, owned here), which must
 * pass the e-mail rules (mailhtml.h) when written and again when sent.
 */

/* Whether id names a built-in template or one of unit bu's, into *ok.
 * 0 or -1 (see db_fail). */
int	invitations_template_usable(struct db *db, const char *bu,
	    const char *id, bool *ok);

/* The unit's default template for locale (the built-in of its language,
 * "default-en" when there is none): what an invitation naming an unknown
 * template is sent with. A static string. */
const char	*invitations_template_default(const char *locale);

/*
 * The e-mail rules for a business template's parts, links allowed to
 * website's site (website may be NULL). 0, or -1 with the failing part
 * in *field and the reason in why.
 */
int	invitations_template_rules(const char *website, const char *subject,
	    const char *text, const char *html, const char **field, char *why,
	    size_t whylen);

/* GET, POST .../templates; PUT .../templates/{templateId}. */
route_handler	invitations_templates_list, invitations_template_write;

#endif
