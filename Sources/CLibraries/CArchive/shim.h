#include <archive.h>
#include <archive_entry.h>

// The AE_IF* macros are casts Swift cannot import.
enum {
    CARCHIVE_IFREG = AE_IFREG, CARCHIVE_IFDIR = AE_IFDIR, CARCHIVE_IFLNK = AE_IFLNK,
    CARCHIVE_IFCHR = AE_IFCHR, CARCHIVE_IFBLK = AE_IFBLK, CARCHIVE_IFIFO = AE_IFIFO, CARCHIVE_IFSOCK = AE_IFSOCK,
};

// archive_set_error is variadic, which Swift cannot call.
static inline void carchive_set_error(struct archive *a, int code, const char *message) {
    archive_set_error(a, code, "%s", message);
}
