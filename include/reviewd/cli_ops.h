#ifndef REVIEWD_CLI_OPS_H
#define REVIEWD_CLI_OPS_H

#include <stdbool.h>

/*
 * The operator's commands: `check` (the self-check), `backup --to FILE`
 * (an online, consistent copy of the database), `check-backup FILE` and
 * `copy-data --to URL` (copy_data.h).
 * Each loads what it needs itself and never migrates or writes the live
 * database. Exit codes are in docs/operations.md.
 */

/* True when command is one of these. */
bool	cli_ops_handles(const char *command);

/* Runs the command argv[0] with its arguments; config_path is --config
 * (NULL: the default). Returns the process exit code. */
int	cli_ops_main(const char *config_path, int argc, char **argv);

/* fsyncs path, or with dir the directory that holds it (so that a file
 * just linked or renamed there survives a crash). 0 or -1 (errno). */
int	sync_path(const char *path, bool dir);

#endif
