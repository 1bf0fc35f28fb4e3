/* hash.h - SHA-256 digests (Debian's nettle), for the provenance of result files and the
 * identity of checkpoints. */
#ifndef GAPSIM_HASH_H
#define GAPSIM_HASH_H

#include <stddef.h>

enum { HASH_HEX_SIZE = 65 }; /* 64 lowercase hex digits and a NUL */

/* The SHA-256 of data[0..len) as 64 lowercase hex digits plus NUL in hex. */
void hash_sha256_hex(const void *data, size_t len, char hex[HASH_HEX_SIZE]);

#endif
