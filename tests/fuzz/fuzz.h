/*
 * Shared by the libFuzzer harnesses of tests/fuzz: an invariant check that
 * names itself and aborts (libFuzzer saves the input as a crash), and the
 * one-time set-up of the libraries the modules expect main() to have done.
 */
#ifndef REVIEWD_FUZZ_H
#define REVIEWD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "reviewd/log.h"

#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz: invariant broken at %s:%d: %s\n", \
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Set when REVIEWD_FUZZ_STRICT is in the environment: the harnesses then
 * also check the invariants that known, not yet fixed defects break (see
 * tests/fuzz/crashes/README), so that the inputs kept there reproduce.
 */
static int	fuzz_strict;

/* libsodium as main() leaves it; the modules' logs silenced but errors. */
static inline void
fuzz_setup(void)
{
	if (sodium_init() == -1)
		abort();
	log_set_level(LOG_LEVEL_ERROR);
	fuzz_strict = getenv("REVIEWD_FUZZ_STRICT") != NULL;
}

/*
 * libFuzzer calls this once before the inputs. A harness with more to set
 * up defines FUZZ_INIT before including this file and writes
 * static void fuzz_init(void).
 */
#ifdef FUZZ_INIT
static void	fuzz_init(void);
#endif

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
#ifdef FUZZ_INIT
	fuzz_init();
#endif
	return 0;
}

/* A NUL-terminated copy of the input (malloc'd: ASan sees overreads). */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char	*s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits [*data, *data + *size) at the first byte sep: the part before it
 * as a malloc'd string, the rest left in *data and *size (empty when sep does
 * not occur). */
static inline char *
fuzz_take(const uint8_t **data, size_t *size, uint8_t sep)
{
	const uint8_t	*end = memchr(*data, sep, *size);
	size_t		 n = end != NULL ? (size_t)(end - *data) : *size;
	char		*s = fuzz_string(*data, n);

	*data += end != NULL ? n + 1 : n;
	*size -= end != NULL ? n + 1 : n;
	return s;
}

/*
 * Checks an RFC 5322 message as mailer_compose writes it: CRLF line ends
 * only (no bare CR or LF anywhere), no line over 998 bytes, a blank line
 * ending the header section, and every header line either "Name: ..." or
 * the continuation of a folded one (starting with a space). Returns the
 * length of the header section (up to its blank line).
 */
static inline size_t
fuzz_check_message(const char *m)
{
	const char	*p, *line, *body = strstr(m, "\r\n\r\n");
	size_t		 n;

	FUZZ_ASSERT(body != NULL);
	for (p = m, line = m; *p != '\0'; p++) {
		if (*p == '\r')
			FUZZ_ASSERT(p[1] == '\n');
		if (*p != '\n')
			continue;
		FUZZ_ASSERT(p > m && p[-1] == '\r');
		FUZZ_ASSERT((size_t)(p - 1 - line) <= 998);
		if (line <= body) {
			n = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789-");
			FUZZ_ASSERT(line == body + 2 || line[0] == ' ' ||
			    (n > 0 && line[n] == ':' && line[n + 1] == ' '));
		}
		line = p + 1;
	}
	FUZZ_ASSERT(*line == '\0');	/* the last line ended too */
	return (size_t)(body - m);
}

#endif
