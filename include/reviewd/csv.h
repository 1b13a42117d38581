#ifndef REVIEWD_CSV_H
#define REVIEWD_CSV_H

#include <stddef.h>

#include "reviewd/buf.h"

/*
 * A streaming CSV reader for uploads (RFC 4180 plus what spreadsheets
 * write): UTF-8 with or without BOM, ',' or ';' separators (detected from
 * the first line), quoted fields with doubled quotes and embedded line
 * breaks, CRLF or LF line ends. Rows are read one at a time from a buffer;
 * nothing is kept but the current row.
 */

#define CSV_MAX_FIELDS	64

struct csv_reader {
	const char	*p, *end;
	char		 sep;
	size_t		 line;		/* line where the current row began */
	struct buf	 row;		/* unescaped fields, NUL-separated */
};

struct csv_row {
	size_t		 n;
	const char	*field[CSV_MAX_FIELDS];	/* borrowed from the reader */
	size_t		 line;
};

/* Starts reading [data, data + len): skips a BOM and picks the separator
 * that occurs more often outside quotes on the first line. */
void	csv_init(struct csv_reader *r, const char *data, size_t len);
void	csv_release(struct csv_reader *r);

/*
 * Reads the next row into row. Returns 1 for a row, 0 at the end, -1 for
 * a malformed row (an unterminated quote, a quote inside an unquoted
 * field, more than CSV_MAX_FIELDS fields, a NUL byte); the reader then
 * continues at the next line. Blank lines are skipped.
 */
int	csv_next(struct csv_reader *r, struct csv_row *row);

#endif
