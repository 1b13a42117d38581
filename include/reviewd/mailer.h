#ifndef REVIEWD_MAILER_H
#define REVIEWD_MAILER_H

#include <stdbool.h>

/*
 * Mail: addresses now; the maildir and SMTP transports come with the
 * delivery engine.
 */

#define MAILER_ADDRESS_MAX	254

/*
 * True for a plain addr-spec "local@domain" of at most 254 bytes: a
 * dot-atom local part (RFC 5322 atext and dots, no leading, trailing or
 * double dot) and a domain of at least two DNS labels. Quoted local parts,
 * comments and address literals are refused: nothing we send needs them,
 * and they are where header injection hides.
 */
bool	mailer_address_valid(const char *s);

#endif
