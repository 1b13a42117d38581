#ifndef REVIEWD_COPY_DATA_H
#define REVIEWD_COPY_DATA_H

#include "reviewd/config.h"

/*
 * `reviewd copy-data --to postgresql://...` (issue 17): the upgrade of a
 * SQLite installation (cfg's [database] path, read-only) to an empty
 * PostgreSQL database: migrates it, copies every table in one
 * transaction, moves its identity sequences past the copied ids and
 * checks the row counts, which it prints. argv[0] is "copy-data". Sets
 * the storage backend to PostgreSQL for the rest of the process. Returns
 * the process exit code: 0 copied, 1 refused or failed (the target then
 * holds none of the data, at most the schema), 2 usage.
 */
int	copy_data_main(const struct config *cfg, int argc, char **argv);

#endif
