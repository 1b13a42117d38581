/*
 * mailer, composition: addresses and header values, the checks of a
 * message (mailer_check), the business's templates ({{key}}) and the
 * RFC 5322 message (mailer_compose). Pure: no I/O, no state, any thread.
 * The transports that send what this composes are in mailer.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/html.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/mailer_internal.h"
#include "reviewd/utf8.h"

#define SUBJECT_MAX	998
#define PART_MAX	(1024 * 1024)

/* Addresses and header values. */

static bool
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c >= 0x80) ||
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c >= 0x80;
}

bool
mailer_address_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	const char		*at = strrchr(s, '@');
	size_t			 labels = 0, label_len = 0;

	if (at == NULL || at == s || strlen(s) > MAILER_ADDRESS_MAX ||
	    !utf8_line(s))
		return false;
	for (; (const char *)p < at; p++) {
		if (*p == '.') {
			if ((const char *)p == s || p[1] == '.' ||
			    (const char *)p + 1 == at)
				return false;
		} else if (!is_atext(*p))
			return false;
	}
	for (p++; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label_len == 0 || label_len > 63 || p[-1] == '-')
				return false;
			labels++;
			label_len = 0;
			if (*p == '\0')
				break;
		} else if (!label_char(*p) || (label_len == 0 && *p == '-'))
			return false;
		else
			label_len++;
	}
	return labels >= 2;
}

bool
mailer_header_safe(const char *s)
{
	return utf8_line(s);	/* headers carry it as UTF-8 words */
}

static bool
header_name_ok(const char *s)
{
	const char	*p;

	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (p = s; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	}
	return true;
}

/* Reads an optional (or required) string member that goes into a header. */
static const char *
header_field(json_t *msg, const char *key, bool required, bool address,
    struct api_error *err)
{
	json_t		*v = json_object_get(msg, key);	/* borrowed */
	const char	*s;

	if (v == NULL || json_is_null(v)) {
		if (required)
			api_error_set(err, 400, key, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		api_error_set(err, 400, key, "must be a string");
		return NULL;
	}
	s = json_string_value(v);
	if (!mailer_header_safe(s) || strlen(s) != json_string_length(v)) {
		api_error_set(err, 400, key, "must not contain line breaks or "
		    "other control characters");
		return NULL;
	}
	if (address && !mailer_address_valid(s)) {
		api_error_set(err, 400, key, "must be an e-mail address");
		return NULL;
	}
	if (strlen(s) > SUBJECT_MAX) {
		api_error_set(err, 400, key, "is too long");
		return NULL;
	}
	return s;
}

int
mailer_check(json_t *msg, struct api_error *err)
{
	json_t		*headers, *v;	/* borrowed */
	const char	*name;
	size_t		 before = err->ndetails;

	header_field(msg, "to", true, true, err);
	header_field(msg, "toName", false, false, err);
	header_field(msg, "replyTo", false, true, err);
	header_field(msg, "fromName", false, false, err);
	header_field(msg, "subject", true, false, err);
	if (!json_is_string(json_object_get(msg, "text")) ||
	    json_string_length(json_object_get(msg, "text")) > PART_MAX)
		api_error_set(err, 400, "text", "must be a string");
	if (!json_is_string(json_object_get(msg, "html")) ||
	    json_string_length(json_object_get(msg, "html")) > PART_MAX)
		api_error_set(err, 400, "html", "must be a string");
	headers = json_object_get(msg, "headers");
	if (headers != NULL && !json_is_object(headers))
		api_error_set(err, 400, "headers", "must be an object");
	else if (headers != NULL) {
		json_object_foreach(headers, name, v) {
			if (!header_name_ok(name) || !json_is_string(v) ||
			    !mailer_header_safe(json_string_value(v)))
				api_error_set(err, 400, "headers", "header %s "
				    "is not valid", header_name_ok(name) ?
				    name : "name");
		}
	}
	return err->ndetails > before || err->status != 0 ? -1 : 0;
}

/* Templates: the built-in ones are mailer_templates.c; these are the
 * business's own ({{key}}). */

int
mailer_placeholder(const char **p, const char **at, const char **name,
    size_t *len)
{
	const char	*open = strstr(*p, "{{"), *close, *n;
	size_t		 k;

	if (open == NULL || (close = strstr(open + 2, "}}")) == NULL)
		return -1;
	for (n = open + 2; *n == ' '; n++)
		;
	for (k = (size_t)(close - n); k > 0 && n[k - 1] == ' '; k--)
		;
	*at = open;
	*name = n;
	*len = k;
	*p = close + 2;
	return 0;
}

/* Replaces {{key}} in tmpl with vars[key]; escaped for HTML when html. */
static char *
fill(const char *tmpl, json_t *vars, bool html)
{
	struct buf	 out;
	const char	*p = tmpl, *q = tmpl, *open, *name;
	char		 key[64];
	json_t		*v;	/* borrowed */
	size_t		 klen;

	buf_init(&out, PART_MAX);
	while (mailer_placeholder(&p, &open, &name, &klen) == 0) {
		if (buf_append(&out, q, (size_t)(open - q)) == -1)
			goto fail;
		if (klen == 0 || klen >= sizeof(key))
			goto fail;
		memcpy(key, name, klen);
		key[klen] = '\0';
		v = json_object_get(vars, key);
		if (!json_is_string(v)) {
			log_error("mailer: template placeholder %s has no "
			    "value", key);
			goto fail;
		}
		if ((html ? html_escape(&out, json_string_value(v)) :
		    buf_puts(&out, json_string_value(v))) == -1)
			goto fail;
		q = p;
	}
	if (buf_puts(&out, q) == -1)
		goto fail;
	return buf_detach(&out, NULL);
fail:
	buf_release(&out);
	return NULL;
}

int
mailer_set_text(json_t *msg, const char *key, const char *s)
{
	size_t	 len = strlen(s);

	if (!utf8_valid_len(s, len)) {
		log_error("mailer: the %s built is not UTF-8", key);
		return -1;
	}
	return json_object_set_new(msg, key, json_stringn_nocheck(s, len));
}

int
mailer_render_parts(const char *subject, const char *text, const char *html,
    json_t *vars, json_t *msg)
{
	char	*s = fill(subject, vars, false);
	char	*t = fill(text, vars, false);
	char	*h = fill(html, vars, true);
	int	 ret = -1;

	if (s != NULL && t != NULL && h != NULL &&
	    mailer_set_text(msg, "subject", s) == 0 &&
	    mailer_set_text(msg, "text", t) == 0 &&
	    mailer_set_text(msg, "html", h) == 0)
		ret = 0;
	free(s);
	free(t);
	free(h);
	return ret;
}

/* Composition. */

/*
 * RFC 5322 §2.1.1: a line is at most 998 octets besides its CRLF. A
 * header longer than that is folded at its spaces (unfolding gives the
 * same text back), else carried in RFC 2047 encoded-words.
 */
#define LINE_OCTETS	998

static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return false;
	}
	return true;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 (RFC 4648, padded) of the n bytes at src into dst, which has
 * room for 4 * ((n + 2) / 3) characters; no NUL. Their number. */
static size_t
base64(char *dst, const unsigned char *src, size_t n)
{
	char		*d = dst;
	uint32_t	 v;

	for (; n >= 3; n -= 3, src += 3) {
		v = (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2];
		*d++ = b64_alphabet[v >> 18];
		*d++ = b64_alphabet[(v >> 12) & 63];
		*d++ = b64_alphabet[(v >> 6) & 63];
		*d++ = b64_alphabet[v & 63];
	}
	if (n > 0) {
		v = (uint32_t)src[0] << 16 | (n > 1 ? (uint32_t)src[1] << 8 :
		    0);
		*d++ = b64_alphabet[v >> 18];
		*d++ = b64_alphabet[(v >> 12) & 63];
		*d++ = n > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
		*d++ = '=';
	}
	return (size_t)(d - dst);
}

/* RFC 2047 B encoding in encoded-words of at most 75 characters, never
 * splitting a UTF-8 sequence, folded with CRLF SP. */
static int
put_encoded(struct buf *out, const char *s)
{
	char	 word[10 + 60 + 2 + 3] = "=?UTF-8?B?";
	size_t	 len = strlen(s), n, w;

	while (len > 0) {
		n = len < 45 ? len : 45;
		while (n < len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		w = 10 + base64(word + 10, (const unsigned char *)s, n);
		memcpy(word + w, "?=\r\n ", 5);
		/* the fold only between words */
		if (buf_append(out, word, w + (n < len ? 5 : 2)) == -1)
			return -1;
		s += n;
		len -= n;
	}
	return 0;
}

/*
 * Where the ASCII text s (its first line already col octets long) can
 * fold so that no line passes LINE_OCTETS: before a space that has a
 * non-space on either side (no line all white space, RFC 5322 §3.2.2).
 * With out, writes it folded. 0, or -1 when it cannot fold (a word too
 * long) or out is full.
 */
static int
fold_ascii(struct buf *out, const char *s, size_t col)
{
	size_t	 len = strlen(s), n, brk;

	while (col + len > LINE_OCTETS) {
		brk = 0;
		for (n = 1; n + 1 < len && col + n <= LINE_OCTETS; n++) {
			if (s[n] == ' ' && s[n - 1] != ' ' && s[n + 1] != ' ')
				brk = n;
		}
		if (brk == 0)
			return -1;
		if (out != NULL && (buf_append(out, s, brk) == -1 ||
		    buf_puts(out, "\r\n") == -1))
			return -1;
		s += brk;
		len -= brk;
		col = 0;
	}
	return out != NULL ? buf_append(out, s, len) : 0;
}

/* "Name: " */
static int
put_name(struct buf *out, const char *name)
{
	return buf_puts(out, name) == -1 || buf_puts(out, ": ") == -1 ?
	    -1 : 0;
}

/* An unstructured header: ASCII as it is (folded when too long), else,
 * or when it cannot fold, in encoded-words. */
static int
put_text_header(struct buf *out, const char *name, const char *value)
{
	size_t	 col = strlen(name) + 2;

	if (put_name(out, name) == -1)
		return -1;
	if (is_ascii(value) && fold_ascii(NULL, value, col) == 0) {
		if (fold_ascii(out, value, col) == -1)
			return -1;
	} else if (put_encoded(out, value) == -1)
		return -1;
	return buf_puts(out, "\r\n");
}

/* The quoted-string of ASCII s: its length, or with out written. */
static size_t
quoted(struct buf *out, const char *s, int *rc)
{
	const char	*p, *q;
	size_t		 len = 2;

	for (p = s; *p != '\0'; p++)
		len += *p == '"' || *p == '\\' ? 2 : 1;
	if (out == NULL)
		return len;
	*rc = buf_puts(out, "\"");
	for (p = q = s; *rc == 0 && *p != '\0'; p++) {
		if (*p != '"' && *p != '\\')
			continue;
		*rc = buf_append(out, q, (size_t)(p - q)) ||
		    buf_puts(out, "\\");
		q = p;
	}
	if (*rc == 0)
		*rc = buf_puts(out, q) || buf_puts(out, "\"");
	return len;
}

/* "Display Name" <addr>, or just addr; the display name in encoded-words
 * when not ASCII or when the line would pass LINE_OCTETS. */
static int
put_address(struct buf *out, const char *name, const char *display,
    const char *addr)
{
	int	 rc = 0;

	if (put_name(out, name) == -1)
		return -1;
	if (display != NULL && display[0] != '\0') {
		if (!is_ascii(display) || strlen(name) + 2 +
		    quoted(NULL, display, NULL) + 3 + strlen(addr) >
		    LINE_OCTETS) {
			if (put_encoded(out, display) == -1)
				return -1;
		} else {
			(void)quoted(out, display, &rc);
			if (rc != 0)
				return -1;
		}
		return buf_puts(out, " <") || buf_puts(out, addr) ||
		    buf_puts(out, ">\r\n") ? -1 : 0;
	}
	return buf_puts(out, addr) || buf_puts(out, "\r\n") ? -1 : 0;
}

/* Lines of base64 written at once: 57 input bytes make one 76-character
 * line (RFC 2045 §6.8), CRLF after each. */
#define B64_LINES	64

static int
put_base64_part(struct buf *out, const char *boundary, const char *type,
    const char *body)
{
	const unsigned char	*p = (const unsigned char *)body;
	size_t			 len = strlen(body), n, k;
	char			 lines[B64_LINES * 78];

	if (buf_puts(out, "--") == -1 || buf_puts(out, boundary) == -1 ||
	    buf_puts(out, "\r\nContent-Type: ") == -1 ||
	    buf_puts(out, type) == -1 || buf_puts(out, "; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n") == -1)
		return -1;
	while (len > 0) {
		for (k = 0; len > 0 && k + 78 <= sizeof(lines); len -= n,
		    p += n) {
			n = len < 57 ? len : 57;
			k += base64(lines + k, p, n);
			lines[k++] = '\r';
			lines[k++] = '\n';
		}
		if (buf_append(out, lines, k) == -1)
			return -1;
	}
	return 0;
}

/* The address inside [mail] from ("Name <addr>" or "addr"). */
void
from_parts(const char *from, char *name, size_t namelen, char *addr,
    size_t addrlen)
{
	const char	*lt = strchr(from, '<'), *gt = strrchr(from, '>');
	size_t		 n;

	if (lt == NULL || gt == NULL || gt < lt) {
		snprintf(name, namelen, "%s", "");
		snprintf(addr, addrlen, "%s", from);
		return;
	}
	n = (size_t)(lt - from);
	while (n > 0 && (from[n - 1] == ' ' || from[n - 1] == '"'))
		n--;
	snprintf(name, namelen, "%.*s", (int)n, from[0] == '"' ? from + 1 :
	    from);
	snprintf(addr, addrlen, "%.*s", (int)(gt - lt - 1), lt + 1);
}

int
mailer_compose(const struct config *cfg, json_t *msg, const char *id,
    int64_t now_ms, struct buf *out)
{
	struct api_error	 err;
	char			 date[CLOCK_RFC5322_LEN], boundary[64];
	char			 from_name[CONFIG_STR], from_addr[CONFIG_STR];
	const char		*domain, *name, *value;
	json_t			*headers, *v;	/* borrowed */

	memset(&err, 0, sizeof(err));
	if (mailer_check(msg, &err) == -1 ||
	    clock_format_rfc5322(now_ms, date) == -1)
		return -1;
	from_parts(cfg->mail_from, from_name, sizeof(from_name), from_addr,
	    sizeof(from_addr));
	if (json_is_string(json_object_get(msg, "fromName")))
		snprintf(from_name, sizeof(from_name), "%s",
		    json_string_value(json_object_get(msg, "fromName")));
	domain = strrchr(from_addr, '@');
	domain = domain != NULL ? domain + 1 : "reviewd.invalid";
	snprintf(boundary, sizeof(boundary), "=_reviewd_%s", id);
	if (buf_puts(out, "Message-ID: <") == -1 || buf_puts(out, id) == -1 ||
	    buf_puts(out, "@") == -1 || buf_puts(out, domain) == -1 ||
	    buf_puts(out, ">\r\nDate: ") == -1 || buf_puts(out, date) == -1 ||
	    buf_puts(out, "\r\n") == -1 ||
	    put_address(out, "From", from_name, from_addr) == -1 ||
	    put_address(out, "To", json_string_value(json_object_get(msg,
	    "toName")), json_string_value(json_object_get(msg, "to"))) == -1)
		return -1;
	value = json_string_value(json_object_get(msg, "replyTo"));
	if (value != NULL && put_address(out, "Reply-To", NULL, value) == -1)
		return -1;
	if (put_text_header(out, "Subject", json_string_value(
	    json_object_get(msg, "subject"))) == -1)
		return -1;
	headers = json_object_get(msg, "headers");
	json_object_foreach(headers, name, v) {
		if (put_text_header(out, name, json_string_value(v)) == -1)
			return -1;
	}
	if (buf_puts(out, "MIME-Version: 1.0\r\nContent-Type: "
	    "multipart/alternative; boundary=\"") == -1 ||
	    buf_puts(out, boundary) == -1 || buf_puts(out, "\"\r\n\r\n") ==
	    -1 || put_base64_part(out, boundary, "text/plain",
	    json_string_value(json_object_get(msg, "text"))) == -1 ||
	    put_base64_part(out, boundary, "text/html",
	    json_string_value(json_object_get(msg, "html"))) == -1 ||
	    buf_puts(out, "--") == -1 || buf_puts(out, boundary) == -1 ||
	    buf_puts(out, "--\r\n") == -1)
		return -1;
	return 0;
}
