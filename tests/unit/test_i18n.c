/*
 * Unit tests of the catalogue: a page's language from the invitation's
 * locale, Accept-Language (by q) and the unit's default, in that order;
 * every language has every text; placeholders are filled; right-to-left
 * languages are known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/i18n.h"

static void
test_negotiation(void **state)
{
	(void)state;
	assert_string_equal(i18n_lang("de-DE", "fr", "it"), "de");
	assert_string_equal(i18n_lang("pt_BR", NULL, NULL), "pt");
	/* a locale the catalogue lacks: the next source decides */
	assert_string_equal(i18n_lang("ja-JP", "fr-CH, de;q=0.5", NULL),
	    "fr");
	assert_string_equal(i18n_lang(NULL, "ja, de;q=0.4, nl;q=0.8", NULL),
	    "nl");
	assert_string_equal(i18n_lang(NULL, "sv;q=0, da;q=0.1", NULL), "da");
	assert_string_equal(i18n_lang(NULL, "*, ja", "nb-NO"), "nb");
	assert_string_equal(i18n_lang(NULL, NULL, NULL), "en");
	assert_string_equal(i18n_lang("", "", ""), "en");
	/* not a language tag at all */
	assert_string_equal(i18n_lang("deutsch", "d", "x-klingon"), "en");
	assert_true(i18n_has("PL"));
	assert_false(i18n_has("zz"));
}

static void
test_every_language_is_complete(void **state)
{
	static const char *const langs[] = { "en", "de", "fr", "es", "it",
	    "nl", "da", "sv", "nb", "pl", "pt", NULL };
	size_t	 i, j, keys = 0;

	(void)state;
	for (j = 0; j < i18n_texts_count; j++)
		keys += strcmp(i18n_texts[j].lang, "en") == 0;
	assert_true(keys > 50);
	for (i = 0; langs[i] != NULL; i++) {
		size_t	 n = 0;

		assert_true(i18n_has(langs[i]));
		for (j = 0; j < i18n_texts_count; j++)
			n += strcmp(i18n_texts[j].lang, langs[i]) == 0;
		assert_int_equal(n, keys);
	}
	/* sorted, as the binary search needs */
	for (j = 1; j < i18n_texts_count; j++) {
		int	 c = strcmp(i18n_texts[j - 1].lang, i18n_texts[j].lang);

		assert_true(c < 0 || (c == 0 && strcmp(i18n_texts[j - 1].key,
		    i18n_texts[j].key) < 0));
	}
	assert_string_equal(i18n("de", "submit_review"),
	    "Bewertung abschicken");
	assert_string_equal(i18n("xx", "submit_review"), "Submit review");
	assert_string_equal(i18n("de", "no_such_key"), "no_such_key");
}

static void
test_format(void **state)
{
	char	 out[64], tiny[8];

	(void)state;
	assert_string_equal(i18n_format(out, sizeof(out), "de", "reviews_n",
	    "n", "12", NULL), "12 Bewertungen");
	assert_string_equal(i18n_format(out, sizeof(out), "fr", "reply_from",
	    "business", "{n} & Co", "n", "7", NULL), "Réponse de {n} & Co");
	/* a placeholder without a value stays as it is */
	assert_string_equal(i18n_format(out, sizeof(out), "en", "reviews_n",
	    NULL), "{n} reviews");
	assert_string_equal(i18n_format(tiny, sizeof(tiny), "en",
	    "reply_from", "business", "A very long name", NULL), "Reply f");
}

static void
test_right_to_left(void **state)
{
	(void)state;
	assert_true(i18n_rtl("ar"));
	assert_true(i18n_rtl("he-IL"));
	assert_true(i18n_rtl("FA"));
	assert_false(i18n_rtl("en"));
	assert_false(i18n_rtl("arx"));
	assert_false(i18n_rtl(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_every_language_is_complete),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_right_to_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
