#ifndef REVIEWD_BUF_H
#define REVIEWD_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable byte buffer with a hard cap fixed at init. An append that would
 * pass the cap fails and leaves the buffer as it was: it never truncates.
 * The contents are always NUL-terminated (the NUL is not counted in len).
 */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 alloc;
	size_t	 cap;
};

/* Fills b as empty with the given cap in bytes (not counting the NUL). */
void	buf_init(struct buf *b, size_t cap);

/* Frees the contents; accepts NULL. b may be re-initialised afterwards. */
void	buf_release(struct buf *b);

/* Appends; 0 on success, -1 when over the cap or out of memory. */
int	buf_append(struct buf *b, const void *p, size_t len);
int	buf_puts(struct buf *b, const char *s);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Empties the buffer, keeping its memory. */
void	buf_reset(struct buf *b);

/* Hands the NUL-terminated data to the caller (free() it) and empties b.
 * Never NULL on success: an empty buffer gives "". NULL when out of memory. */
char	*buf_detach(struct buf *b, size_t *len);

#endif
