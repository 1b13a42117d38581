#ifndef REVIEWD_LINKS_MASTER_H
#define REVIEWD_LINKS_MASTER_H

#include "reviewd/config.h"

/*
 * The [links] master key of a fresh install. With no [links] master_key
 * and generate_master_key on (the default), the key is read from
 * "<[database] path>.master-key", made on the first start (32 random
 * bytes, base64, mode 0600, written whole or not at all), and set in
 * cfg->links_master_key. Call at start-up, before any thread reads cfg
 * and after the database's directory exists. 0, or -1 (logged).
 */
int	links_master_settle(struct config *cfg);

#endif
