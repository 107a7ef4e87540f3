/*
 * kmeans.c — k-means clustering (Lloyd's algorithm) with k-means++ seeding.
 *
 * Follows scikit-learn 1.2's KMeans(algorithm="lloyd") step for step so that
 * the same starting centroids give the same iterations: the data are centered,
 * the tolerance is tol * mean(var(X, axis=0)) on the total squared centroid
 * shift, a run stops at repeated labels or a small shift, empty clusters take
 * the farthest rows (_relocate_empty_clusters_dense), and k-means++ is the
 * greedy variant with 2 + floor(ln k) candidates per centroid.
 * References: S. Lloyd, "Least squares quantization in PCM" (1982); D. Arthur
 * and S. Vassilvitskii, "k-means++: the advantages of careful seeding" (2007).
 *
 * Speed: the distances of a block of 256 rows to all centroids come from one
 * GEMM; each thread takes whole blocks (OpenMP, static schedule), labels the
 * rows and adds them to its own per-cluster sums while the block is in cache.
 * Inside the parallel region OpenBLAS's OpenMP build runs single-threaded.
 */
#include "nb_internal.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define KM_CHUNK 256
#define KM_MAX_THREADS 256

/* Scratch shared by one nb_kmeans call. Buffers typed T (float or double, the
 * dtype of the data) are void pointers here; kmeans_impl.inc gives them a type. */
typedef struct km_work {
    int64_t n, d;
    int k, nt, trials;
    bool fused;           /* dot products from the AVX2 kernel instead of GEMM */
    void *X;              /* centered copy of the data [n, d] */
    void *C, *Cnew, *Cbest; /* centroids [k, d] */
    void *D;              /* per-thread distance blocks [nt, KM_CHUNK, k] */
    void *P, *R;          /* k-means++: X R^T [n, trials], candidate rows [trials, d] */
    double *xsq;          /* ||x_i||² (k-means++) */
    double *csq;          /* ||c_j||² [k] */
    double *sums;         /* per-thread cluster sums [nt, k, d] */
    int64_t *counts;      /* per-thread cluster sizes [nt, k] */
    int64_t *labels, *labels_old, *labels_best;
    double *dist, *cum, *cd; /* [n], [n], [trials, n] */
} km_work;

/*** Fused distance kernel (AVX2 + FMA) ***************************************/
/* For small k a GEMM spends as long packing the block of X as multiplying it
 * (k = 10: 20 flops per element of X). With k <= KM_FUSED_MAX_K the dot products
 * of each row with every centroid come instead from this kernel, which reads the
 * row once and the centroids (k x d, in L1/L2) from cache, in groups of 8, 4, 2
 * and 1 centroids kept in registers. It is chosen at run time when the CPU has
 * AVX2 and FMA (the library itself is built for x86-64-v2); NABLA_KMEANS_GEMM=1
 * in the environment (any value but "" and "0"), read at each nb_kmeans call,
 * forces the GEMM path, to compare the two (include/nabla.h, at nb_kmeans). */
#define KM_FUSED_MAX_K 32
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define KM_HAVE_FUSED 1

#define KM_DOTS_F64(M)                                                                      \
    __attribute__((target("avx2,fma"))) static void dots##M##_f64(                          \
        const double *x, const double *C, int64_t d, double *out) {                         \
        __m256d acc[M];                                                                     \
        _Pragma("GCC unroll 8") for (int j = 0; j < M; j++) acc[j] = _mm256_setzero_pd(); \
        int64_t q = 0;                                                                      \
        for (; q + 4 <= d; q += 4) {                                                        \
            __m256d xv = _mm256_loadu_pd(x + q);                                            \
            _Pragma("GCC unroll 8") for (int j = 0; j < M; j++)                           \
                acc[j] = _mm256_fmadd_pd(xv, _mm256_loadu_pd(C + j * d + q), acc[j]);       \
        }                                                                                   \
        for (int j = 0; j < M; j++) {                                                       \
            double t[4];                                                                    \
            _mm256_storeu_pd(t, acc[j]);                                                    \
            double s = (t[0] + t[1]) + (t[2] + t[3]);                                       \
            for (int64_t r = q; r < d; r++) s += x[r] * C[j * d + r];                       \
            out[j] = s;                                                                     \
        }                                                                                   \
    }
#define KM_DOTS_F32(M)                                                                      \
    __attribute__((target("avx2,fma"))) static void dots##M##_f32(                          \
        const float *x, const float *C, int64_t d, float *out) {                            \
        __m256 acc[M];                                                                      \
        _Pragma("GCC unroll 8") for (int j = 0; j < M; j++) acc[j] = _mm256_setzero_ps(); \
        int64_t q = 0;                                                                      \
        for (; q + 8 <= d; q += 8) {                                                        \
            __m256 xv = _mm256_loadu_ps(x + q);                                             \
            _Pragma("GCC unroll 8") for (int j = 0; j < M; j++)                           \
                acc[j] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(C + j * d + q), acc[j]);       \
        }                                                                                   \
        for (int j = 0; j < M; j++) {                                                       \
            float t[8];                                                                     \
            _mm256_storeu_ps(t, acc[j]);                                                    \
            float s = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));    \
            for (int64_t r = q; r < d; r++) s += x[r] * C[j * d + r];                       \
            out[j] = s;                                                                     \
        }                                                                                   \
    }
KM_DOTS_F64(8)
KM_DOTS_F64(4)
KM_DOTS_F64(2)
KM_DOTS_F64(1)
KM_DOTS_F32(8)
KM_DOTS_F32(4)
KM_DOTS_F32(2)
KM_DOTS_F32(1)

/* out[j] = x . C[j] for the k centroids. */
#define KM_DOTS_ALL(SUF, T)                                                                 \
    static void dots_##SUF(const T *x, const T *C, int64_t d, int k, T *out) {              \
        int j = 0;                                                                          \
        for (; j + 8 <= k; j += 8) dots8_##SUF(x, C + j * d, d, out + j);                   \
        if (j + 4 <= k) dots4_##SUF(x, C + j * d, d, out + j), j += 4;                      \
        if (j + 2 <= k) dots2_##SUF(x, C + j * d, d, out + j), j += 2;                      \
        if (j < k) dots1_##SUF(x, C + j * d, d, out + j);                                   \
    }
KM_DOTS_ALL(f64, double)
KM_DOTS_ALL(f32, float)

/* s[q] += x[q] for a row, in double (the cluster sums of the M step). */
__attribute__((target("avx2,fma"))) static void addrow_f64(double *s, const double *x, int64_t d) {
    int64_t q = 0;
    for (; q + 8 <= d; q += 8) {
        _mm256_storeu_pd(s + q, _mm256_add_pd(_mm256_loadu_pd(s + q), _mm256_loadu_pd(x + q)));
        _mm256_storeu_pd(s + q + 4, _mm256_add_pd(_mm256_loadu_pd(s + q + 4), _mm256_loadu_pd(x + q + 4)));
    }
    for (; q < d; q++) s[q] += x[q];
}
__attribute__((target("avx2,fma"))) static void addrow_f32(double *s, const float *x, int64_t d) {
    int64_t q = 0;
    for (; q + 8 <= d; q += 8) {
        __m256 v = _mm256_loadu_ps(x + q);
        _mm256_storeu_pd(s + q, _mm256_add_pd(_mm256_loadu_pd(s + q), _mm256_cvtps_pd(_mm256_castps256_ps128(v))));
        _mm256_storeu_pd(s + q + 4, _mm256_add_pd(_mm256_loadu_pd(s + q + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
    }
    for (; q < d; q++) s[q] += (double)x[q];
}

static bool km_cpu_fused(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
#define KM_HAVE_FUSED 0
static bool km_cpu_fused(void) { return false; }
#endif

#define T float
#define GEMM cblas_sgemm
#define SUF f32
#include "kmeans_impl.inc"
#undef T
#undef GEMM
#undef SUF

#define T double
#define GEMM cblas_dgemm
#define SUF f64
#include "kmeans_impl.inc"
#undef T
#undef GEMM
#undef SUF

/*** Public API ***************************************************************/

nb_kmeans_options nb_kmeans_options_default(int k) {
    nb_kmeans_options o;
    memset(&o, 0, sizeof o);
    o.k = k;
    o.n_init = 10;
    o.max_iter = 300;
    o.tol = 1e-4;
    o.seed = 0;
    o.init_centroids = NULL;
    return o;
}

void nb_kmeans_result_clear(nb_kmeans_result *r) {
    if (!r) return;
    nb_tensor_unref(r->centroids);
    nb_tensor_unref(r->labels);
    memset(r, 0, sizeof *r);
}

static void work_free(km_work *w) {
    nbi_aligned_free(w->X);
    nbi_aligned_free(w->C);
    nbi_aligned_free(w->Cnew);
    nbi_aligned_free(w->Cbest);
    nbi_aligned_free(w->D);
    nbi_aligned_free(w->P);
    nbi_aligned_free(w->R);
    nbi_aligned_free(w->xsq);
    nbi_aligned_free(w->csq);
    nbi_aligned_free(w->sums);
    nbi_aligned_free(w->counts);
    nbi_aligned_free(w->labels);
    nbi_aligned_free(w->labels_old);
    nbi_aligned_free(w->labels_best);
    nbi_aligned_free(w->dist);
    nbi_aligned_free(w->cum);
    nbi_aligned_free(w->cd);
}

/* a * b * c bytes, aligned; NULL on overflow or out of memory. */
static void *alloc3(size_t a, size_t b, size_t c) {
    size_t n = nbi_mul_size(nbi_mul_size(a, b), c);
    if (n == SIZE_MAX) return NULL;
    return nbi_aligned_alloc(n ? n : 1);
}

static nb_status check_args(const nb_tensor *x, const nb_kmeans_options *o, nb_error *err) {
    if (!x) return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_kmeans: x is NULL");
    if (!o) return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                                 "nb_kmeans: options is NULL; start from nb_kmeans_options_default(k)");
    if (x->rank != 2)
        return nbi_set_error(err, NB_ERR_SHAPE,
                             "nb_kmeans: x must be a [rows, features] matrix, got rank %d", x->rank);
    if (!nbi_dtype_is_float(x->dtype))
        return nbi_set_error(err, NB_ERR_DTYPE,
                             "nb_kmeans: x must be float32 or float64, got %s; cast it first",
                             nb_dtype_name(x->dtype));
    const int64_t n = x->dims[0], d = x->dims[1];
    if (n == 0 || d == 0)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "nb_kmeans: empty data (%lld rows, %lld features)", (long long)n,
                             (long long)d);
    if (n > INT_MAX || d > INT_MAX)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "nb_kmeans: %lld x %lld is too large for the BLAS (int dims)",
                             (long long)n, (long long)d);
    if (o->k < 1)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_kmeans: k = %d; k must be >= 1", o->k);
    if (o->k > n)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "nb_kmeans: k = %d is larger than the %lld rows", o->k, (long long)n);
    if (o->n_init < 1)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_kmeans: n_init = %d; must be >= 1",
                             o->n_init);
    if (o->max_iter < 1)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "nb_kmeans: max_iter = %d; must be >= 1", o->max_iter);
    if (!(o->tol >= 0) || isinf(o->tol))
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "nb_kmeans: tol = %g; must be finite and >= 0", o->tol);
    const nb_tensor *c = o->init_centroids;
    if (c) {
        if (!nbi_dtype_is_float(c->dtype))
            return nbi_set_error(err, NB_ERR_DTYPE,
                                 "nb_kmeans: init_centroids must be float32 or float64, got %s",
                                 nb_dtype_name(c->dtype));
        if (c->rank != 2 || c->dims[0] != o->k || c->dims[1] != d) {
            char buf[96];
            return nbi_set_error(err, NB_ERR_SHAPE,
                                 "nb_kmeans: init_centroids has shape %s; expected [%d,%lld] (k, features)",
                                 nbi_dims_string(c->rank, c->dims, false, buf, sizeof buf), o->k,
                                 (long long)d);
        }
        for (int64_t i = 0; i < c->size; i++)
            if (!isfinite(nbi_load(c->data, c->dtype, i)))
                return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                                     "nb_kmeans: init_centroids row %lld column %lld is not finite",
                                     (long long)(i / d), (long long)(i % d));
    }
    return NB_OK;
}

nb_status nb_kmeans(const nb_tensor *x, const nb_kmeans_options *o, nb_kmeans_result *result,
                    nb_error *err) {
    if (!result) return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_kmeans: result is NULL");
    memset(result, 0, sizeof *result);
    nb_status st = check_args(x, o, err);
    if (st != NB_OK) return st;

    const int64_t n = x->dims[0], d = x->dims[1];
    const int k = o->k;
    const bool f32 = x->dtype == NB_FLOAT32;
    const size_t es = f32 ? sizeof(float) : sizeof(double);
    km_work w;
    memset(&w, 0, sizeof w);
    w.n = n;
    w.d = d;
    w.k = k;
    nbi_threads_probe();
    w.nt = nbi_num_threads();
    if (w.nt > KM_MAX_THREADS) w.nt = KM_MAX_THREADS;
    const int64_t nchunks = (n + KM_CHUNK - 1) / KM_CHUNK;
    if (w.nt > nchunks) w.nt = (int)nchunks;
    if (w.nt < 1) w.nt = 1;
    w.trials = 2 + (int)log((double)k);
    const char *gemm_env = getenv("NABLA_KMEANS_GEMM");
    w.fused = k <= KM_FUSED_MAX_K && km_cpu_fused() && !(gemm_env && *gemm_env && strcmp(gemm_env, "0"));
    const bool pp = o->init_centroids == NULL;
    const size_t un = (size_t)n, ud = (size_t)d, uk = (size_t)k, ut = (size_t)w.nt;

    w.X = alloc3(un, ud, es);
    w.C = alloc3(uk, ud, es);
    w.Cnew = alloc3(uk, ud, es);
    w.Cbest = alloc3(uk, ud, es);
    w.D = alloc3(ut * KM_CHUNK, uk, es);
    w.csq = alloc3(uk, 1, sizeof(double));
    w.sums = alloc3(ut * uk, ud, sizeof(double));
    w.counts = alloc3(ut, uk, sizeof(int64_t));
    w.labels = alloc3(un, 1, sizeof(int64_t));
    w.labels_old = alloc3(un, 1, sizeof(int64_t));
    w.labels_best = alloc3(un, 1, sizeof(int64_t));
    w.dist = alloc3(un, 1, sizeof(double));
    double *mean = nbi_calloc(ud, sizeof(double)), *m2 = nbi_calloc(ud, sizeof(double));
    bool ok = w.X && w.C && w.Cnew && w.Cbest && w.D && w.csq && w.sums && w.counts && w.labels &&
              w.labels_old && w.labels_best && w.dist && mean && m2;
    if (ok && pp) {
        w.P = alloc3(un, (size_t)w.trials, es);
        w.R = alloc3((size_t)w.trials, ud, es);
        w.xsq = alloc3(un, 1, sizeof(double));
        w.cum = alloc3(un, 1, sizeof(double));
        w.cd = alloc3((size_t)w.trials, un, sizeof(double));
        ok = w.P && w.R && w.xsq && w.cum && w.cd;
    }
    nb_tensor *cent = NULL, *lab = NULL;
    if (ok) {
        int64_t cdims[2] = {k, d};
        cent = nbi_tensor_alloc(x->dtype, 2, cdims);
        lab = nbi_tensor_alloc(NB_INT64, 1, &n);
        ok = cent && lab;
    }
    if (!ok) {
        st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY,
                           "nb_kmeans: out of memory for %lld x %lld data and k = %d", (long long)n,
                           (long long)d, k);
        goto done;
    }

    /* Column means and variances (Welford), the finite check, then the centered copy. */
    for (int64_t i = 0; i < n; i++) {
        for (int64_t q = 0; q < d; q++) {
            double v = f32 ? (double)((const float *)x->data)[i * d + q]
                           : ((const double *)x->data)[i * d + q];
            if (!isfinite(v)) {
                st = nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                                   "nb_kmeans: x row %lld column %lld is not finite (%g)",
                                   (long long)i, (long long)q, v);
                goto done;
            }
            double delta = v - mean[q];
            mean[q] += delta / (double)(i + 1);
            m2[q] += delta * (v - mean[q]);
        }
    }
    double var_mean = 0;
    for (int64_t q = 0; q < d; q++) var_mean += m2[q] / (double)n;
    var_mean /= (double)d;
    const double tol_abs = o->tol * var_mean;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t q = 0; q < d; q++) {
            size_t at = (size_t)(i * d + q);
            if (f32) ((float *)w.X)[at] = (float)((double)((const float *)x->data)[at] - mean[q]);
            else ((double *)w.X)[at] = ((const double *)x->data)[at] - mean[q];
        }
    }
    if (pp) {
        for (int64_t i = 0; i < n; i++) {
            double s = 0;
            for (int64_t q = 0; q < d; q++) {
                double v = f32 ? ((float *)w.X)[i * d + q] : ((double *)w.X)[i * d + q];
                s += v * v;
            }
            w.xsq[i] = s;
        }
    }

    const int runs = pp ? o->n_init : 1;
    double best = INFINITY;
    for (int r = 0; r < runs; r++) {
        if (pp) {
            nbi_philox rng;
            nbi_philox_init(&rng, o->seed, 0, (uint32_t)r);
            if (f32) plusplus_f32(&w, &rng, (float *)w.C);
            else plusplus_f64(&w, &rng, (double *)w.C);
        } else {
            const nb_tensor *c0 = o->init_centroids;
            for (int64_t j = 0; j < k; j++) {
                for (int64_t q = 0; q < d; q++) {
                    double v = nbi_load(c0->data, c0->dtype, j * d + q) - mean[q];
                    if (f32) ((float *)w.C)[j * d + q] = (float)v;
                    else ((double *)w.C)[j * d + q] = v;
                }
            }
        }
        double inertia;
        int iters;
        if (f32) lloyd_f32(&w, (float *)w.C, tol_abs, o->max_iter, &inertia, &iters);
        else lloyd_f64(&w, (double *)w.C, tol_abs, o->max_iter, &inertia, &iters);
        if (inertia < best || r == 0) {
            best = inertia;
            result->inertia = inertia;
            result->n_iter = iters;
            result->best_run = r;
            memcpy(w.Cbest, w.C, uk * ud * es);
            memcpy(w.labels_best, w.labels, un * sizeof(int64_t));
        }
    }

    for (int64_t j = 0; j < k; j++) {
        for (int64_t q = 0; q < d; q++) {
            size_t at = (size_t)(j * d + q);
            if (f32) ((float *)cent->data)[at] = (float)((double)((float *)w.Cbest)[at] + mean[q]);
            else ((double *)cent->data)[at] = ((double *)w.Cbest)[at] + mean[q];
        }
    }
    memcpy(lab->data, w.labels_best, un * sizeof(int64_t));
    result->centroids = cent;
    result->labels = lab;
    cent = lab = NULL;
    st = NB_OK;
done:
    nb_tensor_unref(cent);
    nb_tensor_unref(lab);
    nbi_free(mean);
    nbi_free(m2);
    work_free(&w);
    if (st != NB_OK) memset(result, 0, sizeof *result);
    return st;
}
