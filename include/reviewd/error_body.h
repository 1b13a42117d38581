#ifndef REVIEWD_ERROR_BODY_H
#define REVIEWD_ERROR_BODY_H

#include <jansson.h>

#include "reviewd/api_error.h"

/*
 * err as the body of its answer, in Trustpilot's error shape: {"message",
 * "errorCode", "correlationId" (request_id), "details": [{"field",
 * "reason"}]}; the message is err's, else derived from its status and
 * first detail. New reference; NULL when out of memory.
 */
json_t	*error_body(const struct api_error *err, const char *request_id);

#endif
