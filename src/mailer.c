/*
 * mailer: the transports (addresses, message checks, templates and RFC
 * 5322 composition are in mailer_compose.c: pure, any thread). A session
 * (mailer_open) sends on one thread: the e-mail lane's, or for the maildir
 * the dispatch's rendering threads at once (mailer.h). The maildir
 * transport writes tmp/NAME and renames it to new/NAME: a reader never
 * sees half a message, and NAME derives from the outbox id, so a resend
 * replaces, not doubles. It works in batches: mailer_send writes tmp/
 * only, mailer_flush makes the batch durable with one syncfs(2) (one fsync
 * per message would cost a journal commit each: ~250 messages/s), renames
 * it into new/ and fsyncs new/, so the outbox records the batch delivered
 * only once it is there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "reviewd/clock.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/mailer_internal.h"

#define MESSAGE_MAX	(4 * 1024 * 1024)

/* Transports. */

struct mailer {
	const struct config	*cfg;
	CURL			*curl;	/* SMTP: kept for the batch */
	/* maildir: the batch's state below, for senders on several
	 * threads (the files themselves are written outside it) */
	pthread_mutex_t		 lock;
	char			**pending;	/* maildir: names in tmp/ */
	size_t			 npending, cap;
	/* maildir: tmp/, opened before the batch's first write, so that
	 * syncfs on it reports every writeback error of the batch (the
	 * error state is sampled when a descriptor is opened); -1 */
	int			 batch_fd;
	bool			 synced;	/* mailer_sync since the
						   last write */
	/* pending holds the names the last mailer_flush put into new/,
	 * kept for mailer_unflush until the next write or the close */
	bool			 flushed;
};

static int
make_dir(const char *path)
{
	if (mkdir(path, 0750) == -1 && errno != EEXIST) {
		log_error_errno("mailer: cannot create dir=%s", path);
		return -1;
	}
	return 0;
}

/*
 * Removes our messages left in tmp/ by a batch never flushed (a crash):
 * their rows are still due and are written again, or were erased since,
 * and then the copy must not stay on disk. A batch of another process
 * that loses a file this way fails its flush and is sent again.
 */
static void
remove_unflushed(const char *maildir)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	size_t		 len;

	if (snprintf(path, sizeof(path), "%s/tmp", maildir) >=
	    (int)sizeof(path) || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= strlen(".reviewd") || strcmp(de->d_name + len -
		    strlen(".reviewd"), ".reviewd") != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("mailer: removed unflushed tmp/%s",
			    de->d_name);
	}
	(void)closedir(d);
}

int
mailer_init(const struct config *cfg)
{
	static const char *const subdirs[] = { "tmp", "new", "cur" };
	char	 path[PATH_MAX];
	size_t	 i;

	if (cfg->mail_transport != MAIL_TRANSPORT_MAILDIR)
		return 0;
	if (make_dir(cfg->maildir) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", cfg->maildir,
		    subdirs[i]) >= (int)sizeof(path) || make_dir(path) == -1)
			return -1;
	}
	remove_unflushed(cfg->maildir);
	return 0;
}

struct mailer *
mailer_open(const struct config *cfg)
{
	struct mailer	*m = calloc(1, sizeof(*m));

	if (m != NULL && pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	if (m != NULL) {
		m->cfg = cfg;
		m->batch_fd = -1;
	}
	return m;
}

/* Forgets the pending names; with unlink, removes their tmp/ files too
 * (a batch not flushed is sent again, under the same names). */
static void
drop_pending(struct mailer *m, bool unlink_tmp)
{
	char	 tmp[PATH_MAX];
	size_t	 i;

	for (i = 0; i < m->npending; i++) {
		if (unlink_tmp && snprintf(tmp, sizeof(tmp),
		    "%s/tmp/%s.reviewd", m->cfg->maildir,
		    m->pending[i]) < (int)sizeof(tmp))
			(void)unlink(tmp);	/* gone already is fine */
		free(m->pending[i]);
	}
	m->npending = 0;
	m->flushed = false;
	if (m->batch_fd != -1)
		(void)close(m->batch_fd);	/* read-only */
	m->batch_fd = -1;
	m->synced = false;
}

void
mailer_close(struct mailer *m)
{
	if (m == NULL)
		return;
	if (m->curl != NULL)
		curl_easy_cleanup(m->curl);
	/* flushed: the names are in new/, their tmp/ files gone already */
	drop_pending(m, !m->flushed);
	free(m->pending);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Remembers id as written to tmp/ and waiting for mailer_flush. 0 or -1. */
static int
add_pending(struct mailer *m, const char *id)
{
	char	**p;
	size_t	  cap;

	if (m->npending == m->cap) {
		cap = m->cap == 0 ? 64 : m->cap * 2;
		p = reallocarray(m->pending, cap, sizeof(*p));
		if (p == NULL)
			return -1;
		m->pending = p;
		m->cap = cap;
	}
	if ((m->pending[m->npending] = strdup(id)) == NULL)
		return -1;
	m->npending++;
	return 0;
}

static enum mailer_result
send_maildir(struct mailer *m, const char *id, const struct buf *text,
    char *why, size_t whylen)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX];
	int	 fd, added;
	size_t	 off = 0;
	ssize_t	 n;

	/* new/NAME is as long as tmp/NAME */
	if (snprintf(tmp, sizeof(tmp), "%s/tmp/%s.reviewd", m->cfg->maildir,
	    id) >= (int)sizeof(tmp)) {
		snprintf(why, whylen, "maildir path too long");
		return MAILER_REJECTED;
	}
	pthread_mutex_lock(&m->lock);
	if (m->flushed)
		drop_pending(m, false);	/* a new batch */
	if (m->batch_fd == -1) {
		(void)snprintf(dir, sizeof(dir), "%s/tmp", m->cfg->maildir);
		m->batch_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	fd = m->batch_fd;
	pthread_mutex_unlock(&m->lock);
	if (fd == -1)
		goto fail;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1)
		goto fail;
	while (off < text->len) {
		n = write(fd, text->data + off, text->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			close(fd);
			goto fail;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1)
		goto fail;
	pthread_mutex_lock(&m->lock);
	m->synced = false;
	added = add_pending(m, id);
	pthread_mutex_unlock(&m->lock);
	if (added == -1) {
		errno = ENOMEM;
		goto fail;
	}
	return MAILER_SENT;
fail:
	snprintf(why, whylen, "maildir: %s", strerror(errno));
	(void)unlink(tmp);
	return MAILER_RETRY;
}

/* fsync of the directory path; 0 or -1 (errno set). */
static int
sync_dir(const char *path)
{
	int	 fd, rc, saved;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	(void)close(fd);	/* read-only: nothing to lose */
	errno = saved;
	return rc;
}

/*
 * The batch's messages in tmp/ go to disk with one syncfs on the
 * descriptor opened before the batch's first write (since Linux 5.8 it
 * reports every writeback error of the file system after that), then
 * into new/,
 * whose entries one fsync makes durable. A failure takes back the renames
 * it did (a message in new/ must be one its caller records); the names
 * stay known until the next write, for mailer_unflush.
 */
int
mailer_flush(struct mailer *m, char *why, size_t whylen)
{
	char	 dir[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX];
	size_t	 i, renamed = 0;
	int	 ret = -1, saved;

	if (m == NULL || m->npending == 0 || m->flushed)
		return 0;
	if (!m->synced && syncfs(m->batch_fd) == -1)
		goto out;
	for (i = 0; i < m->npending; i++, renamed++) {
		/* lengths checked by send_maildir */
		(void)snprintf(tmp, sizeof(tmp), "%s/tmp/%s.reviewd",
		    m->cfg->maildir, m->pending[i]);
		(void)snprintf(dst, sizeof(dst), "%s/new/%s.reviewd",
		    m->cfg->maildir, m->pending[i]);
		if (rename(tmp, dst) == -1)
			goto out;
	}
	(void)snprintf(dir, sizeof(dir), "%s/new", m->cfg->maildir);
	if (sync_dir(dir) == -1)
		goto out;
	ret = 0;
out:
	if (ret == 0) {
		m->flushed = true;
		return 0;
	}
	saved = errno;
	for (i = 0; i < renamed; i++) {
		(void)snprintf(dst, sizeof(dst), "%s/new/%s.reviewd",
		    m->cfg->maildir, m->pending[i]);
		(void)unlink(dst);
	}
	snprintf(why, whylen, "maildir: %s", strerror(saved));
	drop_pending(m, true);
	return -1;
}

void
mailer_unflush(struct mailer *m)
{
	char	 dst[PATH_MAX];
	size_t	 i;

	if (m == NULL || !m->flushed)
		return;
	for (i = 0; i < m->npending; i++) {
		if (snprintf(dst, sizeof(dst), "%s/new/%s.reviewd",
		    m->cfg->maildir, m->pending[i]) < (int)sizeof(dst))
			(void)unlink(dst);
	}
	drop_pending(m, false);
}

int
mailer_sync(struct mailer *m, char *why, size_t whylen)
{
	if (m == NULL || m->npending == 0 || m->synced || m->flushed)
		return 0;
	if (syncfs(m->batch_fd) == -1) {
		snprintf(why, whylen, "maildir: %s", strerror(errno));
		return -1;
	}
	m->synced = true;
	return 0;
}

void
mailer_forget(struct mailer *m, const char *id)
{
	char	 tmp[PATH_MAX];
	size_t	 i;

	for (i = 0; m != NULL && i < m->npending; i++) {
		if (strcmp(m->pending[i], id) != 0)
			continue;
		if (snprintf(tmp, sizeof(tmp), "%s/tmp/%s.reviewd",
		    m->cfg->maildir, id) < (int)sizeof(tmp))
			(void)unlink(tmp);
		free(m->pending[i]);
		m->pending[i] = m->pending[--m->npending];
		return;
	}
}

/*
 * SMTP. One easy handle per batch, so libcurl keeps the connection and
 * sends the batch's messages over it. A transfer is watched: the debug
 * callback sees each command go out and each reply come in, so that a
 * failure is judged by the command it answered (RFC 5321 4.2: a refusal
 * of the session, the sender or the login is the transport's; only a
 * refused recipient or message is the message's), and the progress
 * callback ends a wait longer than RFC 5321 4.5.3.2 allows: [mail]
 * timeout_s for any reply and each block of the message, [mail]
 * data_timeout_s for the reply to its end (after which giving up means
 * sending it twice).
 */
enum smtp_phase {
	PHASE_SESSION,		/* connect, greeting, EHLO, STARTTLS, AUTH */
	PHASE_MAIL,
	PHASE_RCPT,
	PHASE_DATA,		/* the DATA command and the message */
	PHASE_END		/* the message sent, its reply awaited */
};

static const char *const phase_names[] = {
	[PHASE_SESSION] = "the session",
	[PHASE_MAIL] = "MAIL FROM",
	[PHASE_RCPT] = "RCPT TO",
	[PHASE_DATA] = "DATA",
	[PHASE_END] = "the end of the message",
};

struct smtp_watch {
	const char	*data;		/* the message */
	size_t		 len, off;
	enum smtp_phase	 phase;
	int64_t		 last_ns;	/* monotonic: the last sign of life */
	curl_off_t	 sent;		/* bytes uploaded at last_ns */
	int64_t		 limit_s;	/* set when the watch gave up */
	const struct config *cfg;
};

static size_t
read_upload(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct smtp_watch	*w = arg;
	size_t			 n = size * nmemb;

	if (n > w->len - w->off)
		n = w->len - w->off;
	memcpy(dst, w->data + w->off, n);
	w->off += n;
	w->last_ns = clock_mono_ns();
	if (n == 0)
		w->phase = PHASE_END;
	return n;
}

static bool
is_command(const char *data, size_t size, const char *verb)
{
	size_t	 n = strlen(verb);

	return size >= n && strncasecmp(data, verb, n) == 0;
}

/* Follows the commands going out; any traffic is a sign of life. */
static int
watch_traffic(CURL *curl, curl_infotype type, char *data, size_t size,
    void *arg)
{
	struct smtp_watch	*w = arg;

	(void)curl;
	if (type == CURLINFO_TEXT)
		return 0;
	w->last_ns = clock_mono_ns();
	if (type != CURLINFO_HEADER_OUT || w->phase == PHASE_END)
		return 0;
	if (is_command(data, size, "MAIL FROM"))
		w->phase = PHASE_MAIL;
	else if (is_command(data, size, "RCPT TO"))
		w->phase = PHASE_RCPT;
	else if (is_command(data, size, "DATA"))
		w->phase = PHASE_DATA;
	return 0;
}

/* Ends the transfer after too long a silence (see above). */
static int
watch_time(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct smtp_watch	*w = arg;
	int64_t			 limit;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (ulnow != w->sent) {
		w->sent = ulnow;
		w->last_ns = clock_mono_ns();
	}
	limit = w->phase == PHASE_END ? w->cfg->smtp_data_timeout_s :
	    w->cfg->smtp_timeout_s;
	if (clock_mono_ns() - w->last_ns <= limit * 1000000000)
		return 0;
	w->limit_s = limit;
	return 1;
}

/*
 * The judgement of a failed transfer by what it was doing: a 5xx to a
 * recipient or to the message refuses this message; a 4xx to them is
 * its temporary failure; a timeout or a dropped connection after the
 * message went out is retried (it may have arrived: the resend has the
 * same Message-ID). Anything else is the transport's: the session, the
 * login (530/535 at any point), 421, our sender address.
 */
static enum mailer_result
judge_smtp(enum smtp_phase phase, long code, bool timed_out)
{
	if (code == 421 || code == 530 || code == 534 || code == 535 ||
	    code == 538)
		return MAILER_TRANSPORT;
	switch (phase) {
	case PHASE_RCPT:
	case PHASE_DATA:
		if (code >= 500 && code <= 599)
			return MAILER_REJECTED;
		return code >= 400 && code <= 499 ? MAILER_RETRY :
		    MAILER_TRANSPORT;
	case PHASE_END:
		if (code >= 500 && code <= 599 && !timed_out)
			return MAILER_REJECTED;
		return MAILER_RETRY;
	case PHASE_MAIL:
		/* 552: the size the message declared is too large */
		return code == 552 ? MAILER_REJECTED : MAILER_TRANSPORT;
	case PHASE_SESSION:
		break;
	}
	return MAILER_TRANSPORT;
}

/* The options of one message's transfer on m's handle. 0 or -1. */
static int
smtp_options(struct mailer *m, struct smtp_watch *w, const char *from,
    struct curl_slist *rcpt)
{
	const struct config	*cfg = m->cfg;
	CURL			*c = m->curl;
	long			 ssl, reply_s;

	ssl = cfg->smtp_starttls == MAIL_STARTTLS_REQUIRED ? CURLUSESSL_ALL :
	    cfg->smtp_starttls == MAIL_STARTTLS_OPPORTUNISTIC ?
	    CURLUSESSL_TRY : CURLUSESSL_NONE;
	reply_s = (long)(cfg->smtp_data_timeout_s > cfg->smtp_timeout_s ?
	    cfg->smtp_data_timeout_s : cfg->smtp_timeout_s);
	if (curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READDATA, w) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USE_SSL, ssl) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    (long)(cfg->smtp_timeout_s < 30 ? cfg->smtp_timeout_s : 30)) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, reply_s) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, watch_traffic) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_DEBUGDATA, w) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, watch_time) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_XFERINFODATA, w) != CURLE_OK)
		return -1;
	if (cfg->smtp_user[0] != '\0' &&
	    (curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user) !=
	    CURLE_OK || curl_easy_setopt(c, CURLOPT_PASSWORD,
	    cfg->smtp_password) != CURLE_OK))
		return -1;
	return 0;
}

static enum mailer_result
send_smtp(struct mailer *m, json_t *msg, const struct buf *text, char *why,
    size_t whylen)
{
	struct curl_slist	*rcpt = NULL;
	struct smtp_watch	 w;
	char			 from_name[CONFIG_STR], addr[CONFIG_STR];
	char			 from[CONFIG_STR + 2];
	char			 to[MAILER_ADDRESS_MAX + 3];
	long			 code = 0;
	CURLcode		 rc;
	enum mailer_result	 result = MAILER_RETRY;

	if (m->curl == NULL && (m->curl = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "curl: cannot initialise");
		return MAILER_RETRY;
	}
	/* keeps the connection: the next message goes over it */
	curl_easy_reset(m->curl);
	memset(&w, 0, sizeof(w));
	w.data = text->data;
	w.len = text->len;
	w.phase = PHASE_SESSION;
	w.last_ns = clock_mono_ns();
	w.cfg = m->cfg;
	from_parts(m->cfg->mail_from, from_name, sizeof(from_name), addr,
	    sizeof(addr));
	snprintf(from, sizeof(from), "<%s>", addr);
	snprintf(to, sizeof(to), "<%s>",
	    json_string_value(json_object_get(msg, "to")));
	rcpt = curl_slist_append(NULL, to);
	if (rcpt == NULL || smtp_options(m, &w, from, rcpt) == -1) {
		snprintf(why, whylen, "curl: cannot set options");
		goto out;
	}
	rc = curl_easy_perform(m->curl);
	if (rc == CURLE_OK) {
		result = MAILER_SENT;
		goto out;
	}
	(void)curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &code);
	if (w.limit_s > 0)
		snprintf(why, whylen, "smtp: no answer to %s in %lld s",
		    phase_names[w.phase], (long long)w.limit_s);
	else
		snprintf(why, whylen, "smtp: %s (reply %ld to %s)",
		    curl_easy_strerror(rc), code, phase_names[w.phase]);
	result = judge_smtp(w.phase, code, w.limit_s > 0 ||
	    rc == CURLE_OPERATION_TIMEDOUT);
	if (result == MAILER_TRANSPORT) {
		/* a session refused or broken is not reused */
		curl_easy_cleanup(m->curl);
		m->curl = NULL;
	}
out:
	curl_slist_free_all(rcpt);
	return result;
}

enum mailer_result
mailer_send(struct mailer *m, const char *id, json_t *msg, char *why,
    size_t whylen)
{
	struct buf		 text;
	enum mailer_result	 r;

	buf_init(&text, MESSAGE_MAX);
	if (mailer_compose(m->cfg, msg, id, clock_now_ms(), &text) == -1) {
		buf_release(&text);
		snprintf(why, whylen, "the message cannot be composed");
		return MAILER_REJECTED;
	}
	if (m->cfg->mail_transport == MAIL_TRANSPORT_MAILDIR)
		r = send_maildir(m, id, &text, why, whylen);
	else
		r = send_smtp(m, msg, &text, why, whylen);
	buf_release(&text);
	return r;
}

/* for cli_ops: the mail transport's self-check (reviewd check). */

static size_t
discard(char *p, size_t size, size_t nmemb, void *arg)
{
	(void)p;
	(void)arg;
	return size * nmemb;
}

/* Connects, EHLO, STARTTLS and AUTH as a delivery would, then NOOP and
 * QUIT: no MAIL FROM, nothing is sent. */
static int
probe_smtp(const struct config *cfg, char *what, size_t whatlen)
{
	CURL		*curl;
	CURLcode	 rc;
	long		 code = 0, ssl;
	int		 ret = -1;

	curl = curl_easy_init();
	if (curl == NULL) {
		snprintf(what, whatlen, "curl: cannot initialise");
		return -1;
	}
	ssl = cfg->smtp_starttls == MAIL_STARTTLS_REQUIRED ? CURLUSESSL_ALL :
	    cfg->smtp_starttls == MAIL_STARTTLS_OPPORTUNISTIC ?
	    CURLUSESSL_TRY : CURLUSESSL_NONE;
	if (curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "NOOP") !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_USE_SSL, ssl) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT,
	    (long)cfg->smtp_timeout_s) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
	    (long)(cfg->smtp_timeout_s < 10 ? cfg->smtp_timeout_s : 10)) !=
	    CURLE_OK ||
	    (cfg->smtp_user[0] != '\0' &&
	    (curl_easy_setopt(curl, CURLOPT_USERNAME,
	    cfg->smtp_user) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_PASSWORD,
	    cfg->smtp_password) != CURLE_OK))) {
		snprintf(what, whatlen, "curl: cannot set options");
		goto out;
	}
	rc = curl_easy_perform(curl);
	(void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		snprintf(what, whatlen, "%s: %s (reply %ld)", cfg->smtp_url,
		    curl_easy_strerror(rc), code);
		goto out;
	}
	snprintf(what, whatlen, "%s: greeting, EHLO%s%s and NOOP accepted "
	    "(reply %ld); nothing sent", cfg->smtp_url,
	    ssl == CURLUSESSL_ALL ? ", STARTTLS" : "",
	    cfg->smtp_user[0] != '\0' ? ", AUTH" : "", code);
	ret = 0;
out:
	curl_easy_cleanup(curl);	/* sends QUIT */
	return ret;
}

/* Creates and removes a file where deliveries write (tmp/), or, before
 * the first start, checks the directory that will hold the maildir. */
static int
probe_maildir(const struct config *cfg, char *what, size_t whatlen)
{
	char		 path[PATH_MAX], *slash;
	struct stat	 sb;
	int		 fd;

	if (stat(cfg->maildir, &sb) == -1) {
		snprintf(path, sizeof(path), "%s", cfg->maildir);
		slash = strrchr(path, '/');
		if (slash != NULL && slash != path)
			*slash = '\0';
		else if (slash == NULL)
			snprintf(path, sizeof(path), ".");
		if (access(path, W_OK | X_OK) == -1) {
			snprintf(what, whatlen, "maildir %s does not exist and "
			    "%s is not writable: %s", cfg->maildir, path,
			    strerror(errno));
			return -1;
		}
		snprintf(what, whatlen, "maildir %s does not exist yet; "
		    "serve creates it", cfg->maildir);
		return 0;
	}
	if (snprintf(path, sizeof(path), "%s/tmp", cfg->maildir) >=
	    (int)sizeof(path))
		return -1;
	if (snprintf(path, sizeof(path), stat(path, &sb) == 0 ?
	    "%s/tmp/.check-XXXXXX" : "%s/.check-XXXXXX", cfg->maildir) >=
	    (int)sizeof(path))
		return -1;
	fd = mkstemp(path);
	if (fd == -1) {
		snprintf(what, whatlen, "maildir %s is not writable: %s",
		    cfg->maildir, strerror(errno));
		return -1;
	}
	(void)close(fd);
	(void)unlink(path);
	snprintf(what, whatlen, "maildir %s is writable", cfg->maildir);
	return 0;
}

int
mailer_probe(const struct config *cfg, char *what, size_t whatlen)
{
	if (cfg->mail_transport == MAIL_TRANSPORT_SMTP)
		return probe_smtp(cfg, what, whatlen);
	return probe_maildir(cfg, what, whatlen);
}
