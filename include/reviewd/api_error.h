#ifndef REVIEWD_API_ERROR_H
#define REVIEWD_API_ERROR_H

#include <stddef.h>

/*
 * A client error as a handler describes it; error_body.c renders it
 * ({"message", "errorCode", "correlationId", "details"}). Every module that
 * can refuse a request fills one, so this header depends on nothing.
 */

#define API_ERROR_MAX_DETAILS	16

struct api_error_detail {
	char	 field[64];
	char	 reason[192];
};

struct api_error {
	int			 status;	/* 0 while there is no error */
	char			 message[512];	/* "" = derived */
	struct api_error_detail	 details[API_ERROR_MAX_DETAILS];
	size_t			 ndetails;
	char			 header_name[32];	/* one extra header, */
	char			 header_value[192];	/* e.g. Allow */
};

/*
 * Sets the status (the first status set wins, so the most specific caller
 * decides) and, when field is not NULL, adds a detail naming the field.
 * When field is NULL the formatted text becomes the message.
 */
void	api_error_set(struct api_error *err, int status, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A 500 "Internal error": what a request path answers when memory or
 * an internal step fails (STYLE.md section 3); the log says which. */
void	api_error_internal(struct api_error *err);

/* Sets the extra header sent with the error (WWW-Authenticate, Allow, ..). */
void	api_error_header(struct api_error *err, const char *name,
	    const char *value);

#endif
