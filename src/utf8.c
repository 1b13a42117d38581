/*
 * utf8: checks and cuts of UTF-8 text, for every module that stores, logs
 * or echoes what a client sent. Stateless; any thread.
 */
#include <stdint.h>
#include <string.h>

#include "reviewd/utf8.h"

size_t
utf8_length(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

size_t
utf8_sequence(const unsigned char *p)
{
	unsigned int	 cp, min;
	size_t		 more, i;

	if ((*p & 0xe0) == 0xc0) {
		cp = *p & 0x1f;
		more = 1;
		min = 0x80;
	} else if ((*p & 0xf0) == 0xe0) {
		cp = *p & 0x0f;
		more = 2;
		min = 0x800;
	} else if ((*p & 0xf8) == 0xf0) {
		cp = *p & 0x07;
		more = 3;
		min = 0x10000;
	} else
		return 0;
	for (i = 1; i <= more; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return more + 1;
}

bool
utf8_valid(const char *s)
{
	return utf8_valid_len(s, strlen(s));
}

bool
utf8_valid_len(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + len;
	uint64_t		 w;
	size_t			 n;

	while (p < end) {
		/* ASCII eight bytes at a time: e-mails are mostly markup */
		if (end - p >= 8) {
			memcpy(&w, p, sizeof(w));
			if ((w & 0x8080808080808080ULL) == 0) {
				p += 8;
				continue;
			}
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		/* stops at the NUL at end: never reads past it */
		if ((n = utf8_sequence(p)) == 0)
			return false;
		p += n;
	}
	return true;
}

bool
utf8_line(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		/* C1 controls U+0080-U+009F; U+2028, U+2029 end lines too */
		if ((p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		    (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 ||
		    p[2] == 0xa9)))
			return false;
	}
	return utf8_valid(s);
}

void
utf8_cut(char *s)
{
	size_t	 len = strlen(s), lead = len, need;

	while (lead > 0 && len - lead < 4 &&
	    ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	lead--;
	need = ((unsigned char)s[lead] & 0xe0) == 0xc0 ? 2 :
	    ((unsigned char)s[lead] & 0xf0) == 0xe0 ? 3 :
	    ((unsigned char)s[lead] & 0xf8) == 0xf0 ? 4 : 1;
	if (lead + need > len)
		s[lead] = '\0';
}
