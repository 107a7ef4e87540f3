/*
 * utf8.c — UTF-8 checks for the strings nabla writes into protobuf `string`
 * fields: summary tags (src/io/events.c, src/ops/summary.c) and node names
 * (src/graph/graph.c). The decoder is nbi_utf8_len in utf8.h.
 */
#include "nb_internal.h"
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

bool nbi_utf8_name_ok(nb_graph *g, const char *scope, const char *name) {
    size_t len = strlen(name);
    if (len && name[len - 1] == '/') scope = ""; /* verbatim: no scope applies */
    size_t a = nbi_utf8_invalid_at(scope), b = nbi_utf8_invalid_at(name);
    if (a == (size_t)-1 && b == (size_t)-1) return true;
    char *full = nbi_asprintf("%s%s", scope, name);
    char show[160];
    nbi_utf8_show(full ? full : name, show, sizeof show);
    size_t at = a != (size_t)-1 ? a : strlen(scope) + b;
    unsigned byte = (unsigned char)(a != (size_t)-1 ? scope[a] : name[b]);
    nbi_free(full);
    nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                    "node name '%s' is not valid UTF-8 (byte %zu is 0x%02x); names are written "
                    "into GraphDefs and event files as protobuf strings",
                    show, at, byte);
    return false;
}
