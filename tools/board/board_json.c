/*
 * board_json.c — a growable string and the JSON writing `nabla board` needs.
 */
#include "board_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(bd_buf *b, size_t extra) {
    if (b->oom) return 0;
    if (b->p && b->n + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    b->p[b->n] = 0;
    return 1;
}

void bd_add(bd_buf *b, const void *s, size_t n) {
    if (!grow(b, n) || n == 0) return; /* s may be NULL when n is 0 (an empty protobuf bytes field) */
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void bd_puts(bd_buf *b, const char *s) { bd_add(b, s, strlen(s)); }

void bd_printf(bd_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int w = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    if ((size_t)w < sizeof small) {
        bd_add(b, small, (size_t)w);
        return;
    }
    if (!grow(b, (size_t)w)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)w + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)w;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t k;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) k = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) k = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) k = 4, min = 0x10000;
    else return 0;
    if (k > n) return 0;
    unsigned cp = c & (0x3f >> (k - 1));
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return k;
}

void bd_json_strn(bd_buf *b, const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    bd_add(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            bd_add(b, e, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            bd_printf(b, "\\u%04x", c);
            i++;
        } else if (c == '<' || c == '>' || c == '&') {
            /* harmless in JSON, escaped anyway so no reader takes them for markup */
            bd_printf(b, "\\u%04x", c);
            i++;
        } else {
            size_t k = utf8_len(s + i, n - i);
            if (k == 0) {
                bd_puts(b, "\\ufffd");
                i++;
            } else {
                bd_add(b, s + i, k);
                i += k;
            }
        }
    }
    bd_add(b, "\"", 1);
}

void bd_json_str(bd_buf *b, const char *s) { bd_json_strn(b, s ? s : "", s ? strlen(s) : 0); }

void bd_json_num(bd_buf *b, double v) {
    if (!isfinite(v)) bd_puts(b, "null");
    else if (v == floor(v) && fabs(v) < 1e15) bd_printf(b, "%.0f", v);
    else bd_printf(b, "%.17g", v);
}
