/*
 * tensor.c — nb_tensor: reference-counted, row-major, 64-byte aligned n-d values.
 *
 * A tensor either owns its data (nbi_aligned_alloc), wraps foreign memory with
 * a deleter (TF_NewTensor), or is a view sharing the data of a base tensor it
 * holds a reference on (reshape without copying).
 */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>

/*** dtypes ***/

bool nbi_dtype_valid(nb_dtype dt) {
    switch (dt) {
    case NB_FLOAT32: case NB_FLOAT64: case NB_INT32: case NB_UINT8: case NB_INT64: case NB_BOOL:
        return true;
    default:
        return false;
    }
}


size_t nb_dtype_size(nb_dtype dt) {
    switch (dt) {
    case NB_FLOAT32: case NB_INT32: return 4;
    case NB_FLOAT64: case NB_INT64: return 8;
    case NB_UINT8: case NB_BOOL: return 1;
    default: return 0;
    }
}

const char *nb_dtype_name(nb_dtype dt) {
    switch (dt) {
    case NB_FLOAT32: return "float32";
    case NB_FLOAT64: return "float64";
    case NB_INT32: return "int32";
    case NB_UINT8: return "uint8";
    case NB_INT64: return "int64";
    case NB_BOOL: return "bool";
    default: return "invalid";
    }
}

const char *nbi_dtype_tfname(nb_dtype dt) {
    switch (dt) {
    case NB_FLOAT32: return "float";
    case NB_FLOAT64: return "double";
    default: return nb_dtype_name(dt);
    }
}

double nbi_load(const void *data, nb_dtype dt, int64_t i) {
    switch (dt) {
    case NB_FLOAT32: return ((const float *)data)[i];
    case NB_FLOAT64: return ((const double *)data)[i];
    case NB_INT32: return ((const int32_t *)data)[i];
    case NB_INT64: return (double)((const int64_t *)data)[i];
    case NB_UINT8: return ((const uint8_t *)data)[i];
    case NB_BOOL: return ((const uint8_t *)data)[i] ? 1.0 : 0.0;
    default: return 0.0;
    }
}

/* Float -> int conversion that never invokes undefined behaviour: NaN gives 0,
 * out-of-range values saturate. */
static int64_t to_i64(double v, double lo, double hi) {
    if (v != v) return 0;
    if (v <= lo) return (int64_t)lo;
    if (v >= hi) return (int64_t)hi;
    return (int64_t)v;
}

void nbi_store(void *data, nb_dtype dt, int64_t i, double v) {
    switch (dt) {
    case NB_FLOAT32: ((float *)data)[i] = (float)v; break;
    case NB_FLOAT64: ((double *)data)[i] = v; break;
    case NB_INT32: ((int32_t *)data)[i] = (int32_t)to_i64(v, -2147483648.0, 2147483647.0); break;
    case NB_INT64:
        ((int64_t *)data)[i] = to_i64(v, -9223372036854775808.0, 9223372036854774784.0);
        break;
    case NB_UINT8: ((uint8_t *)data)[i] = (uint8_t)(to_i64(v, -1e18, 1e18) & 0xff); break;
    case NB_BOOL: ((uint8_t *)data)[i] = v != 0.0; break;
    default: break;
    }
}

void nbi_convert(const void *src, nb_dtype sdt, void *dst, nb_dtype ddt, int64_t n) {
    if (sdt == ddt) {
        memcpy(dst, src, (size_t)n * nb_dtype_size(sdt));
        return;
    }
    if (sdt == NB_INT64 && ddt == NB_INT32) { /* exact for in-range values, wraps as numpy */
        for (int64_t i = 0; i < n; i++) ((int32_t *)dst)[i] = (int32_t)((const int64_t *)src)[i];
        return;
    }
    if (sdt == NB_INT64 && ddt == NB_FLOAT64) {
        for (int64_t i = 0; i < n; i++) ((double *)dst)[i] = (double)((const int64_t *)src)[i];
        return;
    }
    for (int64_t i = 0; i < n; i++) nbi_store(dst, ddt, i, nbi_load(src, sdt, i));
}

/*** creation ***/

static nb_tensor *tensor_header(nb_dtype dtype, int rank, const int64_t *dims) {
    if (!nbi_dtype_valid(dtype) || rank < 0 || rank > NB_MAX_RANK || (rank > 0 && !dims))
        return NULL;
    int64_t n = nbi_numel(rank, dims);
    if (n < 0 || nbi_mul_size((size_t)n, nb_dtype_size(dtype)) == SIZE_MAX) return NULL;
    nb_tensor *t = nbi_calloc(1, sizeof *t);
    if (!t) return NULL;
    atomic_init(&t->refcount, 1);
    atomic_init(&t->pool_index, -1);
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
    t->size = n;
    t->nbytes = (size_t)n * nb_dtype_size(dtype);
    return t;
}

nb_tensor *nbi_tensor_alloc(nb_dtype dtype, int rank, const int64_t *dims) {
    nb_tensor *t = tensor_header(dtype, rank, dims);
    if (!t) return NULL;
    t->data = nbi_aligned_alloc(t->nbytes);
    if (!t->data) {
        nbi_free(t);
        return NULL;
    }
    t->capacity = t->nbytes;
    t->owns_data = true;
    return t;
}

nb_tensor *nb_tensor_new(nb_dtype dtype, int rank, const int64_t *dims, const void *data) {
    nb_tensor *t = nbi_tensor_alloc(dtype, rank, dims);
    if (!t) return NULL;
    if (data)
        memcpy(t->data, data, t->nbytes);
    else
        memset(t->data, 0, t->nbytes);
    return t;
}

nb_tensor *nb_tensor_wrap(nb_dtype dtype, int rank, const int64_t *dims, void *data,
                          size_t nbytes, void (*deleter)(void *, size_t, void *), void *ctx) {
    nb_tensor *t = tensor_header(dtype, rank, dims);
    if (!t || (t->nbytes > 0 && !data) || nbytes < t->nbytes) {
        nbi_free(t);
        if (deleter) deleter(data, nbytes, ctx);
        return NULL;
    }
    t->data = data;
    t->capacity = nbytes;
    t->deleter = deleter;
    t->deleter_ctx = ctx;
    return t;
}

bool nb_tensor_is_exclusive(const nb_tensor *t) {
    if (!t || t->base || t->deleter) return false;
    int rc = nbi_refcount(t);
    return rc == 1 || (rc == 2 && t->pool_index >= 0);
}

nb_tensor *nbi_tensor_view(nb_tensor *base, int rank, const int64_t *dims) {
    nb_tensor *t = tensor_header(base->dtype, rank, dims);
    if (!t) return NULL;
    if (t->size != base->size) {
        nbi_free(t);
        return NULL;
    }
    t->data = base->data;
    t->capacity = base->nbytes;
    t->base = nb_tensor_ref(base);
    return t;
}

void nbi_tensor_relabel(nb_tensor *t, nb_dtype dtype, int rank, const int64_t *dims) {
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
    t->size = nbi_numel(rank, dims);
    t->nbytes = (size_t)t->size * nb_dtype_size(dtype);
}

nb_tensor *nb_tensor_scalar(nb_dtype dtype, double value) {
    nb_tensor *t = nbi_tensor_alloc(dtype, 0, NULL);
    if (t) nbi_store(t->data, dtype, 0, value);
    return t;
}

nb_tensor *nb_tensor_fill(nb_dtype dtype, int rank, const int64_t *dims, double value) {
    nb_tensor *t = nbi_tensor_alloc(dtype, rank, dims);
    if (!t) return NULL;
    if (value == 0.0 && !signbit(value)) { /* -0.0 must stay negative for floats */
        memset(t->data, 0, t->nbytes);
    } else if (dtype == NB_FLOAT32) {
        float v = (float)value;
        for (int64_t i = 0; i < t->size; i++) ((float *)t->data)[i] = v;
    } else {
        for (int64_t i = 0; i < t->size; i++) nbi_store(t->data, dtype, i, value);
    }
    return t;
}

nb_tensor *nb_tensor_zeros(nb_dtype dtype, int rank, const int64_t *dims) {
    return nb_tensor_fill(dtype, rank, dims, 0.0);
}

nb_tensor *nb_tensor_ones(nb_dtype dtype, int rank, const int64_t *dims) {
    return nb_tensor_fill(dtype, rank, dims, 1.0);
}

nb_tensor *nb_tensor_range(nb_dtype dtype, double start, double limit, double delta) {
    if (delta == 0.0 || !isfinite(start) || !isfinite(limit) || !isfinite(delta)) return NULL;
    double count = ceil((limit - start) / delta);
    if (!(count <= 1e15)) return NULL; /* before the cast: converting a huge double is UB */
    int64_t n = count > 0 ? (int64_t)count : 0;
    nb_tensor *t = nbi_tensor_alloc(dtype, 1, &n);
    if (!t) return NULL;
    for (int64_t i = 0; i < n; i++) nbi_store(t->data, dtype, i, start + (double)i * delta);
    return t;
}

nb_tensor *nb_tensor_linspace(nb_dtype dtype, double start, double stop, int64_t num) {
    if (num < 0 || !isfinite(start) || !isfinite(stop)) return NULL;
    nb_tensor *t = nbi_tensor_alloc(dtype, 1, &num);
    if (!t) return NULL;
    double step = num > 1 ? (stop - start) / (double)(num - 1) : 0.0;
    for (int64_t i = 0; i < num; i++)
        nbi_store(t->data, dtype, i, i == num - 1 && num > 1 ? stop : start + (double)i * step);
    return t;
}

/*** references ***/

nb_tensor *nb_tensor_ref(nb_tensor *t) {
    return nbi_ref(t);
}

void nb_tensor_unref(nb_tensor *t) {
    if (!t || atomic_fetch_sub_explicit(&t->refcount, 1, memory_order_acq_rel) > 1) return;
    if (t->base)
        nb_tensor_unref(t->base);
    else if (t->owns_data)
        nbi_aligned_free(t->data);
    else if (t->deleter)
        t->deleter(t->data, t->capacity, t->deleter_ctx);
    nbi_free(t);
}

/*** accessors ***/

nb_dtype nb_tensor_dtype(const nb_tensor *t) { return t ? t->dtype : NB_DTYPE_INVALID; }
int nb_tensor_rank(const nb_tensor *t) { return t ? t->rank : -1; }
int64_t nb_tensor_dim(const nb_tensor *t, int i) {
    return t && i >= 0 && i < t->rank ? t->dims[i] : -1;
}
const int64_t *nb_tensor_dims(const nb_tensor *t) { return t ? t->dims : NULL; }
nb_shape nb_tensor_shape(const nb_tensor *t) {
    return t ? nb_shape_make(t->rank, t->dims) : nb_shape_make(-1, NULL);
}
int64_t nb_tensor_size(const nb_tensor *t) { return t ? t->size : 0; }
size_t nb_tensor_nbytes(const nb_tensor *t) { return t ? t->nbytes : 0; }
void *nb_tensor_data(nb_tensor *t) { return t ? t->data : NULL; }
const void *nb_tensor_data_const(const nb_tensor *t) { return t ? t->data : NULL; }

double nb_tensor_get_flat(const nb_tensor *t, int64_t i) {
    if (!t || i < 0 || i >= t->size) return 0.0;
    return nbi_load(t->data, t->dtype, i);
}

nb_status nb_tensor_set_flat(nb_tensor *t, int64_t i, double value) {
    if (!t || i < 0 || i >= t->size) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    nbi_store(t->data, t->dtype, i, value);
    return NB_OK;
}

double nb_tensor_get(const nb_tensor *t, const int64_t *index) {
    if (!t || (t->rank > 0 && !index)) return 0.0;
    int64_t flat = 0;
    for (int i = 0; i < t->rank; i++) {
        if (index[i] < 0 || index[i] >= t->dims[i]) return 0.0;
        flat = flat * t->dims[i] + index[i];
    }
    return nbi_load(t->data, t->dtype, flat);
}

double nb_tensor_scalar_f64(const nb_tensor *t) { return nb_tensor_get_flat(t, 0); }

/*** copies ***/

nb_tensor *nb_tensor_copy(const nb_tensor *t) {
    return t ? nb_tensor_new(t->dtype, t->rank, t->dims, t->data) : NULL;
}

nb_tensor *nb_tensor_cast(const nb_tensor *t, nb_dtype dtype) {
    if (!t) return NULL;
    nb_tensor *r = nbi_tensor_alloc(dtype, t->rank, t->dims);
    if (r) nbi_convert(t->data, t->dtype, r->data, dtype, t->size);
    return r;
}

nb_tensor *nb_tensor_reshape(const nb_tensor *t, int rank, const int64_t *dims) {
    if (!t || rank < 0 || rank > NB_MAX_RANK || (rank > 0 && !dims)) return NULL;
    int64_t d[NB_MAX_RANK];
    if (!nbi_resolve_dims(rank, dims, t->size, d)) return NULL;
    return nb_tensor_new(t->dtype, rank, d, t->data);
}

bool nb_tensor_equal(const nb_tensor *a, const nb_tensor *b) {
    if (!a || !b || a->dtype != b->dtype || a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    if (a->dtype == NB_FLOAT32 || a->dtype == NB_FLOAT64) {
        for (int64_t i = 0; i < a->size; i++) {
            double x = nbi_load(a->data, a->dtype, i), y = nbi_load(b->data, b->dtype, i);
            if (!(x == y || (x != x && y != y))) return false;
        }
        return true;
    }
    return memcmp(a->data, b->data, a->nbytes) == 0;
}

int nbi_nonfinite(const nb_tensor *t) {
    int found = 0;
    if (!t || !t->data) return 0;
    if (t->dtype == NB_FLOAT32) {
        const float *x = t->data;
        for (int64_t i = 0; i < t->size && found != 3; i++)
            if (!isfinite(x[i])) found |= isnan(x[i]) ? 1 : 2;
    } else if (t->dtype == NB_FLOAT64) {
        const double *x = t->data;
        for (int64_t i = 0; i < t->size && found != 3; i++)
            if (!isfinite(x[i])) found |= isnan(x[i]) ? 1 : 2;
    }
    return found;
}

const char *nbi_nonfinite_what(int found) {
    return found == 3 ? "Inf and NaN" : found == 2 ? "Inf" : "NaN";
}
