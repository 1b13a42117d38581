/*
 * CSV upload reader (src/csv.c) on arbitrary bytes. Invariants: the reader
 * always moves forward and ends; rows (good or bad) are at most the lines
 * of the input; a row's line numbers never go back and stay within the
 * input's; fields are at most CSV_MAX_FIELDS and hold no more bytes than
 * the input; and every good row, written back as quoted CSV and read
 * again, gives the same fields (one row, then the end).
 */
#include "reviewd/buf.h"
#include "reviewd/csv.h"

#include "fuzz.h"

/* row quoted with sep, the separator the reader will detect again */
static void
reread(const struct csv_row *row, char sep)
{
	struct buf		 b;
	struct csv_reader	 r;
	struct csv_row		 again;
	size_t			 i;
	const char		*p;

	buf_init(&b, 8 * 1024 * 1024);
	for (i = 0; i < row->n; i++) {
		FUZZ_ASSERT(i == 0 || buf_append(&b, &sep, 1) == 0);
		FUZZ_ASSERT(buf_puts(&b, "\"") == 0);
		for (p = row->field[i]; *p != '\0'; p++) {
			if (*p == '"')
				FUZZ_ASSERT(buf_puts(&b, "\"") == 0);
			FUZZ_ASSERT(buf_append(&b, p, 1) == 0);
		}
		FUZZ_ASSERT(buf_puts(&b, "\"") == 0);
	}
	FUZZ_ASSERT(buf_puts(&b, "\r\n") == 0);
	csv_init(&r, b.data, b.len);
	FUZZ_ASSERT(row->n == 1 || r.sep == sep);
	FUZZ_ASSERT(csv_next(&r, &again) == 1);
	FUZZ_ASSERT(again.n == row->n);
	for (i = 0; i < row->n; i++)
		FUZZ_ASSERT(strcmp(again.field[i], row->field[i]) == 0);
	FUZZ_ASSERT(csv_next(&r, &again) == 0);
	csv_release(&r);
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader	 r;
	struct csv_row		 row;
	const char		*text = (const char *)data, *before;
	size_t			 lines = 1, rows = 0, last = 0, bytes, i;
	int			 rc;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	csv_init(&r, text, size);
	FUZZ_ASSERT(r.sep == ',' || r.sep == ';');
	for (;;) {
		before = r.p;
		rc = csv_next(&r, &row);
		FUZZ_ASSERT(rc >= -1 && rc <= 1);
		if (rc == 0)
			break;
		FUZZ_ASSERT(r.p > before && r.p <= text + size);
		FUZZ_ASSERT(++rows <= lines);
		FUZZ_ASSERT(row.line >= last && row.line <= lines);
		FUZZ_ASSERT(r.line <= lines);
		last = row.line;
		if (rc == -1) {
			FUZZ_ASSERT(row.n == 0);
			continue;
		}
		FUZZ_ASSERT(row.n >= 1 && row.n <= CSV_MAX_FIELDS);
		for (i = 0, bytes = 0; i < row.n; i++)
			bytes += strlen(row.field[i]);
		FUZZ_ASSERT(bytes <= size);
		reread(&row, r.sep);
	}
	FUZZ_ASSERT(r.p == text + size);
	csv_release(&r);
	return 0;
}
