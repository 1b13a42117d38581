/*
 * error_body: a client error as the JSON body every error answer has.
 */
#include <stdio.h>

#include "reviewd/error_body.h"

static const struct {
	int		 status;
	int		 code;
	const char	*message;
} status_table[] = {
	{ 400, 1001, "The request is not valid" },
	{ 401, 1010, "Authentication is required" },
	{ 403, 1014, "Access to resource is forbidden" },
	{ 404, 1004, "Not found" },
	{ 405, 1005, "Method not allowed" },
	{ 408, 1008, "Request timeout" },
	{ 409, 1009, "Conflict" },
	{ 413, 1013, "The request body is too large" },
	{ 415, 1015, "Unsupported media type" },
	{ 429, 1029, "Too many requests" },
	{ 500, 1500, "Internal error" },
	{ 503, 1503, "Service unavailable" },
};

static const char *
status_message(int status, int *code)
{
	size_t	 i;

	for (i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++) {
		if (status_table[i].status == status) {
			*code = status_table[i].code;
			return status_table[i].message;
		}
	}
	*code = status >= 500 ? 1500 : 1000;
	return status >= 500 ? "Internal error" : "The request failed";
}

json_t *
error_body(const struct api_error *err, const char *request_id)
{
	json_t		*o = NULL, *details = NULL;	/* owned */
	char		 message[sizeof(err->message) + 256];
	const char	*base;
	int		 code;
	size_t		 i;

	base = status_message(err->status, &code);
	if (err->message[0] != '\0')
		snprintf(message, sizeof(message), "%s", err->message);
	else if (err->ndetails > 0)
		snprintf(message, sizeof(message), "%s: %s %s", base,
		    err->details[0].field, err->details[0].reason);
	else
		snprintf(message, sizeof(message), "%s", base);
	details = json_array();
	if (details == NULL)
		return NULL;
	for (i = 0; i < err->ndetails; i++) {
		if (json_array_append_new(details, json_pack("{s:s, s:s}",
		    "field", err->details[i].field, "reason",
		    err->details[i].reason)) == -1) {
			json_decref(details);
			return NULL;
		}
	}
	o = json_pack("{s:s, s:i, s:s, s:o}", "message", message,
	    "errorCode", code, "correlationId", request_id, "details",
	    details);
	return o;
}
