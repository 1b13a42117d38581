/*
 * cli_ops: reviewd check, backup and check-backup (see cli_ops.h). They
 * run beside a serving daemon: the live database is opened read-only, so
 * none of them takes a write lock or applies a migration. Single-threaded;
 * output is plain "what: finding" lines on stdout, failures on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "reviewd/cli_ops.h"
#include "reviewd/clock.h"
#include "reviewd/config.h"
#include "reviewd/copy_data.h"
#include "reviewd/db.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"

/* Exit codes (docs/operations.md, "Self-check"). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_CONFIG	2
#define EXIT_DATABASE	3
#define EXIT_MAIL	4

bool
cli_ops_handles(const char *command)
{
	return strcmp(command, "check") == 0 ||
	    strcmp(command, "backup") == 0 ||
	    strcmp(command, "check-backup") == 0 ||
	    strcmp(command, "copy-data") == 0;
}

static const char sql_schema_version[] =
    "SELECT coalesce(max(version), 0) FROM schema_migrations";
static const char sql_counts[] =
    "SELECT (SELECT count(*) FROM business_units), "
    "(SELECT count(*) FROM reviews), (SELECT count(*) FROM invitations), "
    "(SELECT count(*) FROM outbox), "
    "(SELECT count(*) FROM outbox WHERE status IN ('pending', "
    "'delivering')), (SELECT count(*) FROM webhook_subscriptions)";

/* The version of the newest migration this binary carries. */
static int64_t
newest_builtin(void)
{
	const char	*name;

	if (db_builtin_migrations_count == 0)
		return 0;
	name = db_builtin_migrations[db_builtin_migrations_count - 1].name;
	return strtoll(name, NULL, 10);
}

int
sync_path(const char *path, bool dir)
{
	char	 d[PATH_MAX], *slash;
	int	 fd, r;

	if (snprintf(d, sizeof(d), "%s", path) >= (int)sizeof(d)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (dir) {
		slash = strrchr(d, '/');
		if (slash == NULL)
			snprintf(d, sizeof(d), ".");
		else if (slash == d)
			d[1] = '\0';
		else
			*slash = '\0';
	}
	fd = open(d, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	(void)close(fd);
	return r;
}

/*
 * backup --to FILE: VACUUM INTO FILE.partial on a read-only connection
 * (one read transaction: every write committed before it began is in the
 * copy, none after), fsync, link as FILE (never over one), fsync the
 * directory. A crash leaves no FILE, at most FILE.partial, removed by the
 * next run.
 */
static int
cmd_backup(const struct config *cfg, int argc, char **argv)
{
	struct db	*db = NULL;
	struct stat	 sb;
	char		 partial[PATH_MAX];
	const char	*to;
	int64_t		 t0 = clock_mono_ns();
	int		 ret = EXIT_FAIL;

	if (argc != 3 || strcmp(argv[1], "--to") != 0) {
		fprintf(stderr, "usage: reviewd backup --to FILE\n");
		return EXIT_CONFIG;
	}
	to = argv[2];
	if (lstat(to, &sb) == 0) {
		fprintf(stderr, "reviewd: %s exists; a backup never "
		    "overwrites a file\n", to);
		return EXIT_FAIL;
	}
	if (snprintf(partial, sizeof(partial), "%s.partial", to) >=
	    (int)sizeof(partial)) {
		fprintf(stderr, "reviewd: %s: name too long\n", to);
		return EXIT_CONFIG;
	}
	if (unlink(partial) == -1 && errno != ENOENT) {
		fprintf(stderr, "reviewd: %s: %s\n", partial, strerror(errno));
		return EXIT_FAIL;
	}
	if (stat(cfg->db_path, &sb) == -1) {
		fprintf(stderr, "reviewd: database %s: %s\n", cfg->db_path,
		    strerror(errno));
		return EXIT_FAIL;
	}
	db = db_open_readonly(cfg->db_path);
	if (db == NULL || db_backup_into(db, partial) == -1) {
		fprintf(stderr, "reviewd: the backup failed%s%s\n",
		    db != NULL && db_error_text(db) != NULL ? ": " : "",
		    db != NULL && db_error_text(db) != NULL ?
		    db_error_text(db) : "");
		goto out;
	}
	/* link, not rename: a FILE made since the check above stays */
	if (sync_path(partial, false) == -1 || link(partial, to) == -1 ||
	    unlink(partial) == -1 || sync_path(to, true) == -1 ||
	    stat(to, &sb) == -1) {
		fprintf(stderr, "reviewd: %s: %s\n", to, strerror(errno));
		goto out;
	}
	printf("backup: %s bytes=%lld ms=%lld\n", to, (long long)sb.st_size,
	    (long long)((clock_mono_ns() - t0) / 1000000));
	ret = EXIT_OK;
out:
	db_close(db);
	if (ret != EXIT_OK)
		(void)unlink(partial);
	return ret;
}

/* Prints the schema version and what it means for this binary; -1 when
 * the file holds no reviewd schema or one newer than this binary. */
static int
report_schema(struct db *db, size_t due)
{
	int64_t	 version = 0, newest = newest_builtin();

	if (db_one_int(db, sql_schema_version, &version, "") != DB_ROW) {
		printf("schema: none (not a reviewd database)\n");
		return -1;
	}
	printf("schema: %04lld (this binary: %04lld)\n", (long long)version,
	    (long long)newest);
	if (version > newest) {
		printf("schema: newer than this binary: use the version that "
		    "wrote it\n");
		return -1;
	}
	printf("migrations: %zu due%s\n", due, due > 0 ?
	    " (serve applies them at start)" : "");
	return 0;
}

static int
cmd_check_backup(int argc, char **argv)
{
	struct db	*db = NULL;
	struct db_stmt	*row = NULL;
	struct stat	 sb;
	char		 result[512];
	size_t		 due = 0;
	int		 ret = EXIT_FAIL;

	if (argc != 2) {
		fprintf(stderr, "usage: reviewd check-backup FILE\n");
		return EXIT_CONFIG;
	}
	if (stat(argv[1], &sb) == -1) {
		fprintf(stderr, "reviewd: %s: %s\n", argv[1], strerror(errno));
		return EXIT_FAIL;
	}
	db = db_open_readonly(argv[1]);
	if (db == NULL)
		goto out;
	printf("file: %s bytes=%lld\n", argv[1], (long long)sb.st_size);
	switch (db_integrity(db, result, sizeof(result))) {
	case 0:
		printf("integrity: ok\n");
		break;
	case 1:
		printf("integrity: FAILED: %s\n", result);
		goto out;
	default:
		printf("integrity: cannot check: %s\n", result);
		goto out;
	}
	if (db_migrations_due(db, "", NULL, &due) == -1 ||
	    report_schema(db, due) == -1)
		goto out;
	if (db_row(db, sql_counts, &row, "") != DB_ROW) {
		printf("counts: cannot read\n");
		goto out;
	}
	printf("rows: business_units=%lld reviews=%lld invitations=%lld "
	    "outbox=%lld outbox_waiting=%lld webhook_subscriptions=%lld\n",
	    (long long)db_int(row, 0), (long long)db_int(row, 1),
	    (long long)db_int(row, 2), (long long)db_int(row, 3),
	    (long long)db_int(row, 4), (long long)db_int(row, 5));
	printf("check-backup: ok\n");
	ret = EXIT_OK;
out:
	db_release(row);
	db_close(db);
	if (ret != EXIT_OK)
		printf("check-backup: FAILED\n");
	return ret;
}

/* The directory of path in dir. */
static void
dir_of(const char *path, char dir[PATH_MAX])
{
	char	*slash;

	snprintf(dir, PATH_MAX, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, PATH_MAX, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

/* The migrations and the schema of db for `check`, and closes db: 0 or
 * EXIT_DATABASE. With fresh migrations due (all of them: a PostgreSQL
 * database serve has not started on yet) there is no schema to read;
 * SIZE_MAX where no database is new. */
static int
check_schema(struct db *db, const char *migrations_dir, size_t fresh)
{
	size_t	 due = 0;
	int	 ret = EXIT_DATABASE;

	if (db_migrations_due(db, migrations_dir, stdout, &due) == -1)
		printf("database: FAILED: cannot read its migrations\n");
	else if (due == fresh) {
		printf("migrations: all %zu due (serve applies them at "
		    "start)\n", due);
		ret = 0;
	} else if (report_schema(db, due) == 0)
		ret = 0;
	db_close(db);
	return ret;
}

/* issue 17: the database part of `check` on PostgreSQL (its URL is not
 * printed: it may hold a password): 0 or EXIT_DATABASE. */
static int
check_database_pg(const struct config *cfg)
{
	struct db	*db = db_open_readonly(cfg->db_url);

	if (db == NULL) {
		printf("database: FAILED: cannot connect to PostgreSQL\n");
		return EXIT_DATABASE;
	}
	printf("database: postgresql\n");
	return check_schema(db, "", db_builtin_migrations_pg_count);
}

/* The database part of `check`: 0 or EXIT_DATABASE. */
static int
check_database(const struct config *cfg)
{
	struct db	*db;
	struct stat	 sb;
	char		 dir[PATH_MAX], up[PATH_MAX];

	if (cfg->db_backend == CONFIG_DB_POSTGRESQL)
		return check_database_pg(cfg);
	dir_of(cfg->db_path, dir);
	dir_of(dir, up);
	if (stat(cfg->db_path, &sb) == -1) {
		/* serve creates the file, and its directory (one level) */
		if (errno != ENOENT || (access(dir, W_OK | X_OK) == -1 &&
		    (errno != ENOENT || access(up, W_OK | X_OK) == -1))) {
			printf("database: FAILED: %s: %s\n", cfg->db_path,
			    strerror(errno));
			return EXIT_DATABASE;
		}
		printf("database: %s does not exist yet; serve creates it\n"
		    "migrations: all %zu due (serve applies them at start)\n",
		    cfg->db_path, db_builtin_migrations_count);
		return 0;
	}
	/* SQLite writes -wal and -shm beside the database. */
	if (access(dir, W_OK | X_OK) == -1) {
		printf("database: FAILED: %s is not writable: %s\n", dir,
		    strerror(errno));
		return EXIT_DATABASE;
	}
	if ((db = db_open_readonly(cfg->db_path)) == NULL) {
		printf("database: FAILED: cannot open %s\n", cfg->db_path);
		return EXIT_DATABASE;
	}
	printf("database: %s bytes=%lld\n", cfg->db_path,
	    (long long)sb.st_size);
	/* a file that is there holds a schema, or is not ours */
	return check_schema(db, cfg->migrations_dir, SIZE_MAX);
}

static int
cmd_check(const struct config *cfg, const char *config_path)
{
	char	 what[1024];
	int	 ret = EXIT_OK, r;

	printf("config: ok: %s\n", config_path != NULL ? config_path :
	    CONFIG_DEFAULT_PATH " (or the built-in defaults)");
	printf("listen: %s\n", cfg->listen);
	r = check_database(cfg);
	if (r != 0)
		ret = r;
	if (mailer_probe(cfg, what, sizeof(what)) == 0)
		printf("mail: ok: %s\n", what);
	else {
		printf("mail: FAILED: %s\n", what);
		if (ret == EXIT_OK)
			ret = EXIT_MAIL;
	}
	printf("check: %s\n", ret == EXIT_OK ? "ok" : "FAILED");
	return ret;
}

int
cli_ops_main(const char *config_path, int argc, char **argv)
{
	static struct config	 cfg;
	char			 err[1024];
	int			 ret;

	if (strcmp(argv[0], "check-backup") == 0)
		return cmd_check_backup(argc, argv);
	if (config_load(config_path, &cfg, err, sizeof(err)) == -1) {
		if (strcmp(argv[0], "check") == 0)
			printf("config: FAILED: %s\ncheck: FAILED\n", err);
		else
			fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	log_set_level(cfg.log_level);
	/* issue 17: SQLite's data into PostgreSQL, the configured source
	 * only read */
	if (strcmp(argv[0], "copy-data") == 0)
		return copy_data_main(&cfg, argc, argv);
	/* issue 17: backups of PostgreSQL are the server's tools' */
	if (cfg.db_backend == CONFIG_DB_POSTGRESQL) {
		db_configure_backend(DB_POSTGRESQL, cfg.db_url);
		if (strcmp(argv[0], "backup") == 0) {
			fprintf(stderr, "reviewd: backup is for SQLite; "
			    "back up PostgreSQL with pg_dump or "
			    "pg_basebackup\n");
			return EXIT_CONFIG;
		}
	}
	if (strcmp(argv[0], "backup") == 0)
		return cmd_backup(&cfg, argc, argv);
	if (argc != 1) {
		fprintf(stderr, "usage: reviewd check\n");
		return EXIT_CONFIG;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "reviewd: libcurl failed to initialise\n");
		return EXIT_FAIL;
	}
	ret = cmd_check(&cfg, config_path);
	curl_global_cleanup();
	return ret;
}
