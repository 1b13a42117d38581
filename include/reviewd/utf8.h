#ifndef REVIEWD_UTF8_H
#define REVIEWD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s is well-formed UTF-8: no stray continuation bytes, no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
bool	utf8_valid(const char *s);
/* The same for the len bytes of s, which has a NUL at s[len] (as a buf
 * has); NUL bytes before it are ASCII here. Made for long texts. */
bool	utf8_valid_len(const char *s, size_t len);

/* True when s is valid UTF-8 on one line: no control characters at all
 * (CR, LF, TAB, DEL, C1) and no U+2028/U+2029 line separators. */
bool	utf8_line(const char *s);

/* Drops a UTF-8 sequence left incomplete at the end of s, as a cut to a
 * byte length leaves it. */
void	utf8_cut(char *s);

/* Number of code points of valid UTF-8 s. */
size_t	utf8_length(const char *s);

/* Length of the well-formed UTF-8 sequence at p (a byte >= 0x80), or 0:
 * no stray continuation bytes, overlong forms, surrogates, or code points
 * above U+10FFFF. */
size_t	utf8_sequence(const unsigned char *p);

#endif
