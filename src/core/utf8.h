/*
 * utf8.h — UTF-8 validation (RFC 3629): protobuf `string` fields (tags, node
 * names) must hold valid UTF-8, or TensorBoard and protoc reject the file.
 * Included by the library (src/core/utf8.c) and by tools/cli/events.c.
 */
#ifndef NB_UTF8_H
#define NB_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s, n bytes available; 0 when the
 * bytes there are no valid sequence: a stray continuation byte, an overlong
 * form, a surrogate (U+D800..U+DFFF), a code point above U+10FFFF, or a
 * sequence cut short. */
static inline int nbi_utf8_len(const unsigned char *s, size_t n) {
    if (n == 0) return 0;
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int len;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;      /* overlong */
        else if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;      /* overlong */
        else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < (size_t)len || s[1] < lo || s[1] > hi) return 0;
    for (int i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

/* nbi_utf8_invalid_at and nbi_utf8_show are declared in core/core.h. */

#endif
