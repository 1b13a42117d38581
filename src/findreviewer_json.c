/*
 * findreviewer_json: Find Reviewer requests as the API shows them, from
 * the JSON they are read back as. Pure (no storage), so that both
 * findreviewer and the reviews' JSON, which shows a review's thread, can
 * use it without depending on each other. Any thread.
 */
#include <stddef.h>

#include "reviewd/clock.h"
#include "reviewd/findreviewer_json.h"
#include "reviewd/json.h"

json_t *
findreviewer_json_request(json_t *r)
{
	json_t		*o, *resp;	/* owned */
	json_error_t	 jerr;
	const char	*text = json_string_value(json_object_get(r,
			    "response"));
	char		 iso[CLOCK_ISO_LEN];

	resp = text != NULL ? json_loads(text, 0, &jerr) : json_null();
	if (resp == NULL)
		resp = json_null();
	if (json_is_object(resp) && json_integer_value(json_object_get(r,
	    "respondedAt")) != 0 && clock_format(json_integer_value(
	    json_object_get(r, "respondedAt")), iso) == 0)
		json_object_set_new(resp, "submittedAt", json_string(iso));
	o = json_pack("{s:O, s:O, s:O, s:o, s:O}", "id", json_object_get(r,
	    "id"), "status", json_object_get(r, "status"),
	    "businessUserMessage", json_object_get(r, "message"),
	    "consumerResponse", resp, "requestedInformation",
	    json_object_get(r, "requested"));
	if (o == NULL || json_set_time(o, "created", json_integer_value(
	    json_object_get(r, "created"))) == -1 || json_set_time(o,
	    "deadline", json_integer_value(json_object_get(r,
	    "deadline"))) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
findreviewer_json(const char *requests, bool eligible)
{
	json_error_t	 jerr;
	json_t		*stored = json_loads(requests != NULL ? requests : "[]",
			    0, &jerr);
	json_t		*list = json_array(), *r;
	size_t		 i;

	json_array_foreach(stored, i, r)
		json_array_append_new(list, findreviewer_json_request(r));
	json_decref(stored);
	return json_pack("{s:b, s:o}", "isEligible", eligible, "requests",
	    list != NULL ? list : json_array());
}
