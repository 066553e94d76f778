/*
 * An LD_PRELOAD shim for s3s-fs (bench/servers.sh): read(2) of a directory returns end of
 * file instead of failing with EISDIR.
 *
 * s3s-fs keeps object `a/b` as the file `<bucket>/a/b`, so a key that is a prefix of other
 * keys is a directory. A HeadObject of such a key then opens the directory, fails to read
 * it for the ETag (EISDIR) and answers 500 InternalError, where S3 answers 404. dvc's pull
 * starts with `exists(<remote>/files/md5)` to check the credentials, and s3fs turns that
 * 500 into an error: dvc-s3 cannot pull from an unpatched s3s-fs at all. With the shim the
 * HeadObject answers 200 (an empty object), the check passes, and nothing else changes:
 * no other request reads a directory.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>

ssize_t read(int fd, void *buf, size_t count) {
    static ssize_t (*real_read)(int, void *, size_t);
    if (!real_read) {
        real_read = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    }
    ssize_t n = real_read(fd, buf, count);
    if (n < 0 && errno == EISDIR) {
        return 0;
    }
    return n;
}
