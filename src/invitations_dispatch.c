/*
 * invitations_dispatch: the scheduler thread's side of invitations. Each
 * wake it sends the due invitations (status queued -> sending) a batch at
 * a time: the e-mails are built outside any transaction (by helper
 * threads too, a batch ahead of the one being recorded: see "Rendering"),
 * from the business's template or a built-in one with the platform
 * footer, each with a fresh personal link and unsubscribe token (stored
 * hashed; each carries the invitation's id, ids_token_keyed, so that no
 * index on a random key takes a write). With the maildir transport the
 * scheduler then delivers the batch itself and records it sent in one
 * short transaction (see "The maildir path"); else the batch goes to the
 * outbox in one short transaction, and the outbox reports delivery
 * (-> sent) or giving up (-> skipped, undeliverable).
 * Also the hourly purge of expired idempotency keys and the re-keying of
 * old unsubscribes, which need a scheduler.
 */
#include <sys/resource.h>

#include <sched.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "reviewd/buf.h"
#include "reviewd/idempotency.h"
#include "reviewd/invitations_dispatch.h"
#include "reviewd/invitations_internal.h"
#include "reviewd/invitations_templates.h"
#include "reviewd/invitations_unsubscribe.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/mailhtml.h"
#include "reviewd/outbox.h"
#include "reviewd/scheduler.h"

#define URL_LEN		(CONFIG_STR + 128)
#define TID_MAX		255	/* bytes of a template id in the cache */

static const char sql_due[] =
    "SELECT i.id, i.consumer_email, i.consumer_name, i.locale, "
    "  i.template_id, coalesce(i.sender_name, b.sender_name), "
    "  coalesce(i.reply_to, i.sender_email), b.display_name, "
    "  i.business_unit_id, t.subject, t.text, t.html, b.website_url, "
    "  i.service, i.products, b.logo_url "
    "FROM invitations i JOIN business_units b ON b.id = i.business_unit_id "
    "LEFT JOIN invitation_templates t ON t.id = i.template_id "
    "WHERE i.status = 'queued' AND i.send_at <= ? ORDER BY i.send_at "
    "LIMIT ? /*FOR UPDATE OF i SKIP LOCKED*/";
static const char sql_mark_sending[] =
    "UPDATE invitations SET status = 'sending', keyed_token_hash = ?1, "
    "  token_expires_at = ?2, keyed_unsubscribe_hash = ?3, "
    "  updated_at = ?4 "
    "WHERE id = ?5 AND status = 'queued' AND send_at <= ?4";
/* the maildir path: sent in the transaction that records the batch */
static const char sql_mark_sent_now[] =
    "UPDATE invitations SET status = 'sent', keyed_token_hash = ?1, "
    "  token_expires_at = ?2, keyed_unsubscribe_hash = ?3, sent_at = ?4, "
    "  updated_at = ?4, skip_reason = NULL "
    "WHERE id = ?5 AND status = 'queued' AND send_at <= ?4";
static const char sql_mark_skipped[] =
    "UPDATE invitations SET status = 'skipped', skip_reason = ?1, "
    "  updated_at = ?2 WHERE id = ?3 AND status = 'queued' AND "
    "  send_at <= ?2";
/* INT64_MAX when nothing is queued */
static const char sql_next_send[] =
    "SELECT coalesce(min(send_at), 9223372036854775807) FROM invitations "
    "WHERE status = 'queued'";

/*
 * A due row (sql_due's columns), copied out of the read's statement, so
 * that it can be rendered by several threads once the statement is done
 * with. A business template's parts (up to 64 KiB each) are copied once
 * a read (struct tpl), not once a row; and a read stops at
 * READ_BYTES_MAX of copies, whatever its number of rows.
 */
#define DUE_COLS	16
#define DUE_TID		4
#define DUE_TPL		9	/* subject, text, html: 9, 10, 11 */
#define DUE_SERVICE	13
#define READ_BYTES_MAX	(8 * 1024 * 1024)

struct due {
	const char	*col[DUE_COLS];	/* into text or a tpl; NULL for
					   SQL NULL */
	int64_t		 service;
	char		 text[];
};

struct tpl {
	struct tpl	*next;
	const char	*id;
	const char	*part[3];	/* NULL for SQL NULL */
	char		 text[];
};

/* The copies of a read. */
struct rows {
	struct tpl	*tpls;		/* owned */
	size_t		 bytes;		/* copied so far */
};

/* Copies columns from..from+n of st into out, each pointer into dst
 * (NULL for SQL NULL); the bytes used. With dst NULL, only counts. */
static size_t
copy_cols(struct db_stmt *st, int from, int n, const char **out,
    char *dst)
{
	const char	*v;
	size_t		 len, off = 0;
	int		 i;

	for (i = 0; i < n; i++) {
		v = db_is_null(st, from + i) ? NULL : db_text(st, from + i);
		len = v != NULL ? strlen(v) + 1 : 0;
		if (dst != NULL)
			out[i] = v != NULL ? memcpy(dst + off, v, len) : NULL;
		off += len;
	}
	return off;
}

/* The business template of the row under st, copied once into r: in one
 * statement's snapshot its id names one content. NULL: out of memory. */
static struct tpl *
tpl_of(struct db_stmt *st, struct rows *r)
{
	const char	*tid = db_text(st, DUE_TID);
	size_t		 idlen = strlen(tid) + 1, len;
	struct tpl	*t;

	for (t = r->tpls; t != NULL; t = t->next) {
		if (strcmp(t->id, tid) == 0)
			return t;
	}
	len = copy_cols(st, DUE_TPL, 3, NULL, NULL);
	if ((t = malloc(sizeof(*t) + idlen + len)) == NULL)
		return NULL;
	t->id = memcpy(t->text, tid, idlen);
	(void)copy_cols(st, DUE_TPL, 3, t->part, t->text + idlen);
	t->next = r->tpls;
	r->tpls = t;
	r->bytes += sizeof(*t) + idlen + len;
	return t;
}

static void
tpls_free(struct rows *r)
{
	struct tpl	*t;

	while ((t = r->tpls) != NULL) {
		r->tpls = t->next;
		free(t);
	}
}

/* The row under st, or NULL when out of memory. */
static struct due *
due_copy(struct db_stmt *st, struct rows *r)
{
	struct due	*d;
	struct tpl	*t = NULL;
	size_t		 len, total;

	if (!db_is_null(st, DUE_TPL) && (t = tpl_of(st, r)) == NULL)
		return NULL;
	len = copy_cols(st, 0, DUE_TPL, NULL, NULL);
	total = len + copy_cols(st, DUE_TPL + 3, DUE_COLS - DUE_TPL - 3,
	    NULL, NULL);
	if ((d = malloc(sizeof(*d) + total)) == NULL)
		return NULL;
	(void)copy_cols(st, 0, DUE_TPL, d->col, d->text);
	(void)copy_cols(st, DUE_TPL + 3, DUE_COLS - DUE_TPL - 3,
	    d->col + DUE_TPL + 3, d->text + len);
	d->col[DUE_TPL] = t != NULL ? t->part[0] : NULL;
	d->col[DUE_TPL + 1] = t != NULL ? t->part[1] : NULL;
	d->col[DUE_TPL + 2] = t != NULL ? t->part[2] : NULL;
	d->service = db_int(st, DUE_SERVICE);
	r->bytes += sizeof(*d) + total;
	return d;
}

/* Column i of d, "" for NULL (as db_text). */
static const char *
due_text(const struct due *d, int i)
{
	return d->col[i] != NULL ? d->col[i] : "";
}

/*
 * Adds the platform footer (rendered as foot) under msg's text and HTML
 * parts; in the HTML before its last </body> when it has one, else at the
 * end. The e-mail rules make a business template close every element it
 * opens, put nothing after </body> and no '<' in attribute values or the
 * title, so that place is outside all of the business's markup; the
 * footer's own div fixes colour, background and size there (inline, the
 * only CSS a business template has, cannot reach it).
 */
#define FOOTER_OPEN	"<div style=\"color:#333333;background-color:" \
	"#ffffff;font-size:13px;line-height:1.4;font-family:Arial,sans-" \
	"serif;margin:24px 0 0 0;padding:8px;text-align:left\">"
#define FOOTER_CLOSE	"</div>"

static int
append_footer(json_t *msg, json_t *foot)
{
	struct buf	 b;
	const char	*html = json_string_value(json_object_get(msg, "html"));
	const char	*p, *body = NULL;
	char		*out = NULL;
	int		 ret = -1;

	buf_init(&b, 2 * INV_TEMPLATE_MAX + 64 * 1024);
	if (buf_puts(&b, json_string_value(json_object_get(msg, "text"))) ==
	    -1 || buf_puts(&b, json_string_value(json_object_get(foot,
	    "text"))) == -1 || (out = buf_detach(&b, NULL)) == NULL ||
	    mailer_set_text(msg, "text", out) == -1)
		goto out;
	free(out);
	out = NULL;
	for (p = html; (p = strchr(p, '<')) != NULL; p++) {
		if (strncasecmp(p, "</body", 6) == 0)
			body = p;
	}
	if (body == NULL)
		body = html + strlen(html);
	buf_init(&b, 2 * INV_TEMPLATE_MAX + 64 * 1024);
	if (buf_append(&b, html, (size_t)(body - html)) == -1 ||
	    buf_puts(&b, FOOTER_OPEN) == -1 ||
	    buf_puts(&b, json_string_value(json_object_get(foot, "html"))) ==
	    -1 || buf_puts(&b, FOOTER_CLOSE) == -1 ||
	    buf_puts(&b, body) == -1 ||
	    (out = buf_detach(&b, NULL)) == NULL ||
	    mailer_set_text(msg, "html", out) == -1)
		goto out;
	ret = 0;
out:
	buf_release(&b);
	free(out);
	return ret;
}

/*
 * The verdicts of the e-mail rules on the business templates met in one
 * dispatch batch: a 64 KiB template takes about half a millisecond to
 * check, too long to repeat for each of hundreds of invitations. The
 * batch is read by one statement (one snapshot), in which a template
 * cannot change, so its id is the key. One per rendering thread, on its
 * stack.
 */
#define RULES_CACHE	16
#define DISPATCH_WHY	(MAILHTML_WHY + 96)

struct rules_cache {
	size_t	 n, next;
	struct {
		char	 tid[TID_MAX + 1];
		char	 why[DISPATCH_WHY];	/* "" when it passes */
	}	 e[RULES_CACHE];
};

/* The rules' verdict on the business template of the row d into why
 * ("" when it passes), from the cache or checked and remembered. */
static void
template_verdict(const struct due *d, struct rules_cache *rc, char *why,
    size_t whylen)
{
	const char	*tid = due_text(d, 4), *field;
	char		 rule[MAILHTML_WHY];
	size_t		 i;

	for (i = 0; i < rc->n; i++) {
		if (strcmp(rc->e[i].tid, tid) == 0) {
			snprintf(why, whylen, "%s", rc->e[i].why);
			return;
		}
	}
	why[0] = '\0';
	if (invitations_template_rules(due_text(d, 12), due_text(d, 9),
	    due_text(d, 10), due_text(d, 11), &field, rule,
	    sizeof(rule)) == -1)
		snprintf(why, whylen, "the template no longer passes the "
		    "e-mail rules (%s: %s)", field, rule);
	i = rc->next;
	rc->next = (rc->next + 1) % RULES_CACHE;
	if (rc->n < RULES_CACHE)
		rc->n++;
	snprintf(rc->e[i].tid, sizeof(rc->e[i].tid), "%s", tid);
	snprintf(rc->e[i].why, sizeof(rc->e[i].why), "%s", why);
}

/*
 * The names the e-mail shows, checked again as they are sent (rows stored
 * before the rule, a unit's names set before it): the consumer's name
 * with no URL or host at all, the sender's and the business's only with
 * the unit's own website. -1 with why when one fails.
 */
static int
shown_names(const struct due *d, const char *sender, char *why,
    size_t whylen)
{
	char		 site[256], rule[MAILHTML_WHY];
	const char	*sp = NULL, *field = NULL;

	if (d->col[12] != NULL && mailhtml_site(d->col[12], site,
	    sizeof(site)) == 0)
		sp = site;
	if (mailhtml_check_value(due_text(d, 2), NULL, rule,
	    sizeof(rule)) == -1)
		field = "consumerName";
	else if (mailhtml_check_value(sender, sp, rule, sizeof(rule)) == -1)
		field = "senderName";
	else if (mailhtml_check_value(due_text(d, 7), sp, rule,
	    sizeof(rule)) == -1)
		field = "displayName";
	if (field == NULL)
		return 0;
	snprintf(why, whylen, "the %s %s", field, rule);
	return -1;
}

/* The names of an invitation's products (its JSON column), one a line:
 * "" for a service invitation. NULL when out of memory. */
static char *
product_names(const char *products)
{
	struct buf	 out;
	json_t		*list = json_loads(products, 0, NULL), *p;
	const char	*name;
	size_t		 i;

	buf_init(&out, 1 << 20);
	json_array_foreach(list, i, p) {
		name = json_string_value(json_object_get(p, "name"));
		if (name != NULL && ((out.len > 0 && buf_puts(&out, "\n") ==
		    -1) || buf_puts(&out, name) == -1)) {
			buf_release(&out);
			json_decref(list);
			return NULL;
		}
	}
	json_decref(list);
	return buf_detach(&out, NULL);
}

/*
 * Builds the invitation e-mail of the row d: the business's
 * template (checked again against the e-mail rules and the unit's current
 * website: a template stored before the rules, or a website changed since,
 * must not send what the rules refuse) or a built-in one, then the
 * platform footer; From "<sender> via <platform>". NULL on failure, with
 * why set when the template broke the rules.
 */
static json_t *
invitation_mail(const struct due *d, const char *token, const char *unsub,
    struct rules_cache *rc, char *why, size_t whylen)
{
	char		*products;	/* owned */
	char		 days[24], site[256];
	const char	*logo = due_text(d, 15);
	char		 link[URL_LEN + IDS_TOKEN_LEN];
	char		 unlink[URL_LEN + IDS_TOKEN_LEN], header[URL_LEN * 2];
	char		 language[3] = "en";
	char		 from[4 * INV_NAME_MAX + CONFIG_STR + 8];
	json_t		*vars, *msg, *foot;	/* owned */
	const char	*name = due_text(d, 2), *sender;
	int		 r;

	why[0] = '\0';
	snprintf(link, sizeof(link), "%s/evaluate-link/%s",
	    config_shared()->public_url, token);
	snprintf(unlink, sizeof(unlink), "%s/unsubscribe/%s",
	    config_shared()->public_url, unsub);
	snprintf(header, sizeof(header), "<%s>", unlink);
	memcpy(language, due_text(d, 3), 2);
	/* the display name the business chose, or its name; never alone */
	sender = due_text(d, 5)[0] != '\0' && mailer_header_safe(
	    due_text(d, 5)) ? due_text(d, 5) : due_text(d, 7);
	snprintf(from, sizeof(from), "%s via %s", sender,
	    config_shared()->mail_platform_name);
	if (shown_names(d, sender, why, whylen) == -1)
		return NULL;
	snprintf(days, sizeof(days), "%lld",
	    (long long)config_shared()->invitation_link_days);
	if ((products = product_names(due_text(d, 14))) == NULL)
		return NULL;
	/* a logo the website moved away from is left out */
	if (mailhtml_site(due_text(d, 12), site, sizeof(site)) == -1 ||
	    !mailhtml_logo_ok(logo, site))
		logo = "";
	/* the stars open the form with one chosen: service reviews only */
	vars = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "name", name, "business", due_text(d, 7), "link", link,
	    "unsubscribeLink", unlink, "platform",
	    config_shared()->mail_platform_name, "website", due_text(d, 12),
	    "days", days, "products", products, "starsLink",
	    d->service != 0 ? link : "", "logo", logo);
	free(products);
	msg = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "to", due_text(d, 1),
	    "toName", name, "fromName", from, "headers", "List-Unsubscribe",
	    header, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
	foot = json_object();
	if (vars == NULL || msg == NULL || foot == NULL)
		goto fail;
	if (d->col[6] != NULL &&
	    json_object_set_new(msg, "replyTo",
	    json_string(due_text(d, 6))) == -1)
		goto fail;
	if (d->col[9] != NULL) {
		template_verdict(d, rc, why, whylen);
		if (why[0] != '\0')
			goto fail;
		r = mailer_render_parts(due_text(d, 9), due_text(d, 10),
		    due_text(d, 11), vars, msg);
	} else {
		const char	*tid = due_text(d, 4);

		/* "default-de" picks the German built-in */
		r = mailer_render("invitation", strncmp(tid, "default-", 8) ==
		    0 ? tid + 8 : language, vars, msg);
	}
	if (r == -1 || mailer_render("invitation-footer", language, vars,
	    foot) == -1 || append_footer(msg, foot) == -1)
		goto fail;
	json_decref(vars);
	json_decref(foot);
	return msg;
fail:
	json_decref(vars);
	json_decref(msg);
	json_decref(foot);
	return NULL;
}

/* Skips the invitation id, still queued and due (a cancellation or a
 * new send time may have come first: then nothing changes). 0 or -1. */
static int
mark_skipped(struct db *db, const char *id, const char *reason, int64_t now)
{
	if (db_run(db, sql_mark_skipped, "sis", reason, now, id) == -1)
		return -1;
	if (db_changes(db) == 0)
		return 0;
	return inv_event_add(db, id, "skipped", reason, now);
}

/*
 * A due invitation of a batch, prepared outside the write transaction:
 * its tokens (hashed for the row) and its e-mail, or why it cannot have
 * one.
 */
struct pick {
	char		 id[IDS_ID_LEN + 1], bu[IDS_ID_LEN + 1];
	char		 email[MAILER_ADDRESS_MAX + 1];
	char		 th[IDS_HASH_LEN + 1], uh[IDS_HASH_LEN + 1];
	char		*msg;		/* owned: the e-mail's JSON (the
					   maildir path: its envelope, the
					   message being in tmp/); NULL:
					   skipped for why */
	char		*why;		/* owned, when msg is NULL */
	struct due	*row;		/* owned until rendered */
	struct unsub_hashes addr;	/* when hashed */
	bool		 hashed;
};

/* The envelope of msg, what a delivered e-mail keeps in the outbox: no
 * body nor headers (personal links). NULL when out of memory. */
static char *
envelope(json_t *msg)
{
	(void)json_object_del(msg, "text");
	(void)json_object_del(msg, "html");
	(void)json_object_del(msg, "headers");
	return json_dumps(msg, JSON_COMPACT);
}

/* Prepares p from its due row: tokens, the address's hashes under the
 * unsubscribe secret key (when there is one), the e-mail built and
 * checked; with m (the maildir path) written to tmp/ under p's id, and
 * *failed set when that fails. No database: any thread. */
static void
prepare_one(struct pick *p, const char *key, struct rules_cache *rc,
    struct mailer *m, bool *failed)
{
	const struct due *d = p->row;
	char		 token[IDS_TOKEN_LEN + 1], unsub[IDS_TOKEN_LEN + 1];
	char		 why[DISPATCH_WHY];
	json_t		*msg;	/* owned */
	struct api_error err;

	memset(&err, 0, sizeof(err));
	snprintf(p->id, sizeof(p->id), "%s", due_text(d, 0));
	snprintf(p->bu, sizeof(p->bu), "%s", due_text(d, 8));
	snprintf(p->email, sizeof(p->email), "%s", due_text(d, 1));
	if ((p->hashed = key != NULL))
		invitations_address_hashes(key, p->email, &p->addr);
	ids_token_keyed(p->id, token);
	ids_token_hash(token, p->th);
	ids_token_keyed(p->id, unsub);
	ids_token_hash(unsub, p->uh);
	msg = invitation_mail(d, token, unsub, rc, why, sizeof(why));
	if (msg != NULL && mailer_check(msg, &err) == 0) {
		if (m == NULL)
			p->msg = json_dumps(msg, JSON_COMPACT);
		else if (*failed || mailer_send(m, p->id, msg, why,
		    sizeof(why)) != MAILER_SENT) {
			if (!*failed)
				log_warn("invitations: maildir: %s", why);
			*failed = true;
		} else
			p->msg = envelope(msg);	/* NULL: skipped */
	}
	json_decref(msg);
	if (p->msg != NULL || *failed)
		return;
	/* Skipped, not retried: one bad template must not hold up every
	 * invitation queued behind it. */
	if (why[0] == '\0') {
		log_error("invitations: cannot build the e-mail of id=%s",
		    p->id);
		snprintf(why, sizeof(why), "the invitation e-mail could not "
		    "be built from its template");
	}
	p->why = strdup(why);	/* NULL: the record fails, retried */
}

/*
 * Records p inside the batch's write transaction, unless the address
 * unsubscribed since it was queued, or the invitation is no longer queued
 * (cancelled since it was read: the cancellation wins) or no longer due
 * (its send time moved later since it was read: the new time wins). The
 * outbox path: its e-mail into the outbox, the invitation sending. The
 * maildir path (m): its message, in tmp/, is kept for the batch's renames
 * (else taken back), the invitation sent and its outbox row delivered.
 * 0 or -1.
 */
static int
record_one(struct db *db, const struct pick *p, int64_t now,
    struct mailer *m)
{
	char	 owner[IDS_ID_LEN + 16];
	bool	 found;
	int64_t	 expires = now +
	    config_shared()->invitation_link_days * 86400000;

	if ((p->hashed ? invitations_unsubscribed_hashed(db, p->bu, &p->addr,
	    &found) : invitations_unsubscribed(db, p->bu, p->email,
	    &found)) == -1)
		return -1;
	if (found || p->msg == NULL)
		mailer_forget(m, p->id);
	if (found)
		return mark_skipped(db, p->id, "the address unsubscribed from "
		    "this business's invitations", now);
	if (p->msg == NULL)
		return p->why == NULL ? -1 : mark_skipped(db, p->id, p->why,
		    now);
	if (db_run(db, m != NULL ? sql_mark_sent_now : sql_mark_sending,
	    "sisis", p->th, expires, p->uh, now, p->id) == -1)
		return -1;
	if (db_changes(db) == 0) {
		mailer_forget(m, p->id);
		return 0;
	}
	/* the invitation's id is its e-mail's: a batch sent again after a
	 * crash replaces its messages in the maildir, never doubles them */
	snprintf(owner, sizeof(owner), "invitation:%s", p->id);
	if (outbox_add_email_as(db, p->id, p->bu, p->msg, now, owner,
	    m != NULL) == -1)
		return -1;
	return m == NULL ? 0 : inv_event_add(db, p->id, "sent", NULL, now);
}

/*
 * Rendering. It is most of a dispatch's work and needs no lock, so one
 * read (several batches, one snapshot: read_batches) is rendered by
 * helper threads, one fewer than the machine has cores (at most
 * RENDER_HELPERS), each taking the next row, while the scheduler thread
 * records each batch in its own transaction as soon as it is rendered,
 * and renders too while it waits: recording one batch overlaps rendering
 * the next. The helpers run at a lower priority, so that requests come
 * first on a busy machine. With PostgreSQL's claims (rows locked from the
 * read to the one commit) a read is one batch.
 */
#define SUBS_MAX	16
#define READ_ROWS	2000	/* a read: batches up to this many rows */
#define RENDER_HELPERS	3
#define RENDER_ROWS_MIN	64	/* rows: fewer are not worth a thread */
#define RENDER_NICE	10

/* The batches of per rows a read takes: READ_ROWS rows, in 4 to SUBS_MAX
 * batches; one under PostgreSQL's claims. */
static int64_t
read_batches(int64_t per)
{
	if (db_claims_lock_rows())
		return 1;
	if (READ_ROWS / per < 4)
		return 4;
	return READ_ROWS / per > SUBS_MAX ? SUBS_MAX : READ_ROWS / per;
}

struct render_work {
	struct pick	*picks;
	int64_t		 n, per;	/* rows read; rows a batch */
	struct mailer	*m[SUBS_MAX];	/* the maildir path: one a batch */
	const char	*unsub_key;	/* NULL: none yet */
	_Atomic int64_t	 next;		/* the next row to render */
	atomic_bool	 stop;		/* the helpers end */
	atomic_bool	 failed[SUBS_MAX];	/* the maildir failed */
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* a batch rendered or recorded */
	int64_t		 done[SUBS_MAX];	/* rows rendered: lock */
	int64_t		 recorded;	/* batches committed: lock */
};

/* Rows of batch j. */
static int64_t
batch_rows(const struct render_work *w, int64_t j)
{
	int64_t	 end = (j + 1) * w->per < w->n ? (j + 1) * w->per : w->n;

	return end - j * w->per;
}

/* Renders the next row, if any is left; false when none is, or when the
 * work stopped. A row more than a batch ahead of the one being recorded
 * waits for it: the e-mails rendered (whole, on the outbox path) are at
 * most two batches'. */
static bool
render_next(struct render_work *w, struct rules_cache *rc)
{
	int64_t	 i = atomic_fetch_add(&w->next, 1), j;
	bool	 failed, ahead;

	if (i >= w->n)
		return false;
	j = i / w->per;
	pthread_mutex_lock(&w->lock);
	while ((ahead = j >= w->recorded + 2) && !atomic_load(&w->stop))
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	if (ahead)
		return false;	/* stopped: no batch waits for it */
	failed = atomic_load(&w->failed[j]);
	prepare_one(&w->picks[i], w->unsub_key, rc, w->m[j], &failed);
	free(w->picks[i].row);
	w->picks[i].row = NULL;
	if (failed)
		atomic_store(&w->failed[j], true);
	pthread_mutex_lock(&w->lock);
	if (++w->done[j] == batch_rows(w, j))
		pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return true;
}

static void *
render_helper(void *arg)
{
	struct render_work *w = arg;
	struct rules_cache rules;

	/* this thread only (Linux: a thread's nice is its own) */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), RENDER_NICE);
	rules.n = rules.next = 0;
	while (!atomic_load(&w->stop) && render_next(w, &rules))
		;
	return NULL;
}

/* Waits for batch j to be rendered, rendering while rows of it are left;
 * false when the maildir failed for it. */
static bool
batch_rendered(struct render_work *w, int64_t j, struct rules_cache *rc)
{
	while (atomic_load(&w->next) < j * w->per + batch_rows(w, j) &&
	    render_next(w, rc))
		;
	pthread_mutex_lock(&w->lock);
	while (w->done[j] < batch_rows(w, j))
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	return !atomic_load(&w->failed[j]);
}

/* Reads up to limit due invitations into picks (no transaction: the read
 * takes no lock), at most READ_BYTES_MAX of them. How many, or -1. */
static int64_t
read_due(struct db *db, int64_t now, struct pick *picks, int64_t limit,
    struct rows *r)
{
	struct db_stmt	*st;
	int64_t		 n = 0;
	int		 rc = DB_DONE;

	st = db_prepare(db, sql_due);
	if (st == NULL || db_bind_int(st, 1, now) == -1 ||
	    db_bind_int(st, 2, limit) == -1) {
		db_release(st);
		return -1;
	}
	/* one statement: one snapshot, so a template is the same for
	 * the whole read and its verdict can be cached */
	while (n < limit && r->bytes < READ_BYTES_MAX &&
	    (rc = db_step(db, st)) == DB_ROW) {
		if ((picks[n].row = due_copy(st, r)) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	db_release(st);
	return rc == -1 ? -1 : n;	/* picks_free frees the rows */
}

/* Frees the e-mails and reasons of the n picks. */
static void
picks_free_msgs(struct pick *picks, int64_t n)
{
	int64_t	 i;

	for (i = 0; i < n; i++) {
		free(picks[i].msg);
		free(picks[i].why);
		picks[i].msg = picks[i].why = NULL;
	}
}

static void
picks_free(struct pick *picks, int64_t n)
{
	int64_t	 i;

	picks_free_msgs(picks, n);
	for (i = 0; i < n; i++)
		free(picks[i].row);
	free(picks);
}

/*
 * The maildir path: a batch goes into the maildir by the scheduler itself
 * (render, write to tmp/, one syncfs, then in one transaction the records
 * and the renames into new/ and its fsync, then the commit): no message
 * body is stored, leased or rewritten in the outbox. A crash before the
 * commit leaves the batch queued: it is sent again, each message under its
 * invitation's id, so it replaces the one in new/ (with fresh links, the
 * ones recorded). Should the maildir fail, the outbox path (the e-mail
 * lane, with its retries and pause) takes the batches for a minute.
 */
#define DIRECT_PAUSE_MS	60000

/* Records the n picks in one transaction; with m, the renames into new/
 * before its commit. 0, -1, or 1 when the maildir failed (nothing
 * recorded). */
static int
record_batch(struct db *db, struct pick *picks, int64_t n, int64_t now,
    struct mailer *m)
{
	char	 why[DISPATCH_WHY];
	int64_t	 i;

	/* on PostgreSQL the claim's transaction is open already */
	if (!db_claims_lock_rows() && db_tx_begin(db) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (record_one(db, &picks[i], now, m) == -1)
			goto fail;
	}
	if (m != NULL && mailer_flush(m, why, sizeof(why)) == -1) {
		log_warn("invitations: maildir: %s", why);
		db_tx_rollback(db);
		return 1;
	}
	if (db_tx_commit(db) == -1) {
		mailer_unflush(m);	/* their links were not recorded */
		goto fail;
	}
	return 0;
fail:
	db_tx_rollback(db);
	return -1;
}

/* Records the batches of w as they are rendered, while the helpers
 * render the ones after. 0, -1, or 1 when the maildir failed. */
static int
record_batches(struct db *db, struct render_work *w, int64_t now)
{
	struct rules_cache rules;
	pthread_t	 tid[RENDER_HELPERS];
	char		 why[DISPATCH_WHY];
	cpu_set_t	 cpus;
	int		 cores = 1;
	int64_t		 j, batches = (w->n + w->per - 1) / w->per;
	int		 k, helpers = 0, rc = 0;

	/* the cores this thread may run on (a container's, a pinning) */
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		cores = CPU_COUNT(&cpus);
	rules.n = rules.next = 0;
	while (helpers < RENDER_HELPERS && helpers < cores - 1 &&
	    w->n >= RENDER_ROWS_MIN * (helpers + 1) &&
	    pthread_create(&tid[helpers], NULL, render_helper, w) == 0)
		(void)pthread_setname_np(tid[helpers++], "render");
	/* a stop waits for one batch, not the whole read */
	for (j = 0; j < batches && rc == 0 && (j == 0 ||
	    !scheduler_stopping()); j++) {
		if (!batch_rendered(w, j, &rules))
			rc = 1;
		else if (mailer_sync(w->m[j], why, sizeof(why)) == -1) {
			log_warn("invitations: maildir: %s", why);
			rc = 1;
		} else
			rc = record_batch(db, w->picks + j * w->per,
			    batch_rows(w, j), now, w->m[j]);
		/* the outbox path's messages are in the outbox now */
		picks_free_msgs(w->picks + j * w->per, batch_rows(w, j));
		pthread_mutex_lock(&w->lock);
		w->recorded += rc == 0;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, true);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (k = 0; k < helpers; k++)
		(void)pthread_join(tid[k], NULL);
	return rc;
}

/* Sets w up for up to batches batches of per rows into picks; with
 * direct, a maildir session for each (NULL: that batch takes the outbox
 * path). */
static void
work_open(struct render_work *w, struct pick *picks, int64_t per,
    int64_t batches, bool direct)
{
	int64_t	 j;

	memset(w, 0, sizeof(*w));
	w->picks = picks;
	w->per = per;
	atomic_init(&w->next, 0);
	atomic_init(&w->stop, false);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	for (j = 0; j < batches; j++) {
		atomic_init(&w->failed[j], false);
		w->m[j] = direct ? mailer_open(config_shared()) : NULL;
	}
}

/* Ends w's sessions (removing what was not flushed from tmp/); true when
 * one of its batches took the outbox path. */
static bool
work_close(struct render_work *w, int64_t batches)
{
	int64_t	 j;
	bool	 outbox = false;

	for (j = 0; j < batches; j++) {
		outbox = outbox || w->m[j] == NULL;
		mailer_close(w->m[j]);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	return outbox;
}

int64_t
invitations_job(struct db *db, int64_t now)
{
	static int64_t	 last_purge;	/* the scheduler thread's only */
	static int64_t	 rekey_seq;	/* ditto */
	static bool	 rekeyed;	/* ditto */
	static int64_t	 direct_after;	/* ditto: the maildir path's pause */
	const struct config *cfg = config_shared();
	struct render_work w;
	struct rows	 rows = { NULL, 0 };
	char		 key[INV_UNSUB_KEY_LEN + 1];
	struct pick	*picks;
	int64_t		 n, next = INT64_MAX;
	int64_t		 max = cfg->invitation_dispatch_batch;
	int64_t		 batches = read_batches(max);
	bool		 direct, outbox;
	int		 rc;

	/* Expired idempotency keys go hourly: a delete is a write, not worth
	 * the lock on every wake. */
	if (now - last_purge >= 3600000 || now < last_purge) {
		if (idempotency_purge(db, now -
		    cfg->invitation_idempotency_h * 3600000) == 0)
			last_purge = now;
	}
	if (!rekeyed)
		rekeyed = invitations_unsubscribe_rekey(db, &rekey_seq);
	/* Nothing due: nothing to set up (the scheduler wakes for every
	 * message the outbox takes). The database failing: nothing more
	 * is asked of it (each question may wait its connect timeout, and a
	 * stop waits for the job), retried in a second. */
	if ((rc = db_one_int(db, sql_next_send, &next, "")) == -1)
		return now + 1000;
	if (rc == DB_ROW && next > now)
		return next;
	next = INT64_MAX;
	/* Batches of at most dispatch_batch rows: read and rendered outside
	 * any transaction, each recorded in one short one, so that a large
	 * dispatch never holds the write lock for more than a batch's
	 * updates (the write gate: no long work inside a transaction). The
	 * job returns "now" while more are due. */
	if ((picks = calloc((size_t)(max * batches), sizeof(*picks))) == NULL)
		return now + 1000;
	direct = cfg->mail_transport == MAIL_TRANSPORT_MAILDIR &&
	    (now >= direct_after || now < direct_after - DIRECT_PAUSE_MS);
	work_open(&w, picks, max, batches, direct);
	/* Several daemons (PostgreSQL): the batch is claimed, its rows
	 * locked by sql_due from the read to the record (no write gate), so
	 * each daemon renders other invitations. */
	if (db_claims_lock_rows() && db_tx_begin_claim(db) == -1)
		goto fail;
	if ((n = read_due(db, now, picks, max * batches, &rows)) == -1)
		goto fail;
	w.n = n;
	/* the addresses are hashed by the rendering threads, not in the
	 * transactions; none yet: invitations_unsubscribed makes it */
	if ((rc = invitations_unsubscribe_key(db, key)) == -1)
		goto fail;
	if (rc == 0)
		w.unsub_key = key;
	rc = record_batches(db, &w, now);
	sodium_memzero(key, sizeof(key));
	if (rc != 0 || n == 0)
		db_tx_rollback(db);	/* a claim left open: empty, failed */
	if (rc == -1 && w.recorded > 0)
		scheduler_wake();	/* the batches before: in the outbox */
	if (rc == -1)
		goto fail;
	outbox = work_close(&w, batches);
	tpls_free(&rows);
	picks_free(picks, max * batches);
	if (rc == 1) {
		log_warn("invitations: the maildir failed; the outbox sends "
		    "invitations for %d s", DIRECT_PAUSE_MS / 1000);
		direct_after = now + DIRECT_PAUSE_MS;
		return now;
	}
	if (w.recorded > 0 && outbox)
		scheduler_wake();	/* the outbox has work */
	if (n == max * batches || rows.bytes >= READ_BYTES_MAX)
		return now;
	/* on failure next stays INT64_MAX: the scheduler's 1 s wake */
	(void)db_one_int(db, sql_next_send, &next, "");
	return next;
fail:
	sodium_memzero(key, sizeof(key));
	db_tx_rollback(db);
	(void)work_close(&w, batches);
	tpls_free(&rows);
	picks_free(picks, max * batches);
	log_error("invitations: dispatch failed; retrying");
	return now + 1000;
}

static const char sql_mark_sent[] =
    "UPDATE invitations SET status = 'sent', sent_at = ?1, updated_at = ?1, "
    "  skip_reason = NULL WHERE id = ?2 AND (status = 'sending' OR "
    "  (status = 'skipped' AND skip_reason LIKE 'undeliverable: %'))";
static const char sql_mark_undeliverable[] =
    "UPDATE invitations SET status = 'skipped', skip_reason = "
    "  'undeliverable: ' || ?1, updated_at = ?2 "
    "WHERE id = ?3 AND status = 'sending'";

int
invitations_mail_outcome(struct db *db, const char *id, const char *why,
    int64_t now)
{
	if ((why == NULL ? db_run(db, sql_mark_sent, "is", now, id) :
	    db_run(db, sql_mark_undeliverable, "sis", why, now, id)) == -1)
		return -1;
	if (db_changes(db) == 0)
		return 0;
	return inv_event_add(db, id, why == NULL ? "sent" : "undeliverable",
	    why, now);
}

