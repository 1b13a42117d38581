/*
 * api_error: filling the client error a handler answers with.
 */
#include <stdarg.h>
#include <stdio.h>

#include "reviewd/api_error.h"
#include "reviewd/utf8.h"

void
api_error_set(struct api_error *err, int status, const char *field,
    const char *fmt, ...)
{
	va_list			 ap;
	struct api_error_detail	*d;

	if (err->status == 0)
		err->status = status;
	va_start(ap, fmt);
	if (field == NULL) {
		if (err->message[0] == '\0')
			vsnprintf(err->message, sizeof(err->message), fmt, ap);
	} else if (err->ndetails < API_ERROR_MAX_DETAILS) {
		d = &err->details[err->ndetails++];
		snprintf(d->field, sizeof(d->field), "%s", field);
		vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
		utf8_cut(d->field);
		utf8_cut(d->reason);
	}
	va_end(ap);
	utf8_cut(err->message);
}

void
api_error_header(struct api_error *err, const char *name, const char *value)
{
	snprintf(err->header_name, sizeof(err->header_name), "%s", name);
	snprintf(err->header_value, sizeof(err->header_value), "%s", value);
}

void
api_error_internal(struct api_error *err)
{
	api_error_set(err, 500, NULL, "Internal error");
}
