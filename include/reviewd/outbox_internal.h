#ifndef REVIEWD_OUTBOX_INTERNAL_H
#define REVIEWD_OUTBOX_INTERNAL_H

/*
 * What the files of the outbox module share, and nobody else: outbox.c
 * (registration, the lanes) and outbox_add.c (adding rows). Written at
 * start-up only (outbox_register_sender), before threads run; read-only
 * after. Not reviewd/outbox.h: this header must not lead back to the
 * module (scripts/module-cycles).
 */

struct outbox_sender;

/* The kinds of rows as stored (outbox.kind), by enum outbox_kind. */
extern const char *const	 kind_names[];

/* The registered senders, by enum outbox_kind (NULL: none). */
extern const struct outbox_sender	*senders[];

#endif
