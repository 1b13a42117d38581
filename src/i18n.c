/*
 * i18n: the catalogue of lang/xx.txt (see i18n.h), looked up by binary
 * search over the sorted table the build embeds. Stateless; any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/i18n.h"

#define LANG_LEN	8	/* "en", or up to 3 letters with room */

/* The entry of lang and key, or NULL. */
static const struct i18n_text *
find(const char *lang, const char *key)
{
	size_t	 lo = 0, hi = i18n_texts_count, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(i18n_texts[mid].lang, lang);
		if (c == 0)
			c = strcmp(i18n_texts[mid].key, key);
		if (c == 0)
			return &i18n_texts[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The primary language subtag of a locale ("de" of "de-AT", "pt" of
 * "pt_BR"), lower case, into out; "" when it is not 2 or 3 letters. */
static void
primary(const char *tag, size_t len, char out[LANG_LEN])
{
	size_t	 n = 0, i;

	while (n < len && n < 4 && ((tag[n] >= 'a' && tag[n] <= 'z') ||
	    (tag[n] >= 'A' && tag[n] <= 'Z')))
		n++;
	if (n < 2 || n > 3 || (n < len && tag[n] != '-' && tag[n] != '_')) {
		out[0] = '\0';
		return;
	}
	for (i = 0; i < n; i++)
		out[i] = (char)(tag[i] | 0x20);
	out[n] = '\0';
}

/* The catalogue's own copy of a language (a static string), or NULL. */
static const char *
known(const char *tag, size_t len)
{
	const struct i18n_text	*t;
	char			 lang[LANG_LEN];

	if (tag == NULL)
		return NULL;
	primary(tag, len, lang);
	if (lang[0] == '\0' || (t = find(lang, "language_name")) == NULL)
		return NULL;
	return t->lang;
}

bool
i18n_has(const char *lang)
{
	return lang != NULL && known(lang, strlen(lang)) != NULL;
}

/* The language of an Accept-Language header the catalogue has with the
 * highest q (the first of equals), or NULL. */
static const char *
accepted(const char *header)
{
	const char	*p = header, *best = NULL, *lang, *end, *qs;
	double		 best_q = 0, q;
	size_t		 len;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		len = strcspn(p, ";,");
		end = p + strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		q = 1;
		qs = strstr(p, "q=");
		if (p[strcspn(p, ";,")] == ';' && qs != NULL && qs < end)
			q = strtod(qs + 2, NULL);
		if (q > best_q && (lang = known(p, len)) != NULL) {
			best = lang;
			best_q = q;
		}
		p = *end == ',' ? end + 1 : NULL;
	}
	return best;
}

const char *
i18n_lang(const char *want, const char *accept_language,
    const char *fallback)
{
	const char	*lang;

	if ((lang = known(want, want != NULL ? strlen(want) : 0)) != NULL ||
	    (lang = accepted(accept_language)) != NULL ||
	    (lang = known(fallback, fallback != NULL ? strlen(fallback) :
	    0)) != NULL)
		return lang;
	return "en";
}

const char *
i18n(const char *lang, const char *key)
{
	const struct i18n_text	*t = find(lang, key);

	if (t == NULL)
		t = find("en", key);
	return t != NULL ? t->text : key;
}

char *
i18n_format(char *out, size_t outlen, const char *lang, const char *key,
    ...)
{
	const char	*s = i18n(lang, key), *name, *value, *v, *close;
	size_t		 n = 0, len;
	va_list		 ap;

	if (outlen == 0)
		return out;
	while (*s != '\0' && n + 1 < outlen) {
		value = NULL;
		close = *s == '{' ? strchr(s, '}') : NULL;
		va_start(ap, key);
		while (close != NULL && (name = va_arg(ap, const char *)) !=
		    NULL) {
			v = va_arg(ap, const char *);
			if (strlen(name) == (size_t)(close - s - 1) &&
			    strncmp(s + 1, name, (size_t)(close - s - 1)) == 0)
				value = v;
		}
		va_end(ap);
		if (value == NULL) {
			out[n++] = *s++;
			continue;
		}
		len = strlen(value);
		if (len > outlen - 1 - n)
			len = outlen - 1 - n;
		memcpy(out + n, value, len);
		n += len;
		s = close + 1;
	}
	out[n] = '\0';
	return out;
}

bool
i18n_rtl(const char *tag)
{
	static const char *const rtl[] = { "ar", "he", "fa", "ur", "yi",
	    "ps", "sd", "ug", "dv", NULL };
	char	 lang[LANG_LEN];
	size_t	 i;

	if (tag == NULL)
		return false;
	primary(tag, strlen(tag), lang);
	for (i = 0; rtl[i] != NULL; i++) {
		if (strcmp(lang, rtl[i]) == 0)
			return true;
	}
	return false;
}
