/*
 * io.h — the io room's private header (src/io/): what io's files share with
 * the rooms above (a growing string). io's own headers (atomic.h,
 * tensorboard.h, image_decode.h) include it.
 */
#ifndef NB_IO_H
#define NB_IO_H

#include "core/core.h"

/*** Growing strings (src/io/print.c) ***************************************/

/* A NUL-terminated string that grows as text is added; start it as {0}, free p with
 * nbi_free. On out of memory oom is set and later additions are dropped. */
typedef struct nbi_sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} nbi_sbuf;
void nbi_sb_putn(nbi_sbuf *b, const char *s, size_t n);
void nbi_sb_puts(nbi_sbuf *b, const char *s);

#endif /* NB_IO_H */
