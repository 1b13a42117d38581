/*
 * mailer: e-mail addresses. Stateless; any thread.
 */
#include <string.h>

#include "reviewd/mailer.h"

static bool
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c >= 0x80) ||
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c >= 0x80;
}

bool
mailer_address_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	const char		*at = strrchr(s, '@');
	size_t			 labels = 0, label_len = 0;

	if (at == NULL || at == s || strlen(s) > MAILER_ADDRESS_MAX)
		return false;
	for (; (const char *)p < at; p++) {
		if (*p == '.') {
			if ((const char *)p == s || p[1] == '.' ||
			    (const char *)p + 1 == at)
				return false;
		} else if (!is_atext(*p))
			return false;
	}
	for (p++; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label_len == 0 || label_len > 63 || p[-1] == '-')
				return false;
			labels++;
			label_len = 0;
			if (*p == '\0')
				break;
		} else if (!label_char(*p) || (label_len == 0 && *p == '-'))
			return false;
		else
			label_len++;
	}
	return labels >= 2;
}
