/*
 * shape.c — static shapes (with unknown dims and ranks) and numpy broadcasting.
 */
#include "core/core.h"

#include <stdio.h>

nb_shape nb_shape_make(int rank, const int64_t *dims) {
    nb_shape s;
    memset(&s, 0, sizeof s);
    if (rank < 0 || rank > NB_MAX_RANK || (rank > 0 && !dims)) {
        s.rank = -1;
        return s;
    }
    s.rank = rank;
    for (int i = 0; i < rank; i++) s.dims[i] = dims[i] < 0 ? NB_DIM_UNKNOWN : dims[i];
    return s;
}

bool nbi_shape_known(const nb_shape *s) {
    if (s->rank < 0) return false;
    for (int i = 0; i < s->rank; i++)
        if (s->dims[i] < 0) return false;
    return true;
}

int64_t nbi_shape_numel(const nb_shape *s) {
    return nbi_shape_known(s) ? nbi_numel(s->rank, s->dims) : -1;
}

bool nbi_shape_broadcast(const nb_shape *a, const nb_shape *b, nb_shape *out) {
    if (a->rank < 0 || b->rank < 0) {
        *out = nb_shape_make(-1, NULL);
        return true;
    }
    int r = a->rank > b->rank ? a->rank : b->rank;
    nb_shape o;
    memset(&o, 0, sizeof o);
    o.rank = r;
    for (int i = 0; i < r; i++) {
        int ia = a->rank - r + i, ib = b->rank - r + i;
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        int64_t d;
        if (da == db) d = da;
        else if (da == 1) d = db;
        else if (db == 1) d = da;
        else if (da < 0) d = db;      /* ? vs n: n (if ? turns out 1 or n) */
        else if (db < 0) d = da;
        else return false;
        o.dims[i] = d;
    }
    *out = o;
    return true;
}

bool nbi_dims_broadcast(int ra, const int64_t *da, int rb, const int64_t *db, int *rout,
                        int64_t *dout) {
    int r = ra > rb ? ra : rb;
    for (int i = 0; i < r; i++) {
        int ia = ra - r + i, ib = rb - r + i;
        int64_t x = ia >= 0 ? da[ia] : 1, y = ib >= 0 ? db[ib] : 1;
        if (x == y || y == 1) dout[i] = x;
        else if (x == 1) dout[i] = y;
        else return false;
    }
    *rout = r;
    return true;
}

bool nbi_shape_merge(const nb_shape *a, const nb_shape *b, nb_shape *out) {
    if (a->rank < 0) {
        *out = *b;
        return true;
    }
    if (b->rank < 0) {
        *out = *a;
        return true;
    }
    if (a->rank != b->rank) return false;
    *out = *a;
    for (int i = 0; i < a->rank; i++) {
        if (a->dims[i] < 0) out->dims[i] = b->dims[i];
        else if (b->dims[i] >= 0 && b->dims[i] != a->dims[i]) return false;
    }
    return true;
}

bool nbi_resolve_dims(int rank, const int64_t *req, int64_t count, int64_t *out) {
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < rank; i++) {
        out[i] = req[i];
        if (req[i] == -1) {
            if (infer >= 0) return false;
            infer = i;
        } else if (req[i] < 0) {
            return false;
        } else {
            if (req[i] != 0 && known > INT64_MAX / req[i]) return false;
            known *= req[i];
        }
    }
    if (infer >= 0) {
        if (known == 0 || count % known) return false;
        out[infer] = count / known;
        return true;
    }
    return known == count;
}

bool nbi_shape_compatible(const nb_shape *s, int rank, const int64_t *dims) {
    if (s->rank < 0) return true;
    if (s->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (s->dims[i] >= 0 && s->dims[i] != dims[i]) return false;
    return true;
}

char *nbi_dims_string(int rank, const int64_t *dims, bool python, char *buf, size_t n) {
    size_t len = 0;
    if (n == 0) return buf;
    buf[0] = 0;
#define PUT(...)                                                          \
    do {                                                                  \
        int w_ = snprintf(buf + len, n - len, __VA_ARGS__);               \
        if (w_ > 0) len += (size_t)w_;                                    \
        if (len >= n) len = n - 1;                                        \
    } while (0)
    if (rank < 0) {
        PUT(python ? "<unknown>" : "<unknown>");
        return buf;
    }
    PUT(python ? "(" : "[");
    for (int i = 0; i < rank; i++) {
        if (i) PUT(python ? ", " : ",");
        if (dims[i] < 0) PUT("?");
        else PUT("%lld", (long long)dims[i]);
    }
    if (python && rank == 1) PUT(",");
    PUT(python ? ")" : "]");
#undef PUT
    return buf;
}

char *nb_shape_string(nb_shape s, char *buf, size_t n) {
    return nbi_dims_string(s.rank, s.dims, false, buf, n);
}

/*** Checked sizes and exact integer elements (issue 18) ***/

bool nbi_dim_add(int64_t a, int64_t b, int64_t *out) {
    int64_t r;
    if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r)) return false;
    *out = r;
    return true;
}

bool nbi_dim_mul(int64_t a, int64_t b, int64_t *out) {
    int64_t r;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return false;
    *out = r;
    return true;
}

int nbi_numel_overflow(int rank, const int64_t *dims, int64_t *a, int64_t *b) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) continue;
        if (!nbi_dim_mul(n, dims[i], &n)) {
            *a = n;
            *b = dims[i];
            return i;
        }
    }
    return -1;
}

/* Float -> int64 without undefined behaviour: NaN 0, out of range saturates. */
static int64_t f_to_i64(double v) {
    if (v != v) return 0;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    if (v >= 9223372036854775808.0) return INT64_MAX;
    return (int64_t)v;
}

int64_t nbi_load_int(const void *data, nb_dtype dt, int64_t i) {
    switch (dt) {
    case NB_INT32: return ((const int32_t *)data)[i];
    case NB_INT64: return ((const int64_t *)data)[i];
    case NB_UINT8: case NB_BOOL: return ((const uint8_t *)data)[i];
    case NB_FLOAT32: return f_to_i64(((const float *)data)[i]);
    case NB_FLOAT64: return f_to_i64(((const double *)data)[i]);
    default: return 0;
    }
}

bool nbi_store_int(void *data, nb_dtype dt, int64_t i, int64_t v) {
    switch (dt) {
    case NB_INT32:
        if (v < INT32_MIN || v > INT32_MAX) return false;
        ((int32_t *)data)[i] = (int32_t)v;
        return true;
    case NB_INT64: ((int64_t *)data)[i] = v; return true;
    case NB_UINT8:
        if (v < 0 || v > 255) return false;
        ((uint8_t *)data)[i] = (uint8_t)v;
        return true;
    case NB_BOOL: ((uint8_t *)data)[i] = v != 0; return true;
    case NB_FLOAT32: ((float *)data)[i] = (float)v; return true;
    case NB_FLOAT64: ((double *)data)[i] = (double)v; return true;
    default: return false;
    }
}
