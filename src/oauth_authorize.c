/*
 * oauth_authorize: authorization-code OAuth for third-party applications
 * (RFC 6749 4.1, with PKCE, RFC 7636): the redirect URIs an application
 * registers (owns oauth_redirect_uris), the login-and-consent page where a
 * business user approves an application for the user's business unit,
 * and the user's list of the applications it approved. The codes and
 * consents are auth_codes', the token endpoint auth_tokens'. HTTP worker
 * threads, and the CLI (oauth_app_create).
 *
 * The page sends the browser to no URI but one registered for the client,
 * compared byte for byte; with an unknown client or URI it shows an error
 * page instead (never an open redirect). Its form carries a CSRF token that
 * must equal the cookie set with the page (SameSite=Strict, so another site
 * cannot make the browser post it). Its Content-Security-Policy lets the
 * form lead to the redirect URI's origin: browsers check form-action on
 * the redirect that follows the post too.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "reviewd/auth.h"
#include "reviewd/auth_codes.h"
#include "reviewd/auth_tokens.h"
#include "reviewd/business.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/html.h"
#include "reviewd/i18n.h"
#include "reviewd/json.h"
#include "reviewd/oauth_authorize.h"

#define STATE_MAX	1024	/* bytes of the client's state */
#define APP_NAME_MAX	1024	/* bytes: 200 characters of UTF-8 */
#define CSRF_COOKIE	"reviewd_oauth_csrf"
#define PAGE_PATH	"/oauth/authorize"
#define LIST_MAX	100

/* Redirect URIs. */

bool
oauth_redirect_uri_valid(const char *uri)
{
	const char	*host, *end;
	size_t		 n = strlen(uri), i;
	bool		 https = strncmp(uri, "https://", 8) == 0;

	if (n > AUTH_CODES_URI_MAX || (!https &&
	    strncmp(uri, "http://", 7) != 0))
		return false;
	for (i = 0; i < n; i++)
		if (uri[i] <= ' ' || uri[i] >= 0x7f || uri[i] == '#' ||
		    uri[i] == '\\')
			return false;
	host = uri + (https ? 8 : 7);
	end = host + strcspn(host, "/?");
	/* the origin goes into a CSP header: letters, digits, . - : [ ] */
	if (end == host || strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") < (size_t)(end -
	    host))
		return false;
	if (https)
		return true;
	/* plain http only back to the user's own machine (RFC 8252 7.3) */
	return (strncmp(host, "127.0.0.1", 9) == 0 && (host[9] == ':' ||
	    host + 9 == end)) || (strncmp(host, "localhost", 9) == 0 &&
	    (host[9] == ':' || host + 9 == end)) || (strncmp(host, "[::1]",
	    5) == 0 && (host[5] == ':' || host + 5 == end));
}

static const char sql_uri_insert[] =
    "INSERT INTO oauth_redirect_uris (app_id, uri, created_at) "
    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING";

int
oauth_app_create(struct db *db, const char *bu, const char *name,
    const char *const *uris, size_t nuris, bool public_client, json_t **out,
    struct api_error *err)
{
	json_t		*app = NULL, *list = NULL;	/* owned */
	const char	*id;
	size_t		 i;
	int		 ret = -1;

	for (i = 0; i < nuris; i++)
		if (!oauth_redirect_uri_valid(uris[i]))
			api_error_set(err, 400, "redirectUris", "%s is not an "
			    "absolute https:// URI (http:// only to 127.0.0.1, "
			    "localhost or [::1]) of at most %d bytes without "
			    "a fragment", uris[i], AUTH_CODES_URI_MAX);
	if (public_client && nuris == 0)
		api_error_set(err, 400, "redirectUris", "a public application "
		    "needs at least one");
	if (err->status != 0)
		return -1;
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (business_app_create(db, bu, name, &app, err) == -1)
		goto out;
	id = json_string_value(json_object_get(app, "id"));
	if ((list = json_array()) == NULL || id == NULL)
		goto oom;
	for (i = 0; i < nuris; i++) {
		if (db_run(db, sql_uri_insert, "ssi", id, uris[i],
		    clock_now_ms()) == -1) {
			db_fail(db, err);
			goto out;
		}
		if (json_array_append_new(list, json_string(uris[i])) == -1)
			goto oom;
	}
	if (public_client && (business_app_forget_secret(db, id) == -1 ||
	    json_object_del(app, "secret") == -1)) {
		db_fail(db, err);
		goto out;
	}
	if (json_object_set_new(app, "redirectUris", list) == -1) {
		list = NULL;
		goto oom;
	}
	list = NULL;
	if (json_object_set_new(app, "public", json_boolean(public_client)) ==
	    -1)
		goto oom;
	if (db_tx_commit(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	*out = app;
	app = NULL;
	ret = 0;
	goto out;
oom:
	api_error_internal(err);
out:
	db_tx_rollback(db);	/* no-op after the commit */
	json_decref(app);
	json_decref(list);
	return ret;
}

int
oauth_admin_app_create(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "name", "redirectUris",
	    "public", NULL };
	const char	*uris[16];
	const char	*name = NULL;
	json_t		*out = NULL;		/* owned */
	json_t		*body, *arr, *v;	/* borrowed */
	size_t		 i, n = 0;
	bool		 public_client = false;

	if ((body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	json_read_string(body, "name", false, 1, 200, &name, err);
	json_read_bool(body, "public", false, &public_client, err);
	arr = json_object_get(body, "redirectUris");
	if (arr != NULL && !json_is_null(arr) && (!json_is_array(arr) ||
	    json_array_size(arr) > 16))
		api_error_set(err, 400, "redirectUris", "must be an array of "
		    "at most 16 URIs");
	else
		json_array_foreach(arr, i, v) {
			if (!json_is_string(v)) {
				api_error_set(err, 400, "redirectUris", "must "
				    "hold strings");
				break;
			}
			uris[n++] = json_string_value(v);
		}
	if (err->status != 0 || oauth_app_create(req->db,
	    request_param(req, "businessUnitId"), name, uris, n,
	    public_client, &out, err) == -1)
		return -1;
	return response_json(res, 201, out, err);
}

/* The consent page. */

/* An authorization request, as the page's query or form carries it. */
struct authz {
	char	 client_id[128];
	char	 app_id[IDS_ID_LEN + 1];
	char	 app_name[APP_NAME_MAX];
	bool	 public_client;
	char	 redirect_uri[AUTH_CODES_URI_MAX + 1];
	bool	 redirect_given;
	char	 response_type[32];
	char	 state[STATE_MAX + 1];
	bool	 has_state;
	char	 challenge[AUTH_CODES_CHALLENGE_MAX + 1];
	char	 method[16];
	bool	 bad;		/* a parameter that could not be read */
};

/*
 * Reads parameter name of the query (GET) or the form (POST) into out:
 * true when present and usable; a present unusable one (too long, not
 * UTF-8) sets a->bad.
 */
static bool
param(const struct request *req, bool post, const char *name, char *out,
    size_t outlen, struct authz *a)
{
	const char	*v;
	int		 rc;

	out[0] = '\0';
	if (post) {
		rc = request_form_value(req->body, req->body_len, name, out,
		    outlen);
		if (rc == -2)
			a->bad = true;
		return rc == 0;
	}
	if ((v = request_query(req, name)) == NULL)
		return false;
	if (snprintf(out, outlen, "%s", v) >= (int)outlen) {
		out[0] = '\0';
		a->bad = true;
		return false;
	}
	return true;
}

static const char sql_client[] =
    "SELECT id, name, secret_hash = '' FROM api_apps "
    "WHERE api_key = ? AND revoked_at IS NULL";
static const char sql_uri_registered[] =
    "SELECT 1 FROM oauth_redirect_uris WHERE app_id = ? AND uri = ?";
static const char sql_uri_only[] =
    "SELECT min(uri), count(*) FROM oauth_redirect_uris WHERE app_id = ?";

/*
 * Reads the request and identifies the client and the redirect URI: 0;
 * 1 when they are not usable (*why, a key of the catalogue, says what,
 * for the error page: the browser goes nowhere); -1 on a database error.
 */
static int
resolve(struct request *req, bool post, struct authz *a, const char **why)
{
	struct db	*db = req->db;
	struct db_stmt	*st = NULL;
	int		 rc;

	memset(a, 0, sizeof(*a));
	if (!param(req, post, "client_id", a->client_id,
	    sizeof(a->client_id), a)) {
		*why = "oa_no_client";
		return 1;
	}
	if ((rc = db_row(db, sql_client, &st, "s", a->client_id)) != DB_ROW) {
		*why = "oa_unknown_client";
		return rc == -1 ? -1 : 1;
	}
	snprintf(a->app_id, sizeof(a->app_id), "%s", db_text(st, 0));
	snprintf(a->app_name, sizeof(a->app_name), "%s", db_text(st, 1));
	a->public_client = db_int(st, 2) != 0;
	db_release(st);
	st = NULL;
	a->redirect_given = param(req, post, "redirect_uri", a->redirect_uri,
	    sizeof(a->redirect_uri), a);
	if (a->redirect_given) {
		if ((rc = db_exists(db, sql_uri_registered, "ss", a->app_id,
		    a->redirect_uri)) == -1)
			return -1;
		*why = "oa_uri_unregistered";
		return rc == DB_ROW ? 0 : 1;
	}
	if (a->bad) {
		*why = "oa_uri_bad";
		return 1;
	}
	/* RFC 6749 3.1.2.3: without one, the only one registered */
	if ((rc = db_row(db, sql_uri_only, &st, "s", a->app_id)) != DB_ROW)
		return -1;
	rc = db_int(st, 1) == 1 ? 0 : 1;
	if (rc == 0)
		snprintf(a->redirect_uri, sizeof(a->redirect_uri), "%s",
		    db_text(st, 0));
	db_release(st);
	*why = "oa_no_uri";
	return rc;
}

/*
 * The rest of the request, once the redirect URI can be trusted: NULL when
 * it is usable, else the RFC 6749 error code to send back, with *why.
 */
static const char *
check_request(const struct request *req, bool post, struct authz *a,
    const char **why)
{
	bool	 rt, has_challenge, has_method;

	a->bad = false;
	a->has_state = param(req, post, "state", a->state, sizeof(a->state),
	    a);
	if (a->bad) {
		*why = "state must be UTF-8 text of at most 1024 bytes";
		return "invalid_request";
	}
	rt = param(req, post, "response_type", a->response_type,
	    sizeof(a->response_type), a);
	has_challenge = param(req, post, "code_challenge", a->challenge,
	    sizeof(a->challenge), a);
	has_method = param(req, post, "code_challenge_method", a->method,
	    sizeof(a->method), a);
	if (!rt) {
		*why = "response_type is required";
		return "invalid_request";
	}
	if (strcmp(a->response_type, "code") != 0) {
		*why = "response_type must be code";
		return "unsupported_response_type";
	}
	if (a->bad || (has_challenge && !auth_codes_pkce_valid(a->challenge))) {
		*why = "code_challenge must be 43 to 128 characters of "
		    "A-Z a-z 0-9 - . _ ~";
		return "invalid_request";
	}
	if ((has_challenge || has_method) && strcmp(a->method, "S256") != 0) {
		*why = "code_challenge_method must be S256 (with a "
		    "code_challenge)";
		return "invalid_request";
	}
	if (!has_challenge && a->public_client) {
		*why = "this application must use PKCE: code_challenge and "
		    "code_challenge_method=S256";
		return "invalid_request";
	}
	return NULL;
}

/* Appends "&name=value" (the first with '?' or '&' as the URI needs). */
static int
add_param(struct buf *b, const char *name, const char *value)
{
	char	 sep = strchr(b->data, '?') != NULL ? '&' : '?';

	return buf_printf(b, "%c%s=", sep, name) ||
	    request_url_encode(b, value);
}

/* The language of the pages: the user's browser's (i18n.h). */
static const char *
user_lang(const struct request *req)
{
	return i18n_lang(NULL, request_header(req, "Accept-Language"), NULL);
}

/*
 * Sends the browser back to the client's redirect URI with name=value
 * (code, or error) and the state; error adds its error_description.
 */
static int
redirect_back(const struct request *req, struct response *res,
    const struct authz *a, const char *name, const char *value,
    const char *description, struct api_error *err)
{
	const char	*lang = user_lang(req);
	struct buf	 b;
	int		 r, ret = -1;

	buf_init(&b, AUTH_CODES_URI_MAX + STATE_MAX * 3 + 1024);
	r = buf_puts(&b, a->redirect_uri) || add_param(&b, name, value) ||
	    (description != NULL && add_param(&b, "error_description",
	    description)) || (a->has_state && add_param(&b, "state",
	    a->state));
	if (r == 0 && response_header(res, "Location", b.data) == 0)
		ret = html_message(res, lang, 303, i18n(lang, "oa_returning"),
		    i18n(lang, "oa_returning_text"), b.data, i18n(lang,
		    "oa_continue"), err);
	else
		api_error_internal(err);
	buf_release(&b);
	return ret;
}

/* The error page of a request whose client or redirect URI is not known:
 * the browser is sent nowhere. */
static int
error_page(const struct request *req, struct response *res, int status,
    const char *why, struct api_error *err)
{
	const char	*lang = user_lang(req);

	return html_message(res, lang, status, i18n(lang, "oa_link_broken"),
	    i18n(lang, why), NULL, NULL, err);
}

/* The value of cookie name in the request, copied into out; false when
 * absent or too long. */
static bool
cookie(const struct request *req, const char *name, char *out,
    size_t outlen)
{
	const char	*h = request_header(req, "Cookie"), *p, *end;
	size_t		 n = strlen(name), len;

	for (p = h; p != NULL && *p != '\0'; p = end) {
		while (*p == ' ' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			len = (size_t)(end - p - (ptrdiff_t)n - 1);
			if (len >= outlen)
				return false;
			memcpy(out, p + n + 1, len);
			out[len] = '\0';
			return true;
		}
	}
	return false;
}

/* The hidden fields that carry the request through the form. */
static int
hidden(struct buf *b, const char *name, const char *value)
{
	return buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"",
	    name) || html_escape(b, value) || buf_puts(b, "\">");
}

/* The scheme://host[:port] of a registered redirect URI. */
static void
origin(const char *uri, char out[AUTH_CODES_URI_MAX + 1])
{
	const char	*host = strstr(uri, "://") + 3;

	snprintf(out, AUTH_CODES_URI_MAX + 1, "%.*s",
	    (int)(host - uri + (ptrdiff_t)strcspn(host, "/?")), uri);
}

/*
 * html_answer's headers, with the client's origin added to the policy's
 * form-action, and the page's CSRF cookie. 0 or -1.
 */
static int
page_headers(const struct request *req, struct response *res,
    const struct authz *a, const char *csrf)
{
	char	 from[AUTH_CODES_URI_MAX + 1], csp[AUTH_CODES_URI_MAX + 160];
	char	 set[IDS_TOKEN_LEN + 128], *v;
	bool	 secure = strncmp(req->cfg->public_url, "https:", 6) == 0;
	size_t	 i;

	origin(a->redirect_uri, from);
	snprintf(csp, sizeof(csp), "default-src 'none'; style-src "
	    "'unsafe-inline'; form-action 'self' %s; frame-ancestors 'none'",
	    from);
	for (i = 0; i < res->nheaders; i++) {
		if (strcasecmp(res->header_name[i],
		    "Content-Security-Policy") != 0)
			continue;
		if ((v = strdup(csp)) == NULL)
			return -1;
		free(res->header_value[i]);
		res->header_value[i] = v;
	}
	snprintf(set, sizeof(set), CSRF_COOKIE "=%s; Path=" PAGE_PATH
	    "; Max-Age=1800; HttpOnly; SameSite=Strict%s", csrf,
	    secure ? "; Secure" : "");
	return response_header(res, "Set-Cookie", set);
}

/*
 * The login-and-consent page for request a, with problem (a key of the
 * catalogue, or NULL: none) shown above the form, answered with status.
 * A new CSRF token goes into the form and the cookie.
 */
static int
consent_page(struct request *req, struct response *res,
    const struct authz *a, int status, const char *problem,
    struct api_error *err)
{
	const char	*lang = user_lang(req);
	char		 csrf[IDS_TOKEN_LEN + 1], from[AUTH_CODES_URI_MAX + 1];
	char		 text[AUTH_CODES_URI_MAX + 600];
	struct buf	 b;
	int		 r;

	ids_token(csrf);
	origin(a->redirect_uri, from);
	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, lang, i18n(lang, "oa_title")) ||
	    buf_puts(&b, "<h1>") || html_escape(&b, i18n_format(text,
	    sizeof(text), lang, "oa_connect", "app", a->app_name, NULL)) ||
	    buf_puts(&b, "</h1><div class=\"box\"><p>") ||
	    html_escape(&b, i18n_format(text, sizeof(text), lang, "oa_asks",
	    "app", a->app_name, NULL)) || buf_puts(&b, "</p><p "
	    "class=\"meta\">") || html_escape(&b, i18n_format(text,
	    sizeof(text), lang, "oa_return_to", "site", from, NULL)) ||
	    buf_puts(&b, "</p></div>");
	if (r == 0 && problem != NULL)
		r = buf_puts(&b, "<div class=\"box error\" "
		    "role=\"alert\"><p>") ||
		    html_escape(&b, i18n(lang, problem)) ||
		    buf_puts(&b, "</p></div>");
	r = r || buf_puts(&b, "<form method=\"post\" action=\"" PAGE_PATH
	    "\">") || hidden(&b, "csrf_token", csrf) ||
	    hidden(&b, "client_id", a->client_id) ||
	    (a->redirect_given && hidden(&b, "redirect_uri",
	    a->redirect_uri)) ||
	    hidden(&b, "response_type", a->response_type) ||
	    (a->has_state && hidden(&b, "state", a->state)) ||
	    (a->challenge[0] != '\0' && (hidden(&b, "code_challenge",
	    a->challenge) || hidden(&b, "code_challenge_method",
	    a->method))) ||
	    buf_puts(&b, "<p>") || html_escape(&b, i18n(lang,
	    "oa_sign_in")) || buf_puts(&b, "</p><label for=\"username\">") ||
	    html_escape(&b, i18n(lang, "oa_username")) || buf_puts(&b,
	    "</label><input type=\"text\" id=\"username\" name=\"username\" "
	    "autocomplete=\"username\" required><label for=\"password\">") ||
	    html_escape(&b, i18n(lang, "oa_password")) || buf_puts(&b,
	    "</label><input type=\"password\" id=\"password\" "
	    "name=\"password\" autocomplete=\"current-password\" required>"
	    "<button type=\"submit\" name=\"decision\" value=\"allow\">") ||
	    html_escape(&b, i18n(lang, "oa_allow")) || buf_puts(&b,
	    "</button> <button type=\"submit\" name=\"decision\" "
	    "value=\"deny\" class=\"secondary\" formnovalidate>") ||
	    html_escape(&b, i18n(lang, "oa_deny")) ||
	    buf_puts(&b, "</button></form>");
	if (html_answer(res, status, &b, r, err) == -1)
		return -1;
	if (page_headers(req, res, a, csrf) == -1) {
		api_error_internal(err);
		return -1;
	}
	return 0;
}

/* Steps common to GET and POST: 1 when the caller goes on with a usable
 * request, 0 when answered (error page or error sent back), -1 with err. */
static int
begin(struct request *req, struct response *res, bool post, struct authz *a,
    struct api_error *err)
{
	const char	*why = NULL, *code;
	int		 rc;

	if ((rc = resolve(req, post, a, &why)) == -1) {
		db_fail(req->db, err);
		return -1;
	}
	if (rc == 1)
		return error_page(req, res, 400, why, err) == -1 ? -1 : 0;
	if ((code = check_request(req, post, a, &why)) != NULL)
		return redirect_back(req, res, a, "error", code, why,
		    err) == -1 ? -1 : 0;
	return 1;
}

int
oauth_authorize_page(ROUTE_HANDLER_PARAMS)
{
	struct authz	 a;
	int		 rc = begin(req, res, false, &a, err);

	return rc == 1 ? consent_page(req, res, &a, 200, NULL, err) : rc;
}

/* The user signs in and approves: a code goes back to the client. */
static int
approve(struct request *req, struct response *res, const struct authz *a,
    struct api_error *err)
{
	char			 username[256], password[AUTH_PASSWORD_MAX + 1];
	char			 user_id[IDS_ID_LEN + 1];
	char			 unit_id[IDS_ID_LEN + 1];
	char			 code[IDS_TOKEN_LEN + 1];
	char			 client[REQUEST_CLIENT_LEN];
	struct api_error	 why;
	int			 ret = -1;

	memset(&why, 0, sizeof(why));
	if (request_form_value(req->body, req->body_len, "username",
	    username, sizeof(username)) != 0 || username[0] == '\0' ||
	    request_form_value(req->body, req->body_len, "password",
	    password, sizeof(password)) != 0 || password[0] == '\0') {
		ret = consent_page(req, res, a, 400, "oa_enter",
		    err);
		goto out;
	}
	if (auth_sign_in(req->db, req->cfg, username, password,
	    request_client(req, client) == 0 ? client : NULL, user_id,
	    unit_id, &why) == -1) {
		if (why.status == 401)
			ret = consent_page(req, res, a, 401,
			    "oa_not_valid", err);
		else if (why.status == 429) {
			ret = consent_page(req, res, a, 429,
			    "oa_too_many", err);
			if (ret == 0 && response_header(res, why.header_name,
			    why.header_value) == -1) {
				api_error_internal(err);
				ret = -1;
			}
		} else
			*err = why;
		goto out;
	}
	if (auth_codes_issue(req->db, a->app_id, user_id, unit_id,
	    a->redirect_uri, a->redirect_given, a->challenge[0] != '\0' ?
	    a->challenge : NULL, code, err) == -1)
		goto out;
	ret = redirect_back(req, res, a, "code", code, NULL, err);
out:
	sodium_memzero(password, sizeof(password));
	sodium_memzero(code, sizeof(code));
	return ret;
}

int
oauth_authorize_post(ROUTE_HANDLER_PARAMS)
{
	struct authz	 a;
	char		 csrf[IDS_TOKEN_LEN + 2];
	char		 cookie_csrf[IDS_TOKEN_LEN + 2];
	char		 decision[16];
	int		 rc = begin(req, res, true, &a, err);

	if (rc != 1)
		return rc;
	/* the form must come from our page in this browser */
	if (request_form_value(req->body, req->body_len, "csrf_token", csrf,
	    sizeof(csrf)) != 0 || !cookie(req, CSRF_COOKIE, cookie_csrf,
	    sizeof(cookie_csrf)) || strlen(csrf) != IDS_TOKEN_LEN ||
	    !ids_equal(csrf, cookie_csrf))
		return html_message(res, user_lang(req), 403,
		    i18n(user_lang(req), "oa_form_expired"),
		    i18n(user_lang(req), "oa_form_expired_text"), NULL, NULL,
		    err);
	if (request_form_value(req->body, req->body_len, "decision",
	    decision, sizeof(decision)) == 0 && strcmp(decision, "deny") == 0)
		return redirect_back(req, res, &a, "error", "access_denied",
		    "The user did not approve the application", err);
	if (strcmp(decision, "allow") != 0)
		return consent_page(req, res, &a, 400, "oa_choose",
		    err);
	return approve(req, res, &a, err);
}

/* A business user's approvals. */

/* 0 when the caller is a business user signed in to its own business's
 * application (not a token that an approval gave a third party), else -1
 * with a 403 (or a database failure). */
static int
own_user(const struct request *req, struct api_error *err)
{
	bool	 delegated;

	if (req->principal.user_id[0] == '\0') {
		api_error_set(err, 403, NULL, "Access to resource is "
		    "forbidden: a business user's token (password grant) is "
		    "required");
		return -1;
	}
	if (auth_delegated(req, &delegated) == -1) {
		db_fail(req->db, err);
		return -1;
	}
	if (delegated) {
		api_error_set(err, 403, NULL, "Access to resource is "
		    "forbidden: an application a user approved cannot "
		    "manage approvals");
		return -1;
	}
	return 0;
}

static const char sql_consents_list[] =
    "SELECT a.id, a.name, a.api_key, c.business_unit_id, c.created_at, "
    "  c.approved_at FROM oauth_consents c JOIN api_apps a ON "
    "  a.id = c.app_id WHERE c.user_id = ? AND c.revoked_at IS NULL "
    "ORDER BY c.approved_at DESC, c.id LIMIT ? OFFSET ?";

static json_t *
consent_json(struct db_stmt *st)
{
	json_t	*o = json_pack("{s:s, s:s, s:s, s:s}", "id", db_text(st, 0),
	    "name", db_text(st, 1), "clientId", db_text(st, 2),
	    "businessUnitId", db_text(st, 3));

	if (o != NULL && (json_set_time(o, "createdAt", db_int(st, 4)) == -1 ||
	    json_set_time(o, "approvedAt", db_int(st, 5)) == -1)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
oauth_consents_list(ROUTE_HANDLER_PARAMS)
{
	struct handler_page	 p = { 1, 20 };

	if (own_user(req, err) == -1 ||
	    handler_page_args(req, LIST_MAX, &p, err) == -1)
		return -1;
	return handler_page_query(req, res, &p, sql_consents_list,
	    consent_json, "applications", err, "s", req->principal.user_id);
}

int
oauth_consents_revoke(ROUTE_HANDLER_PARAMS)
{
	const char	*app = request_param(req, "applicationId");
	char		 consent[IDS_ID_LEN + 1];
	int		 rc, ret = -1;

	if (own_user(req, err) == -1)
		return -1;
	if (app == NULL || !ids_valid(app)) {
		api_error_set(err, 404, NULL, "Approved application not found");
		return -1;
	}
	if (db_tx_begin(req->db) == -1) {
		db_fail(req->db, err);
		goto out;
	}
	rc = auth_codes_revoke(req->db, req->principal.user_id, app, consent);
	if (handler_found(req->db, rc, NULL, "Approved application not found",
	    err) == -1)
		goto out;
	if (auth_tokens_revoke_consent(req->db, consent) == -1) {
		db_fail(req->db, err);
		goto out;
	}
	ret = handler_commit(req, res, 200, json_pack("{s:s, s:s}", "id", app,
	    "status", "revoked"), false, err);
out:
	db_tx_rollback(req->db);
	return ret;
}
