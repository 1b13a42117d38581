/*
 * afs_message: what an order e-mail gives the Automatic Feedback Service.
 * Parses just enough of RFC 5322 and MIME to find the customer (To:), a
 * reference (X-Order-Reference, the business's pattern in the subject or
 * the first text part, else the Message-ID) and the Message-ID that makes
 * a second delivery of the same message a no-op. Pure functions, any
 * thread; parsing is iterative with bounded depth (no recursion on what
 * senders control).
 *
 * Patterns are PCRE2 without backreferences, run on at most MATCH_TEXT_MAX
 * bytes with match, depth and heap limits and a step budget over all start
 * positions (PCRE2's match limit restarts at every start position, so it
 * alone leaves a search quadratic in the text). A pattern that runs out
 * finds no reference; the message falls back to its Message-ID.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sodium.h>

#include "reviewd/afs_message.h"
#include "reviewd/ids.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/request.h"
#include "reviewd/utf8.h"

#define HEADER_MAX	(64 * 1024)
#define MATCH_TEXT_MAX	(64 * 1024)	/* bytes of decoded text matched */
#define MATCH_LIMIT	1000000		/* per start position (PCRE2) */
#define DEPTH_LIMIT	10000
#define HEAP_LIMIT_KB	2048
#define MATCH_BUDGET	1000000UL	/* steps over a whole message */
#define MIME_DEPTH	4

/* RFC 2047. */

static int
put_latin1(struct buf *out, const unsigned char *p, size_t len)
{
	char	 two[2];
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (p[i] < 0x80) {
			if (buf_append(out, p + i, 1) == -1)
				return -1;
			continue;
		}
		two[0] = (char)(0xc0 | (p[i] >> 6));
		two[1] = (char)(0x80 | (p[i] & 0x3f));
		if (buf_append(out, two, 2) == -1)
			return -1;
	}
	return 0;
}

/* One encoded-word at *p ("=?cs?X?text?="); 1 decoded, 0 not one. */
static int
encoded_word(const char **p, struct buf *out)
{
	const char	*s = *p + 2, *q1, *q2, *end;
	unsigned char	 raw[1024];
	size_t		 n = 0, i;
	bool		 latin1;
	char		 enc;

	q1 = strchr(s, '?');
	if (q1 == NULL || q1[1] == '\0' || q1[2] != '?')
		return 0;
	enc = (char)toupper((unsigned char)q1[1]);
	q2 = q1 + 3;
	end = strstr(q2, "?=");
	if (end == NULL || (enc != 'B' && enc != 'Q') ||
	    (size_t)(end - q2) >= sizeof(raw))
		return 0;
	latin1 = strncasecmp(s, "iso-8859-1", 10) == 0 ||
	    strncasecmp(s, "windows-1252", 12) == 0;
	if (enc == 'B') {
		if (sodium_base642bin(raw, sizeof(raw), q2, (size_t)(end - q2),
		    NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 &&
		    sodium_base642bin(raw, sizeof(raw), q2, (size_t)(end - q2),
		    NULL, &n, NULL,
		    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
			return 0;
	} else {
		for (i = 0; q2 + i < end; i++) {
			if (q2[i] == '_')
				raw[n++] = ' ';
			else if (q2[i] == '=' && q2 + i + 2 < end + 1 &&
			    request_hex_digit(q2[i + 1]) >= 0 &&
			    request_hex_digit(q2[i + 2]) >= 0) {
				raw[n++] = (unsigned char)
				    (request_hex_digit(q2[i + 1]) * 16 +
				    request_hex_digit(q2[i + 2]));
				i += 2;
			} else
				raw[n++] = (unsigned char)q2[i];
		}
	}
	if ((latin1 ? put_latin1(out, raw, n) : buf_append(out, raw, n)) == -1)
		return -1;
	*p = end + 2;
	return 1;
}

int
afs_decode_words(const char *in, struct buf *out)
{
	const char	*p = in, *ws;
	int		 r;
	bool		 after_word = false;

	if (buf_append(out, "", 0) == -1)	/* "" for empty input */
		return -1;
	while (*p != '\0') {
		if (p[0] == '=' && p[1] == '?') {
			r = encoded_word(&p, out);
			if (r == -1)
				return -1;
			if (r == 1) {
				after_word = true;
				continue;
			}
		}
		/* whitespace between two encoded-words is not text */
		if (after_word && (*p == ' ' || *p == '\t')) {
			ws = p;
			while (*ws == ' ' || *ws == '\t')
				ws++;
			if (ws[0] == '=' && ws[1] == '?') {
				p = ws;
				continue;
			}
		}
		after_word = false;
		if (buf_append(out, p, 1) == -1)
			return -1;
		p++;
	}
	return 0;
}

/* Messages. */

struct part {
	const char	*headers, *body;	/* into the message */
	size_t		 hlen, blen;
};

/* Splits [p, p + len) into headers and body at the first blank line. */
static void
split(const char *p, size_t len, struct part *part)
{
	size_t	 i;

	part->headers = p;
	part->hlen = len;
	part->body = p + len;
	part->blen = 0;
	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n' || (p[i + 1] == '\r' && i + 2 < len &&
		    p[i + 2] == '\n')) {
			part->hlen = i + 1;
			part->body = p + i + (p[i + 1] == '\n' ? 2 : 3);
			part->blen = len - (size_t)(part->body - p);
			return;
		}
	}
}

/* The unfolded value of the first header name in part, into out. */
static int
header(const struct part *part, const char *name, struct buf *out)
{
	const char	*p = part->headers, *end = p + part->hlen, *eol;
	size_t		 nlen = strlen(name);

	buf_reset(out);
	/* an empty value is "", never NULL */
	if (buf_append(out, "", 0) == -1)
		return -1;
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			const char	*v = p + nlen + 1;

			for (;;) {
				while (v < eol && (*v == ' ' || *v == '\t'))
					v++;
				while (v < eol) {
					if (*v != '\r' && buf_append(out, v,
					    1) == -1)
						return -1;
					v++;
				}
				/* folded continuation lines */
				if (eol >= end || eol + 1 >= end ||
				    (eol[1] != ' ' && eol[1] != '\t'))
					break;
				if (buf_puts(out, " ") == -1)
					return -1;
				v = eol + 1;
				eol = memchr(v, '\n', (size_t)(end - v));
				if (eol == NULL)
					eol = end;
			}
			return 1;
		}
		p = eol + 1;
	}
	return 0;
}

/* A parameter of a header value such as boundary="x" into out. */
static int
param(const char *value, const char *name, char *out, size_t outlen)
{
	const char	*p = value;
	size_t		 nlen = strlen(name), n;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, name, nlen) != 0 || p[nlen] != '=')
			continue;
		p += nlen + 1;
		if (*p == '"') {
			p++;
			n = strcspn(p, "\"");
		} else
			n = strcspn(p, "; \t");
		if (n == 0 || n >= outlen)
			return -1;
		memcpy(out, p, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

/* Narrows part to the first text/plain part (or the first part at all)
 * of a multipart message, at most MIME_DEPTH levels down. */
static void
first_text(struct part *part, struct buf *scratch)
{
	char		 boundary[128], delim[136];
	const char	*p, *next, *end;
	struct part	 sub;
	int		 depth;

	for (depth = 0; depth < MIME_DEPTH; depth++) {
		if (header(part, "Content-Type", scratch) != 1 ||
		    strncasecmp(scratch->data, "multipart/", 10) != 0 ||
		    param(scratch->data, "boundary", boundary,
		    sizeof(boundary)) == -1)
			return;
		snprintf(delim, sizeof(delim), "--%s", boundary);
		end = part->body + part->blen;
		p = part->body;
		memset(&sub, 0, sizeof(sub));
		for (;;) {
			p = memmem(p, (size_t)(end - p), delim, strlen(delim));
			if (p == NULL)
				return;
			p += strlen(delim);
			if (p + 2 <= end && p[0] == '-' && p[1] == '-')
				return;
			while (p < end && *p != '\n')
				p++;
			p++;
			if (p >= end)
				return;
			next = memmem(p, (size_t)(end - p), delim,
			    strlen(delim));
			if (next == NULL)
				next = end;
			split(p, (size_t)(next - p), &sub);
			if (header(&sub, "Content-Type", scratch) != 1 ||
			    strncasecmp(scratch->data, "text/plain", 10) == 0 ||
			    strncasecmp(scratch->data, "multipart/", 10) == 0)
				break;
			p = next;
		}
		*part = sub;
	}
}

/* The body of part, decoded from its transfer encoding, into out. */
static int
body_text(const struct part *part, struct buf *scratch, struct buf *out)
{
	const char	*p = part->body, *end = p + part->blen;
	unsigned char	*raw;
	size_t		 n;
	int		 ret;

	buf_reset(out);
	if (header(part, "Content-Transfer-Encoding", scratch) == 1 &&
	    strncasecmp(scratch->data, "base64", 6) == 0) {
		raw = malloc(part->blen + 1);
		if (raw == NULL)
			return -1;
		ret = sodium_base642bin(raw, part->blen, p, part->blen,
		    " \r\n\t", &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 ?
		    buf_append(out, raw, n) : -1;
		free(raw);
		return ret;
	}
	if (header(part, "Content-Transfer-Encoding", scratch) == 1 &&
	    strncasecmp(scratch->data, "quoted-printable", 16) == 0) {
		for (; p < end; p++) {
			char	 c = *p;

			if (c == '=' && p + 1 < end && (p[1] == '\n' ||
			    p[1] == '\r')) {
				p += p[1] == '\r' && p + 2 < end ? 2 : 1;
				continue;
			}
			if (c == '=' && p + 2 < end &&
			    request_hex_digit(p[1]) >= 0 &&
			    request_hex_digit(p[2]) >= 0) {
				c = (char)(request_hex_digit(p[1]) * 16 +
				    request_hex_digit(p[2]));
				p += 2;
			}
			if (buf_append(out, &c, 1) == -1)
				return -1;
		}
		return 0;
	}
	return buf_append(out, p, part->blen);
}

/* First address of a To: value: name (maybe "") and addr-spec. */
static int
first_address(const char *to, char *name, size_t namelen, char *addr,
    size_t addrlen)
{
	const char	*lt, *gt, *end;
	size_t		 n;
	bool		 quoted = false;

	for (end = to; *end != '\0'; end++) {
		if (*end == '"')
			quoted = !quoted;
		else if (*end == ',' && !quoted)
			break;
	}
	lt = memchr(to, '<', (size_t)(end - to));
	gt = lt != NULL ? memchr(lt, '>', (size_t)(end - lt)) : NULL;
	if (lt != NULL && gt != NULL) {
		n = (size_t)(gt - lt - 1);
		if (n >= addrlen)
			return -1;
		memcpy(addr, lt + 1, n);
		addr[n] = '\0';
		while (to < lt && (*to == ' ' || *to == '"'))
			to++;
		n = (size_t)(lt - to);
		while (n > 0 && (to[n - 1] == ' ' || to[n - 1] == '"'))
			n--;
		snprintf(name, namelen, "%.*s", (int)n, to);
		utf8_cut(name);
		return 0;
	}
	while (*to == ' ')
		to++;
	n = strcspn(to, " ,(");
	if (n == 0 || n >= addrlen)
		return -1;
	memcpy(addr, to, n);
	addr[n] = '\0';
	name[0] = '\0';
	return 0;
}

/* Reference patterns. */

/* The compile options of every pattern: UTF-8 whose invalid sequences in
 * the text simply never match, no \C (it splits characters), and a callout
 * before every item that counts steps (see step()). */
#define PATTERN_OPTIONS	(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | \
			    PCRE2_NEVER_BACKSLASH_C | PCRE2_AUTO_CALLOUT)

static pcre2_code *
compile(const char *pattern, char *why, size_t whylen)
{
	PCRE2_UCHAR	 msg[160];
	PCRE2_SIZE	 off;
	pcre2_code	*re;
	uint32_t	 backrefs = 0;
	int		 e;

	if (utf8_length(pattern) > AFS_PATTERN_MAX) {
		snprintf(why, whylen, "is longer than %d characters",
		    AFS_PATTERN_MAX);
		return NULL;
	}
	re = pcre2_compile((PCRE2_SPTR)pattern, strlen(pattern),
	    PATTERN_OPTIONS, &e, &off, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(e, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", e);
		snprintf(why, whylen, "is not a valid pattern: %s at offset "
		    "%zu", (const char *)msg, (size_t)off);
		return NULL;
	}
	if (pcre2_pattern_info(re, PCRE2_INFO_BACKREFMAX, &backrefs) != 0 ||
	    backrefs > 0) {
		snprintf(why, whylen, "must not use backreferences (\\1, "
		    "\\g{1}, \\k<name>, (?P=name))");
		pcre2_code_free(re);
		return NULL;
	}
	return re;
}

int
afs_pattern_check(const char *pattern, char *why, size_t whylen)
{
	pcre2_code	*re;

	re = compile(pattern, why, whylen);
	pcre2_code_free(re);
	return re != NULL ? 0 : -1;
}

/* PCRE2 calls this before every pattern item (PCRE2_AUTO_CALLOUT): past
 * MATCH_BUDGET steps in one message the search is abandoned. */
static int
step(pcre2_callout_block *cb, void *arg)
{
	unsigned long	*steps = arg;

	(void)cb;
	return ++*steps > MATCH_BUDGET ? PCRE2_ERROR_MATCHLIMIT : 0;
}

struct matcher {
	pcre2_code		*re;
	pcre2_match_context	*mc;
	pcre2_match_data	*md;
	unsigned long		 steps;
	bool			 exhausted;	/* a limit was hit */
};

/* 0, or -1 when pattern cannot be used (logged) or memory is short. */
static int
matcher_init(struct matcher *m, const char *bu, const char *pattern)
{
	char	 why[200];

	memset(m, 0, sizeof(*m));
	if ((m->re = compile(pattern, why, sizeof(why))) == NULL) {
		log_warn("afs: referencePattern of unit=%s %s; not used", bu,
		    why);
		return -1;
	}
	if ((m->mc = pcre2_match_context_create(NULL)) == NULL ||
	    (m->md = pcre2_match_data_create_from_pattern(m->re,
	    NULL)) == NULL ||
	    pcre2_set_match_limit(m->mc, MATCH_LIMIT) != 0 ||
	    pcre2_set_depth_limit(m->mc, DEPTH_LIMIT) != 0 ||
	    pcre2_set_heap_limit(m->mc, HEAP_LIMIT_KB) != 0 ||
	    pcre2_set_callout(m->mc, step, &m->steps) != 0)
		return -1;
	return 0;
}

static void
matcher_release(struct matcher *m)
{
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
	pcre2_code_free(m->re);
}

/* The pattern applied to the first MATCH_TEXT_MAX bytes of text: group 1
 * when it took part, else the whole match, into out. 0 found, -1 not. */
static int
match(struct matcher *m, const char *text, size_t len, char *out,
    size_t outlen)
{
	PCRE2_SIZE	*ov;
	int		 rc, g;

	if (m->exhausted)
		return -1;
	rc = pcre2_match(m->re, (PCRE2_SPTR)text, len < MATCH_TEXT_MAX ? len :
	    MATCH_TEXT_MAX, 0, 0, m->md, m->mc);
	if (rc < 0) {
		if (rc != PCRE2_ERROR_NOMATCH)
			m->exhausted = true;
		return -1;
	}
	ov = pcre2_get_ovector_pointer(m->md);
	g = rc > 1 && ov[2] != PCRE2_UNSET ? 1 : 0;
	if (ov[2 * g + 1] <= ov[2 * g] || ov[2 * g + 1] - ov[2 * g] >= outlen)
		return -1;
	snprintf(out, outlen, "%.*s", (int)(ov[2 * g + 1] - ov[2 * g]),
	    text + ov[2 * g]);
	return 0;
}

/* The reference from the business's pattern: the subject, else the first
 * text part. Outside any transaction: this is the slow part. */
static void
pattern_reference(const struct part *whole, const char *bu,
    const char *pattern, struct buf *value, struct buf *decoded,
    struct buf *text, char *out, size_t outlen)
{
	struct matcher	 m;
	struct part	 body;

	if (matcher_init(&m, bu, pattern) == -1)
		goto out;
	buf_reset(decoded);
	if (header(whole, "Subject", value) == 1 &&
	    afs_decode_words(value->data, decoded) == 0 &&
	    match(&m, decoded->data, decoded->len, out, outlen) == 0)
		goto out;
	body = *whole;
	first_text(&body, value);
	if (body_text(&body, value, text) == 0 && text->data != NULL)
		(void)match(&m, text->data, text->len, out, outlen);
out:
	if (m.exhausted)
		log_warn("afs: referencePattern of unit=%s stopped at its "
		    "limits; the reference comes from the Message-ID", bu);
	matcher_release(&m);
}

int
afs_parse_order(const char *msg, size_t len, const char *bu,
    const char *pattern, const struct config *cfg, struct afs_order *o,
    char *why, size_t whylen)
{
	struct buf	 value, decoded, text;
	struct part	 whole;
	char		 hash[IDS_HASH_LEN + 1];
	int		 ret = -1;

	buf_init(&value, HEADER_MAX);
	buf_init(&decoded, HEADER_MAX);
	buf_init(&text, (size_t)cfg->afs_max_message_bytes);
	memset(o, 0, sizeof(*o));
	if (len == 0 || memchr(msg, '\0', len) != NULL) {
		snprintf(why, whylen, "not a text message");
		goto out;
	}
	split(msg, len, &whole);
	if (header(&whole, "To", &value) != 1 ||
	    afs_decode_words(value.data, &decoded) == -1 ||
	    first_address(decoded.data, o->name, sizeof(o->name), o->addr,
	    sizeof(o->addr)) == -1 || !mailer_address_valid(o->addr)) {
		snprintf(why, whylen, "no customer address in To:");
		goto out;
	}
	if (!mailer_header_safe(o->name) || utf8_length(o->name) > 200)
		o->name[0] = '\0';
	if (o->name[0] == '\0')
		snprintf(o->name, sizeof(o->name), "%.*s",
		    (int)strcspn(o->addr, "@"), o->addr);
	if (header(&whole, "Message-ID", &value) == 1 && value.len > 0 &&
	    value.len < sizeof(o->msgid) && mailer_header_safe(value.data))
		snprintf(o->msgid, sizeof(o->msgid), "%s", value.data);
	else {
		/* no Message-ID: the same bytes are the same message */
		buf_reset(&value);
		if (buf_append(&value, msg, len < HEADER_MAX ? len :
		    HEADER_MAX) == -1) {
			snprintf(why, whylen, "not a text message");
			goto out;
		}
		ids_token_hash(value.data, hash);
		snprintf(o->msgid, sizeof(o->msgid), "<%s@afs.digest>", hash);
	}
	/* reference: the header, the pattern, the Message-ID */
	if (header(&whole, "X-Order-Reference", &value) == 1 &&
	    value.len > 0 && value.len <= AFS_REF_MAX &&
	    mailer_header_safe(value.data))
		snprintf(o->reference, sizeof(o->reference), "%s", value.data);
	if (o->reference[0] == '\0' && pattern[0] != '\0') {
		pattern_reference(&whole, bu, pattern, &value, &decoded, &text,
		    o->reference, sizeof(o->reference));
		if (!mailer_header_safe(o->reference))
			o->reference[0] = '\0';	/* a match in a stray charset */
	}
	if (o->reference[0] == '\0') {
		snprintf(o->reference, sizeof(o->reference), "%.*s",
		    (int)strcspn(o->msgid + (o->msgid[0] == '<'), ">"),
		    o->msgid + (o->msgid[0] == '<'));
		utf8_cut(o->reference);
	}
	if (!mailer_header_safe(o->reference)) {
		snprintf(why, whylen, "the reference is not usable");
		goto out;
	}
	ret = 0;
out:
	buf_release(&value);
	buf_release(&decoded);
	buf_release(&text);
	return ret;
}
