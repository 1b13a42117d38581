/*
 * csv: the upload reader. Pure; any thread. A row's fields are copied,
 * unescaped, into the reader's buffer as NUL-terminated strings, so the
 * fields stay valid until the next csv_next.
 */
#include <string.h>

#include "reviewd/csv.h"

#define ROW_CAP	(1024 * 1024)

void
csv_init(struct csv_reader *r, const char *data, size_t len)
{
	const char	*p, *end = data + len;
	size_t		 commas = 0, semicolons = 0;
	int		 quoted = 0;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		data += 3;
	for (p = data; p < end && (quoted || (*p != '\n' && *p != '\r'));
	    p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			commas++;
		else if (!quoted && *p == ';')
			semicolons++;
	}
	r->p = data;
	r->end = end;
	r->sep = semicolons > commas ? ';' : ',';
	r->line = 1;
	buf_init(&r->row, ROW_CAP);
}

void
csv_release(struct csv_reader *r)
{
	buf_release(&r->row);
}

/* Skips to the start of the next line (after a malformed row). */
static void
skip_line(struct csv_reader *r)
{
	while (r->p < r->end && *r->p != '\n')
		r->p++;
	if (r->p < r->end) {
		r->p++;
		r->line++;
	}
}

static int
end_of_line(struct csv_reader *r)
{
	if (r->p < r->end && *r->p == '\r')
		r->p++;
	if (r->p < r->end && *r->p == '\n') {
		r->p++;
		r->line++;
		return 1;
	}
	return r->p >= r->end;
}

int
csv_next(struct csv_reader *r, struct csv_row *row)
{
	size_t	 offsets[CSV_MAX_FIELDS], i;
	int	 more;

	/* blank lines */
	while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) {
		if (*r->p == '\n')
			r->line++;
		r->p++;
	}
	if (r->p >= r->end)
		return 0;
	buf_reset(&r->row);
	row->n = 0;
	row->line = r->line;
	for (more = 1; more;) {
		if (row->n == CSV_MAX_FIELDS)
			goto bad;
		offsets[row->n++] = r->row.len;
		if (r->p < r->end && *r->p == '"') {
			r->p++;
			for (;;) {
				if (r->p >= r->end)
					goto bad;
				if (*r->p == '"') {
					if (r->p + 1 < r->end && r->p[1] == '"')
						r->p++;
					else
						break;
				}
				if (*r->p == '\0')
					goto bad;
				if (*r->p == '\n')
					r->line++;
				if (buf_append(&r->row, r->p, 1) == -1)
					goto bad;
				r->p++;
			}
			r->p++;		/* the closing quote */
		} else {
			const char	*start = r->p;

			while (r->p < r->end && *r->p != r->sep &&
			    *r->p != '\n' && *r->p != '\r') {
				if (*r->p == '"' || *r->p == '\0')
					goto bad;
				r->p++;
			}
			if (buf_append(&r->row, start,
			    (size_t)(r->p - start)) == -1)
				goto bad;
		}
		if (buf_append(&r->row, "", 1) == -1)
			goto bad;
		if (r->p < r->end && *r->p == r->sep)
			r->p++;
		else if (end_of_line(r))
			more = 0;
		else
			goto bad;
	}
	for (i = 0; i < row->n; i++)
		row->field[i] = r->row.data + offsets[i];
	return 1;
bad:
	skip_line(r);
	row->n = 0;
	return -1;
}
