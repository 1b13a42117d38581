#ifndef REVIEWD_INVITATIONS_UPLOAD_H
#define REVIEWD_INVITATIONS_UPLOAD_H

#include "reviewd/request.h"

/*
 * POST .../invitations/csv (text/csv): every row is checked first; any
 * bad row imports nothing unless ?skipInvalid=true. Then the rows are
 * stored in chunks, each row's outcome in the import's record
 * (invitations_csv.h). The answer has the counts and the first problem
 * rows.
 */
route_handler	invitations_csv;

#endif
