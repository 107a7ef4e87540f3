/*
 * utf8.c — UTF-8 checks for the strings nabla writes into protobuf `string`
 * fields: summary tags (src/io/events_write.c, src/ops/summary.c) and node names
 * (src/graph/graph.c). The decoder is nbi_utf8_len in utf8.h.
 */
#include "core/core.h"
#include "core/utf8.h"

#include <stdio.h>

size_t nbi_utf8_invalid_at(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        int k = nbi_utf8_len(p + i, n - i);
        if (!k) return i;
        i += (size_t)k;
    }
    return (size_t)-1;
}

void nbi_utf8_show(const char *s, char *out, size_t cap) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, o = 0;
    while (i < n && o + 8 < cap) {
        int k = nbi_utf8_len(p + i, n - i);
        if (k && p[i] >= 0x20 && p[i] != 0x7F) {
            memcpy(out + o, p + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        } else {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
            i++;
        }
    }
    if (i < n && cap >= 4) {
        if (o > cap - 4) o = cap - 4;
        memcpy(out + o, "...", 3);
        o += 3;
    }
    if (cap) out[o < cap ? o : cap - 1] = 0;
}
