/*
 * mailer_templates: the built-in e-mails. Their words live in the
 * catalogue (lang/xx.txt, the keys mail_*: one file a language, see
 * i18n.h); their shape is the table below: a subject, a greeting and
 * blocks (paragraphs, a quote, a button, a list, a row of stars, notes).
 * Both parts come from that one shape, so they say the same: the text
 * part, and the HTML part as a complete document (<html lang dir>, inline
 * styles only, the business's name on top, the link as a button).
 * In a text "{x}" is vars' string (or integer) x, HTML-escaped in the
 * HTML part; a block with a `when` var is left out unless vars has it
 * non-empty, one with an `unless` var when it has. Pure; any thread.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/buf.h"
#include "reviewd/html.h"
#include "reviewd/i18n.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"

#define PART_MAX	(1024 * 1024)
#define BLOCKS_MAX	10

enum kind {
	B_END,
	B_PARA,		/* key: a paragraph */
	B_QUOTE,	/* var: the words of someone else, as they wrote */
	B_LIST,		/* var: items, one a line */
	B_BUTTON,	/* key: the label, var: the link */
	B_LINK,		/* key: the label, var: the link (secondary) */
	B_STARS,	/* var: the link that takes ?stars=N */
	B_NOTE		/* key: small print */
};

struct block {
	enum kind	 kind;
	const char	*key;
	const char	*var;
	const char	*when;
	const char	*unless;
};

struct mail {
	const char	*name;
	const char	*subject;	/* keys */
	const char	*greeting;
	bool		 fragment;	/* no document: the invitation footer */
	struct block	 b[BLOCKS_MAX];
};

#define PARA(k)		{ B_PARA, k, NULL, NULL, NULL }
#define PARA_IF(k, w)	{ B_PARA, k, NULL, w, NULL }
#define PARA_NOT(k, u)	{ B_PARA, k, NULL, NULL, u }
#define NOTE(k)		{ B_NOTE, k, NULL, NULL, NULL }
#define BUTTON(k)	{ B_BUTTON, k, "link", NULL, NULL }
#define QUOTE(v)	{ B_QUOTE, NULL, v, NULL, NULL }

static const struct mail mails[] = {
	{ "mail-test", "mail_test_subject", "mail_hello", false, {
	    PARA("mail_test_text") } },
	/* to the reviewer */
	{ "review-confirm", "mail_confirm_subject", "mail_hello", false, {
	    PARA("mail_confirm_intro"),
	    BUTTON("mail_confirm_button"),
	    NOTE("mail_confirm_valid"),
	    PARA_IF("mail_confirm_edit", "editLink"),
	    { B_LINK, "mail_confirm_edit_link", "editLink", "editLink",
	    NULL } } },
	{ "review-edit", "mail_edit_subject", "mail_hello", false, {
	    PARA("mail_edit_intro"),
	    BUTTON("mail_edit_button"),
	    NOTE("mail_edit_valid") } },
	{ "review-reply", "mail_reply_subject", "mail_hello", false, {
	    PARA("mail_reply_intro"),
	    QUOTE("reply"),
	    BUTTON("mail_reply_button"),
	    NOTE("mail_public_link") } },
	{ "invitation", "mail_invite_subject", "mail_hello", false, {
	    PARA_NOT("mail_invite_intro", "products"),
	    PARA_IF("mail_invite_products", "products"),
	    { B_LIST, NULL, "products", "products", NULL },
	    BUTTON("mail_invite_button"),
	    PARA_IF("mail_invite_stars", "starsLink"),
	    { B_STARS, NULL, "starsLink", "starsLink", NULL },
	    NOTE("mail_invite_valid"),
	    PARA("mail_invite_thanks") } },
	{ "invitation-footer", "mail_test_subject", NULL, true, {
	    PARA("mail_footer_text"),
	    { B_LINK, "mail_footer_unsubscribe", "unsubscribeLink", NULL,
	    NULL } } },
	{ "find-reviewer", "mail_fr_subject", "mail_hello", false, {
	    PARA("mail_fr_intro"),
	    QUOTE("message"),
	    PARA("mail_fr_wants"),
	    PARA("mail_fr_decide"),
	    BUTTON("mail_fr_button"),
	    NOTE("mail_fr_valid") } },
	{ "report-hidden", "mail_rh_subject", "mail_hello", false, {
	    PARA("mail_rh_text"),
	    PARA("mail_rh_next") } },
	{ "report-removed", "mail_rd_subject", "mail_hello", false, {
	    PARA("mail_rd_removed") } },
	{ "report-online", "mail_rd_subject", "mail_hello", false, {
	    PARA("mail_rd_online"),
	    BUTTON("mail_see_review"),
	    NOTE("mail_public_link") } },
	/* to the business, in its unit's language */
	{ "find-reviewer-replied", "mail_frb_replied_subject",
	    "mail_hello_business", false, {
	    PARA("mail_frb_replied"),
	    { B_LIST, NULL, "details", "details", NULL },
	    BUTTON("mail_see_review"),
	    NOTE("mail_frb_where") } },
	{ "find-reviewer-declined", "mail_frb_declined_subject",
	    "mail_hello_business", false, {
	    PARA("mail_frb_declined"),
	    BUTTON("mail_see_review"),
	    NOTE("mail_frb_where") } },
	{ "find-reviewer-expired", "mail_frb_expired_subject",
	    "mail_hello_business", false, {
	    PARA("mail_frb_expired"),
	    BUTTON("mail_see_review"),
	    NOTE("mail_frb_where") } },
	{ "report-upheld", "mail_rb_subject", "mail_hello_business", false, {
	    PARA("mail_rb_upheld") } },
	{ "report-rejected", "mail_rb_subject", "mail_hello_business", false, {
	    PARA("mail_rb_rejected"),
	    BUTTON("mail_see_review"),
	    NOTE("mail_public_link") } },
};

/* Inline styles: mail programs drop <style>. The green is the pages'
 * button colour darkened to 6.4:1 against white (WCAG AA). */
#define S_FONT	"font-family:Arial,Helvetica,sans-serif;"
#define S_P	"margin:0 0 16px 0;"
#define S_GREEN	"#0b6e3f"

static const char doc_body[] =
    "<body style=\"margin:0;padding:0;background-color:#f3f4f6\">"
    "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" "
    "cellspacing=\"0\" style=\"background-color:#f3f4f6\"><tr>"
    "<td align=\"center\" style=\"padding:24px 12px\">"
    "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" "
    "cellspacing=\"0\" style=\"max-width:560px;background-color:#ffffff;"
    "border-radius:8px;" S_FONT "font-size:16px;line-height:1.5;"
    "color:#1f2937\">";
static const char doc_header[] =
    "<tr><td style=\"padding:20px 28px;border-bottom:1px solid #e5e7eb;"
    "font-size:20px;font-weight:bold;color:#111827\">";
static const char doc_main[] = "<tr><td style=\"padding:24px 28px\">";
static const char doc_end[] =
    "</td></tr></table></td></tr></table></body></html>";

static const struct mail *
mail_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(mails) / sizeof(mails[0]); i++) {
		if (strcmp(mails[i].name, name) == 0)
			return &mails[i];
	}
	return NULL;
}

/* vars' non-empty string name, or NULL. */
static const char *
var(json_t *vars, const char *name)
{
	const char	*v = json_string_value(json_object_get(vars, name));

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Appends s, escaped for HTML when html. */
static int
put(struct buf *out, const char *s, bool html)
{
	return html ? html_escape(out, s) : buf_puts(out, s);
}

/*
 * Appends the catalogue text of key in lang with each "{x}" replaced by
 * vars' string x. -1 when out is full or x has no value (logged: a
 * caller forgot it).
 */
static int
words(struct buf *out, const char *lang, const char *key, json_t *vars,
    bool html)
{
	const char	*s = i18n(lang, key), *close, *v;
	char		 name[32];
	size_t		 n;

	while (*s != '\0') {
		n = strcspn(s, "{");
		if (buf_append(out, s, n) == -1)
			return -1;
		s += n;
		if (*s == '\0')
			break;
		close = strchr(s, '}');
		n = close != NULL ? (size_t)(close - s - 1) : 0;
		if (n == 0 || n >= sizeof(name)) {
			if (buf_append(out, s, 1) == -1)
				return -1;
			s++;
			continue;
		}
		memcpy(name, s + 1, n);
		name[n] = '\0';
		v = json_string_value(json_object_get(vars, name));
		if (v == NULL && !json_is_integer(json_object_get(vars,
		    name))) {
			log_error("mailer: %s has {%s} but no value for it",
			    key, name);
			return -1;
		}
		if (v != NULL ? put(out, v, html) == -1 : buf_printf(out,
		    "%lld", (long long)json_integer_value(json_object_get(vars,
		    name))) == -1)
			return -1;
		s = close + 1;
	}
	return 0;
}

/* The link that opens the form with n stars chosen. */
static int
star_link(struct buf *out, const char *link, int n, bool html)
{
	return put(out, link, html) || buf_printf(out, "%sstars=%d",
	    strchr(link, '?') != NULL ? (html ? "&amp;" : "&") : "?", n);
}

static int
text_block(struct buf *o, const char *lang, const struct block *k,
    json_t *vars)
{
	const char	*v = k->var != NULL ? var(vars, k->var) : NULL;
	const char	*p;
	char		 num[4], label[64];
	size_t		 n;
	int		 i, r = 0;

	switch (k->kind) {
	case B_PARA:
	case B_NOTE:
		return words(o, lang, k->key, vars, false) ||
		    buf_puts(o, "\n\n");
	case B_QUOTE:
	case B_LIST:
		for (p = v != NULL ? v : ""; r == 0 && *p != '\0'; p += n) {
			n = strcspn(p, "\n");
			r = buf_puts(o, k->kind == B_QUOTE ? "> " : "- ") ||
			    buf_append(o, p, n) || buf_puts(o, "\n");
			if (p[n] == '\n')
				n++;
		}
		return r || buf_puts(o, "\n");
	case B_BUTTON:
	case B_LINK:
		return words(o, lang, k->key, vars, false) ||
		    buf_puts(o, ":\n") || buf_puts(o, v != NULL ? v : "") ||
		    buf_puts(o, "\n\n");
	case B_STARS:
		for (i = 1; r == 0 && i <= 5; i++) {
			snprintf(num, sizeof(num), "%d", i);
			r = buf_printf(o, "%.*s%.*s ", i * 3, "★★★★★",
			    (5 - i) * 3, "☆☆☆☆☆") ||
			    buf_puts(o, i18n_format(label, sizeof(label), lang,
			    i == 1 ? "star_1" : "star_n", "n", num, NULL)) ||
			    buf_puts(o, ": ") || star_link(o, v, i, false) ||
			    buf_puts(o, "\n");
		}
		return r || buf_puts(o, "\n");
	case B_END:
		break;
	}
	return 0;
}

static int
html_block(struct buf *o, const char *lang, const struct block *k,
    json_t *vars)
{
	const char	*v = k->var != NULL ? var(vars, k->var) : NULL;
	const char	*p;
	char		 num[4], label[64], *line;
	size_t		 n;
	int		 i, r = 0;

	switch (k->kind) {
	case B_PARA:
		return buf_puts(o, "<p style=\"" S_P "\">") ||
		    words(o, lang, k->key, vars, true) || buf_puts(o, "</p>");
	case B_NOTE:
		return buf_puts(o, "<p style=\"" S_P "font-size:14px;"
		    "color:#4b5563\">") || words(o, lang, k->key, vars, true) ||
		    buf_puts(o, "</p>");
	case B_QUOTE:
		return buf_puts(o, "<blockquote style=\"" S_P "padding:12px "
		    "16px;border-left:4px solid #d1d5db;background-color:"
		    "#f9fafb;white-space:pre-wrap\">") ||
		    html_escape(o, v != NULL ? v : "") ||
		    buf_puts(o, "</blockquote>");
	case B_LIST:
		r = buf_puts(o, "<ul style=\"" S_P "padding-left:24px\">");
		for (p = v != NULL ? v : ""; r == 0 && *p != '\0'; p += n) {
			n = strcspn(p, "\n");
			if ((line = strndup(p, n)) == NULL)
				return -1;
			r = buf_puts(o, "<li>") || html_escape(o, line) ||
			    buf_puts(o, "</li>");
			free(line);
			if (p[n] == '\n')
				n++;
		}
		return r || buf_puts(o, "</ul>");
	case B_BUTTON:
		return buf_puts(o, "<p style=\"margin:8px 0 24px 0\">"
		    "<a href=\"") || html_escape(o, v != NULL ? v : "") ||
		    buf_puts(o, "\" style=\"display:inline-block;"
		    "background-color:" S_GREEN ";color:#ffffff;"
		    "text-decoration:none;font-weight:bold;padding:12px 24px;"
		    "border-radius:6px\">") ||
		    words(o, lang, k->key, vars, true) ||
		    buf_puts(o, "</a></p>");
	case B_LINK:
		return buf_puts(o, "<p style=\"" S_P "\"><a href=\"") ||
		    html_escape(o, v != NULL ? v : "") ||
		    buf_puts(o, "\" style=\"color:" S_GREEN "\">") ||
		    words(o, lang, k->key, vars, true) ||
		    buf_puts(o, "</a></p>");
	case B_STARS:
		r = buf_puts(o, "<p style=\"margin:0 0 24px 0\">");
		for (i = 1; r == 0 && i <= 5; i++) {
			snprintf(num, sizeof(num), "%d", i);
			r = buf_puts(o, "<a href=\"") ||
			    star_link(o, v, i, true) ||
			    buf_puts(o, "\" title=\"") || html_escape(o,
			    i18n_format(label, sizeof(label), lang, i == 1 ?
			    "star_1" : "star_n", "n", num, NULL)) ||
			    buf_puts(o, "\" style=\"display:inline-block;"
			    "font-size:36px;line-height:1;color:#f59e0b;"
			    "text-decoration:none;padding:0 4px\">★</a>");
		}
		return r || buf_puts(o, "</p>");
	case B_END:
		break;
	}
	return 0;
}

/* Whether block k is in the e-mail of vars. */
static bool
shown(const struct block *k, json_t *vars)
{
	return (k->when == NULL || var(vars, k->when) != NULL) &&
	    (k->unless == NULL || var(vars, k->unless) == NULL);
}

static int
render_text(struct buf *o, const struct mail *m, const char *lang,
    json_t *vars)
{
	const struct block	*k;
	int			 r = 0;

	if (m->fragment)
		r = buf_puts(o, "\n-- \n");
	if (r == 0 && m->greeting != NULL)
		r = words(o, lang, m->greeting, vars, false) ||
		    buf_puts(o, "\n\n");
	for (k = m->b; r == 0 && k < m->b + BLOCKS_MAX &&
	    k->kind != B_END; k++) {
		if (shown(k, vars))
			r = text_block(o, lang, k, vars);
	}
	return r;
}

/* The business's logo before its name, when vars has one (invitation
 * e-mails only: see migrations/0024); alt="" since the name follows. */
static int
logo_img(struct buf *o, const char *logo)
{
	if (logo == NULL)
		return 0;
	return buf_puts(o, "<img src=\"") || html_escape(o, logo) ||
	    buf_puts(o, "\" alt=\"\" height=\"40\" style=\"display:block;"
	    "height:40px;width:auto;margin-bottom:8px;border:0\">");
}

static int
render_html(struct buf *o, const struct mail *m, const char *lang,
    const char *subject, json_t *vars)
{
	const struct block	*k;
	const char		*business = var(vars, "business");
	int			 r = 0;

	if (m->fragment)
		r = buf_puts(o, "<hr style=\"border:0;border-top:1px solid "
		    "#d1d5db\"><div style=\"font-size:12px;color:#4b5563\">");
	else
		r = buf_printf(o, "<!DOCTYPE html><html lang=\"%s\" "
		    "dir=\"%s\"><head><meta charset=\"utf-8\"><meta "
		    "name=\"viewport\" content=\"width=device-width, "
		    "initial-scale=1\"><title>", lang, i18n_rtl(lang) ? "rtl" :
		    "ltr") || html_escape(o, subject) ||
		    buf_puts(o, "</title></head>") || buf_puts(o, doc_body) ||
		    (business != NULL && (buf_puts(o, doc_header) ||
		    logo_img(o, var(vars, "logo")) ||
		    html_escape(o, business) || buf_puts(o, "</td></tr>"))) ||
		    buf_puts(o, doc_main);
	if (r == 0 && m->greeting != NULL)
		r = buf_puts(o, "<p style=\"" S_P "\">") ||
		    words(o, lang, m->greeting, vars, true) ||
		    buf_puts(o, "</p>");
	for (k = m->b; r == 0 && k < m->b + BLOCKS_MAX &&
	    k->kind != B_END; k++) {
		if (shown(k, vars))
			r = html_block(o, lang, k, vars);
	}
	return r || buf_puts(o, m->fragment ? "</div>" : doc_end);
}

int
mailer_render(const char *name, const char *locale, json_t *vars,
    json_t *msg)
{
	const struct mail	*m = mail_find(name);
	const char		*lang = i18n_lang(locale, NULL, NULL);
	struct buf		 s, t, h;
	char			*subject = NULL, *text = NULL, *html = NULL;
	int			 ret = -1;

	if (m == NULL) {
		log_error("mailer: no template %s", name);
		return -1;
	}
	buf_init(&s, 4096);
	buf_init(&t, PART_MAX);
	buf_init(&h, PART_MAX);
	if (words(&s, lang, m->subject, vars, false) == -1 ||
	    (subject = buf_detach(&s, NULL)) == NULL ||
	    render_text(&t, m, lang, vars) == -1 ||
	    render_html(&h, m, lang, subject, vars) == -1 ||
	    (text = buf_detach(&t, NULL)) == NULL ||
	    (html = buf_detach(&h, NULL)) == NULL)
		goto out;
	if (mailer_set_text(msg, "subject", subject) == 0 &&
	    mailer_set_text(msg, "text", text) == 0 &&
	    mailer_set_text(msg, "html", html) == 0)
		ret = 0;
out:
	buf_release(&s);
	buf_release(&t);
	buf_release(&h);
	free(subject);
	free(text);
	free(html);
	return ret;
}

const char *
mailer_lang(const char *want, const char *unit_locale)
{
	return i18n_lang(want, NULL, unit_locale);
}
