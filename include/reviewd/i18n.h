#ifndef REVIEWD_I18N_H
#define REVIEWD_I18N_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The texts of the reviewer pages in every language reviewd speaks, one
 * file per language in lang/ (lang/en.txt says how), embedded at build
 * time (scripts/embed-lang.sh), which fails when a file lacks a key.
 */

struct i18n_text {
	const char	*lang;	/* ISO 639-1: "en", "de", .. */
	const char	*key;
	const char	*text;
};

/* Sorted by lang, then key (strcmp). */
extern const struct i18n_text	i18n_texts[];
extern const size_t		i18n_texts_count;

/*
 * The language of a page for a reviewer: the first that the catalogue has
 * of want (the invitation's or review's locale, "de-DE" or "de"; may be
 * NULL), the languages of accept_language (an Accept-Language header, by
 * its q values; may be NULL) and fallback (the unit's default locale; may
 * be NULL); else "en". A static string.
 */
const char	*i18n_lang(const char *want, const char *accept_language,
		    const char *fallback);

/* Whether the catalogue has language lang ("de", or a locale "de-AT"). */
bool		 i18n_has(const char *lang);

/* The text of key in lang (from i18n_lang); English when lang lacks it.
 * An unknown key is given back as it is, so a test sees it. */
const char	*i18n(const char *lang, const char *key);

/*
 * The text of key in lang with each "{name}" of the NULL-terminated name,
 * value pairs replaced by its value, into out (always terminated, cut at
 * outlen). Returns out.
 */
char		*i18n_format(char *out, size_t outlen, const char *lang,
		    const char *key, ...) __attribute__((sentinel));

/* Whether text in language tag (a locale such as "ar" or "he-IL") runs
 * right to left. */
bool		 i18n_rtl(const char *tag);

#endif
