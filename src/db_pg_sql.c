/*
 * db on PostgreSQL, its dialect (issue 17): the SQL of the modules, written
 * for SQLite, rewritten for PostgreSQL as db_pg.c prepares it. Pure text
 * work, no connection; any thread.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/buf.h"
#include "reviewd/db.h"


/*
 * The dialect: SQLite's SQL as the modules write it, rewritten once per
 * connection and statement (at prepare) into PostgreSQL's, outside quoted
 * text and comments:
 * - "?" and "?N" become $N (a bare "?" is one more than the largest number
 *   so far, as in SQLite);
 * - LIKE becomes ILIKE (SQLite's LIKE ignores ASCII case);
 * - json_object( is json_build_object(, instr( strpos(, two-argument
 *   max( and min( greatest( and least(;
 * - INSERT OR IGNORE is INSERT ... ON CONFLICT DO NOTHING; INSERT OR
 *   REPLACE INTO t (cols) one that updates cols on t's primary key;
 * - "IS ?" and "IS NOT ?" are IS [NOT] DISTINCT FROM;
 * - rowid is seq, the identity column a table's twin has where SQLite's
 *   statements order by rowid (conversation_comments);
 * - CROSS JOIN (with its ON) is JOIN; INDEXED BY goes;
 * - a subquery in FROM or JOIN without a name gets one (PostgreSQL 15
 *   wants it);
 * - a comment whose text starts "FOR UPDATE" right after its opening
 *   mark becomes that text: the row locks of a
 *   claim across daemons (FOR UPDATE [OF t] SKIP LOCKED), which SQLite,
 *   one daemon under one writer, reads as a comment.
 * COLLATE NOCASE names the collation migrations_pg/0001 makes (ICU,
 * ignoring case); the columns SQLite declared NOCASE are citext.
 * json_each, json_group_array, json_extract, json_remove and json() of a
 * text column are functions migrations_pg/0001 defines (or PostgreSQL's
 * cast), so they pass as they are. What is left for hand-written SQL of
 * both engines is listed in db.h.
 */
struct rewrite {
	struct buf	 out;
	const char	*sql;		/* the whole text */
	int		 max;		/* the largest parameter */
	int		 aliases;	/* subqueries named so far */
	bool		 on_conflict;	/* INSERT OR IGNORE seen */
	char		 replace[512];	/* INSERT OR REPLACE: its DO UPDATE */
	/* the parentheses open now: whether each is a FROM subquery's */
	bool		 from_paren[64];
	int		 depth;
	bool		 after_from;	/* the last word was FROM or JOIN */
};

static bool
ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Whether the word w (case-insensitive) starts at p, as a whole word. */
static bool
word_at(const char *sql, const char *p, const char *w)
{
	size_t	 n = strlen(w);

	if (p > sql && ident_char(p[-1]))
		return false;
	return strncasecmp(p, w, n) == 0 && !ident_char(p[n]);
}

static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Past the quoted text or comment at p (p itself when there is none). */
static const char *
skip_quoted(const char *p)
{
	char	 q;

	if (*p == '\'' || *p == '"') {
		q = *p++;
		while (*p != '\0' && *p != q)
			p++;
		return *p == q ? p + 1 : p;
	}
	if (p[0] == '-' && p[1] == '-') {
		while (*p != '\0' && *p != '\n')
			p++;
	}
	return p;
}

/* Whether the parenthesis at open holds a comma of its own level. */
static bool
has_top_comma(const char *open)
{
	const char	*p = open + 1, *q;
	int		 depth = 1;

	while (*p != '\0' && depth > 0) {
		if ((q = skip_quoted(p)) != p) {
			p = q;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == ',' && depth == 1)
			return true;
		p++;
	}
	return false;
}

/* Words after a subquery's ")" that say it has no name. */
static bool
ends_unnamed(const char *sql, const char *p)
{
	static const char *const words[] = { "WHERE", "GROUP", "ORDER",
	    "LIMIT", "UNION", "EXCEPT", "INTERSECT", "ON", "JOIN", "LEFT",
	    "INNER", "CROSS", "HAVING", "OFFSET", "RETURNING", "AND", "OR",
	    "WINDOW", NULL };
	size_t	 i;

	if (!ident_char(*p))
		return true;
	for (i = 0; words[i] != NULL; i++) {
		if (word_at(sql, p, words[i]))
			return true;
	}
	return false;
}

static int
put(struct rewrite *rw, const char *s, size_t n)
{
	return buf_append(&rw->out, s, n);
}

/* One parameter at p (just past "?"): its $N. Returns past it, or NULL. */
static const char *
param(struct rewrite *rw, const char *p)
{
	char	 num[16], *end;
	long	 n;

	if (*p >= '0' && *p <= '9') {
		errno = 0;
		n = strtol(p, &end, 10);
		if (errno != 0 || n < 1 || n > DB_PG_MAX_PARAMS)
			return NULL;
		p = end;
	} else
		n = rw->max + 1;
	if (n > DB_PG_MAX_PARAMS)
		return NULL;
	if (n > rw->max)
		rw->max = (int)n;
	snprintf(num, sizeof(num), "$%ld", n);
	return put(rw, num, strlen(num)) == -1 ? NULL : p;
}

/*
 * INSERT OR REPLACE INTO t (a, b) at into: the clause that replaces a row
 * of the same primary key, ON CONFLICT ON CONSTRAINT t_pkey DO UPDATE SET
 * a = excluded.a, ... (SQLite replaces on any unique key; the statements
 * of reviewd conflict on the primary key only). 0 or -1.
 */
static int
replace_clause(struct rewrite *rw, const char *into)
{
	const char	*p, *name, *col;
	size_t		 n, len;
	bool		 first = true;
	int		 w;

	if (!word_at(rw->sql, into, "INTO"))
		return -1;
	name = skip_space(into + 4);
	for (p = name; ident_char(*p); p++)
		;
	n = (size_t)(p - name);
	w = snprintf(rw->replace, sizeof(rw->replace), " ON CONFLICT ON "
	    "CONSTRAINT %.*s_pkey DO UPDATE SET ", (int)n, name);
	if (w < 0 || (size_t)w >= sizeof(rw->replace) ||
	    *(p = skip_space(p)) != '(')
		return -1;
	for (p++; *p != '\0' && *p != ')'; ) {
		p = skip_space(p);
		for (col = p; ident_char(*p); p++)
			;
		len = strlen(rw->replace);
		w = snprintf(rw->replace + len, sizeof(rw->replace) - len,
		    "%s%.*s = excluded.%.*s", first ? "" : ", ",
		    (int)(p - col), col, (int)(p - col), col);
		first = false;
		if (w < 0 || (size_t)w >= sizeof(rw->replace) - len)
			return -1;
		p = skip_space(p);
		if (*p == ',')
			p++;
		else if (*p != ')')
			return -1;
	}
	return *p == ')' ? 0 : -1;
}

/* A word at p that the dialect spells otherwise: written, and past it;
 * p when it is not one. */
static const char *
word(struct rewrite *rw, const char *p)
{
	static const struct {
		const char	*sqlite, *pg;
	} same[] = {
		{ "json_object", "json_build_object" },
		{ "instr", "strpos" },
		{ "LIKE", "ILIKE" },
		{ "rowid", "seq" },
	};
	const char	*q;
	size_t		 i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		if (word_at(rw->sql, p, same[i].sqlite))
			return put(rw, same[i].pg, strlen(same[i].pg)) == -1 ?
			    NULL : p + strlen(same[i].sqlite);
	}
	/* SQLite's CROSS JOIN ... ON fixes the join order; INDEXED BY
	 * names SQLite's index */
	if (word_at(rw->sql, p, "CROSS") &&
	    word_at(rw->sql, (q = skip_space(p + 5)), "JOIN"))
		return q;
	if (word_at(rw->sql, p, "INDEXED") &&
	    word_at(rw->sql, (q = skip_space(p + 7)), "BY")) {
		q = skip_space(q + 2);
		while (ident_char(*q))
			q++;
		return q;
	}
	/* SQLite's "x IS ?" compares NULLs as values */
	if (word_at(rw->sql, p, "IS") && *(q = skip_space(p + 2)) == '?')
		return put(rw, "IS NOT DISTINCT FROM ", 21) == -1 ? NULL : q;
	if (word_at(rw->sql, p, "IS") &&
	    word_at(rw->sql, (q = skip_space(p + 2)), "NOT") &&
	    *(q = skip_space(q + 3)) == '?')
		return put(rw, "IS DISTINCT FROM ", 17) == -1 ? NULL : q;
	if (word_at(rw->sql, p, "INSERT") &&
	    word_at(rw->sql, (q = skip_space(p + 6)), "OR") &&
	    word_at(rw->sql, (q = skip_space(q + 2)), "IGNORE")) {
		rw->on_conflict = true;
		return put(rw, "INSERT", 6) == -1 ? NULL : q + 6;
	}
	if (word_at(rw->sql, p, "INSERT") &&
	    word_at(rw->sql, (q = skip_space(p + 6)), "OR") &&
	    word_at(rw->sql, (q = skip_space(q + 2)), "REPLACE")) {
		if (replace_clause(rw, skip_space(q + 7)) == -1)
			return NULL;
		return put(rw, "INSERT", 6) == -1 ? NULL : q + 7;
	}
	if ((word_at(rw->sql, p, "max") || word_at(rw->sql, p, "min")) &&
	    *(q = skip_space(p + 3)) == '(' && has_top_comma(q))
		return put(rw, tolower((unsigned char)p[1]) == 'a' ?
		    "greatest" : "least", p[1] == 'a' || p[1] == 'A' ? 8 : 5)
		    == -1 ? NULL : p + 3;
	return p;
}

/* Appends clause (ON CONFLICT ...) where it belongs: before a RETURNING
 * of the statement's own level, else at its end. */
static int
add_on_conflict(struct rewrite *rw, const char *clause)
{
	size_t			 clen = strlen(clause);
	char			*text = rw->out.data, *p, *at = NULL;
	size_t			 off;
	int			 depth = 0;

	for (p = text; *p != '\0'; p++) {
		char	*q = (char *)skip_quoted(p);

		if (q != p) {
			p = q - 1;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (depth == 0 && word_at(text, p, "RETURNING"))
			at = p;
	}
	if (at == NULL) {
		while (rw->out.len > 0 && (text[rw->out.len - 1] == ';' ||
		    text[rw->out.len - 1] == ' ' ||
		    text[rw->out.len - 1] == '\n'))
			rw->out.len--;
		return put(rw, clause, clen);
	}
	off = (size_t)(at - text);
	if (put(rw, clause, clen) == -1)
		return -1;
	text = rw->out.data;
	memmove(text + off + clen, text + off, rw->out.len - off - clen);
	memcpy(text + off, clause, clen);
	return 0;
}

/* The closing parenthesis at p: a FROM subquery without a name gets
 * one. Returns past it, or NULL. */
static const char *
close_paren(struct rewrite *rw, const char *p)
{
	char	 alias[24];
	bool	 from = rw->depth > 0 && rw->depth <= 64 &&
		    rw->from_paren[rw->depth - 1];

	if (rw->depth > 0)
		rw->depth--;
	if (put(rw, ")", 1) == -1)
		return NULL;
	p++;
	if (from && ends_unnamed(rw->sql, skip_space(p))) {
		snprintf(alias, sizeof(alias), " AS sq%d", ++rw->aliases);
		if (put(rw, alias, strlen(alias)) == -1)
			return NULL;
	}
	return p;
}

/* The comment at p when it is a claim's row locks ("FOR UPDATE" right
 * after its opening mark): its text written, and past it; p when it is
 * not one; NULL on failure. */
static const char *
lock_clause(struct rewrite *rw, const char *p)
{
	static const char	 open[] = "/*FOR UPDATE";
	const char		*end;

	if (strncmp(p, open, sizeof(open) - 1) != 0 ||
	    (end = strstr(p, "*/")) == NULL)
		return p;
	if (put(rw, p + 2, (size_t)(end - p - 2)) == -1)
		return NULL;
	return end + 2;
}

char *
db_pg_translate(const char *sql, int *nparams)
{
	struct rewrite	 rw;
	const char	*p = sql, *q;

	memset(&rw, 0, sizeof(rw));
	rw.sql = sql;
	buf_init(&rw.out, 4 * 1024 * 1024);
	while (*p != '\0') {
		if ((q = lock_clause(&rw, p)) != p) {
			if (q == NULL)
				goto fail;
			p = q;
			continue;
		}
		if ((q = skip_quoted(p)) != p) {
			if (put(&rw, p, (size_t)(q - p)) == -1)
				goto fail;
			p = q;
			continue;
		}
		if (*p == '?') {
			if ((p = param(&rw, p + 1)) == NULL)
				goto fail;
			continue;
		}
		if (*p == '(') {
			if (rw.depth < 64)
				rw.from_paren[rw.depth] = rw.after_from;
			rw.depth++;
			rw.after_from = false;
		} else if (*p == ')') {
			if ((p = close_paren(&rw, p)) == NULL)
				goto fail;
			continue;
		} else if (ident_char(*p) && (p == sql || !ident_char(p[-1]))) {
			rw.after_from = word_at(sql, p, "FROM") ||
			    word_at(sql, p, "JOIN");
			if ((q = word(&rw, p)) == NULL)
				goto fail;
			if (q != p) {
				p = q;
				continue;
			}
			while (ident_char(*q))
				q++;
			if (put(&rw, p, (size_t)(q - p)) == -1)
				goto fail;
			p = q;
			continue;
		} else if (*p != ' ' && *p != '\t' && *p != '\n')
			rw.after_from = false;
		if (put(&rw, p, 1) == -1)
			goto fail;
		p++;
	}
	if (rw.on_conflict && add_on_conflict(&rw,
	    " ON CONFLICT DO NOTHING ") == -1)
		goto fail;
	if (rw.replace[0] != '\0' && add_on_conflict(&rw, rw.replace) == -1)
		goto fail;
	if (put(&rw, "", 1) == -1)
		goto fail;
	*nparams = rw.max;
	return rw.out.data;
fail:
	buf_release(&rw.out);
	return NULL;
}
