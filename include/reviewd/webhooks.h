#ifndef REVIEWD_WEBHOOKS_H
#define REVIEWD_WEBHOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/request.h"
#include "reviewd/outbox.h"

/*
 * Webhook subscriptions of a business unit and signed delivery. Events are
 * queued through the outbox inside the caller's transaction; the outbox's
 * webhook lane delivers them with Trustpilot's envelope, signed per
 * Standard Webhooks 1.0 (webhook-id, webhook-timestamp, webhook-signature:
 * v1,<base64>).
 */

/*
 * Queues event name with eventData (borrowed) for every active subscription
 * of business unit bu that listens to it, inside the caller's open
 * transaction. 0, or -1 (see db_fail). The caller wakes the scheduler after
 * commit.
 */
int	webhooks_emit(struct db *db, const char *bu, const char *name,
	    json_t *data);

/* The concurrent sender of OUTBOX_WEBHOOK rows (the webhook lane's
 * thread), which main.c registers with the outbox. */
extern const struct outbox_sender	webhooks_sender;

/* /v1/private/business-units/{businessUnitId}/webhooks[...] */
route_handler	webhooks_create, webhooks_list, webhooks_delete,
		webhooks_test, webhooks_deliveries;

/* True when sa may be a webhook target with [webhooks]
 * allow_private_targets off: not loopback, private, link-local, multicast
 * or reserved, for IPv4 and IPv6, and in IPv6 forms that embed an IPv4
 * address (mapped, compatible, NAT64, 6to4, Teredo) not such an IPv4
 * address either. */
bool	webhooks_address_public(const struct sockaddr *sa);

/* At start, after the migrations: seals the signing secrets still stored
 * in clear by older versions when [links] master_key is set, else warns
 * that they are. 0 or -1 (logged). */
int	webhooks_upgrade(struct db *db, const struct config *cfg);

/* Erasure: in every stored event (waiting or delivered) about one of the
 * consumers in ids (a JSON array of consumer ids), the consumer's name
 * becomes "Anonymous". Inside the caller's transaction. 0 or -1. */
int	webhooks_anonymise_consumers(struct db *db, const char *ids);

#endif
