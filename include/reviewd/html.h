#ifndef REVIEWD_HTML_H
#define REVIEWD_HTML_H

#include <stdbool.h>

#include <jansson.h>

#include "reviewd/api_error.h"
#include "reviewd/buf.h"
#include "reviewd/request.h"

/*
 * The one HTML escaper every piece of HTML we produce (pages, e-mail HTML
 * parts) goes through, and the kit the server-rendered pages are made
 * with: the page frame and its headers, message pages, the list of what
 * was wrong with a form, form fields, and the lookup that answers 404
 * when a link leads nowhere. Stateless: any thread.
 */

#define HTML_PAGE_CAP	(2 * 1024 * 1024)	/* bytes of one page */
#define HTML_FIELD_MAX	(5000 * 4 + 1)		/* a form field, NUL too */

/* Appends s to out with & < > " ' escaped. 0, or -1 when out is full. */
int	html_escape(struct buf *out, const char *s);

/* Opens a page in language lang (i18n.h) titled title (escaped) in b:
 * doctype, head with the style sheet, <body><main>. 0, or -1 when b is
 * full. */
int	html_start(struct buf *b, const char *lang, const char *title);

/*
 * Closes the page html_start opened in b and answers it with status and
 * the headers every page carries (a Content-Security-Policy without
 * scripts, no framing, no sniffing, no referrer). failed is nonzero when
 * building the page failed; then, or when closing it fails, the answer
 * is a 500. b is left empty. 0, or -1 with err set.
 */
int	html_answer(struct response *res, int status, struct buf *b,
	    int failed, struct api_error *err);

/* Answers a short page in lang: title as heading, text as a paragraph
 * and, when link is not NULL, a link to it reading link_text. 0, or -1
 * with err. */
int	html_message(struct response *res, const char *lang, int status,
	    const char *title, const char *text, const char *link,
	    const char *link_text, struct api_error *err);

/*
 * Appends a star picker for the radio group name: five large stars in a
 * row (CSS over the radio buttons: no JavaScript; arrow keys move, each
 * star read out as "n stars"), the word for the chosen rating beside
 * them, in lang; chosen (1 to 5) is checked. The legend is the caller's.
 * 0, or -1 when b is full.
 */
int	html_star_picker(struct buf *b, const char *lang, const char *name,
	    long long chosen, bool required);

/*
 * Appends the box listing what was wrong with a form: heading (escaped)
 * as its first paragraph when not NULL, then each detail as "field
 * reason", or the message when there is no detail and with_message. 0, or
 * -1 when b is full.
 */
int	html_problems(struct buf *b, const char *heading,
	    const struct api_error *problems, bool with_message);

/* The detail of problems that names field, or NULL. */
const struct api_error_detail	*html_problem(
				    const struct api_error *problems,
				    const char *field);

/*
 * For the input of form field field (problems may be NULL): when it has a
 * problem, the attributes aria-invalid and aria-describedby="err-id"
 * and, on the page's first such input (*focused false), autofocus (then
 * *focused is set). Nothing otherwise. 0, or -1 when b is full.
 */
int	html_invalid_attrs(struct buf *b, const struct api_error *problems,
	    const char *field, const char *id, bool *focused);

/*
 * The error next to the input of field, when it has one: a paragraph
 * with id err-id saying "label: hint" in lang, the hint chosen by the
 * field's own name (stars, title, text, name, email; the part after the
 * last '.') for a bad value (400), else the server's reason (a limit). 0,
 * or -1 when b is full.
 */
int	html_field_error(struct buf *b, const char *lang,
	    const struct api_error *problems, const char *field,
	    const char *id, const char *label);

/* A labelled form field. */
struct html_field {
	const char	*name;		/* in the form */
	const char	*id;		/* of the input, unique on the page */
	const char	*problem;	/* the field the validator names */
	const char	*label;		/* shown, escaped */
	const char	*context;	/* its error says "context: hint";
					 * NULL: "label: hint" */
	const char	*type;		/* "text", "email"; NULL: textarea */
	int		 maxlength;	/* 0: none */
	bool		 required;
	const char	*value;		/* shown, escaped */
};

/* Appends field f: label, input (html_invalid_attrs) and its error
 * (html_field_error). 0, or -1 when b is full. */
int	html_text_field(struct buf *b, const char *lang,
	    const struct api_error *problems, bool *focused,
	    const struct html_field *f);

/* The string at key of the object o (borrowed), or "" when there is
 * none: what a page shows for a value that is absent. */
const char	*html_str(json_t *o, const char *key);

/*
 * Reads the form field name of req's body into v (HTML_FIELD_MAX bytes).
 * 1 when it has a value, 0 when absent or empty, -1 when present but
 * unusable, which is then recorded in problems (400 naming it).
 */
int	html_form_field(const struct request *req, const char *name, char *v,
	    struct api_error *problems);

/*
 * A form's fields as the JSON object the API validators read: "stars"
 * (html_form_number) when sent, and each of the NULL-terminated text
 * fields sent; unusable ones are recorded in problems. New reference,
 * NULL when out of memory.
 */
json_t	*html_form_json(const struct request *req, const char *const *fields,
	    struct api_error *problems);

/* A whole-number form value as a JSON integer, anything else as a JSON
 * string for the validator to name. New reference, NULL when out of
 * memory. */
json_t	*html_form_number(const char *v);

/*
 * The start of every page behind a link, once the lookup of what the
 * link or address leads to gave found: 1 found, 0 nothing there, -1 a
 * failure (err set, or else a storage failure of req->db). When nothing
 * is there, answers 404 with the message page title and text in lang. 1
 * when found (the caller answers), 0 when the 404 page was answered, -1
 * with err set.
 */
int	html_found_or_404(struct request *req, struct response *res,
	    int found, const char *lang, const char *title, const char *text,
	    struct api_error *err);

#endif
