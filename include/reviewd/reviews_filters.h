#ifndef REVIEWD_REVIEWS_FILTERS_H
#define REVIEWD_REVIEWS_FILTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "reviewd/api_error.h"
#include "reviewd/handler.h"
#include "reviewd/request.h"
#include "reviewd/reviews_shape.h"

enum reviews_list_mode {
	REVIEWS_LIST_PUBLIC,
	REVIEWS_LIST_PRIVATE
};

struct reviews_filters {
	const char	*bu;
	bool		 public_only;
	bool		 product;
	const char	*sku;		/* one SKU asked for */
	char		*skus;		/* owned: JSON array of several */
	bool		 none;		/* nothing can match */
	char		 states[64];	/* JSON array of REVIEWS_STATE_* */
	const char	*username;
	bool		 tag_nocase;
	char		 stars[32];	/* JSON array or "" */
	char		 languages[256];
	int		 nstars, nlanguages;	/* values in each */
	int		 responded;	/* -1: any */
	const char	*tag_group, *tag_value;
	bool		 include_reported;
	const char	*reference, *referral, *source;
	int		 reported, contacted;	/* -1: any */
	int64_t		 from, to;		/* INT64_MIN/MAX: open */
	bool		 on_updated;
	enum reviews_order order;
	bool		 cursor;
	int64_t		 after;
	struct handler_page p;
};

/* The filters of an unfiltered list of unit bu: page 1 of 20. */
void	reviews_filters_init(struct reviews_filters *f, const char *bu,
	    bool public_only, bool product);

/* Frees what f owns; f may be released twice. */
void	reviews_filters_release(struct reviews_filters *f);

/* Reads the query of a list of unit bu into f (initialised first, so
 * always to be released); 0, or -1 with every bad parameter named in
 * err. */
int	reviews_filters_read(const struct request *req, const char *bu,
	    enum reviews_list_mode mode, bool product,
	    struct reviews_filters *f, struct api_error *err);

#endif
