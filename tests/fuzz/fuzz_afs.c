/*
 * AFS order messages (src/afs_message.c) from arbitrary bytes: the raw
 * RFC 5322 message an MTA pipes to `reviewd afs-receive`. When the input
 * starts with "P:", its first line (after "P:") is the business's
 * referencePattern, used when afs_pattern_check accepts it. Invariants: a
 * message is accepted or refused with a reason; an accepted one gives a
 * valid customer address, a name, Message-ID and reference that are
 * header-safe (they go into the invitation e-mail) and within their
 * sizes, the same result when read again; afs_decode_words leaves text
 * without "=?" as it is.
 */
#include "reviewd/afs_message.h"
#include "reviewd/buf.h"
#include "reviewd/config.h"
#include "reviewd/mailer.h"
#include "reviewd/utf8.h"

#define FUZZ_INIT
#include "fuzz.h"

static struct config	 cfg;

static void
fuzz_init(void)
{
	config_defaults(&cfg);
	cfg.afs_max_message_bytes = 1024 * 1024;
}

static void
check_order(const char *msg, size_t len, const char *pattern)
{
	static struct afs_order	 o, again;
	char			 why[256], why2[256];
	int			 rc;

	why[0] = '\0';
	rc = afs_parse_order(msg, len, "bu-fuzz", pattern, &cfg, &o, why,
	    sizeof(why));
	FUZZ_ASSERT(rc == 0 || rc == -1);
	why2[0] = '\0';
	FUZZ_ASSERT(afs_parse_order(msg, len, "bu-fuzz", pattern, &cfg,
	    &again, why2, sizeof(why2)) == rc);
	if (rc == -1) {
		FUZZ_ASSERT(why[0] != '\0' && strcmp(why, why2) == 0);
		return;
	}
	FUZZ_ASSERT(memcmp(&o, &again, sizeof(o)) == 0);
	FUZZ_ASSERT(mailer_address_valid(o.addr));
	FUZZ_ASSERT(o.name[0] != '\0' && mailer_header_safe(o.name));
	FUZZ_ASSERT(strnlen(o.name, sizeof(o.name)) < sizeof(o.name));
	FUZZ_ASSERT(o.msgid[0] != '\0' && mailer_header_safe(o.msgid));
	FUZZ_ASSERT(mailer_header_safe(o.reference));
	FUZZ_ASSERT(strlen(o.reference) <= AFS_REF_MAX);
}

static void
check_words(const char *s)
{
	struct buf	 out;

	buf_init(&out, 4 * strlen(s) + 16);
	FUZZ_ASSERT(afs_decode_words(s, &out) == 0);
	if (strstr(s, "=?") == NULL)
		FUZZ_ASSERT(strcmp(out.data, s) == 0);
	buf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*pattern = NULL, *msg, why[256];
	const uint8_t	*nl;

	if (size >= 2 && memcmp(data, "P:", 2) == 0 &&
	    (nl = memchr(data, '\n', size)) != NULL) {
		pattern = fuzz_string(data + 2, (size_t)(nl - data - 2));
		if (afs_pattern_check(pattern, why, sizeof(why)) == -1) {
			FUZZ_ASSERT(why[0] != '\0');
			pattern[0] = '\0';
		}
		size -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}
	msg = fuzz_string(data, size);
	check_order(msg, size, pattern != NULL ? pattern : "");
	check_words(msg);
	free(msg);
	free(pattern);
	return 0;
}
