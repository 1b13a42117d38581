/*
 * buf: the one growable byte buffer. Any thread; a buffer itself is never
 * shared. Invariant: data is NULL or NUL-terminated at len, len <= cap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/buf.h"

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void
buf_release(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

static int
grow(struct buf *b, size_t need)
{
	size_t	 want;
	char	*p;

	if (need > b->cap)
		return -1;
	if (need + 1 <= b->alloc)
		return 0;
	want = b->alloc == 0 ? 64 : b->alloc;
	while (want < need + 1)
		want = want > SIZE_MAX / 2 ? need + 1 : want * 2;
	if (want > b->cap + 1)
		want = b->cap + 1;
	p = realloc(b->data, want);
	if (p == NULL)
		return -1;
	b->data = p;
	b->alloc = want;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t len)
{
	if (len > b->cap - b->len || grow(b, b->len + len) == -1)
		return -1;
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	size_t	 room;

	if (grow(b, b->len) == -1)
		return -1;
	room = b->alloc - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto fail;
	if ((size_t)n >= room) {
		if ((size_t)n > b->cap - b->len ||
		    grow(b, b->len + (size_t)n) == -1)
			goto fail;
		va_start(ap, fmt);
		n = vsnprintf(b->data + b->len, b->alloc - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			goto fail;
	}
	b->len += (size_t)n;
	return 0;
fail:
	b->data[b->len] = '\0';
	return -1;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char	*p;

	if (b->data == NULL) {
		if (grow(b, 0) == -1)
			return NULL;
		b->data[0] = '\0';
	}
	p = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
