/*
 * An LD_PRELOAD shim for s3s-fs 0.14.1 (bench/servers.sh), so that the S3 server does not
 * decide the benchmark with what a real S3 service does not do:
 *
 * - read(2) of a directory returns end of file instead of failing with EISDIR. s3s-fs keeps
 *   object `a/b` as the file `<bucket>/a/b`, so a key that is a prefix of other keys is a
 *   directory. A HeadObject of such a key opens the directory, fails to read it for the
 *   ETag (EISDIR) and answers 500 InternalError, where S3 answers 404. dvc's pull starts
 *   with `exists(<remote>/files/md5)` to check the credentials, and s3fs turns that 500
 *   into an error: dvc-s3 cannot pull from an unpatched s3s-fs at all. With the shim that
 *   HeadObject answers 200 (an empty object), the check passes, and nothing else changes:
 *   no other request reads a directory.
 * - accepted connections get TCP_NODELAY. s3s-fs writes a GetObject's headers and then its
 *   body from the file; with Nagle's algorithm the body waits for the client's delayed ACK,
 *   about 40 ms a request on loopback, and that stall, not the client, would be what the
 *   pull case measures.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
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

static int nodelay(int fd) {
    if (fd >= 0) {
        int saved = errno, one = 1;
        /* Fails harmlessly on a socket that is not TCP. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        errno = saved;
    }
    return fd;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
    if (!real_accept4) {
        real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
    }
    return nodelay(real_accept4(fd, addr, len, flags));
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
    static int (*real_accept)(int, struct sockaddr *, socklen_t *);
    if (!real_accept) {
        real_accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
    }
    return nodelay(real_accept(fd, addr, len));
}
