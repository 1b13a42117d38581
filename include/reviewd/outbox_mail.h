#ifndef REVIEWD_OUTBOX_MAIL_H
#define REVIEWD_OUTBOX_MAIL_H

#include "reviewd/outbox.h"
#include "reviewd/request.h"

/*
 * E-mail through the outbox: the sender of OUTBOX_EMAIL rows (over the
 * mailer: mailer_check before a message is queued, one mailer session a
 * batch, mailer_send), registered by main.c, and the operator's test
 * message.
 */

extern const struct outbox_sender	outbox_mail_sender;

/* POST /v1/admin/mail/test */
route_handler	outbox_admin_mail_test;

#endif
