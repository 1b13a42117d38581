/*
 * links_master: the generated [links] master key (links_master.h): the
 * key that seals the businesses' link keys, webhook signing secrets and
 * inbound addresses, so that those work on a fresh install the way the
 * admin token does. Main thread, at start-up only.
 *
 * The file is made under a temporary name, synced, and linked to its name
 * (which fails if it exists): a crash leaves no half-written key, and two
 * processes starting at once end up with the same one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sodium.h>

#include "reviewd/cli_ops.h"
#include "reviewd/ids.h"
#include "reviewd/links_master.h"
#include "reviewd/log.h"

#define KEY_B64_LEN	44	/* base64 of IDS_MASTER_LEN bytes */

/* Reads the key in path into out (KEY_B64_LEN + 1 bytes): 0, 1 when the
 * file does not exist, -1 when it cannot be read or holds no key. */
static int
read_key(const char *path, char *out)
{
	unsigned char	 key[IDS_MASTER_LEN];
	char		 text[128];
	struct stat	 st;
	ssize_t		 n;
	size_t		 len;
	int		 fd, ret = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		log_error_errno("links: cannot open the master key path=%s",
		    path);
		return -1;
	}
	n = read(fd, text, sizeof(text) - 1);
	if (n == -1) {
		log_error_errno("links: cannot read the master key path=%s",
		    path);
		goto out;
	}
	len = (size_t)n;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	    text[len - 1] == ' '))
		len--;
	text[len] = '\0';
	if (len != KEY_B64_LEN || ids_master_key(text, key) == -1) {
		log_error("links: path=%s does not hold a master key (base64 "
		    "of 32 bytes)", path);
		goto out;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("links: the master key path=%s is readable by "
		    "others than its owner (chmod 600)", path);
	memcpy(out, text, KEY_B64_LEN + 1);
	ret = 0;
out:
	sodium_memzero(text, sizeof(text));
	sodium_memzero(key, sizeof(key));
	(void)close(fd);
	return ret;
}

/* Makes the key file path, unless another process made it first. */
static int
make_key(const char *path)
{
	unsigned char	 key[IDS_MASTER_LEN];
	char		 tmp[CONFIG_PATH + 32], text[KEY_B64_LEN + 2];
	int		 fd = -1, n, ret = -1;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(text, sizeof(text) - 1, key, sizeof(key),
	    sodium_base64_VARIANT_ORIGINAL);
	text[KEY_B64_LEN] = '\n';
	text[KEY_B64_LEN + 1] = '\0';
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 || write(fd, text, KEY_B64_LEN + 1) != KEY_B64_LEN + 1 ||
	    fsync(fd) == -1) {
		log_error_errno("links: cannot write the master key path=%s",
		    tmp);
		goto out;
	}
	if ((link(tmp, path) == -1 && errno != EEXIST) ||
	    sync_path(path, true) == -1) {
		log_error_errno("links: cannot make the master key path=%s",
		    path);
		goto out;
	}
	ret = 0;
out:
	if (fd != -1) {
		(void)close(fd);
		(void)unlink(tmp);
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(text, sizeof(text));
	return ret;
}

int
links_master_settle(struct config *cfg)
{
	char	 path[CONFIG_PATH + 16];
	char	 key[KEY_B64_LEN + 1];
	int	 n, r;

	if (cfg->links_master_key[0] != '\0' ||
	    !cfg->links_generate_master_key)
		return 0;
	n = snprintf(path, sizeof(path), "%s.master-key", cfg->db_path);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_error("links: the master key path is too long");
		return -1;
	}
	r = read_key(path, key);
	if (r == 1) {
		if (make_key(path) == -1)
			return -1;
		r = read_key(path, key);
		if (r == 0)
			log_info("links: generated the master key path=%s "
			    "(back it up with the database: what it seals "
			    "cannot be read without it)", path);
	}
	if (r != 0)
		return -1;
	snprintf(cfg->links_master_key, sizeof(cfg->links_master_key), "%s",
	    key);
	sodium_memzero(key, sizeof(key));
	return 0;
}
