/*
 * main: argv, configuration, start/stop order, signals, sd_notify, and the
 * CLI commands (thin wrappers over the modules). Exit codes: 0 ok, 2 usage
 * or configuration error, 1 any other failure.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <systemd/sd-daemon.h>

#include "reviewd/afs.h"
#include "reviewd/auth.h"
#include "reviewd/auth_tokens.h"
#include "reviewd/buf.h"
#include "reviewd/business.h"
#include "reviewd/cli_ops.h"
#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/erasure.h"
#include "reviewd/findreviewer.h"
#include "reviewd/health.h"
#include "reviewd/http.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_dispatch.h"
#include "reviewd/links_master.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/oauth_authorize.h"
#include "reviewd/outbox.h"
#include "reviewd/outbox_mail.h"
#include "reviewd/rate_limit.h"
#include "reviewd/reviews.h"
#include "reviewd/routes.h"
#include "reviewd/scheduler.h"
#include "reviewd/watchdog.h"
#include "reviewd/webhooks.h"

#define EXIT_USAGE	2
#define REVIEWD_VERSION	"0.1.0"

static const char usage_text[] =
    "usage: reviewd [--config FILE] [COMMAND]\n"
    "\n"
    "commands:\n"
    "  serve                         run the daemon (the default)\n"
    "  migrate                       apply pending database migrations\n"
    "  business create --name NAME --domain DOMAIN [--website URL]\n"
    "                  [--country CC] [--notification-email ADDRESS]\n"
    "                                create a business unit, print it\n"
    "  business list                 print every business unit\n"
    "  app create --business ID [--name NAME] [--redirect-uri URI]...\n"
    "             [--public]         create an API application; prints\n"
    "                                its key and secret (shown once);\n"
    "                                --redirect-uri (repeatable) for\n"
    "                                the authorization-code flow,\n"
    "                                --public: no secret, PKCE only\n"
    "  user create --business ID --username NAME\n"
    "                                create a business user; reads the\n"
    "                                password from stdin\n"
    "  user unlock --business ID --username NAME\n"
    "                                lift the sign-in throttle of a user\n"
    "  reviewer erase --email ADDRESS\n"
    "                                erase one person everywhere: their\n"
    "                                reviews become anonymous, their\n"
    "                                invitations and e-mails are erased\n"
    "  afs-receive --recipient ADDRESS\n"
    "                                read one order e-mail on stdin (an\n"
    "                                MTA pipe); exit 0 taken, 67 unknown\n"
    "                                address, 65 unusable, 75 try later\n"
    "  check                         check the configuration, the database\n"
    "                                (migrations due) and the mail\n"
    "                                transport without sending; exit 0 ok,\n"
    "                                2 config, 3 database, 4 mail\n"
    "  backup --to FILE              copy the database, consistent and\n"
    "                                online, to FILE (must not exist)\n"
    "  check-backup FILE             check a backup: integrity, schema\n"
    "                                version, row counts\n"
    "  copy-data --to postgresql://USER@HOST/DB\n"
    "                                copy the SQLite database into an\n"
    "                                empty PostgreSQL one (the upgrade\n"
    "                                path), check and print row counts\n"
    "  version                       print the version\n"
    "\n"
    "--config FILE defaults to " CONFIG_DEFAULT_PATH ", and the built-in\n"
    "defaults apply when that file does not exist.\n";

static int
usage(FILE *f, int code)
{
	fputs(usage_text, f);
	return code;
}

/* Reads "--name value" pairs of argv[first..]; only names in allowed. */
static int
options(int argc, char **argv, int first, const char *const *allowed,
    const char **values)
{
	int	 i;
	size_t	 k;

	for (i = first; i < argc; i += 2) {
		for (k = 0; allowed[k] != NULL; k++) {
			if (strcmp(argv[i], allowed[k]) == 0)
				break;
		}
		if (allowed[k] == NULL || i + 1 >= argc) {
			fprintf(stderr, "reviewd: %s: %s\n", argv[i],
			    allowed[k] == NULL ? "unknown option" :
			    "needs a value");
			return -1;
		}
		values[k] = argv[i + 1];
	}
	return 0;
}

/* Prints an API error of a CLI command and maps it to an exit code. */
static int
cli_fail(const struct api_error *err)
{
	size_t	 i;

	if (err->message[0] != '\0')
		fprintf(stderr, "reviewd: %s\n", err->message);
	for (i = 0; i < err->ndetails; i++)
		fprintf(stderr, "reviewd: %s: %s\n", err->details[i].field,
		    err->details[i].reason);
	return err->status == 400 ? EXIT_USAGE : EXIT_FAILURE;
}

static int
print_json(json_t *o)
{
	int	 r = json_dumpf(o, stdout, JSON_INDENT(2)) == 0 ? 0 : -1;

	json_decref(o);
	fputc('\n', stdout);
	return r == 0 && fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int
cmd_business(struct db *db, const struct config *cfg, int argc, char **argv)
{
	static const char *const allowed[] = { "--name", "--domain",
	    "--website", "--country", "--notification-email", NULL };
	static const char *const keys[] = { "name", "domain", "websiteUrl",
	    "country", "notificationEmail" };
	const char		*values[5] = { NULL };
	struct api_error	 err;
	json_t			*fields = NULL, *out = NULL;	/* owned */
	size_t			 i;
	int			 ret;

	memset(&err, 0, sizeof(err));
	if (argc >= 2 && strcmp(argv[1], "list") == 0 && argc == 2) {
		if (business_list(db, cfg->public_url, &out, &err) == -1)
			return cli_fail(&err);
		return print_json(out);
	}
	if (argc < 2 || strcmp(argv[1], "create") != 0 ||
	    options(argc, argv, 2, allowed, values) == -1)
		return usage(stderr, EXIT_USAGE);
	fields = json_object();
	if (fields == NULL)
		return EXIT_FAILURE;
	for (i = 0; i < 5; i++) {
		if (values[i] != NULL && json_object_set_new(fields, keys[i],
		    json_string(values[i])) == -1) {
			fprintf(stderr, "reviewd: %s: not valid UTF-8\n",
			    allowed[i]);
			json_decref(fields);
			return EXIT_USAGE;
		}
	}
	ret = business_create(db, cfg->public_url, fields, &out, &err);
	json_decref(fields);
	if (ret == -1) {
		for (i = 0; i < err.ndetails; i++) {
			/* Name the option the user typed, not the JSON key. */
			for (size_t k = 0; k < 5; k++) {
				if (strcmp(err.details[i].field, keys[k]) == 0)
					snprintf(err.details[i].field,
					    sizeof(err.details[i].field), "%s",
					    allowed[k]);
			}
		}
		return cli_fail(&err);
	}
	return print_json(out);
}

#define APP_URIS_MAX	16

/* app create: --redirect-uri repeats and --public takes no value, so not
 * options(). */
static int
cmd_app(struct db *db, int argc, char **argv)
{
	const char		*bu = NULL, *name = NULL;
	const char		*uris[APP_URIS_MAX];
	size_t			 nuris = 0;
	bool			 public_client = false;
	struct api_error	 err;
	json_t			*out = NULL;	/* owned */
	int			 i;

	memset(&err, 0, sizeof(err));
	if (argc < 2 || strcmp(argv[1], "create") != 0)
		return usage(stderr, EXIT_USAGE);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--public") == 0) {
			public_client = true;
			continue;
		}
		if (i + 1 >= argc || (strcmp(argv[i], "--business") != 0 &&
		    strcmp(argv[i], "--name") != 0 &&
		    strcmp(argv[i], "--redirect-uri") != 0)) {
			fprintf(stderr, "reviewd: %s: %s\n", argv[i],
			    i + 1 >= argc ? "needs a value" : "unknown option");
			return usage(stderr, EXIT_USAGE);
		}
		if (strcmp(argv[i], "--business") == 0)
			bu = argv[i + 1];
		else if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (nuris == APP_URIS_MAX) {
			fprintf(stderr, "reviewd: --redirect-uri: at most %d\n",
			    APP_URIS_MAX);
			return EXIT_USAGE;
		} else
			uris[nuris++] = argv[i + 1];
		i++;
	}
	if (bu == NULL)
		return usage(stderr, EXIT_USAGE);
	if (oauth_app_create(db, bu, name, uris, nuris, public_client, &out,
	    &err) == -1) {
		for (i = 0; i < (int)err.ndetails; i++)
			if (strcmp(err.details[i].field, "redirectUris") == 0)
				snprintf(err.details[i].field,
				    sizeof(err.details[i].field),
				    "--redirect-uri");
		return cli_fail(&err);
	}
	return print_json(out);
}

/* A user locked out on purpose (the username is all it takes to fail
 * sign-ins under it) gets back in at once. */
static int
user_unlock(struct db *db, const char *unit_id, const char *username)
{
	int64_t	 forgotten;

	if (auth_unlock_user(db, unit_id, username, &forgotten) == -1) {
		fprintf(stderr, "reviewd: the throttle could not be lifted\n");
		return EXIT_FAILURE;
	}
	return print_json(json_pack("{s:b}", "unlocked", forgotten > 0));
}

static int
cmd_user(struct db *db, int argc, char **argv)
{
	static const char *const allowed[] = { "--business", "--username",
	    NULL };
	const char		*values[2] = { NULL };
	struct api_error	 err;
	json_t			*out = NULL;	/* owned */
	char			 password[AUTH_PASSWORD_MAX + 2];
	size_t			 len;
	int			 ret;

	memset(&err, 0, sizeof(err));
	if (argc < 2 || (strcmp(argv[1], "create") != 0 &&
	    strcmp(argv[1], "unlock") != 0) ||
	    options(argc, argv, 2, allowed, values) == -1 ||
	    values[0] == NULL || values[1] == NULL)
		return usage(stderr, EXIT_USAGE);
	if (strcmp(argv[1], "unlock") == 0)
		return user_unlock(db, values[0], values[1]);
	if (fgets(password, sizeof(password), stdin) == NULL) {
		fprintf(stderr, "reviewd: expected the password on stdin\n");
		return EXIT_USAGE;
	}
	len = strcspn(password, "\r\n");
	if (password[len] == '\0' && len == sizeof(password) - 1) {
		fprintf(stderr, "reviewd: the password is longer than %d "
		    "bytes\n", AUTH_PASSWORD_MAX);
		return EXIT_USAGE;
	}
	password[len] = '\0';
	ret = business_user_create(db, values[0], values[1], password, &out,
	    &err);
	sodium_memzero(password, sizeof(password));
	if (ret == -1)
		return cli_fail(&err);
	return print_json(out);
}

/* An erasure request (GDPR article 17) from the person behind an address:
 * what a business can erase of its own customers, in every unit, and the
 * reviewer identity no business can touch. */
static int
cmd_reviewer(struct db *db, int argc, char **argv)
{
	static const char *const allowed[] = { "--email", NULL };
	const char	*values[1] = { NULL };
	size_t		 invitations, units, reviews;

	if (argc < 2 || strcmp(argv[1], "erase") != 0 ||
	    options(argc, argv, 2, allowed, values) == -1 || values[0] == NULL)
		return usage(stderr, EXIT_USAGE);
	if (!mailer_address_valid(values[0])) {
		fprintf(stderr, "reviewd: --email: not an e-mail address\n");
		return EXIT_USAGE;
	}
	if (db_tx_begin(db) == -1 ||
	    erasure_everywhere(db, values[0], &invitations,
	    &units) == -1 ||
	    reviews_erase_reviewer(db, values[0], &reviews) == -1 ||
	    db_tx_commit(db) == -1) {
		fprintf(stderr, "reviewd: the erasure failed, nothing was "
		    "changed: %s\n", db_error_text(db) != NULL ?
		    db_error_text(db) : "out of memory");
		db_tx_rollback(db);
		return EXIT_FAILURE;
	}
	erasure_checkpoint(db);
	return print_json(json_pack("{s:I, s:I, s:I}", "erasedInvitations",
	    (json_int_t)invitations, "businessUnits", (json_int_t)units,
	    "anonymisedReviews", (json_int_t)reviews));
}

/* Exit codes an MTA pipe understands (sysexits.h). */
#define EX_DATAERR	65
#define EX_NOUSER	67
#define EX_TEMPFAIL	75

static int
cmd_afs_receive(struct db *db, const struct config *cfg, int argc,
    char **argv)
{
	static const char *const allowed[] = { "--recipient", NULL };
	const char		*values[1] = { NULL };
	struct buf		 msg;
	char			 chunk[65536], id[IDS_ID_LEN + 1] = "";
	char			 why[200];
	size_t			 n;
	enum afs_result		 result;

	if (options(argc, argv, 1, allowed, values) == -1 || values[0] == NULL)
		return usage(stderr, EXIT_USAGE);
	buf_init(&msg, (size_t)cfg->afs_max_message_bytes);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (buf_append(&msg, chunk, n) == -1) {
			buf_release(&msg);
			fprintf(stderr, "reviewd: the message is larger than "
			    "[afs] max_message_bytes\n");
			return EX_DATAERR;
		}
	}
	afs_receive(db, cfg, values[0], msg.data != NULL ? msg.data : "",
	    msg.len, &result, id, why, sizeof(why));
	buf_release(&msg);
	switch (result) {
	case AFS_CREATED:
	case AFS_SKIPPED:
	case AFS_DUPLICATE:
		return EXIT_SUCCESS;
	case AFS_UNKNOWN_RECIPIENT:
		fprintf(stderr, "reviewd: %s is not an inbound address\n",
		    values[0]);
		return EX_NOUSER;
	case AFS_REJECTED:
		fprintf(stderr, "reviewd: message refused: %s\n", why);
		return EX_DATAERR;
	case AFS_TEMPORARY:
		break;
	}
	fprintf(stderr, "reviewd: busy, try again later\n");
	return EX_TEMPFAIL;
}

static int
serve(struct db *db, const struct config *cfg)
{
	sigset_t	 stop;
	int		 sig = 0;

	if (auth_init(db, cfg, stdout) == -1 || mailer_init(cfg) == -1 ||
	    (cfg->clock_control && health_clock_restore(db) == -1))
		return EXIT_FAILURE;
	if (scheduler_register("invitations", invitations_job) == -1 ||
	    scheduler_register("outbox", outbox_job) == -1 ||
	    scheduler_register("reviews", reviews_job) == -1 ||
	    scheduler_register("findreviewer", findreviewer_job) == -1 ||
	    outbox_on_outcome("invitation", invitations_mail_outcome) == -1)
		return EXIT_FAILURE;
	/* Signals go to sigwait below, never to a worker thread: block them
	 * before any thread exists so every thread inherits the mask. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return EXIT_FAILURE;
	if (db_background_start() == -1)
		return EXIT_FAILURE;
	if (http_start(cfg, routes_table, routes_count) == -1) {
		db_background_stop();
		return EXIT_FAILURE;
	}
	if (outbox_start() == -1 || scheduler_start() == -1 ||
	    rate_limit_start() == -1) {
		http_stop(0);
		scheduler_stop();
		outbox_stop();
		db_background_stop();
		return EXIT_FAILURE;
	}
	log_info("listening on %s port=%u", cfg->listen, http_port());
	(void)sd_notify(0, "READY=1");
	if (watchdog_start(cfg, http_port()) == -1)
		log_warn("running without the systemd watchdog");
	while (sigwait(&stop, &sig) != 0)
		;
	log_info("stopping signal=%d", sig);
	watchdog_stop();
	(void)sd_notify(0, "STOPPING=1");
	http_stop(cfg->connection_timeout_s * 1000);
	rate_limit_stop();
	scheduler_stop();
	outbox_stop();
	db_background_stop();
	log_info("stopped");
	return EXIT_SUCCESS;
}

/* The libraries and the modules, for every command that opens the live
 * database. 0, or -1 (logged). */
static int
set_up(const struct config *cfg)
{
	log_set_level(cfg->log_level);
	if (sodium_init() == -1) {
		log_error("libsodium failed to initialise");
		return -1;
	}
	json_object_seed(0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("libcurl failed to initialise");
		return -1;
	}
	/* issue 17: SQLite's file or PostgreSQL's URL, one binary */
	if (cfg->db_backend == CONFIG_DB_POSTGRESQL)
		db_configure_backend(DB_POSTGRESQL, cfg->db_url);
	else
		db_configure_backend(DB_SQLITE, cfg->db_path);
	/* the modules read the (read-only) configuration for the CLI too,
	 * and the outbox needs its senders (e-mails are checked when
	 * queued) */
	config_share(cfg);
	if (outbox_register_sender(OUTBOX_EMAIL, &outbox_mail_sender) == -1 ||
	    outbox_register_sender(OUTBOX_WEBHOOK, &webhooks_sender) == -1) {
		log_error("outbox: a sender cannot be registered");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct config	 cfg;
	const char		*config_path = NULL;
	const char		*command = "serve";
	char			 err[1024];
	struct db		*db = NULL;
	int			 first = 1, ret = EXIT_FAILURE;
	FILE			*report;

	/* Before anything creates a file: the database, its -wal and -shm,
	 * the maildir and its messages are nobody else's (0640, 0750). */
	(void)umask(027);
	/* glibc gives each thread that allocates an arena of its own (up to
	 * 8 a core): what one thread frees is kept for that thread alone, so
	 * the peak RSS is the sum of each thread's peak. Two arenas share it
	 * (the threads rarely allocate at once); MALLOC_ARENA_MAX in the
	 * environment wins. */
	if (getenv("MALLOC_ARENA_MAX") == NULL)
		(void)mallopt(M_ARENA_MAX, 2);
	if (argc > 2 && strcmp(argv[1], "--config") == 0) {
		config_path = argv[2];
		first = 3;
	}
	if (first < argc)
		command = argv[first];
	if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
	    strcmp(command, "help") == 0)
		return usage(stdout, EXIT_SUCCESS);
	if (strcmp(command, "version") == 0 || strcmp(command,
	    "--version") == 0) {
		printf("reviewd %s\n", REVIEWD_VERSION);
		return EXIT_SUCCESS;
	}
	/* check, backup, check-backup, copy-data: they load what they need
	 * and never migrate or write the live database (cli_ops.c) */
	if (cli_ops_handles(command))
		return cli_ops_main(config_path, argc - first, argv + first);
	if (strcmp(command, "serve") != 0 && strcmp(command, "migrate") != 0 &&
	    strcmp(command, "business") != 0 && strcmp(command, "app") != 0 &&
	    strcmp(command, "user") != 0 &&
	    strcmp(command, "afs-receive") != 0 &&
	    strcmp(command, "reviewer") != 0)
		return usage(stderr, EXIT_USAGE);
	if ((strcmp(command, "serve") == 0 || strcmp(command, "migrate") == 0)
	    && first + 1 < argc)
		return usage(stderr, EXIT_USAGE);
	if (config_load(config_path, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	if (set_up(&cfg) == -1)
		return EXIT_FAILURE;
	db = db_open(cfg.db_backend == CONFIG_DB_POSTGRESQL ? cfg.db_url :
	    cfg.db_path);
	if (db == NULL)
		return EXIT_FAILURE;
	/* a fresh install's [links] master key, beside the database */
	if (links_master_settle(&cfg) == -1)
		goto out;
	report = strcmp(command, "migrate") == 0 ? stdout :
	    strcmp(command, "serve") == 0 ? stderr : NULL;
	if (db_migrate(db, cfg.migrations_dir, report, err,
	    sizeof(err)) == -1) {
		log_error("migration failed: %s", err);
		goto out;
	}
	/* secrets older versions kept in clear are hashed or sealed now */
	if (afs_upgrade(db, &cfg) == -1 || webhooks_upgrade(db, &cfg) == -1)
		goto out;
	if (strcmp(command, "migrate") == 0)
		ret = EXIT_SUCCESS;
	else if (strcmp(command, "serve") == 0)
		ret = serve(db, &cfg);
	else if (strcmp(command, "business") == 0)
		ret = cmd_business(db, &cfg, argc - first, argv + first);
	else if (strcmp(command, "app") == 0)
		ret = cmd_app(db, argc - first, argv + first);
	else if (strcmp(command, "afs-receive") == 0)
		ret = cmd_afs_receive(db, &cfg, argc - first, argv + first);
	else if (strcmp(command, "reviewer") == 0)
		ret = cmd_reviewer(db, argc - first, argv + first);
	else
		ret = cmd_user(db, argc - first, argv + first);
out:
	db_close(db);
	curl_global_cleanup();
	return ret;
}
