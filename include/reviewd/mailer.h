#ifndef REVIEWD_MAILER_H
#define REVIEWD_MAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/buf.h"
#include "reviewd/config.h"
#include "reviewd/request.h"

/*
 * Mail: addresses, the message JSON the outbox stores, its rendering as an
 * RFC 5322 MIME message, templates, and the two transports (maildir, SMTP
 * through libcurl). Only the e-mail lane sends; any thread may check,
 * render and compose.
 *
 * A message is a JSON object:
 *   {"to": addr, "toName"?: text, "replyTo"?: addr, "fromName"?: text,
 *    "subject": text, "text": text, "html": text,
 *    "headers"?: {"List-Unsubscribe": text, ...}}
 */

#define MAILER_ADDRESS_MAX	254

/*
 * True for a plain addr-spec "local@domain" of at most 254 bytes: a
 * dot-atom local part (RFC 5322 atext and dots, no leading, trailing or
 * double dot) and a domain of at least two DNS labels. Quoted local parts,
 * comments and address literals are refused: nothing we send needs them,
 * and they are where header injection hides.
 */
bool	mailer_address_valid(const char *s);

/* True when s is valid UTF-8 with no control characters (CR, LF, TAB, ...)
 * at all. */
bool	mailer_header_safe(const char *s);

/* Validates a message before it is queued: every header-bound field
 * header-safe, addresses valid, parts present. 0, or -1 with one 400
 * detail per bad field. */
int	mailer_check(json_t *msg, struct api_error *err);

/*
 * Fills msg's "subject", "text" and "html" with the built-in e-mail name
 * (mailer_templates.c) in the language of locale ("de", "de-AT"; English
 * when the catalogue lacks it or locale is NULL), its "{key}" texts
 * filled with vars' string or integer values (HTML-escaped in the HTML
 * part, a complete document). 0, or -1 when there is no such e-mail or a
 * text needs a var that vars lacks.
 */
int	mailer_render(const char *name, const char *locale, json_t *vars,
	    json_t *msg);

/*
 * The language of an e-mail to a reviewer: want (the invitation's locale
 * or the language stored with the review) when the catalogue has it,
 * else unit_locale (the unit's default locale), else "en". Either may be
 * NULL. A static string.
 */
const char	*mailer_lang(const char *want, const char *unit_locale);

/*
 * Finds the next placeholder "{{name}}" (spaces inside the braces allowed)
 * in the text at *p: *at is where its "{{" starts, (*name, *len) its name
 * without the spaces (len may be 0), and *p is advanced past its "}}".
 * 0, or -1 (nothing changed) when no complete placeholder follows.
 */
int	mailer_placeholder(const char **p, const char **at, const char **name,
	    size_t *len);

/* Sets msg's key to the text s, or -1 (nothing set) unless s is valid
 * UTF-8: checked eight bytes at a time, where json_string's own check
 * took a seventh of a dispatch's time. */
int	mailer_set_text(json_t *msg, const char *key, const char *s);

/* As mailer_render with the three parts given (business templates). */
int	mailer_render_parts(const char *subject, const char *text,
	    const char *html, json_t *vars, json_t *msg);

/*
 * Writes msg as an RFC 5322 message (CRLF line ends): Message-ID derived
 * from id, Date from now_ms, From from [mail] from, Subject RFC 2047
 * encoded when not ASCII, multipart/alternative with base64 UTF-8 text and
 * HTML parts. 0, or -1 when msg is not valid or out is full.
 */
int	mailer_compose(const struct config *cfg, json_t *msg, const char *id,
	    int64_t now_ms, struct buf *out);

/* Creates the maildir's tmp/, new/ and cur/ when the maildir transport is
 * configured. 0 or -1 (logged). Start-up only. */
int	mailer_init(const struct config *cfg);

enum mailer_result {
	MAILER_SENT,
	MAILER_RETRY,		/* temporary: try again later */
	MAILER_REJECTED,	/* permanent: the server refused it */
	MAILER_TRANSPORT	/* the transport failed, not this message
				   (the session, the login, our sender):
				   hold every message until it is back */
};

struct mailer;

/* A sending session for one batch (one SMTP connection reused). NULL when
 * out of memory. Closing it drops the maildir messages not flushed. */
struct mailer	*mailer_open(const struct config *cfg);
void		 mailer_close(struct mailer *m);

/* Sends msg composed with id; on failure a reason goes to why. With the
 * maildir transport MAILER_SENT means written to tmp/ only: the message
 * is delivered (durable, in new/) once mailer_flush succeeds; and several
 * threads may send at once (a batch rendered in shares), though not while
 * one of the calls below runs. SMTP: one thread. */
enum mailer_result	mailer_send(struct mailer *m, const char *id,
			    json_t *msg, char *why, size_t whylen);

/* Delivers every message sent since the last flush (maildir: one syncfs,
 * the renames into new/, an fsync of new/; SMTP: nothing to do). 0, or -1
 * with why: none of them is delivered (the renames done are taken back;
 * a resend under the same id replaces what a crash left). m may be NULL. */
int	mailer_flush(struct mailer *m, char *why, size_t whylen);

/* Maildir: takes the messages of the last mailer_flush back out of new/,
 * when what they stand for could not be recorded (their links would not
 * open). Only until the next send or the close. m may be NULL. */
void	mailer_unflush(struct mailer *m);

/* Maildir: makes the messages sent since the last flush durable in tmp/
 * (one syncfs), so that mailer_flush has only the renames left. 0, or -1
 * with why. SMTP, or nothing sent: 0. */
int	mailer_sync(struct mailer *m, char *why, size_t whylen);

/* Maildir: takes back the message sent under id and not flushed yet (its
 * tmp/ file is removed); nothing when there is none. */
void	mailer_forget(struct mailer *m, const char *id);

/* for cli_ops: the transport's self-check (reviewd check). SMTP: connect,
 * EHLO, STARTTLS and AUTH as configured, NOOP, QUIT; nothing is sent.
 * Maildir: a file is created and removed where messages are written.
 * 0 or -1, with what was found in what. Any thread; blocks up to [mail]
 * smtp_timeout_s. */
int	mailer_probe(const struct config *cfg, char *what, size_t whatlen);

#endif
