#ifndef REVIEWD_PRODUCTS_H
#define REVIEWD_PRODUCTS_H

#include "reviewd/request.h"

/*
 * A business unit's product catalogue (Trustpilot's private products API):
 * what product reviews and product invitations refer to by SKU.
 */

/* POST (create or update by SKU) and GET
 * /v1/private/business-units/{businessUnitId}/products. */
route_handler	products_upsert, products_list;

#endif
