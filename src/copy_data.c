/*
 * copy_data: `reviewd copy-data --to URL` (issue 17), the move of a SQLite
 * installation into an empty PostgreSQL database. Single-threaded CLI.
 *
 * The target is the process's storage backend (db.h's helpers run on
 * it); the source is read through db_sqlite_ops directly, read-only, in
 * one read transaction, so the copy is of one moment even if a daemon
 * still ran. Order: refuse a source whose schema version is not this
 * binary's and a target holding any row; apply migrations_pg/ (as
 * `reviewd migrate` does); then, in ONE transaction, stream every table
 * of the source's sqlite_master (but SQLite's own and schema_migrations,
 * which the migrations wrote) with COPY, the indexes no constraint owns
 * dropped meanwhile and built again after, set the identity sequences
 * past the copied ids, compare the row counts of both sides, commit,
 * print.
 *
 * The copy runs with session_replication_role = replica (SET LOCAL: it
 * ends with the transaction), which turns off triggers and foreign key
 * checks for this session only. The derived tables the triggers keep
 * (business_unit_counts, product_review_summaries, the list generations,
 * review_tags' copied columns) are copied as the source has them, which
 * SQLite's twins of the same triggers kept consistent with their rows:
 * with triggers on, each copied review would count once by its trigger
 * and once more by the copied count row, and the triggers would stamp
 * new generations and columns instead of the copied values. Foreign keys
 * need no table order then, and every value lands byte for byte.
 *
 * Both engines' caches key statements by the address of their SQL text:
 * the texts built here per table live until both connections close.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/copy_data.h"
#include "reviewd/db.h"

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

#define MAX_TABLES	256
#define NAME_MAX_LEN	64	/* PostgreSQL's identifiers are 63 bytes */
#define TYPE_LEN	64
#define FLUSH_BYTES	(256 * 1024)	/* COPY data sent in pieces this big */
#define ROW_MAX_BYTES	(256 * 1024 * 1024)	/* one row's text at most */

struct table {
	char	 name[NAME_MAX_LEN];
	char	*select;	/* source: its columns, bytea ones in hex */
	char	*copy;		/* target: COPY t (columns) FROM STDIN */
	char	*count_src;
	char	*count_dst;
	int	 ncols;
	int64_t	 rows;		/* counted on both sides */
};

struct copy {
	const struct db_ops	*lite;	/* the source's engine */
	struct db		*src;
	struct db		*dst;
	struct table		*tables;
	size_t			 ntables;
	struct buf		 out;	/* COPY text waiting to be sent */
};

static const char sql_src_version[] =
    "SELECT coalesce(max(version), 0) FROM schema_migrations";
static const char sql_src_tables[] =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND "
    "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND "
    "name <> 'schema_migrations' ORDER BY name";
static const char sql_src_columns[] =
    "SELECT name FROM pragma_table_info(?) ORDER BY cid";
/* the first table of the target's schema that holds a row, if any */
static const char sql_dst_nonempty[] =
    "SELECT t.table_name FROM information_schema.tables t "
    "WHERE t.table_schema = current_schema() AND "
    "t.table_type = 'BASE TABLE' AND t.table_name <> 'schema_migrations' "
    "AND cardinality(xpath('/table/row', query_to_xml(format("
    "'SELECT 1 AS n FROM %I.%I LIMIT 1', t.table_schema, t.table_name), "
    "false, false, ''))) > 0 ORDER BY 1 LIMIT 1";
static const char sql_dst_column_type[] =
    "SELECT data_type FROM information_schema.columns WHERE "
    "table_schema = current_schema() AND table_name = ? AND "
    "column_name = ?";
static const char sql_replica[] =
    "SET LOCAL session_replication_role = replica";
/*
 * Indexes that no constraint owns are dropped for the copy and made
 * again after it, from their own definitions: building an index from
 * all its rows sorts once, where COPY into a table with its indexes in
 * place inserts into each of them a row at a time (reviews has twenty:
 * four times slower). Inside the copy's transaction, so a failure
 * leaves them as they were; primary keys and unique constraints stay.
 */
static const char sql_indexes_save[] =
    "CREATE TEMP TABLE copy_data_indexes ON COMMIT DROP AS "
    "SELECT i.indexrelid::regclass::text AS name, "
    "pg_get_indexdef(i.indexrelid) AS def "
    "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
    "WHERE t.relnamespace = current_schema()::regnamespace AND "
    "t.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
    "WHERE c.conindid = i.indexrelid)";
static const char sql_indexes_drop[] =
    "DO $$ DECLARE r record; BEGIN "
    "FOR r IN SELECT name FROM copy_data_indexes LOOP "
    "EXECUTE 'DROP INDEX ' || r.name; END LOOP; END $$";
static const char sql_indexes_make[] =
    "DO $$ DECLARE r record; BEGIN "
    "FOR r IN SELECT def FROM copy_data_indexes LOOP "
    "EXECUTE r.def; END LOOP; END $$";
/* the planner's statistics of the copied tables: without them it takes
 * every table for a few rows (until autovacuum's first pass, a minute or
 * more) and picks plans that scan a whole business unit per page */
static const char sql_analyze[] = "ANALYZE";
/* every identity or serial column's sequence, past the largest id */
static const char sql_sequences[] =
    "DO $$ DECLARE r record; BEGIN "
    "FOR r IN SELECT c.table_name, c.column_name "
    "FROM information_schema.columns c "
    "WHERE c.table_schema = current_schema() AND (c.is_identity = 'YES' "
    "OR c.column_default LIKE 'nextval(%') LOOP "
    "EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), "
    "coalesce(max(%I), 0) + 1, false) FROM %I', "
    "quote_ident(r.table_name), r.column_name, r.column_name, "
    "r.table_name); "
    "END LOOP; END $$";

static int
usage(void)
{
	fprintf(stderr, "usage: reviewd [--config FILE] copy-data --to "
	    "postgresql://user@host/db\n");
	return EXIT_USAGE;
}

/* The newest version of a list of built-in migrations. */
static long
newest(const struct db_migration *m, size_t n)
{
	return n == 0 ? 0 : db_migration_version(m[n - 1].name);
}

/* The source's last error, for a message. */
static const char *
src_error(const struct copy *c)
{
	const char	*e = c->src != NULL ? c->lite->error_text(c->src) :
			    NULL;

	return e != NULL ? e : "unknown error";
}

static const char *
dst_error(const struct copy *c)
{
	const char	*e = c->dst != NULL ? db_error_text(c->dst) : NULL;

	return e != NULL ? e : "unknown error";
}

/* The source's schema version must be this binary's, and PostgreSQL's
 * migrations must reach the same one. 0 or -1 (said). */
static int
check_source_version(struct copy *c)
{
	struct db_stmt	*st;
	int64_t		 version;
	long		 lite = newest(db_builtin_migrations,
			    db_builtin_migrations_count);
	long		 pgv = newest(db_builtin_migrations_pg,
			    db_builtin_migrations_pg_count);
	int		 rc;

	st = c->lite->prepare(c->src, sql_src_version);
	if (st == NULL) {
		fprintf(stderr, "reviewd: copy-data: the source holds no "
		    "reviewd schema: %s\n", src_error(c));
		return -1;
	}
	rc = c->lite->step(c->src, st);
	version = c->lite->integer(st, 0);
	c->lite->release(st);
	if (rc != DB_ROW) {
		fprintf(stderr, "reviewd: copy-data: cannot read the source's "
		    "schema version: %s\n", src_error(c));
		return -1;
	}
	if (version != lite) {
		fprintf(stderr, "reviewd: copy-data: the source is at schema "
		    "version %04" PRId64 ", this reviewd at %04ld: %s\n",
		    version, lite, version < lite ? "run `reviewd migrate` "
		    "on it first (with this reviewd, SQLite configured)" :
		    "use the reviewd that wrote it");
		return -1;
	}
	if (pgv != lite) {
		fprintf(stderr, "reviewd: copy-data: this reviewd's "
		    "PostgreSQL schema (%04ld) is not its SQLite schema "
		    "(%04ld)\n", pgv, lite);
		return -1;
	}
	return 0;
}

/* The source's tables, as sqlite_master names them. 0 or -1 (said). */
static int
list_tables(struct copy *c)
{
	struct db_stmt	*st;
	const char	*name;
	int		 rc, ret = -1;

	c->tables = calloc(MAX_TABLES, sizeof(*c->tables));
	st = c->lite->prepare(c->src, sql_src_tables);
	if (c->tables == NULL || st == NULL)
		goto out;
	while ((rc = c->lite->step(c->src, st)) == DB_ROW) {
		name = c->lite->text(st, 0);
		if (c->ntables == MAX_TABLES || strlen(name) >= NAME_MAX_LEN ||
		    strchr(name, '"') != NULL) {
			fprintf(stderr, "reviewd: copy-data: table %s: more "
			    "than %d tables, or a name PostgreSQL cannot "
			    "take\n", name, MAX_TABLES);
			goto out;
		}
		snprintf(c->tables[c->ntables].name, NAME_MAX_LEN, "%s", name);
		c->ntables++;
	}
	if (rc != DB_DONE)
		goto out;
	ret = 0;
out:
	if (ret == -1 && st == NULL)
		fprintf(stderr, "reviewd: copy-data: cannot list the "
		    "source's tables: %s\n", src_error(c));
	c->lite->release(st);
	return ret;
}

/* Appends one column of t's statements: its name to cols, its value to
 * sel (hex digits after \x for a bytea target column, which COPY's text
 * takes as bytea). 0 or -1 (said). */
static int
add_column(struct copy *c, const struct table *t, const char *col,
    struct buf *cols, struct buf *sel)
{
	char	 type[TYPE_LEN];
	int	 rc;

	if (strchr(col, '"') != NULL) {
		fprintf(stderr, "reviewd: copy-data: %s.%s: a name PostgreSQL "
		    "cannot take\n", t->name, col);
		return -1;
	}
	rc = db_one_text(c->dst, sql_dst_column_type, type, sizeof(type),
	    "ss", t->name, col);
	if (rc == -1) {
		fprintf(stderr, "reviewd: copy-data: %s.%s: %s\n", t->name,
		    col, dst_error(c));
		return -1;
	}
	if (rc == DB_DONE) {
		fprintf(stderr, "reviewd: copy-data: %s.%s is in the SQLite "
		    "database but not in PostgreSQL's schema\n", t->name, col);
		return -1;
	}
	if (buf_printf(cols, "%s\"%s\"", cols->len > 0 ? ", " : "",
	    col) == -1)
		return -1;
	if (strcmp(type, "bytea") == 0)
		return buf_printf(sel, "%sCASE WHEN \"%s\" IS NULL THEN NULL "
		    "ELSE '\\x' || hex(\"%s\") END", sel->len > 0 ? ", " : "",
		    col, col);
	return buf_printf(sel, "%s\"%s\"", sel->len > 0 ? ", " : "", col);
}

/* Builds t's statements from the source's columns and the target's
 * types. 0 or -1 (said). */
static int
prepare_table(struct copy *c, struct table *t)
{
	struct db_stmt	*st;
	struct buf	 cols, sel;
	int		 rc = -1, ret = -1;

	buf_init(&cols, 64 * 1024);
	buf_init(&sel, 64 * 1024);
	st = c->lite->prepare(c->src, sql_src_columns);
	if (st == NULL || c->lite->bind_text(st, 1, t->name) == -1)
		goto fail;
	while ((rc = c->lite->step(c->src, st)) == DB_ROW) {
		if (add_column(c, t, c->lite->text(st, 0), &cols, &sel) == -1)
			goto out;
		t->ncols++;
	}
	if (rc != DB_DONE || t->ncols == 0)
		goto fail;
	if (asprintf(&t->select, "SELECT %s FROM \"%s\"", sel.data,
	    t->name) == -1)
		t->select = NULL;
	if (asprintf(&t->copy, "COPY \"%s\" (%s) FROM STDIN", t->name,
	    cols.data) == -1)
		t->copy = NULL;
	if (asprintf(&t->count_src, "SELECT count(*) FROM \"%s\"",
	    t->name) == -1)
		t->count_src = NULL;
	/* the same text at another address: each cache its own */
	if (t->count_src != NULL)
		t->count_dst = strdup(t->count_src);
	if (t->select == NULL || t->copy == NULL || t->count_dst == NULL)
		goto fail;
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "reviewd: copy-data: table %s: cannot read its "
	    "columns\n", t->name);
out:
	c->lite->release(st);
	buf_release(&cols);
	buf_release(&sel);
	return ret;
}

/* Appends s (len bytes) to b in COPY's text format. 0 or -1. */
static int
put_escaped(struct buf *b, const char *s, size_t len)
{
	size_t		 i, from = 0;
	const char	*esc;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			continue;
		}
		if (buf_append(b, s + from, i - from) == -1 ||
		    buf_append(b, esc, 2) == -1)
			return -1;
		from = i + 1;
	}
	return buf_append(b, s + from, len - from);
}

/* Sends what c->out holds. 0 or -1. */
static int
flush(struct copy *c)
{
	int	 rc = 0;

	if (c->out.len > 0)
		rc = db_pg_copy_put(c->dst, c->out.data, c->out.len);
	buf_reset(&c->out);
	return rc;
}

/* Appends the current row of st (ncols columns) as one COPY line. */
static int
put_row(struct copy *c, struct db_stmt *st, int ncols)
{
	const char	*v;
	int		 i;

	for (i = 0; i < ncols; i++) {
		if (i > 0 && buf_append(&c->out, "\t", 1) == -1)
			return -1;
		if (c->lite->is_null(st, i)) {
			if (buf_append(&c->out, "\\N", 2) == -1)
				return -1;
			continue;
		}
		/* the text first: the length is the converted text's */
		v = c->lite->text(st, i);
		if (put_escaped(&c->out, v, c->lite->bytes(st, i)) == -1)
			return -1;
	}
	return buf_append(&c->out, "\n", 1);
}

/*
 * Streams t's rows from the source into the target with COPY: a row at a
 * time from SQLite, sent in pieces of FLUSH_BYTES, so memory stays
 * bounded by one row and one piece whatever the table's size. Sets
 * t->rows to what the server took. 0 or -1 (said).
 */
static int
copy_table(struct copy *c, struct table *t)
{
	struct db_stmt	*st;
	const char	*failure = NULL;
	int64_t		 sent = 0, took = -1;
	int		 rc;

	st = c->lite->prepare(c->src, t->select);
	if (st == NULL) {
		fprintf(stderr, "reviewd: copy-data: table %s: %s\n", t->name,
		    src_error(c));
		return -1;
	}
	if (db_pg_copy_begin(c->dst, t->copy) == -1) {
		fprintf(stderr, "reviewd: copy-data: table %s: %s\n", t->name,
		    dst_error(c));
		c->lite->release(st);
		return -1;
	}
	while ((rc = c->lite->step(c->src, st)) == DB_ROW) {
		if (put_row(c, st, t->ncols) == -1) {
			failure = "a row too large or no memory";
			break;
		}
		sent++;
		if (c->out.len >= FLUSH_BYTES && flush(c) == -1) {
			failure = "the server stopped taking data";
			break;
		}
	}
	if (failure == NULL && rc != DB_DONE)
		failure = "the source could not be read";
	if (failure == NULL && flush(c) == -1)
		failure = "the server stopped taking data";
	buf_reset(&c->out);
	c->lite->release(st);
	if (db_pg_copy_end(c->dst, failure, &took) == -1 || took != sent) {
		fprintf(stderr, "reviewd: copy-data: table %s: %s\n", t->name,
		    failure != NULL ? failure : took != sent ? "rows lost" :
		    dst_error(c));
		return -1;
	}
	t->rows = sent;
	return 0;
}

/* Counts t's rows on both sides, which must agree with the rows sent.
 * 0 or -1 (said). */
static int
verify_table(struct copy *c, struct table *t)
{
	struct db_stmt	*st;
	int64_t		 src = -1, dst = -1;
	int		 rc = -1;

	st = c->lite->prepare(c->src, t->count_src);
	if (st != NULL && (rc = c->lite->step(c->src, st)) == DB_ROW)
		src = c->lite->integer(st, 0);
	c->lite->release(st);
	if (rc != DB_ROW || db_one_int(c->dst, t->count_dst, &dst,
	    "") != DB_ROW) {
		fprintf(stderr, "reviewd: copy-data: table %s: cannot count "
		    "its rows\n", t->name);
		return -1;
	}
	if (src != dst || src != t->rows) {
		fprintf(stderr, "reviewd: copy-data: table %s: %" PRId64
		    " rows in SQLite, %" PRId64 " in PostgreSQL, %" PRId64
		    " copied\n", t->name, src, dst, t->rows);
		return -1;
	}
	return 0;
}

/* Whether the target holds a row in any table: 0 empty, -1 not or
 * unknown (said). */
static int
check_target_empty(struct copy *c)
{
	char	 name[NAME_MAX_LEN * 4];
	int	 rc;

	rc = db_one_text(c->dst, sql_dst_nonempty, name, sizeof(name), "");
	if (rc == DB_DONE)
		return 0;
	if (rc == DB_ROW)
		fprintf(stderr, "reviewd: copy-data: the target is not "
		    "empty (table %s has rows): copy into a new database\n",
		    name);
	else
		fprintf(stderr, "reviewd: copy-data: cannot read the "
		    "target: %s\n", dst_error(c));
	return -1;
}

/* Runs sql on the target; a failure is said as what failed. 0 or -1. */
static int
dst_exec(struct copy *c, const char *sql, const char *what)
{
	if (db_exec(c->dst, sql) == 0)
		return 0;
	fprintf(stderr, "reviewd: copy-data: %s: %s\n", what, dst_error(c));
	return -1;
}

/* Runs step on each table, in order, up to the first failure. 0 or -1
 * (said). */
static int
each_table(struct copy *c, int (*step)(struct copy *, struct table *))
{
	size_t	 i;

	for (i = 0; i < c->ntables; i++) {
		if (step(c, &c->tables[i]) == -1)
			return -1;
	}
	return 0;
}

/* The copy proper, in one transaction of the target. 0 or -1 (said). */
static int
copy_all(struct copy *c)
{
	int	 ret = -1;

	if (db_tx_begin(c->dst) == -1) {
		fprintf(stderr, "reviewd: copy-data: %s\n", dst_error(c));
		return -1;
	}
	if (db_exec(c->dst, sql_replica) == -1) {
		fprintf(stderr, "reviewd: copy-data: %s: the role of the URL "
		    "must be allowed to SET session_replication_role (a "
		    "superuser, or on PostgreSQL 15 and later: GRANT SET ON "
		    "PARAMETER session_replication_role TO it)\n",
		    dst_error(c));
		goto out;
	}
	/* again inside the transaction, whose lock keeps daemons out */
	if (check_target_empty(c) == -1)
		goto out;
	if (dst_exec(c, sql_indexes_save, "the indexes") == -1 ||
	    dst_exec(c, sql_indexes_drop, "the indexes") == -1 ||
	    each_table(c, copy_table) == -1 ||
	    dst_exec(c, sql_indexes_make, "the indexes") == -1 ||
	    dst_exec(c, sql_sequences, "the identity sequences") == -1 ||
	    each_table(c, verify_table) == -1 ||
	    dst_exec(c, sql_analyze, "ANALYZE") == -1)
		goto out;
	if (db_tx_commit(c->dst) == -1) {
		fprintf(stderr, "reviewd: copy-data: the commit failed: %s\n",
		    dst_error(c));
		goto out;
	}
	ret = 0;
out:
	db_tx_rollback(c->dst);
	return ret;
}

static void
copy_release(struct copy *c)
{
	size_t	 i;

	/* the connections first: their caches point at the texts */
	if (c->src != NULL)
		c->lite->close(c->src);
	db_close(c->dst);
	for (i = 0; c->tables != NULL && i < c->ntables; i++) {
		free(c->tables[i].select);
		free(c->tables[i].copy);
		free(c->tables[i].count_src);
		free(c->tables[i].count_dst);
	}
	free(c->tables);
	buf_release(&c->out);
}

static int
valid_url(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0;
}

int
copy_data_main(const struct config *cfg, int argc, char **argv)
{
	struct copy	 c;
	struct stat	 sb;
	char		 err[1024];
	const char	*url;
	int64_t		 t0, ms, total = 0;
	size_t		 i;
	int		 ret = EXIT_FAIL;

	memset(&c, 0, sizeof(c));
	c.lite = &db_sqlite_ops;
	buf_init(&c.out, ROW_MAX_BYTES);
	if (argc != 3 || strcmp(argv[1], "--to") != 0)
		return usage();
	url = argv[2];
	if (!valid_url(url)) {
		fprintf(stderr, "reviewd: copy-data: --to: expected "
		    "postgresql://user@host/db\n");
		return EXIT_FAIL;
	}
	if (cfg->db_backend != CONFIG_DB_SQLITE) {
		fprintf(stderr, "reviewd: copy-data: the configuration's "
		    "[database] backend is not sqlite: copy-data reads a "
		    "SQLite installation\n");
		return EXIT_FAIL;
	}
	if (stat(cfg->db_path, &sb) == -1) {
		fprintf(stderr, "reviewd: copy-data: %s: %s\n", cfg->db_path,
		    strerror(errno));
		return EXIT_FAIL;
	}
	c.src = c.lite->open_readonly(cfg->db_path);
	/* one read transaction: every table as of one moment */
	if (c.src == NULL || c.lite->exec(c.src, "BEGIN") == -1) {
		fprintf(stderr, "reviewd: copy-data: cannot open %s\n",
		    cfg->db_path);
		goto out;
	}
	if (check_source_version(&c) == -1 || list_tables(&c) == -1)
		goto out;
	db_configure_backend(DB_POSTGRESQL, url);
	c.dst = db_open(url);
	if (c.dst == NULL) {
		fprintf(stderr, "reviewd: copy-data: cannot connect to the "
		    "target (see the log line above)\n");
		goto out;
	}
	if (check_target_empty(&c) == -1)
		goto out;
	if (db_migrate(c.dst, "", stdout, err, sizeof(err)) == -1) {
		fprintf(stderr, "reviewd: copy-data: migration failed: %s\n",
		    err);
		goto out;
	}
	for (i = 0; i < c.ntables; i++) {
		if (prepare_table(&c, &c.tables[i]) == -1)
			goto out;
	}
	t0 = clock_mono_ns();
	if (copy_all(&c) == -1)
		goto out;
	ms = (clock_mono_ns() - t0) / 1000000;
	for (i = 0; i < c.ntables; i++) {
		printf("copied %s rows=%" PRId64 "\n", c.tables[i].name,
		    c.tables[i].rows);
		total += c.tables[i].rows;
	}
	printf("copy-data: ok tables=%zu rows=%" PRId64 " ms=%" PRId64
	    " rows_per_s=%" PRId64 "\n", c.ntables, total, ms,
	    ms > 0 ? total * 1000 / ms : total * 1000);
	if (cfg->links_master_key[0] == '\0' &&
	    cfg->links_generate_master_key)
		printf("copy-data: set [links] master_key of the PostgreSQL "
		    "configuration to the key in %s.master-key\n",
		    cfg->db_path);
	ret = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
	copy_release(&c);
	if (ret != EXIT_OK)
		fprintf(stderr, "reviewd: copy-data: FAILED, nothing was "
		    "copied\n");
	return ret;
}
