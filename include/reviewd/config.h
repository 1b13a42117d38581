#ifndef REVIEWD_CONFIG_H
#define REVIEWD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "reviewd/log.h"

/*
 * The daemon's configuration: one INI file (libinih) over built-in defaults.
 * Filled once at start-up, read-only afterwards, shared by every thread.
 */

#define CONFIG_DEFAULT_PATH	"/etc/reviewd/reviewd.ini"
#define CONFIG_STR		256
#define CONFIG_PATH		1024
#define CONFIG_MAX_PROXIES	16

enum mail_starttls {
	MAIL_STARTTLS_REQUIRED,
	MAIL_STARTTLS_OPPORTUNISTIC,
	MAIL_STARTTLS_OFF
};

enum config_db_backend {
	CONFIG_DB_SQLITE,
	CONFIG_DB_POSTGRESQL
};

enum mail_transport {
	MAIL_TRANSPORT_MAILDIR,
	MAIL_TRANSPORT_SMTP
};

/* An address or network of [server] trusted_proxies. */
struct config_net {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* network order; 4 bytes for IPv4 */
	unsigned	 prefix;	/* bits that must match */
};

struct config {
	/* [server] */
	char			 listen[CONFIG_STR];
	struct sockaddr_storage	 listen_addr;
	socklen_t		 listen_addr_len;
	char			 public_url[CONFIG_STR];
	int64_t			 threads;
	int64_t			 max_body_bytes;
	int64_t			 connection_timeout_s;
	int64_t			 max_connections;
	int64_t			 max_upload_bytes;
	int64_t			 max_public_body_bytes;
	int64_t			 max_connections_per_ip;	/* 0: none */
	int64_t			 request_head_timeout_s;
	int64_t			 request_body_timeout_s;
	int64_t			 min_body_rate_bytes_s;
	char			 trusted_proxies[CONFIG_STR];
	struct config_net	 proxies[CONFIG_MAX_PROXIES];
	size_t			 nproxies;
	int64_t			 list_cache_bytes;	/* 0: no cache */
	/* [database] */
	char			 db_path[CONFIG_PATH];
	char			 migrations_dir[CONFIG_PATH];
	enum config_db_backend	 db_backend;
	char			 db_url[CONFIG_PATH];	/* postgresql */
	/* [mail] */
	enum mail_transport	 mail_transport;
	char			 maildir[CONFIG_PATH];
	char			 smtp_url[CONFIG_STR];
	char			 smtp_user[CONFIG_STR];
	char			 smtp_password[CONFIG_STR];
	char			 mail_from[CONFIG_STR];
	enum mail_starttls	 smtp_starttls;
	int64_t			 smtp_timeout_s;		/* any reply */
	int64_t			 smtp_data_timeout_s;	/* end of DATA */
	char			 mail_platform_name[CONFIG_STR];
	/* [outbox] */
	int64_t			 outbox_batch;
	int64_t			 outbox_lease_s;
	int64_t			 outbox_give_up_s;
	int64_t			 outbox_retry_base_s;
	int64_t			 outbox_retry_cap_s;
	/* [reviews] */
	int64_t			 review_confirm_ttl_h;
	int64_t			 review_duplicate_days;
	int64_t			 review_submissions_per_day;	/* per client */
	int64_t			 review_submissions_per_day_all;
	/* [invitations] */
	int64_t			 invitation_link_days;
	int64_t			 invitation_repeat_days;
	int64_t			 invitation_dispatch_batch;
	int64_t			 invitation_idempotency_h;
	int64_t			 invitation_daily_limit;	/* 0: none */
	/* [findreviewer] */
	int64_t			 findreviewer_reply_days;
	/* [afs] */
	char			 afs_domain[CONFIG_STR];
	int64_t			 afs_max_message_bytes;
	/* [links] */
	char			 links_master_key[CONFIG_STR];	/* base64 */
	bool			 links_generate_master_key;
	/* [webhooks] */
	bool			 webhooks_allow_private;
	int64_t			 webhooks_timeout_s;
	int64_t			 webhooks_concurrency;	/* in flight */
	int64_t			 webhooks_per_destination;
	/* [admin] */
	char			 admin_token[CONFIG_STR];
	/* [auth] */
	int64_t			 access_token_ttl_s;
	int64_t			 refresh_token_ttl_s;
	int64_t			 token_requests_per_minute;
	int64_t			 auth_max_failures;	/* per subject */
	int64_t			 auth_failure_window_s;
	/* [ratelimit] */
	int64_t			 ratelimit_app_per_minute;
	int64_t			 ratelimit_address_per_minute;
	/* [log] */
	enum log_level		 log_level;
	/* [testing] */
	bool			 clock_control;
};

/* Fills cfg with the built-in defaults (always valid). */
void	config_defaults(struct config *cfg);

/*
 * Reads path over the defaults. When path is NULL the default path is used,
 * and its absence is not an error (the defaults apply). Returns 0, or -1
 * with "FILE:LINE: what is wrong" in err (LINE is 0 when the problem is not
 * on one line, e.g. the file cannot be read).
 */
int	config_load(const char *path, struct config *cfg, char *err,
	    size_t errlen);

/* As config_load on INI text; name is used in error messages. */
int	config_parse_string(const char *text, const char *name,
	    struct config *cfg, char *err, size_t errlen);

/* True when the address (family AF_INET with 4 bytes or AF_INET6 with 16;
 * IPv4-mapped IPv6 counts as IPv4) is in [server] trusted_proxies. */
bool	config_trusted_proxy(const struct config *cfg, int family,
	    const unsigned char *addr);

/* True when the listen address is a loopback one. */
bool	config_listen_is_loopback(const struct config *cfg);

/* The configuration the daemon runs with: main shares it once, before
 * any thread starts; the modules read it there, also outside a request
 * (scheduler jobs, the CLI). NULL before. */
void			 config_share(const struct config *cfg);
const struct config	*config_shared(void);

#endif
