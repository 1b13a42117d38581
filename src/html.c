/*
 * html: the HTML escaper and the page kit (see html.h). Every value that
 * is not a constant of the page code goes through html_escape. Pages are
 * answered with a strict Content-Security-Policy (no scripts at all) and
 * never framed. Stateless; HTTP worker threads and the scheduler (e-mail
 * HTML parts).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/db.h"
#include "reviewd/html.h"
#include "reviewd/i18n.h"

int
html_escape(struct buf *out, const char *s)
{
	const char	*run = s;

	for (; *s != '\0'; s++) {
		const char	*rep;

		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		if (buf_append(out, run, (size_t)(s - run)) == -1 ||
		    buf_puts(out, rep) == -1)
			return -1;
		run = s + 1;
	}
	return buf_append(out, run, (size_t)(s - run));
}

/* Colours: stars by rating as visitors know them (red 1 .. green 5);
 * text and buttons at 4.5:1 or more against their background (WCAG AA). */
static const char css[] =
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;"
    "background:#f6f6f4;overflow-wrap:anywhere}"
    "main{max-width:44rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.15rem;margin:.4rem 0}"
    "article,form,.box{background:#fff;"
    "border:1px solid #ddd;border-radius:8px;padding:1rem;margin:1rem 0}"
    ".stars{color:#00704a;font-size:1.2rem;letter-spacing:2px}"
    ".r1{color:#c0262d}.r2{color:#b34700}.r3{color:#8a6d00}"
    ".r4{color:#3d7a0a}.r5{color:#00704a}"
    ".dist{list-style:none;padding:0;margin:.5rem 0}.dist li{display:flex;"
    "gap:.5rem;align-items:center}.dist a{min-width:5.5rem}"
    ".bar{flex:1;height:.6rem;background:#e6e6e3;border-radius:3px}"
    ".bar span{display:block;height:100%;border-radius:3px;"
    "background:currentColor}"
    ".label{display:inline-block;font-size:.8rem;border-radius:4px;"
    "padding:0 .4rem;margin-right:.3rem;background:#e8f5ee;color:#0b6b45}"
    ".label.contacted{background:#fff4e0;color:#7a4a00}"
    ".reply{border-left:3px solid #ccc;padding-left:.8rem;margin-top:.8rem}"
    ".meta{color:#595959;font-size:.9rem}.error{color:#a40000}"
    "label{display:block;margin:.6rem 0 .2rem}input[type=text],"
    "input[type=email],input[type=tel],input[type=date],textarea,select{"
    "width:100%;"
    "box-sizing:border-box;padding:.5rem;font:inherit}"
    "textarea{min-height:8rem}"
    "button,.button{display:inline-block;font:inherit;padding:.5rem 1.2rem;"
    "margin-top:1rem;background:#00704a;color:#fff;border:0;"
    "border-radius:6px;text-decoration:none}"
    "button[name=decline],button.secondary{background:#fff;color:#1b1b1b;"
    "border:1px solid #767676}"
    "nav a{margin-right:.6rem}nav a[aria-current]{font-weight:bold;"
    "color:#1b1b1b}"
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip:rect(0 0 0 0);white-space:nowrap}"
    ".picker{display:flex;align-items:center;gap:.8rem;flex-wrap:wrap}"
    ".picker .row{display:inline-flex}"
    ".picker input{position:absolute;opacity:0;width:1px;height:1px}"
    ".picker label{display:inline;margin:0;padding:0 .15rem;"
    "font-size:2.4rem;line-height:1;color:#8c8c8c;cursor:pointer}"
    ".picker label:has(~input:checked),.picker input:checked+label,"
    ".picker .row:hover label{color:#00704a}"
    ".picker .row label:hover~label{color:#8c8c8c}"
    ".picker input:focus-visible+label{outline:2px solid #1b1b1b;"
    "outline-offset:2px}"
    ".picker .word span{display:none;font-weight:bold}"
    ".picker:has(input[value='1']:checked) .w1,"
    ".picker:has(input[value='2']:checked) .w2,"
    ".picker:has(input[value='3']:checked) .w3,"
    ".picker:has(input[value='4']:checked) .w4,"
    ".picker:has(input[value='5']:checked) .w5{display:inline}";

int
html_start(struct buf *b, const char *lang, const char *title)
{
	return buf_puts(b, "<!doctype html><html lang=\"") ||
	    html_escape(b, lang) || buf_puts(b, "\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"><title>") ||
	    html_escape(b, title) || buf_printf(b, "</title><style>%s"
	    "</style></head><body><main>", css);
}

int
html_answer(struct response *res, int status, struct buf *b, int failed,
    struct api_error *err)
{
	size_t	 len = 0;
	char	*body = NULL;

	if (failed == 0 && buf_puts(b, "</main></body></html>\n") == 0)
		body = buf_detach(b, &len);
	buf_release(b);
	if (body == NULL || response_header(res, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "form-action 'self'; frame-ancestors 'none'") == -1 ||
	    response_header(res, "X-Content-Type-Options", "nosniff") == -1 ||
	    response_header(res, "Referrer-Policy", "no-referrer") == -1) {
		free(body);
		api_error_internal(err);
		return -1;
	}
	res->status = status;
	res->body = body;
	res->body_len = len;
	res->content_type = "text/html; charset=utf-8";
	return 0;
}

int
html_message(struct response *res, const char *lang, int status,
    const char *title, const char *text, const char *link,
    const char *link_text, struct api_error *err)
{
	struct buf	 b;
	int		 r;

	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, lang, title) ||
	    buf_puts(&b, "<div class=\"box\"><h1>") ||
	    html_escape(&b, title) || buf_puts(&b, "</h1><p>") ||
	    html_escape(&b, text) || buf_puts(&b, "</p>");
	if (r == 0 && link != NULL)
		r = buf_puts(&b, "<p><a href=\"") || html_escape(&b, link) ||
		    buf_puts(&b, "\">") || html_escape(&b, link_text) ||
		    buf_puts(&b, "</a></p>");
	r = r || buf_puts(&b, "</div>");
	return html_answer(res, status, &b, r, err);
}

int
html_problems(struct buf *b, const char *heading,
    const struct api_error *problems, bool with_message)
{
	size_t	 i;

	if (buf_puts(b, "<div class=\"box error\" role=\"alert\">") ||
	    (heading != NULL && (buf_puts(b, "<p>") || html_escape(b,
	    heading) || buf_puts(b, "</p>"))) || buf_puts(b, "<ul>"))
		return -1;
	for (i = 0; i < problems->ndetails; i++) {
		if (buf_puts(b, "<li>") || html_escape(b,
		    problems->details[i].field) || buf_puts(b, " ") ||
		    html_escape(b, problems->details[i].reason) ||
		    buf_puts(b, "</li>"))
			return -1;
	}
	if (with_message && problems->ndetails == 0 && (buf_puts(b, "<li>") ||
	    html_escape(b, problems->message) || buf_puts(b, "</li>")))
		return -1;
	return buf_puts(b, "</ul></div>");
}

const char *
html_str(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

int
html_form_field(const struct request *req, const char *name, char *v,
    struct api_error *problems)
{
	int	 r = request_form_value(req->body, req->body_len, name, v,
		    HTML_FIELD_MAX);

	if (r == -2) {
		api_error_set(problems, 400, name, "is not UTF-8 text or is "
		    "too long");
		return -1;
	}
	return r == 0 && v[0] != '\0';
}

json_t *
html_form_number(const char *v)
{
	char		*end;
	long long	 n = strtoll(v, &end, 10);

	return *end == '\0' ? json_integer(n) : json_string(v);
}

int
html_found_or_404(struct request *req, struct response *res, int found,
    const char *lang, const char *title, const char *text,
    struct api_error *err)
{
	if (found == -1) {
		db_fail(req->db, err);
		return -1;
	}
	if (found == 1)
		return 1;
	return html_message(res, lang, 404, title, text, NULL, NULL, err);
}

int
html_star_picker(struct buf *b, const char *lang, const char *name,
    long long chosen, bool required)
{
	char	 num[4], label[64];
	int	 i;

	if (buf_puts(b, "<div class=\"picker\"><span class=\"row\">") == -1)
		return -1;
	/* 1 to 5, so that arrow keys go up to the right; the stars up to
	 * the checked one light up (CSS :has) */
	for (i = 1; i <= 5; i++) {
		snprintf(num, sizeof(num), "%d", i);
		if (buf_printf(b, "<input type=\"radio\" id=\"%s-%d\" "
		    "name=\"%s\" value=\"%d\"%s%s><label for=\"%s-%d\">"
		    "\xe2\x98\x85<span class=\"sr\">", name, i, name, i,
		    i == chosen ? " checked" : "", required ? " required" : "",
		    name, i) == -1 || html_escape(b, i18n_format(label,
		    sizeof(label), lang, i == 1 ? "star_1" : "star_n", "n", num,
		    NULL)) == -1 || buf_puts(b, "</span></label>") == -1)
			return -1;
	}
	if (buf_puts(b, "</span><span class=\"word\" aria-hidden=\"true\">") ==
	    -1)
		return -1;
	for (i = 1; i <= 5; i++) {
		snprintf(label, sizeof(label), "rating_%d", i);
		if (buf_printf(b, "<span class=\"w%d\">", i) == -1 ||
		    html_escape(b, i18n(lang, label)) == -1 ||
		    buf_puts(b, "</span>") == -1)
			return -1;
	}
	return buf_puts(b, "</span></div>");
}

const struct api_error_detail *
html_problem(const struct api_error *problems, const char *field)
{
	size_t	 i;

	for (i = 0; problems != NULL && i < problems->ndetails; i++) {
		if (strcmp(problems->details[i].field, field) == 0)
			return &problems->details[i];
	}
	return NULL;
}

int
html_invalid_attrs(struct buf *b, const struct api_error *problems,
    const char *field, const char *id, bool *focused)
{
	if (html_problem(problems, field) == NULL)
		return 0;
	if (buf_puts(b, " aria-invalid=\"true\" aria-describedby=\"err-") ||
	    html_escape(b, id) || buf_puts(b, "\""))
		return -1;
	if (*focused)
		return 0;
	*focused = true;
	return buf_puts(b, " autofocus");
}

int
html_field_error(struct buf *b, const char *lang,
    const struct api_error *problems, const char *field, const char *id,
    const char *label)
{
	const struct api_error_detail	*d = html_problem(problems, field);
	const char			*name, *hint;
	char				 key[32];
	size_t				 i;

	if (d == NULL)
		return 0;
	name = strrchr(field, '.');
	name = name != NULL ? name + 1 : field;
	snprintf(key, sizeof(key), "hint_%s", name);
	/* catalogue keys are lower case: hint_experiencedat */
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	hint = i18n(lang, key);
	/* no hint for it, or not a bad value (a limit): the server's words */
	if (strcmp(hint, key) == 0 || problems->status != 400)
		hint = d->reason;
	return buf_puts(b, "<p class=\"error\" id=\"err-") ||
	    html_escape(b, id) || buf_puts(b, "\">") ||
	    html_escape(b, label) || buf_puts(b, ": ") ||
	    html_escape(b, hint) || buf_puts(b, "</p>");
}

int
html_text_field(struct buf *b, const char *lang,
    const struct api_error *problems, bool *focused,
    const struct html_field *f)
{
	if (buf_puts(b, "<label for=\"") || html_escape(b, f->id) ||
	    buf_puts(b, "\">") || html_escape(b, f->label) ||
	    buf_puts(b, "</label>"))
		return -1;
	if (f->type != NULL ? buf_printf(b, "<input type=\"%s\"", f->type) :
	    buf_puts(b, "<textarea"))
		return -1;
	if (buf_puts(b, " id=\"") || html_escape(b, f->id) ||
	    buf_puts(b, "\" name=\"") || html_escape(b, f->name) ||
	    buf_puts(b, "\"") || (f->maxlength > 0 && buf_printf(b,
	    " maxlength=\"%d\"", f->maxlength)) ||
	    (f->required && buf_puts(b, " required")) ||
	    html_invalid_attrs(b, problems, f->problem, f->id, focused))
		return -1;
	if (f->type != NULL ? buf_puts(b, " value=\"") ||
	    html_escape(b, f->value) || buf_puts(b, "\">") :
	    buf_puts(b, ">") || html_escape(b, f->value) ||
	    buf_puts(b, "</textarea>"))
		return -1;
	return html_field_error(b, lang, problems, f->problem, f->id,
	    f->context != NULL ? f->context : f->label);
}

json_t *
html_form_json(const struct request *req, const char *const *fields,
    struct api_error *problems)
{
	json_t	*o = json_object();	/* owned */
	char	*v = malloc(HTML_FIELD_MAX);
	size_t	 i;

	if (o == NULL || v == NULL)
		goto fail;
	if (html_form_field(req, "stars", v, problems) == 1 &&
	    json_object_set_new(o, "stars", html_form_number(v)) == -1)
		goto fail;
	for (i = 0; fields[i] != NULL; i++) {
		if (html_form_field(req, fields[i], v, problems) == 1 &&
		    json_object_set_new(o, fields[i], json_string(v)) == -1)
			goto fail;
	}
	free(v);
	return o;
fail:
	free(v);
	json_decref(o);
	return NULL;
}
