#ifndef REVIEWD_REVIEWS_PRODUCTS_H
#define REVIEWD_REVIEWS_PRODUCTS_H

#include "reviewd/request.h"

/*
 * What Trustpilot's product reviews API adds to the lists: the summaries
 * of a product's reviews (stars average and count per star, kept by the
 * triggers of migration 0019) and the conversations through which a
 * business replies to a product review.
 */

/* GET /v1/product-reviews/business-units/{businessUnitId}?sku= (or
 * productUrl=): one summary of the SKUs asked for, together. */
route_handler	reviews_products_summary;

/* POST /v1/product-reviews/business-units/{businessUnitId}/batch-summaries
 * {"skus": [...]}: a summary per SKU, in the order asked. */
route_handler	reviews_products_batch_summaries;

/* GET /v1/private/product-reviews/business-units/{businessUnitId}/summaries:
 * the summary of each product with visible reviews, by SKU, paged. */
route_handler	reviews_products_summaries_private;

/* POST /v1/private/product-reviews/{reviewId}/create-conversation: the
 * review's conversation id, made on first call (201), the same after
 * (200). */
route_handler	reviews_products_conversation_create;

/* GET /v1/private/conversations/{conversationId}: the conversation and its
 * comments, oldest first. */
route_handler	reviews_products_conversation_get;

/* POST /v1/private/conversations/{conversationId}/comments {"content",
 * "integrationId"}: a business comment; it becomes the review's reply
 * (shown with the review) and is mailed to the reviewer. 201. */
route_handler	reviews_products_comment_create;

#endif
