/*
 * test_linalg.c — forward values of MatMul and BatchMatMulV2 (src/ops/linalg.def):
 * every transpose combination against a naive triple loop on small random
 * shapes (k = 0, m = 1, n = 1 included) over float32, float64, int32 and int64;
 * batched products with broadcast batch dims; a large product checked by a
 * random projection (BLIS: C·v against A·(B·v)); shape inference with unknown
 * dims; names; build-time and run-time errors.
 */
#include "harness.h"
#include "ops/ops_impl.h" /* nbi_gemm_lim: the blocking with a small limit */
#include "ops/gemm_small.h" /* the AVX-512 small-product kernel */

#include <stdint.h>
#include <sys/mman.h>

#include <cblas.h>

static bool shape_is(nb_shape s, int rank, const int64_t *dims) {
    if (s.rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (s.dims[i] != dims[i]) return false;
    return true;
}
static nb_status run_error(nb_graph *g, nb_output x, const nb_feed *f, int n, char *msg, size_t cap) {
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, x, f, n);
    nb_status st = nb_session_status(s);
    snprintf(msg, cap, "%s", nb_session_errmsg(s));
    nb_tensor_unref(t);
    nb_session_free(s);
    return st;
}

/* A small deterministic generator (xorshift64*), independent of nabla's. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
static double rng_uniform(void) { return (double)(rng_next() >> 11) / 9007199254740992.0; }

/* A tensor of dtype dt with random values: integers in [-4, 4], floats in [-1, 1). */
static nb_tensor *rand_tensor(nb_dtype dt, int rank, const int64_t *dims) {
    nb_tensor *t = nb_tensor_new(dt, rank, dims, NULL);
    for (int64_t i = 0; i < nb_tensor_size(t); i++) {
        double v = dt == NB_INT32 || dt == NB_INT64 ? (double)(int)(rng_next() % 9) - 4
                                                    : 2 * rng_uniform() - 1;
        nb_tensor_set_flat(t, i, v);
    }
    return t;
}

/* Element (i, j) of a row-major matrix stored at flat offset base, as op(X) sees it. */
static double at(const nb_tensor *t, int64_t base, int64_t rows, int64_t cols, bool trans,
                 int64_t i, int64_t j) {
    /* stored shape is [rows, cols] of op(X) when !trans, [cols, rows] when trans */
    return trans ? nb_tensor_get_flat(t, base + j * rows + i) : nb_tensor_get_flat(t, base + i * cols + j);
}

/* Compares c (base offset cb) with the naive product of op(a) [m,k] and op(b) [k,n]. */
static int check_product(const char *ctx, const nb_tensor *a, int64_t ab, const nb_tensor *b,
                         int64_t bb, const nb_tensor *c, int64_t cb, int64_t m, int64_t n, int64_t k,
                         bool ta, bool tb, double tol) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0, mag = 0;
            for (int64_t p = 0; p < k; p++) {
                double x = at(a, ab, m, k, ta, i, p) * at(b, bb, k, n, tb, p, j);
                s += x;
                mag += fabs(x);
            }
            double got = nb_tensor_get_flat(c, cb + i * n + j);
            if (fabs(got - s) > tol * (1 + mag)) {
                FAILF("%s: C[%lld,%lld] = %.9g, expected %.9g", ctx, (long long)i, (long long)j, got, s);
                return 1;
            }
        }
    return 0;
}

TEST(matmul_all_transposes_against_naive_loop) {
    static const nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32, NB_INT64};
    static const int64_t sizes[][3] = {/* m, k, n */
                                       {1, 1, 1}, {2, 3, 4}, {1, 5, 3}, {4, 5, 1}, {3, 0, 2},
                                       {0, 3, 2}, {2, 3, 0}, {7, 9, 5}, {1, 17, 1}, {16, 8, 33},
                                       {5, 1, 6}, {0, 0, 0}};
    for (int d = 0; d < 4; d++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int tr = 0; tr < 4; tr++) {
                bool ta = tr & 1, tb = tr & 2;
                int64_t m = sizes[s][0], k = sizes[s][1], n = sizes[s][2];
                int64_t da[2] = {ta ? k : m, ta ? m : k}, db[2] = {tb ? n : k, tb ? k : n};
                nb_tensor *a = rand_tensor(dts[d], 2, da), *b = rand_tensor(dts[d], 2, db);
                nb_graph *g = nb_graph_new();
                nb_output y = nb_matmul(g, nb_constant(g, a, NULL), nb_constant(g, b, NULL), ta, tb, NULL);
                CHECK_GRAPH_OK(g);
                CHECK(nb_output_dtype(y) == dts[d]);
                CHECK(shape_is(nb_output_shape(y), 2, (int64_t[]){m, n}));
                if (!nb_output_is_nil(y)) CHECK(strcmp(nb_op_type(y.op), "MatMul") == 0);
                nb_tensor *c = eval1(g, y, NULL, 0);
                char ctx[128];
                snprintf(ctx, sizeof ctx, "matmul %s m=%lld k=%lld n=%lld ta=%d tb=%d",
                         nb_dtype_name(dts[d]), (long long)m, (long long)k, (long long)n, ta, tb);
                checks_++;
                if (!c) FAILF("%s: no result", ctx);
                else if (nb_tensor_dtype(c) != dts[d] || nb_tensor_rank(c) != 2 ||
                         nb_tensor_dim(c, 0) != m || nb_tensor_dim(c, 1) != n)
                    FAILF("%s: wrong result shape or dtype", ctx);
                else
                    check_product(ctx, a, 0, b, 0, c, 0, m, n, k, ta, tb,
                                  dts[d] == NB_FLOAT32 ? 1e-5 : dts[d] == NB_FLOAT64 ? 1e-13 : 0);
                nb_tensor_unref(c);
                nb_tensor_unref(a);
                nb_tensor_unref(b);
                nb_graph_free(g);
            }
}

TEST(matmul_int64_is_exact_and_int32_wraps) {
    nb_graph *g = nb_graph_new();
    int64_t big = (INT64_C(1) << 53) + 1;
    nb_output a = nb_constant_array(g, NB_INT64, 2, (int64_t[]){1, 2}, (int64_t[]){big, 1}, NULL);
    nb_output b = nb_constant_array(g, NB_INT64, 2, (int64_t[]){2, 1}, (int64_t[]){1, 2}, NULL);
    nb_output a32 = nb_constant_array(g, NB_INT32, 2, (int64_t[]){1, 2}, (int32_t[]){65536, 65536}, NULL);
    nb_output b32 = nb_constant_array(g, NB_INT32, 2, (int64_t[]){2, 1}, (int32_t[]){65536, 1}, NULL);
    nb_tensor *c = eval1(g, nb_matmul(g, a, b, false, false, NULL), NULL, 0);
    nb_tensor *c32 = eval1(g, nb_matmul(g, a32, b32, false, false, NULL), NULL, 0);
    CHECK(c && *(int64_t *)nb_tensor_data(c) == big + 2);
    CHECK(c32 && *(int32_t *)nb_tensor_data(c32) == 65536); /* 2^32 + 2^16 wraps to 2^16 */
    nb_tensor_unref(c);
    nb_tensor_unref(c32);
    nb_graph_free(g);
}

/* Batched product with (maybe broadcast) batch dims against the naive loop. */
static void batch_case(nb_dtype dt, int ra, const int64_t *da, int rb, const int64_t *db, bool ta,
                       bool tb, int ro, const int64_t *dout) {
    nb_tensor *a = rand_tensor(dt, ra, da), *b = rand_tensor(dt, rb, db);
    nb_graph *g = nb_graph_new();
    nb_output y = nb_matmul(g, nb_constant(g, a, NULL), nb_constant(g, b, NULL), ta, tb, NULL);
    CHECK_GRAPH_OK(g);
    char ctx[128], s1[64], s2[64];
    snprintf(ctx, sizeof ctx, "batch %s %s x %s ta=%d tb=%d", nb_dtype_name(dt),
             nb_shape_string(nb_shape_make(ra, da), s1, sizeof s1),
             nb_shape_string(nb_shape_make(rb, db), s2, sizeof s2), ta, tb);
    checks_++;
    if (!shape_is(nb_output_shape(y), ro, dout)) FAILF("%s: static shape", ctx);
    if (!nb_output_is_nil(y)) CHECK(strcmp(nb_op_type(y.op), "BatchMatMulV2") == 0);
    nb_tensor *c = eval1(g, y, NULL, 0);
    checks_++;
    if (!c || nb_tensor_rank(c) != ro || memcmp(nb_tensor_dims(c), dout, sizeof(int64_t) * (size_t)ro)) {
        FAILF("%s: result shape", ctx);
    } else {
        int64_t m = dout[ro - 2], n = dout[ro - 1];
        int64_t k = ta ? da[ra - 2] : da[ra - 1];
        int64_t nbatch = 1;
        for (int i = 0; i < ro - 2; i++) nbatch *= dout[i];
        for (int64_t t = 0; t < nbatch; t++) {
            /* unravel t over the output batch dims, then map into a's and b's */
            int64_t idx[8], rem = t;
            for (int i = ro - 3; i >= 0; i--) {
                idx[i] = rem % dout[i];
                rem /= dout[i];
            }
            int64_t oa = 0, ob = 0;
            for (int i = 0; i < ra - 2; i++) oa = oa * da[i] + (da[i] == 1 ? 0 : idx[ro - 2 - (ra - 2) + i]);
            for (int i = 0; i < rb - 2; i++) ob = ob * db[i] + (db[i] == 1 ? 0 : idx[ro - 2 - (rb - 2) + i]);
            if (check_product(ctx, a, oa * da[ra - 2] * da[ra - 1], b, ob * db[rb - 2] * db[rb - 1], c,
                              t * m * n, m, n, k, ta, tb, dt == NB_FLOAT32 ? 1e-5 : dt == NB_FLOAT64 ? 1e-13 : 0))
                break;
        }
    }
    nb_tensor_unref(c);
    nb_tensor_unref(a);
    nb_tensor_unref(b);
    nb_graph_free(g);
}

TEST(batch_matmul_rank3_and_broadcast) {
    static const nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT64, NB_INT32};
    for (int d = 0; d < 3; d++) {
        batch_case(dts[d], 3, (int64_t[]){3, 2, 4}, 3, (int64_t[]){3, 4, 5}, false, false, 3, (int64_t[]){3, 2, 5});
        batch_case(dts[d], 3, (int64_t[]){3, 4, 2}, 3, (int64_t[]){3, 4, 5}, true, false, 3, (int64_t[]){3, 2, 5});
        batch_case(dts[d], 3, (int64_t[]){3, 2, 4}, 3, (int64_t[]){3, 5, 4}, false, true, 3, (int64_t[]){3, 2, 5});
        batch_case(dts[d], 3, (int64_t[]){3, 4, 2}, 3, (int64_t[]){3, 5, 4}, true, true, 3, (int64_t[]){3, 2, 5});
        /* [2,1,3,4] x [5,4,2] -> [2,5,3,2] */
        batch_case(dts[d], 4, (int64_t[]){2, 1, 3, 4}, 3, (int64_t[]){5, 4, 2}, false, false, 4,
                   (int64_t[]){2, 5, 3, 2});
        batch_case(dts[d], 4, (int64_t[]){2, 1, 4, 3}, 3, (int64_t[]){5, 2, 4}, true, true, 4,
                   (int64_t[]){2, 5, 3, 2});
        /* rank 3 against a plain matrix, and a size-1 batch against a batch */
        batch_case(dts[d], 3, (int64_t[]){4, 2, 3}, 2, (int64_t[]){3, 5}, false, false, 3, (int64_t[]){4, 2, 5});
        batch_case(dts[d], 2, (int64_t[]){2, 3}, 3, (int64_t[]){4, 3, 5}, false, false, 3, (int64_t[]){4, 2, 5});
        batch_case(dts[d], 3, (int64_t[]){1, 2, 3}, 3, (int64_t[]){4, 3, 5}, false, false, 3, (int64_t[]){4, 2, 5});
        /* empty batch and k = 0 */
        batch_case(dts[d], 3, (int64_t[]){0, 2, 3}, 3, (int64_t[]){0, 3, 5}, false, false, 3, (int64_t[]){0, 2, 5});
        batch_case(dts[d], 3, (int64_t[]){2, 2, 0}, 3, (int64_t[]){2, 0, 5}, false, false, 3, (int64_t[]){2, 2, 5});
    }
}

/* BLIS-style check: C = A·B verified by comparing C·v with A·(B·v) for random v. */
static void projection_check(nb_dtype dt, int64_t m, int64_t k, int64_t n, double tol) {
    int64_t da[2] = {m, k}, db[2] = {k, n};
    nb_tensor *a = rand_tensor(dt, 2, da), *b = rand_tensor(dt, 2, db);
    nb_graph *g = nb_graph_new();
    nb_tensor *c = eval1(g, nb_matmul(g, nb_constant(g, a, NULL), nb_constant(g, b, NULL), false, false, NULL), NULL, 0);
    CHECK(c != NULL);
    if (c) {
        double *v = malloc(sizeof(double) * (size_t)n), *bv = malloc(sizeof(double) * (size_t)k);
        for (int trial = 0; trial < 3; trial++) {
            for (int64_t j = 0; j < n; j++) v[j] = 2 * rng_uniform() - 1;
            for (int64_t p = 0; p < k; p++) {
                double s = 0;
                for (int64_t j = 0; j < n; j++) s += nb_tensor_get_flat(b, p * n + j) * v[j];
                bv[p] = s;
            }
            double worst = 0, scale = 0;
            for (int64_t i = 0; i < m; i++) {
                double cv = 0, abv = 0;
                for (int64_t j = 0; j < n; j++) cv += nb_tensor_get_flat(c, i * n + j) * v[j];
                for (int64_t p = 0; p < k; p++) abv += nb_tensor_get_flat(a, i * k + p) * bv[p];
                worst = fmax(worst, fabs(cv - abv));
                scale = fmax(scale, fabs(abv));
            }
            checks_++;
            if (worst > tol * (double)k * (1 + scale))
                FAILF("projection %s %lldx%lldx%lld: |Cv - A(Bv)| = %g", nb_dtype_name(dt), (long long)m,
                      (long long)k, (long long)n, worst);
        }
        free(v);
        free(bv);
    }
    nb_tensor_unref(c);
    nb_tensor_unref(a);
    nb_tensor_unref(b);
    nb_graph_free(g);
}

TEST(large_matmul_random_projection) {
    projection_check(NB_FLOAT32, 300, 257, 211, 1e-6);
    projection_check(NB_FLOAT64, 256, 300, 199, 1e-14);
    /* and one wrong result is caught: the check is not vacuous */
    nb_tensor *a = rand_tensor(NB_FLOAT64, 2, (int64_t[]){8, 8});
    nb_tensor *b = rand_tensor(NB_FLOAT64, 2, (int64_t[]){8, 8});
    nb_graph *g = nb_graph_new();
    nb_tensor *c = eval1(g, nb_matmul(g, nb_constant(g, a, NULL), nb_constant(g, b, NULL), false, false, NULL), NULL, 0);
    CHECK(c != NULL);
    if (c) {
        ((double *)nb_tensor_data(c))[13] += 1e-3;
        double v[8], bv[8], worst = 0;
        for (int j = 0; j < 8; j++) v[j] = 1.0 + j;
        for (int p = 0; p < 8; p++) {
            bv[p] = 0;
            for (int j = 0; j < 8; j++) bv[p] += nb_tensor_get_flat(b, p * 8 + j) * v[j];
        }
        for (int i = 0; i < 8; i++) {
            double cv = 0, abv = 0;
            for (int j = 0; j < 8; j++) cv += nb_tensor_get_flat(c, i * 8 + j) * v[j];
            for (int p = 0; p < 8; p++) abv += nb_tensor_get_flat(a, i * 8 + p) * bv[p];
            worst = fmax(worst, fabs(cv - abv));
        }
        CHECK(worst > 1e-4);
    }
    nb_tensor_unref(c);
    nb_tensor_unref(a);
    nb_tensor_unref(b);
    nb_graph_free(g);
}

/*** Shapes, names ***/

TEST(matmul_shape_inference_with_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_output w = nb_zeros(g, NB_FLOAT32, NB_SHAPE(3, 4), NULL);
    nb_output y = nb_matmul(g, x, w, false, false, NULL);
    CHECK(shape_is(nb_output_shape(y), 2, (int64_t[]){-1, 4}));
    nb_output yt = nb_matmul(g, w, x, true, true, NULL);
    CHECK(shape_is(nb_output_shape(yt), 2, (int64_t[]){4, -1}));
    /* an unknown rank makes a BatchMatMulV2 (as tf.matmul does) of unknown shape */
    nb_output u = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "u");
    nb_output uw = nb_matmul(g, u, w, false, false, NULL);
    CHECK(nb_output_shape(uw).rank == -1);
    CHECK(!strcmp(nb_op_type(uw.op), "BatchMatMulV2"));
    nb_output bx = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2, 3), "bx");
    CHECK(shape_is(nb_output_shape(nb_matmul(g, bx, w, false, false, NULL)), 3, (int64_t[]){-1, 2, 4}));
    CHECK_GRAPH_OK(g);
    /* fed at run time */
    nb_tensor *xv = nb_tensor_ones(NB_FLOAT32, 2, (int64_t[]){5, 3});
    nb_feed f = {x, xv};
    nb_tensor *c = eval1(g, y, &f, 1);
    CHECK(c && nb_tensor_dim(c, 0) == 5 && nb_tensor_dim(c, 1) == 4);
    nb_tensor_unref(c);
    nb_tensor_unref(xv);
    nb_graph_free(g);
}

/* Issue 18: tf.matmul of two unknown-rank inputs builds BatchMatMulV2 (the
 * old MatMul failed at run time on rank-3 values); rank-3, rank-2 and mixed
 * values then all run, checked against the naive loop. */
TEST(matmul_of_unknown_ranks_is_batch_matmul) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT64, NB_SHAPE_UNKNOWN_RANK, "a");
    nb_output b = nb_placeholder(g, NB_FLOAT64, NB_SHAPE_UNKNOWN_RANK, "b");
    nb_output y = nb_matmul(g, a, b, false, true, "prod");
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_type(y.op), "BatchMatMulV2"));
    CHECK(nb_output_shape(y).rank == -1);
    static const int64_t shapes[][2][3] = {
        {{2, 3, 4}, {2, 5, 4}}, /* rank 3 both: 2 products [3,4]x[4,5] */
        {{3, 4, 0}, {5, 4, 0}}, /* rank 2 both (third entry unused) */
        {{2, 3, 4}, {5, 4, 0}}, /* rank 3 x rank 2: b broadcast */
    };
    static const int ranks[][2] = {{3, 3}, {2, 2}, {3, 2}};
    for (int c = 0; c < 3; c++) {
        nb_tensor *av = rand_tensor(NB_FLOAT64, ranks[c][0], shapes[c][0]);
        nb_tensor *bv = rand_tensor(NB_FLOAT64, ranks[c][1], shapes[c][1]);
        nb_feed f[2] = {{a, av}, {b, bv}};
        nb_tensor *out = eval1(g, y, f, 2);
        int batches = ranks[c][0] == 3 ? 2 : 1;
        CHECK(out && nb_tensor_rank(out) == ranks[c][0]);
        if (out)
            for (int t = 0; t < batches; t++)
                check_product("unknown-rank matmul", av, t * 12, bv, ranks[c][1] == 3 ? t * 20 : 0,
                              out, t * 15, 3, 5, 4, false, true, 1e-13);
        nb_tensor_unref(out);
        nb_tensor_unref(av);
        nb_tensor_unref(bv);
    }
    nb_graph_free(g);
}

/* Issue 18: sizes above 2^31-1 were passed to OpenBLAS as 32-bit ints; it
 * refused them and the run returned OK with zeros. nbi_gemm splits such
 * products into blocks. The blocking is the same code with any limit, so it is
 * checked here with limits 1..5 on small matrices (every transpose, padded
 * leading dims whose padding holds NaN and must be neither read nor written,
 * beta 0 over NaN and beta 0.5) against a naive double loop. */
TEST(gemm_blocking_with_small_limits) {
    static const int64_t sizes[][3] = {{7, 5, 9}, {1, 6, 4}, {4, 1, 7}, {10, 3, 3}, {3, 3, 10}, {2, 2, 1}};
    for (int dti = 0; dti < 2; dti++) {
        nb_dtype dt = dti ? NB_FLOAT64 : NB_FLOAT32;
        for (int64_t lim = 1; lim <= 5; lim++)
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
                for (int tr = 0; tr < 8; tr++) {
                    bool ta = tr & 1, tb = tr & 2, half = tr & 4;
                    int64_t m = sizes[s][0], n = sizes[s][1], k = sizes[s][2];
                    int64_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
                    int64_t lda = ac + 2, ldb = bc + 1, ldc = n + 3;
                    double *A = malloc(sizeof(double) * (size_t)(ar * lda));
                    double *B = malloc(sizeof(double) * (size_t)(br * ldb));
                    double *C = malloc(sizeof(double) * (size_t)(m * ldc));
                    float *Af = malloc(sizeof(float) * (size_t)(ar * lda));
                    float *Bf = malloc(sizeof(float) * (size_t)(br * ldb));
                    float *Cf = malloc(sizeof(float) * (size_t)(m * ldc));
                    for (int64_t i = 0; i < ar * lda; i++) A[i] = i % lda < ac ? 2 * rng_uniform() - 1 : NAN;
                    for (int64_t i = 0; i < br * ldb; i++) B[i] = i % ldb < bc ? 2 * rng_uniform() - 1 : NAN;
                    for (int64_t i = 0; i < m * ldc; i++)
                        C[i] = i % ldc < n && half ? 2 * rng_uniform() - 1 : NAN;
                    for (int64_t i = 0; i < ar * lda; i++) Af[i] = (float)(A[i] = (float)A[i]);
                    for (int64_t i = 0; i < br * ldb; i++) Bf[i] = (float)(B[i] = (float)B[i]);
                    for (int64_t i = 0; i < m * ldc; i++) Cf[i] = (float)(C[i] = (float)C[i]);
                    double beta = half ? 0.5 : 0.0;
                    void *c = dt == NB_FLOAT32 ? (void *)Cf : (void *)C;
                    /* the expected values, before C is overwritten (float64 case) */
                    double *want = malloc(sizeof(double) * (size_t)(m * n));
                    for (int64_t i = 0; i < m; i++)
                        for (int64_t j = 0; j < n; j++) {
                            double acc = half ? 0.5 * C[i * ldc + j] : 0.0;
                            for (int64_t p = 0; p < k; p++)
                                acc += (ta ? A[p * lda + i] : A[i * lda + p]) *
                                       (tb ? B[j * ldb + p] : B[p * ldb + j]);
                            want[i * n + j] = acc;
                        }
                    if (dt == NB_FLOAT32) nbi_gemm_lim(dt, ta, tb, m, n, k, Af, lda, Bf, ldb, beta, c, ldc, lim);
                    else nbi_gemm_lim(dt, ta, tb, m, n, k, A, lda, B, ldb, beta, c, ldc, lim);
                    int bad = 0;
                    for (int64_t i = 0; i < m && !bad; i++)
                        for (int64_t j = 0; j < ldc && !bad; j++) {
                            double got = dt == NB_FLOAT32 ? Cf[i * ldc + j] : C[i * ldc + j];
                            if (j >= n) bad = got == got; /* padding: still NaN */
                            else bad = !(fabs(got - want[i * n + j]) <= (dt == NB_FLOAT32 ? 1e-5 : 1e-13) * (1 + fabs(want[i * n + j])));
                            if (bad)
                                FAILF("lim %lld %s m=%lld n=%lld k=%lld ta=%d tb=%d beta=%g: C[%lld,%lld] = %g, expected %g",
                                      (long long)lim, nb_dtype_name(dt), (long long)m, (long long)n, (long long)k, ta, tb,
                                      beta, (long long)i, (long long)j, got, j < n ? want[i * n + j] : NAN);
                        }
                    checks_++;
                    free(A), free(B), free(C), free(Af), free(Bf), free(Cf), free(want);
                }
    }
    /* The limit the library uses is the BLAS's integer. */
    CHECK(nbi_blas_max() == (sizeof(blasint) >= 8 ? INT64_MAX : INT32_MAX));
}

/* The AVX-512 small-product kernel (src/ops/gemm_small.c) against a naive
 * double loop, for every transpose, sizes that leave row and column tails
 * (1..7 rows past a tile of 8, 1..31 columns past a tile of 32, one column,
 * depth past a block of 256, a B large enough to be packed),
 * padded leading dimensions whose padding holds NaN (never read, never
 * written), beta 0 over a C full of NaN, beta 1 and -0.5, and 1 and 2
 * threads. Without AVX-512 the kernel must decline and leave C alone. */
TEST(gemm_small_kernel_against_naive) {
    static const int64_t sizes[][3] = {{1, 1, 1},   {8, 32, 1},   {9, 33, 7},   {7, 31, 2},
                                       {64, 256, 10}, {65, 17, 300}, {3, 100, 64}, {17, 16, 33},
                                       {130, 70, 5},  {16, 48, 129}, {5, 1, 9},    {200, 64, 3},
                                       {9, 1000, 270} /* B over 1 MiB: copied a depth block at a time */};
    bool avail = nbi_sgemm_small_available();
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int tr = 0; tr < 4; tr++)
            for (int bi = 0; bi < 3; bi++)
                for (int threads = 1; threads <= 2; threads++) {
                    bool ta = tr & 1, tb = tr & 2;
                    float beta = bi == 0 ? 0.0f : bi == 1 ? 1.0f : -0.5f;
                    int64_t m = sizes[s][0], n = sizes[s][1], k = sizes[s][2];
                    int64_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
                    int64_t lda = ac + 3, ldb = bc + 1, ldc = n + 5;
                    float *A = malloc(sizeof(float) * (size_t)(ar * lda));
                    float *B = malloc(sizeof(float) * (size_t)(br * ldb));
                    float *C = malloc(sizeof(float) * (size_t)(m * ldc));
                    double *want = malloc(sizeof(double) * (size_t)(m * n));
                    double *mag = malloc(sizeof(double) * (size_t)(m * n));
                    for (int64_t i = 0; i < ar * lda; i++) A[i] = i % lda < ac ? (float)(2 * rng_uniform() - 1) : NAN;
                    for (int64_t i = 0; i < br * ldb; i++) B[i] = i % ldb < bc ? (float)(2 * rng_uniform() - 1) : NAN;
                    for (int64_t i = 0; i < m * ldc; i++)
                        C[i] = i % ldc < n && beta != 0 ? (float)(2 * rng_uniform() - 1) : NAN;
                    for (int64_t i = 0; i < m; i++)
                        for (int64_t j = 0; j < n; j++) {
                            double acc = beta != 0 ? (double)beta * C[i * ldc + j] : 0.0, sa = fabs(acc);
                            for (int64_t p = 0; p < k; p++) {
                                double t = (double)(ta ? A[p * lda + i] : A[i * lda + p]) *
                                           (double)(tb ? B[j * ldb + p] : B[p * ldb + j]);
                                acc += t;
                                sa += fabs(t);
                            }
                            want[i * n + j] = acc;
                            mag[i * n + j] = sa;
                        }
                    bool took = nbi_sgemm_small_force(ta, tb, m, n, k, A, lda, B, ldb, beta, C, ldc, threads);
                    CHECK(took == avail);
                    int bad = 0;
                    for (int64_t i = 0; i < m && !bad; i++)
                        for (int64_t j = 0; j < ldc && !bad; j++) {
                            double got = C[i * ldc + j];
                            if (j >= n || (!took && beta == 0)) bad = got == got; /* padding, or untouched NaN */
                            else if (took) bad = !(fabs(got - want[i * n + j]) <= 1e-6 * (1 + mag[i * n + j]));
                            if (bad)
                                FAILF("m=%lld n=%lld k=%lld ta=%d tb=%d beta=%g threads=%d: C[%lld,%lld] = %g, expected %g",
                                      (long long)m, (long long)n, (long long)k, ta, tb, beta, threads,
                                      (long long)i, (long long)j, got, j < n ? want[i * n + j] : NAN);
                        }
                    checks_++;
                    free(A), free(B), free(C), free(want), free(mag);
                }
}

/* MatMul through a session on the training-batch shapes the kernel takes
 * (and one it leaves to the BLAS), every transpose, against a naive loop. */
TEST(matmul_batch_shapes_against_naive) {
    static const int64_t sizes[][3] = {{64, 256, 784}, {64, 256, 10}, {256, 256, 64}, {64, 10, 256}, {33, 47, 19}};
    int saved = nb_get_num_threads();
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int tr = 0; tr < 4; tr++)
            for (int threads = 1; threads <= 2; threads++) {
                bool ta = tr & 1, tb = tr & 2;
                int64_t m = sizes[s][0], n = sizes[s][1], k = sizes[s][2];
                nb_tensor *a = nb_tensor_new(NB_FLOAT32, 2, ta ? (int64_t[]){k, m} : (int64_t[]){m, k}, NULL);
                nb_tensor *b = nb_tensor_new(NB_FLOAT32, 2, tb ? (int64_t[]){n, k} : (int64_t[]){k, n}, NULL);
                float *A = nb_tensor_data(a), *B = nb_tensor_data(b);
                for (int64_t i = 0; i < m * k; i++) A[i] = (float)(2 * rng_uniform() - 1);
                for (int64_t i = 0; i < k * n; i++) B[i] = (float)(2 * rng_uniform() - 1);
                nb_graph *g = nb_graph_new();
                nb_output y = nb_matmul(g, nb_constant(g, a, "a"), nb_constant(g, b, "b"), ta, tb, "mm");
                nb_set_num_threads(threads);
                nb_tensor *out = eval1(g, y, NULL, 0);
                CHECK(out != NULL);
                if (out) {
                    const float *C = nb_tensor_data(out);
                    int bad = 0;
                    for (int64_t i = 0; i < m && !bad; i++)
                        for (int64_t j = 0; j < n && !bad; j++) {
                            double acc = 0, sa = 0;
                            for (int64_t p = 0; p < k; p++) {
                                double t = (double)(ta ? A[p * m + i] : A[i * k + p]) *
                                           (double)(tb ? B[j * k + p] : B[p * n + j]);
                                acc += t;
                                sa += fabs(t);
                            }
                            bad = !(fabs(C[i * n + j] - acc) <= 1e-6 * (1 + sa));
                            if (bad)
                                FAILF("m=%lld n=%lld k=%lld ta=%d tb=%d threads=%d: C[%lld,%lld] = %g, expected %g",
                                      (long long)m, (long long)n, (long long)k, ta, tb, threads, (long long)i,
                                      (long long)j, C[i * n + j], acc);
                        }
                    checks_++;
                }
                nb_tensor_unref(out);
                nb_graph_free(g);
                nb_tensor_unref(a);
                nb_tensor_unref(b);
            }
    nb_set_num_threads(saved);
}

static void unmap(void *data, size_t nbytes, void *ctx) {
    (void)ctx;
    munmap(data, nbytes);
}

/* Virtual memory that reads as zeros and costs no RAM until written. */
static nb_tensor *zero_pages(int rank, const int64_t *dims) {
    size_t nbytes = (size_t)(dims[0] * dims[1]) * sizeof(float);
    void *p = mmap(NULL, nbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    (void)madvise(p, nbytes, MADV_HUGEPAGE); /* fewer faults where THP allows it */
    return nb_tensor_wrap(NB_FLOAT32, rank, dims, p, nbytes, unmap, NULL);
}

/* The real kernel with an inner dimension of 2^31 + 64: a [1,K] x [K,1] product
 * of two 8 GiB tensors of (untouched, so never allocated) zero pages with a few
 * nonzero entries on both sides of 2^31. Before the blocking, OpenBLAS refused
 * K and the run returned OK with 0. */
TEST(matmul_inner_dimension_above_int32) {
    const int64_t K = ((int64_t)1 << 31) + 64;
    nb_tensor *a = zero_pages(2, (int64_t[]){1, K}), *b = zero_pages(2, (int64_t[]){K, 1});
    CHECK(a && b);
    if (a && b) {
        float *A = nb_tensor_data(a), *B = nb_tensor_data(b);
        A[3] = 1.5f, B[3] = 2.0f;                       /*  3 */
        A[INT32_MAX - 1] = 0.25f, B[INT32_MAX - 1] = 4; /*  1, the last of the first block */
        A[K - 5] = -1.0f, B[K - 5] = 4.0f;              /* -4 */
        A[K - 1] = 0.5f, B[K - 1] = 8.0f;               /*  4 */
        nb_graph *g = nb_graph_new(); /* fed, not constants: a feed is not copied */
        nb_output pa = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(1, NB_DIM_UNKNOWN), "a");
        nb_output pb = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 1), "b");
        nb_output y = nb_matmul(g, pa, pb, false, false, NULL);
        nb_feed f[2] = {{pa, a}, {pb, b}};
        nb_tensor *c = eval1(g, y, f, 2);
        CHECK(c && nb_tensor_size(c) == 1 && nb_tensor_get_flat(c, 0) == 4.0);
        nb_tensor_unref(c);
        nb_graph_free(g);
    }
    nb_tensor_unref(a);
    nb_tensor_unref(b);
}

TEST(matmul_default_names) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 2), NULL);
    CHECK(strcmp(nb_op_name(nb_matmul(g, a, a, false, false, NULL).op), "MatMul") == 0);
    CHECK(strcmp(nb_op_name(nb_matmul(g, a, a, false, false, NULL).op), "MatMul_1") == 0);
    CHECK(strcmp(nb_op_name(nb_matmul(g, a, a, false, false, "logits").op), "logits") == 0);
    nb_output b3 = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 2, 2), NULL);
    nb_output bm = nb_matmul(g, b3, b3, false, false, NULL);
    CHECK(strcmp(nb_op_name(bm.op), "MatMul_2") == 0);
    CHECK(strcmp(nb_op_type(bm.op), "BatchMatMulV2") == 0);
    nb_name_scope_push(g, "layer1");
    CHECK(strcmp(nb_op_name(nb_matmul(g, a, a, false, false, NULL).op), "layer1/MatMul") == 0);
    nb_name_scope_pop(g);
    CHECK_GRAPH_OK(g);
    nb_graph_free(g);
}

/*** Errors ***/

TEST(matmul_inner_dimension_mismatch_at_build_time) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    nb_output b = nb_zeros(g, NB_FLOAT32, NB_SHAPE(4, 5), NULL);
    CHECK(nb_output_is_nil(nb_matmul(g, a, b, false, false, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g),
                       "Dimensions must be equal, but are 3 and 4 for 'MatMul' (op: 'MatMul') with input shapes: [2,3], [4,5].");
    nb_graph_free(g);

    /* with transposes the compared dims change */
    g = nb_graph_new();
    a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    b = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    nb_output ok = nb_matmul(g, a, b, true, false, NULL);
    CHECK(shape_is(nb_output_shape(ok), 2, (int64_t[]){3, 3}));
    CHECK(nb_output_is_nil(nb_matmul(g, a, b, true, true, "mm")));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Dimensions must be equal, but are 2 and 3 for 'mm' (op: 'MatMul')");
    nb_graph_free(g);

    /* batch: inner dims and incompatible batch dims */
    g = nb_graph_new();
    a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 2, 3), NULL);
    b = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 4, 5), NULL);
    CHECK(nb_output_is_nil(nb_matmul(g, a, b, false, false, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "(op: 'BatchMatMulV2') with input shapes: [2,2,3], [2,4,5].");
    nb_graph_free(g);
    g = nb_graph_new();
    a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 2, 3), NULL);
    b = nb_zeros(g, NB_FLOAT32, NB_SHAPE(3, 3, 5), NULL);
    CHECK(nb_output_is_nil(nb_matmul(g, a, b, false, false, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "(op: 'BatchMatMulV2')");
    nb_graph_free(g);

    /* rank 1 operands */
    g = nb_graph_new();
    a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(3), NULL);
    b = nb_zeros(g, NB_FLOAT32, NB_SHAPE(3, 2), NULL);
    CHECK(nb_output_is_nil(nb_matmul(g, a, b, false, false, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "Shape must be rank 2 but is rank 1 for 'MatMul'");
    nb_graph_free(g);
}

TEST(matmul_dtype_errors) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 3), NULL);
    nb_output b = nb_zeros(g, NB_FLOAT64, NB_SHAPE(3, 2), NULL);
    CHECK(nb_output_is_nil(nb_matmul(g, a, b, false, false, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g),
                       "Input 'b' of 'MatMul' Op has type float64 that does not match type float32 of argument 'a'");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "for 'MatMul' (op: 'MatMul') with input shapes: [2,3], [3,2].");
    nb_graph_free(g);

    g = nb_graph_new();
    a = nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 2, 3), NULL);
    b = nb_zeros(g, NB_INT32, NB_SHAPE(2, 3, 2), NULL);
    CHECK(nb_output_is_nil(nb_matmul(g, a, b, false, false, NULL)));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g),
                       "Input 'y' of 'BatchMatMulV2' Op has type int32 that does not match type float32 of argument 'x'");
    nb_graph_free(g);

    nb_dtype bad[] = {NB_BOOL, NB_UINT8};
    for (int i = 0; i < 2; i++) {
        g = nb_graph_new();
        a = nb_zeros(g, bad[i], NB_SHAPE(2, 2), NULL);
        CHECK(nb_output_is_nil(nb_matmul(g, a, a, false, false, NULL)));
        CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), "(op: 'MatMul')");
        nb_graph_free(g);
    }
}

TEST(matmul_mismatch_at_run_time) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN), "a");
    nb_output b = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN), "b");
    nb_output y = nb_matmul(g, a, b, false, false, "prod");
    CHECK_GRAPH_OK(g);
    nb_tensor *av = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){2, 3});
    nb_tensor *bv = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){4, 5});
    nb_feed f[2] = {{a, av}, {b, bv}};
    char msg[1024];
    CHECK_STATUS(run_error(g, y, f, 2, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5]");
    CHECK_STR_CONTAINS(msg, "prod");
    nb_tensor_unref(av);
    nb_tensor_unref(bv);

    /* an unknown-rank operand fed with rank 1: below BatchMatMulV2's rank 2 */
    nb_output u = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "u");
    nb_output y2 = nb_matmul(g, u, u, false, false, "mm2");
    CHECK_GRAPH_OK(g);
    nb_tensor *uv = nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){2});
    nb_feed fu = {u, uv};
    CHECK_STATUS(run_error(g, y2, &fu, 1, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "must be at least rank 2: [2], [2]");
    CHECK_STR_CONTAINS(msg, "mm2");
    nb_tensor_unref(uv);

    /* batch dims that only disagree at run time */
    nb_output p = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN, 2, 3), "p");
    nb_output q = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN, 3, 2), "q");
    nb_output y3 = nb_matmul(g, p, q, false, false, "bmm");
    CHECK_GRAPH_OK(g);
    nb_tensor *pv = nb_tensor_zeros(NB_FLOAT64, 3, (int64_t[]){2, 2, 3});
    nb_tensor *qv = nb_tensor_zeros(NB_FLOAT64, 3, (int64_t[]){3, 3, 2});
    nb_feed fb[2] = {{p, pv}, {q, qv}};
    CHECK_STATUS(run_error(g, y3, fb, 2, msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "bmm");
    nb_tensor_unref(qv);
    qv = nb_tensor_ones(NB_FLOAT64, 3, (int64_t[]){1, 3, 2});
    fb[1].value = qv;
    nb_tensor *c = eval1(g, y3, fb, 2);
    CHECK(c && nb_tensor_rank(c) == 3 && nb_tensor_dim(c, 0) == 2 && nb_tensor_dim(c, 2) == 2);
    nb_tensor_unref(c);
    nb_tensor_unref(pv);
    nb_tensor_unref(qv);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
