/*
 * Configuration (src/config.c) from arbitrary INI text, as a file would
 * give it. Invariants: a refusal reads "NAME:LINE: reason" with a line of
 * the text; an accepted file gives the same configuration when read
 * again, every integer within its documented bounds, every string
 * terminated within its field, no control character in the values that
 * go into headers and logs, the cross-key rules (clock_control only on
 * loopback, smtp only with a URL), every trusted proxy network trusting
 * its own address; and a message composed with its [mail] from keeps its
 * headers free of bare CR or LF.
 */
#include <arpa/inet.h>

#include <jansson.h>

#include "reviewd/buf.h"
#include "reviewd/config.h"
#include "reviewd/mailer.h"
#include "reviewd/utf8.h"

#include "fuzz.h"

#define IN(v, lo, hi)	((v) >= (lo) && (v) <= (hi))

static int
no_controls(const char *s, size_t size)
{
	const unsigned char	*p = (const unsigned char *)s;

	if (strnlen(s, size) == size)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	}
	return 1;
}

static void
check_accepted(const struct config *c)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	size_t	 i;

	FUZZ_ASSERT(IN(c->threads, 1, 256));
	FUZZ_ASSERT(IN(c->max_body_bytes, 1024, 1073741824));
	FUZZ_ASSERT(IN(c->max_upload_bytes, 1024, 1073741824));
	FUZZ_ASSERT(IN(c->max_connections, 1, 65536));
	FUZZ_ASSERT(IN(c->connection_timeout_s, 1, 3600));
	FUZZ_ASSERT(IN(c->outbox_batch, 1, 1000));
	FUZZ_ASSERT(IN(c->outbox_lease_s, 5, 3600));
	FUZZ_ASSERT(IN(c->outbox_retry_base_s, 1, 3600));
	FUZZ_ASSERT(IN(c->outbox_retry_cap_s, 1, 86400));
	FUZZ_ASSERT(IN(c->smtp_timeout_s, 1, 3600));
	FUZZ_ASSERT(IN(c->afs_max_message_bytes, 1024, 104857600));
	FUZZ_ASSERT(IN(c->invitation_dispatch_batch, 1, 10000));
	FUZZ_ASSERT(IN(c->webhooks_timeout_s, 1, 300));
	FUZZ_ASSERT(IN(c->access_token_ttl_s, 60, 31536000));
	FUZZ_ASSERT(IN((int)c->log_level, LOG_LEVEL_ERROR, LOG_LEVEL_DEBUG));
	FUZZ_ASSERT(c->mail_transport == MAIL_TRANSPORT_MAILDIR ||
	    c->mail_transport == MAIL_TRANSPORT_SMTP);
	FUZZ_ASSERT(c->smtp_starttls == MAIL_STARTTLS_REQUIRED ||
	    c->smtp_starttls == MAIL_STARTTLS_OPPORTUNISTIC ||
	    c->smtp_starttls == MAIL_STARTTLS_OFF);
	FUZZ_ASSERT(strnlen(c->db_path, sizeof(c->db_path)) <
	    sizeof(c->db_path));
	FUZZ_ASSERT(strnlen(c->maildir, sizeof(c->maildir)) <
	    sizeof(c->maildir));
	FUZZ_ASSERT(no_controls(c->mail_from, sizeof(c->mail_from)));
	FUZZ_ASSERT(no_controls(c->smtp_user, sizeof(c->smtp_user)));
	FUZZ_ASSERT(no_controls(c->smtp_password, sizeof(c->smtp_password)));
	FUZZ_ASSERT(no_controls(c->smtp_url, sizeof(c->smtp_url)));
	FUZZ_ASSERT(no_controls(c->public_url, sizeof(c->public_url)));
	FUZZ_ASSERT(no_controls(c->afs_domain, sizeof(c->afs_domain)));
	FUZZ_ASSERT(no_controls(c->admin_token, sizeof(c->admin_token)));
	FUZZ_ASSERT(no_controls(c->mail_platform_name,
	    sizeof(c->mail_platform_name)));
	FUZZ_ASSERT(IN(strlen(c->mail_platform_name), 1, 64));
	FUZZ_ASSERT(strncmp(c->public_url, "http://", 7) == 0 ||
	    strncmp(c->public_url, "https://", 8) == 0);
	FUZZ_ASSERT(c->public_url[strlen(c->public_url) - 1] != '/');
	FUZZ_ASSERT(c->links_master_key[0] == '\0' ||
	    strlen(c->links_master_key) == 44);
	FUZZ_ASSERT(c->admin_token[0] == '\0' ||
	    strlen(c->admin_token) >= 16);
	FUZZ_ASSERT(!c->clock_control || config_listen_is_loopback(c));
	FUZZ_ASSERT(c->mail_transport != MAIL_TRANSPORT_SMTP ||
	    c->smtp_url[0] != '\0');
	FUZZ_ASSERT((c->listen_addr.ss_family == AF_INET &&
	    c->listen_addr_len == sizeof(struct sockaddr_in)) ||
	    (c->listen_addr.ss_family == AF_INET6 &&
	    c->listen_addr_len == sizeof(struct sockaddr_in6)));
	FUZZ_ASSERT(c->nproxies <= CONFIG_MAX_PROXIES);
	for (i = 0; i < c->nproxies; i++) {
		const struct config_net *n = &c->proxies[i];

		FUZZ_ASSERT((n->family == AF_INET && n->prefix <= 32) ||
		    (n->family == AF_INET6 && n->prefix <= 128));
		/* an IPv4-mapped network is read as IPv4 by the lookup */
		if (n->family == AF_INET6 && memcmp(n->addr, mapped, 12) == 0)
			continue;
		FUZZ_ASSERT(config_trusted_proxy(c, n->family, n->addr));
	}
}

/* A valid message composed with the configuration's sender. */
static void
check_compose(const struct config *c)
{
	struct buf	 out;
	json_t		*msg;

	msg = json_pack("{s:s, s:s, s:s, s:s}", "to", "c@example.com",
	    "subject", "Hello", "text", "text", "html", "<p>html</p>");
	FUZZ_ASSERT(msg != NULL);
	buf_init(&out, 1024 * 1024);
	FUZZ_ASSERT(mailer_compose(c, msg, "0123456789abcdef", 0, &out) == 0);
	(void)fuzz_check_message(out.data);
	FUZZ_ASSERT(strncmp(out.data, "Message-ID: <0123456789abcdef@",
	    30) == 0);
	json_decref(msg);
	buf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config	 cfg, again;
	char			*text = fuzz_string(data, size);
	char			 err[512], err2[512], *end;
	const char		*p;
	long			 line, lines = 1;
	int			 rc;

	for (p = text; *p != '\0'; p++)
		lines += *p == '\n';
	err[0] = '\0';
	rc = config_parse_string(text, "fuzz.ini", &cfg, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -1);
	err2[0] = '\0';
	FUZZ_ASSERT(config_parse_string(text, "fuzz.ini", &again, err2,
	    sizeof(err2)) == rc);
	if (rc == -1) {
		FUZZ_ASSERT(strncmp(err, "fuzz.ini:", 9) == 0);
		line = strtol(err + 9, &end, 10);
		FUZZ_ASSERT(end > err + 9 && *end == ':' && end[1] == ' ' &&
		    end[2] != '\0');
		FUZZ_ASSERT(line >= 0 && line <= lines);
		FUZZ_ASSERT(strcmp(err, err2) == 0);
	} else {
		FUZZ_ASSERT(memcmp(&cfg, &again, sizeof(cfg)) == 0);
		check_accepted(&cfg);
		/* a [mail] from that is not UTF-8 is refused: every
		 * accepted configuration composes */
		FUZZ_ASSERT(utf8_valid(cfg.mail_from));
		check_compose(&cfg);
	}
	free(text);
	return 0;
}
