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
		fprintf(stderr, "fuzz: invariant broken at %s:%d: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* libsodium as main() leaves it; the modules' logs silenced but errors. */
static inline void
fuzz_setup(void)
{
	if (sodium_init() == -1)
		abort();
	log_set_level(LOG_LEVEL_ERROR);
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

#endif
