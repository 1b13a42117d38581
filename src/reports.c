/*
 * reports: a business reports a review with a reason from a fixed list;
 * the reasons that hide the review while the report is pending are one
 * table below. The operator upholds (the review is removed for good) or
 * rejects (it is back online). The reviewer is told by e-mail, the
 * business by webhook, and every step is audited (audit.c). HTTP worker
 * threads.
 * Hiding is the reviews module's (reviews_set_hidden): the count
 * triggers and every public query leave hidden reviews out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/audit.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/ids.h"
#include "reviewd/handler.h"
#include "reviewd/i18n.h"
#include "reviewd/json.h"
#include "reviewd/mailer.h"
#include "reviewd/outbox.h"
#include "reviewd/reports.h"
#include "reviewd/reviews.h"
#include "reviewd/webhooks.h"

#define DETAILS_MAX	2000
#define NOTE_MAX	2000
#define PAGE_MAX	100
#define REASON_LEN	64	/* holds any of reasons[] */

/* The reasons, and whether a pending report hides the review. */
static const struct {
	const char	*reason;
	bool		 hides;
} reasons[] = {
	{ "not_genuine_experience", true },
	{ "harmful_or_illegal", true },
	{ "personal_information", true },
	{ "advertising_or_promotional", false },
	{ "other", false },
};

#define REPORT_COLUMNS							\
	"p.id, p.review_id, p.business_unit_id, p.reason, p.details, "	\
	"p.hides, p.status, p.decision_note, p.created_at, p.decided_at, " \
	"r.title, r.source, coalesce(r.referral_email, c.email), "	\
	"r.display_name, b.display_name, "				\
	"CASE WHEN r.sku IS NULL THEN 'service' ELSE 'product' END, "	\
	"r.language, b.default_locale, b.notification_email "
#define REPORT_FROM							\
	"FROM reports p JOIN reviews r ON r.id = p.review_id "		\
	"JOIN consumers c ON c.id = r.consumer_id "			\
	"JOIN business_units b ON b.id = p.business_unit_id "

enum { P_ID, P_REVIEW, P_BU, P_REASON, P_DETAILS, P_HIDES, P_STATUS, P_NOTE,
    P_CREATED, P_DECIDED, P_TITLE, P_SOURCE, P_EMAIL, P_NAME, P_BU_NAME,
    P_SKU_KIND, P_LANGUAGE, P_LOCALE, P_NOTIFY_EMAIL };

/* A report as the business and the operator see it (no addresses). */
static json_t *
report_json(struct db_stmt *st)
{
	json_t	*o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o}",
	    "id", db_text(st, P_ID), "reviewId", db_text(st, P_REVIEW),
	    "businessUnitId", db_text(st, P_BU), "reason",
	    db_text(st, P_REASON), "details", db_text(st, P_DETAILS),
	    "hidesReview", (int)db_int(st, P_HIDES), "status",
	    db_text(st, P_STATUS), "decisionNote",
	    db_json_text(st, P_NOTE));

	if (o == NULL || json_object_set_new(o, "createdAt", db_json_time(st,
	    P_CREATED)) == -1 || json_object_set_new(o, "decidedAt",
	    db_json_time(st, P_DECIDED)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char sql_report_by_id[] =
    "SELECT " REPORT_COLUMNS REPORT_FROM "WHERE p.id = ?";

/*
 * Mails template about report st to the reviewer (anonymous ones too) in
 * their language, or to the business (its notification address, when it
 * has one) in its unit's: the reason in words, and a link to the review
 * on the public page. 0, or -1 with err set.
 */
static int
mail_report(struct request *req, struct db_stmt *st, const char *template,
    bool to_business, struct api_error *err)
{
	const char	*to = db_text(st, to_business ? P_NOTIFY_EMAIL :
			    P_EMAIL);
	const char	*lang = mailer_lang(to_business ? NULL :
			    db_text(st, P_LANGUAGE), db_text(st, P_LOCALE));
	json_t		*msg, *vars;
	char		 key[64], link[CONFIG_STR + 64];
	int		 r = -1;

	if (!mailer_address_valid(to))
		return 0;	/* the reviewer's data was erased, or the
				   business gave no address */
	snprintf(key, sizeof(key), "mail_reason_%s", db_text(st, P_REASON));
	snprintf(link, sizeof(link), "%s/r/%s", req->cfg->public_url,
	    db_text(st, P_REVIEW));
	vars = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name",
	    db_text(st, P_NAME), "business", db_text(st, P_BU_NAME), "title",
	    db_text(st, P_TITLE), "reason", i18n(lang, key), "link", link);
	msg = to_business ? json_pack("{s:s}", "to", to) :
	    json_pack("{s:s, s:s}", "to", to, "toName", db_text(st, P_NAME));
	if (vars == NULL || msg == NULL ||
	    mailer_render(template, lang, vars, msg) == -1)
		api_error_internal(err);
	else
		r = outbox_add_email(req->db, db_text(st, P_BU), msg, NULL,
		    err);
	json_decref(vars);
	json_decref(msg);
	return r;
}

static int
notify(struct db *db, struct db_stmt *st, const char *event)
{
	json_t	*data = report_json(st);	/* owned */
	char	 bu[IDS_ID_LEN + 1];
	int	 r;

	if (data == NULL)
		return -1;
	snprintf(bu, sizeof(bu), "%s", db_text(st, P_BU));
	r = webhooks_emit(db, bu, event, data);
	json_decref(data);
	return r;
}

/* An upheld report removes the review for good: receivers written for
 * Trustpilot's webhooks hear of it as a deleted review ({"id"} only). */
static int
removed(struct db *db, struct db_stmt *st)
{
	json_t	*data = json_pack("{s:s}", "id", db_text(st, P_REVIEW));
	char	 bu[IDS_ID_LEN + 1];
	int	 r;

	if (data == NULL)
		return -1;
	snprintf(bu, sizeof(bu), "%s", db_text(st, P_BU));
	r = webhooks_emit(db, bu, strcmp(db_text(st, P_SKU_KIND), "product") ==
	    0 ? "product-review-deleted" : "service-review-deleted", data);
	json_decref(data);
	return r;
}

static const char sql_report_state[] =
    "SELECT EXISTS (SELECT 1 FROM reports WHERE review_id = ?1 AND "
    "  status = 'pending'), EXISTS (SELECT 1 FROM find_reviewer_requests "
    "  WHERE review_id = ?1 AND status IN ('replied', 'declined', "
    "  'expired'))";
static const char sql_report_insert[] =
    "INSERT INTO reports (id, review_id, business_unit_id, reason, details, "
    "  hides, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)";

/* Reads a report's reason (with whether it hides the review) and
 * details from body. 0, or -1 with every bad field named in err. */
static int
read_report(json_t *body, const char **reason, const char **details,
    bool *hides, struct api_error *err)
{
	static const char *const allowed[] = { "reason", "details", NULL };
	size_t	 i;

	json_only_keys(body, allowed, err);
	if (json_read_string(body, "reason", true, 1, 64, reason, err) == 0) {
		for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
			if (strcmp(*reason, reasons[i].reason) == 0)
				break;
		}
		if (i == sizeof(reasons) / sizeof(reasons[0]))
			api_error_set(err, 400, "reason", "must be one of "
			    "not_genuine_experience, harmful_or_illegal, "
			    "personal_information, advertising_or_promotional, "
			    "other");
		else
			*hides = reasons[i].hides;
	}
	json_read_string(body, "details", false, 0, DETAILS_MAX, details,
	    err);
	return err->status != 0 ? -1 : 0;
}

/*
 * Whether req's unit may report review for reason now. not_genuine_
 * experience needs the reviewer to have had their chance: a Find
 * Reviewer request that was answered, declined or ran out. Reviews
 * written through our own invitations cannot be asked (Find Reviewer
 * refuses them: the business knows that customer), so for those the
 * reason is accepted directly. 0, or -1 with err set (404, 409).
 */
static int
reportable(struct request *req, const char *review, const char *reason,
    struct api_error *err)
{
	struct review_facts	 facts;
	struct db_stmt		*st;
	bool			 pending, asked;

	if (reviews_of_unit(req->db, review, req->principal.business_unit_id,
	    &facts, err) == -1)
		return -1;
	if (db_row(req->db, sql_report_state, &st, "s", review) != DB_ROW) {
		db_fail(req->db, err);
		return -1;
	}
	pending = (int)db_int(st, 0) != 0;
	asked = (int)db_int(st, 1) != 0;
	db_release(st);
	if (facts.removed)
		/* reported again and rejected, it would come back online */
		api_error_set(err, 409, NULL, "This review was removed after "
		    "an upheld report");
	else if (pending)
		api_error_set(err, 409, NULL, "This review already has a "
		    "pending report");
	else if (strcmp(reason, "not_genuine_experience") == 0 &&
	    !facts.invited && !asked)
		api_error_set(err, 409, "reason", "not_genuine_experience "
		    "needs a Find Reviewer request on this review first, "
		    "answered or past its deadline, so the reviewer had the "
		    "chance to show their experience");
	return err->status != 0 ? -1 : 0;
}

/* Ends a report's write: commits and answers status with the report
 * under st, which is released. See handler_commit. */
/*
 * Ends a write on report id: tells the webhooks event, deletes the
 * review's webhooks when removal, mails the reviewer template and the
 * business business_template (each unless NULL), and commits answering
 * status with the report.
 * 0, or -1 with err set.
 */
static int
answer(struct request *req, struct response *res, int status,
    const char *id, const char *event, bool removal, const char *template,
    const char *business_template, struct api_error *err)
{
	struct db_stmt	*st = NULL;
	json_t		*out;	/* owned, taken */

	if (db_row(req->db, sql_report_by_id, &st, "s", id) != DB_ROW ||
	    notify(req->db, st, event) == -1 ||
	    (removal && removed(req->db, st) == -1)) {
		db_release(st);
		db_fail(req->db, err);
		return -1;
	}
	if ((template != NULL &&
	    mail_report(req, st, template, false, err) == -1) ||
	    (business_template != NULL &&
	    mail_report(req, st, business_template, true, err) == -1)) {
		db_release(st);
		return -1;
	}
	out = report_json(st);
	db_release(st);
	return handler_commit(req, res, status, out, true, err);
}

int
reports_create(ROUTE_HANDLER_PARAMS)
{
	struct db	*db = req->db;
	json_t		*body;	/* borrowed */
	const char	*review = request_param(req, "reviewId");
	const char	*reason = NULL, *details = NULL;
	char		 id[IDS_ID_LEN + 1], actor[IDS_ID_LEN + 16];
	char		 subject[IDS_ID_LEN + 16];
	bool		 hides = false;
	int		 ret = -1;

	if ((body = json_body(req, err)) == NULL)
		return -1;
	if (read_report(body, &reason, &details, &hides, err) == -1)
		goto out;
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (reportable(req, review, reason, err) == -1)
		goto out;
	ids_new(id);
	snprintf(actor, sizeof(actor), "business:%s",
	    req->principal.business_unit_id);
	snprintf(subject, sizeof(subject), "review:%s", review);
	if (db_run(db, sql_report_insert, "sssssii", id, review,
	    req->principal.business_unit_id, reason,
	    details != NULL ? details : "", (int64_t)hides,
	    clock_now_ms()) == -1 ||
	    reviews_set_hidden(db, review, hides ? REVIEW_HIDE_PENDING :
	    REVIEW_HIDE_NO, reason) == -1 ||
	    audit_add(db, actor, "report-created", subject, reason) == -1)
		db_fail(db, err);
	else
		ret = answer(req, res, 201, id, "review-report-created",
		    false, hides ? "report-hidden" : NULL, NULL, err);
out:
	db_tx_rollback(db);
	return ret;
}

static const char sql_reports_list[] =
    "SELECT " REPORT_COLUMNS REPORT_FROM
    "WHERE (?1 IS NULL OR p.status = ?1) ORDER BY p.created_at, p.id "
    "LIMIT ?2 OFFSET ?3";

int
reports_admin_list(ROUTE_HANDLER_PARAMS)
{
	static const char *const statuses[] = { "pending", "upheld",
	    "rejected", NULL };
	const char		*status;
	struct handler_page	 p = { 1, 20 };

	status = request_query_enum(req, "status", statuses, "must be "
	    "pending, upheld or rejected", err);
	if (handler_page_args(req, PAGE_MAX, &p, err) == -1 ||
	    err->status != 0)
		return -1;
	return handler_page_query(req, res, &p, sql_reports_list,
	    report_json, "reports", err, "s", status);
}

/* The review and the reason of report id, which must be pending, inside
 * the caller's transaction: 0, or -1 with err set (404; 409 when it was
 * decided). */
static int
pending_report(struct db *db, const char *id, char review[IDS_ID_LEN + 1],
    char reason[REASON_LEN], struct api_error *err)
{
	struct db_stmt	*st;
	char		 status[16];
	int		 rc;

	rc = db_row(db, sql_report_by_id, &st, "s", id);
	if (handler_found(db, rc, NULL, "Report not found", err) == -1)
		return -1;
	snprintf(status, sizeof(status), "%s", db_text(st, P_STATUS));
	snprintf(review, IDS_ID_LEN + 1, "%s", db_text(st, P_REVIEW));
	snprintf(reason, REASON_LEN, "%s", db_text(st, P_REASON));
	db_release(st);
	if (strcmp(status, "pending") != 0) {
		api_error_set(err, 409, NULL, "This report was already "
		    "decided (%s)", status);
		return -1;
	}
	return 0;
}

static const char sql_decide[] =
    "UPDATE reports SET status = ?1, decision_note = ?2, decided_at = ?3 "
    "WHERE id = ?4 AND status = 'pending'";

int
reports_decide(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "decision", "note", NULL };
	struct db	*db = req->db;
	json_t		*body;	/* borrowed */
	const char	*id = request_param(req, "reportId");
	const char	*decision = NULL, *note = NULL;
	char		 review[IDS_ID_LEN + 1], reason[REASON_LEN];
	char		 subject[IDS_ID_LEN + 16];
	bool		 uphold = false;
	int		 ret = -1;

	if ((body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	if (json_read_string(body, "decision", true, 1, 16, &decision,
	    err) == 0) {
		if (strcmp(decision, "uphold") == 0)
			uphold = true;
		else if (strcmp(decision, "reject") != 0)
			api_error_set(err, 400, "decision", "must be uphold or "
			    "reject");
	}
	json_read_string(body, "note", false, 0, NOTE_MAX, &note, err);
	if (err->status != 0)
		goto out;
	if (db_tx_begin(db) == -1)
		goto dberr;
	if (pending_report(db, id, review, reason, err) == -1)
		goto out;
	snprintf(subject, sizeof(subject), "report:%s", id);
	if (db_run(db, sql_decide, "ssis", uphold ? "upheld" : "rejected",
	    note, clock_now_ms(), id) == -1 ||
	    reviews_set_hidden(db, review, uphold ? REVIEW_HIDE_REMOVED :
	    REVIEW_HIDE_LIFTED, reason) == -1 ||
	    audit_add(db, "admin", uphold ? "report-upheld" :
	    "report-rejected", subject, note) == -1)
		goto dberr;
	ret = answer(req, res, 200, id, "review-report-resolved", uphold,
	    uphold ? "report-removed" : "report-online", uphold ?
	    "report-upheld" : "report-rejected", err);
	goto out;
dberr:
	db_fail(db, err);
out:
	db_tx_rollback(db);
	return ret;
}
