/*
 * test_session_reuse.c — a session's buffer reuse (value slots released by
 * liveness, the output pool, cached reshape views, copy-on-write variables)
 * under graphs that reuse slots hard: chains of reshapes, transposes and
 * matmuls with fetched intermediate views, fed shapes that change between runs
 * of one plan, one output fetched twice, a fetched view fed back, results kept
 * across runs, and one session run from several threads. Every value is
 * checked against naive loops over the fed numbers.
 */
#include "harness.h"

#include <pthread.h>
#include <stdint.h>

/* x [r, 3]; v1 = reshape(x, [3, -1]) (a view, [3, r]); t1 = transpose(v1) [r, 3];
 * y = t1 @ x^T [r, r]; yf = reshape(y, [-1]) (a view); z = yf + 1;
 * w = reshape(z, shape(y)) (a view); e = expand_dims(w, 0) (a view of a view);
 * s = squeeze(e, [0]) (another). */
typedef struct {
    nb_graph *g;
    nb_output x, v1, t1, y, yf, z, w, e, s;
} chain;

static chain make_chain(void) {
    chain c;
    c.g = nb_graph_new();
    int64_t d2[2] = {-1, 3}, d3[2] = {3, -1}, flat[1] = {-1};
    int perm[2] = {1, 0};
    c.x = nb_placeholder(c.g, NB_FLOAT64, nb_shape_make(2, d2), "x");
    c.v1 = nb_reshape(c.g, c.x, 2, d3, "v1");
    c.t1 = nb_transpose(c.g, c.v1, perm, 2, "t1");
    c.y = nb_matmul(c.g, c.t1, c.x, false, true, "y");
    c.yf = nb_reshape(c.g, c.y, 1, flat, "yf");
    c.z = nb_add(c.g, c.yf, nb_constant_f64(c.g, 1.0, NULL), "z");
    c.w = nb_reshape_t(c.g, c.z, nb_shape_of(c.g, c.y, NULL), "w");
    c.e = nb_expand_dims(c.g, c.w, 0, "e");
    c.s = nb_squeeze(c.g, c.e, (int[]){0}, 1, "s");
    CHECK(nb_graph_status(c.g) == NB_OK);
    return c;
}

static nb_tensor *rows(int64_t r, double seed) {
    int64_t d[2] = {r, 3};
    nb_tensor *t = nb_tensor_zeros(NB_FLOAT64, 2, d);
    double *p = nb_tensor_data(t);
    for (int64_t i = 0; i < 3 * r; i++) p[i] = seed + 0.25 * (double)i - 0.125 * (double)(i * i % 7);
    return t;
}

/* Naive values of the chain for x = a [r, 3]: v1, t1 and y (r*r). */
static void naive(const double *a, int64_t r, double *v1, double *t1, double *y) {
    for (int64_t i = 0; i < 3 * r; i++) v1[i] = a[i]; /* [3, r] row-major: same order */
    for (int64_t j = 0; j < r; j++)
        for (int64_t i = 0; i < 3; i++) t1[j * 3 + i] = v1[i * r + j];
    for (int64_t p = 0; p < r; p++)
        for (int64_t q = 0; q < r; q++) {
            double acc = 0;
            for (int k = 0; k < 3; k++) acc += t1[p * 3 + k] * a[q * 3 + k];
            y[p * r + q] = acc;
        }
}

static int dims_are(const nb_tensor *t, int rank, int64_t d0, int64_t d1) {
    if (!t || nb_tensor_rank(t) != rank) return 0;
    if (rank >= 1 && nb_tensor_dim(t, 0) != d0) return 0;
    if (rank >= 2 && nb_tensor_dim(t, 1) != d1) return 0;
    return 1;
}

static int same_values(const nb_tensor *t, const double *want, int64_t n, double add) {
    if (!t || nb_tensor_size(t) != n) return 0;
    const double *p = nb_tensor_data_const(t);
    for (int64_t i = 0; i < n; i++)
        if (fabs(p[i] - (want[i] + add)) > 1e-12 * (1 + fabs(want[i]))) return 0;
    return 1;
}

enum { F_V1, F_T1, F_Y, F_YF, F_Z, F_W, F_S, F_V1_AGAIN, F_N };

/* Runs the chain on x [r, 3], checks every fetched value; returns the outputs. */
static void run_and_check(nb_session *ss, const chain *c, int64_t r, double seed, nb_tensor **out) {
    nb_tensor *x = rows(r, seed);
    nb_output f[F_N] = {c->v1, c->t1, c->y, c->yf, c->z, c->w, c->s, c->v1};
    nb_feed fd = {c->x, x};
    CHECK_STATUS(nb_session_run(ss, &fd, 1, f, F_N, out), NB_OK);
    double v1[3 * 8], t1[3 * 8], y[8 * 8];
    naive(nb_tensor_data_const(x), r, v1, t1, y);
    CHECK(dims_are(out[F_V1], 2, 3, r) && same_values(out[F_V1], v1, 3 * r, 0));
    CHECK(dims_are(out[F_V1_AGAIN], 2, 3, r) && same_values(out[F_V1_AGAIN], v1, 3 * r, 0));
    CHECK(dims_are(out[F_T1], 2, r, 3) && same_values(out[F_T1], t1, 3 * r, 0));
    CHECK(dims_are(out[F_Y], 2, r, r) && same_values(out[F_Y], y, r * r, 0));
    CHECK(dims_are(out[F_YF], 1, r * r, 0) && same_values(out[F_YF], y, r * r, 0));
    CHECK(dims_are(out[F_Z], 1, r * r, 0) && same_values(out[F_Z], y, r * r, 1));
    CHECK(dims_are(out[F_W], 2, r, r) && same_values(out[F_W], y, r * r, 1));
    CHECK(dims_are(out[F_S], 2, r, r) && same_values(out[F_S], y, r * r, 1));
    nb_tensor_unref(x);
}

static void unref_all(nb_tensor **t, int n) {
    for (int i = 0; i < n; i++) {
        nb_tensor_unref(t[i]);
        t[i] = NULL;
    }
}

/* Results kept from earlier runs keep their values while the plan runs again
 * on other shapes (bigger, smaller, equal), so the pool and the cached views
 * must not hand their buffers out again. */
TEST(kept_views_survive_reruns_with_changing_shapes) {
    chain c = make_chain();
    nb_session *ss = nb_session_new(c.g);
    const int64_t rs[] = {4, 2, 7, 7, 1, 5, 2, 8};
    enum { NR = sizeof rs / sizeof *rs };
    nb_tensor *kept[NR][F_N] = {{0}};
    for (int i = 0; i < NR; i++) run_and_check(ss, &c, rs[i], (double)i, kept[i]);
    /* every kept result still holds its own run's values */
    for (int i = 0; i < NR; i++) {
        nb_tensor *x = rows(rs[i], (double)i);
        double v1[3 * 8], t1[3 * 8], y[8 * 8];
        naive(nb_tensor_data_const(x), rs[i], v1, t1, y);
        CHECK(same_values(kept[i][F_V1], v1, 3 * rs[i], 0));
        CHECK(same_values(kept[i][F_T1], t1, 3 * rs[i], 0));
        CHECK(same_values(kept[i][F_Y], y, rs[i] * rs[i], 0));
        CHECK(same_values(kept[i][F_S], y, rs[i] * rs[i], 1));
        nb_tensor_unref(x);
        unref_all(kept[i], F_N);
    }
    /* and with nothing kept: the steady state reuses, still right */
    for (int i = 0; i < 2 * NR; i++) {
        nb_tensor *out[F_N] = {0};
        run_and_check(ss, &c, rs[i % NR], 0.5 * i, out);
        if (i % 3 == 0) unref_all(out, F_N); /* drop some at once, */
        else {
            nb_tensor *more[F_N] = {0}; /* keep others over one more run */
            run_and_check(ss, &c, rs[(i + 1) % NR], -1.0 * i, more);
            CHECK(out[F_Y] != more[F_Y] && out[F_W] != more[F_W]);
            unref_all(more, F_N);
            unref_all(out, F_N);
        }
    }
    nb_session_free(ss);
    nb_graph_free(c.g);
}

/* A fetched view fed back as x, then as an intermediate value (y), of the plan
 * that made it: the feed stays the caller's, unchanged. */
TEST(fetched_view_fed_back_into_its_plan) {
    chain c = make_chain();
    nb_session *ss = nb_session_new(c.g);
    nb_tensor *out[F_N] = {0};
    run_and_check(ss, &c, 3, 1.0, out);
    /* s is [3, 3] — feed it back as y (fed intermediate), fetching w and s */
    nb_tensor *sv = out[F_S];
    double before[9];
    memcpy(before, nb_tensor_data_const(sv), sizeof before);
    for (int rep = 0; rep < 3; rep++) {
        nb_feed fd = {c.y, sv};
        nb_output f[3] = {c.w, c.s, c.yf};
        nb_tensor *o[3] = {0};
        CHECK_STATUS(nb_session_run(ss, &fd, 1, f, 3, o), NB_OK);
        CHECK(same_values(o[0], before, 9, 1) && same_values(o[1], before, 9, 1));
        CHECK(same_values(o[2], before, 9, 0));
        CHECK(same_values(sv, before, 9, 0));
        unref_all(o, 3);
    }
    /* v1 is [3, 3]: feed it back as x of the full chain, while keeping it */
    nb_tensor *v1 = out[F_V1];
    double xin[9], t1[9], y[9], vv[9];
    memcpy(xin, nb_tensor_data_const(v1), sizeof xin);
    naive(xin, 3, vv, t1, y);
    for (int rep = 0; rep < 3; rep++) {
        nb_feed fd = {c.x, v1};
        nb_output f[F_N] = {c.v1, c.t1, c.y, c.yf, c.z, c.w, c.s, c.v1};
        nb_tensor *o[F_N] = {0};
        CHECK_STATUS(nb_session_run(ss, &fd, 1, f, F_N, o), NB_OK);
        CHECK(same_values(o[F_V1], vv, 9, 0) && same_values(o[F_T1], t1, 9, 0));
        CHECK(same_values(o[F_Y], y, 9, 0) && same_values(o[F_S], y, 9, 1));
        CHECK(same_values(v1, xin, 9, 0));
        unref_all(o, F_N);
    }
    unref_all(out, F_N);
    nb_session_free(ss);
    nb_graph_free(c.g);
}

/* A variable read through a reshape view, updated in place (AssignAdd) after
 * the view's last use in the same run, and fetched before and after. */
TEST(variable_views_and_copy_on_write) {
    nb_graph *g = nb_graph_new();
    int64_t d[2] = {2, 2}, flat[1] = {-1};
    double init[4] = {1, 2, 3, 4};
    nb_tensor *it = nb_tensor_new(NB_FLOAT64, 2, d, init);
    nb_output w = nb_variable(g, nb_constant(g, it, NULL), "w");
    nb_output wf = nb_reshape(g, w, 1, flat, "wf");
    nb_output sum = nb_reduce_sum(g, wf, NULL, 0, false, "sum");
    nb_output inc = nb_assign_add(g, w, nb_constant(g, it, NULL), "inc");
    nb_output init_op = nb_global_variables_initializer(g);
    CHECK(nb_graph_status(g) == NB_OK);
    nb_session *ss = nb_session_new(g);
    CHECK_STATUS(nb_session_run(ss, NULL, 0, &init_op, 1, NULL), NB_OK);
    double scale = 1;
    nb_tensor *kept[6] = {0};
    for (int i = 0; i < 6; i++) {
        nb_output f[2] = {wf, sum};
        nb_tensor *o[2] = {0};
        CHECK_STATUS(nb_session_run(ss, NULL, 0, f, 2, o), NB_OK);
        double want[4];
        for (int k = 0; k < 4; k++) want[k] = scale * init[k];
        CHECK(same_values(o[0], want, 4, 0));
        CHECK_NEAR(nb_tensor_scalar_f64(o[1]), 10 * scale, 1e-12);
        kept[i] = o[0]; /* the view of the variable's old buffer */
        nb_tensor_unref(o[1]);
        CHECK_STATUS(nb_session_run(ss, NULL, 0, &inc, 1, NULL), NB_OK);
        scale += 1;
    }
    for (int i = 0; i < 6; i++) {
        double want[4];
        for (int k = 0; k < 4; k++) want[k] = (double)(i + 1) * init[k];
        CHECK(same_values(kept[i], want, 4, 0)); /* copy-on-write kept it */
        nb_tensor_unref(kept[i]);
    }
    nb_tensor_unref(it);
    nb_session_free(ss);
    nb_graph_free(g);
}

/* The dim the fuzz_graph report showed, 8317990677852025460 (the bytes of
 * "transpos"; it came from an uninitialized depth in the fuzz target), as a real
 * OneHot depth of empty indices, through transposes, batch matmuls, a product
 * reduction, Split, Unpack and Cumsum: empty results of the right shapes, no
 * size product like 3 * D (each overflowed int64 before its empty return). */
TEST(transpos_depth_of_empty_one_hot_through_matmul) {
    const int64_t D = 8317990677852025460;
    CHECK(!memcmp(&D, "transpos", 8));
    nb_graph *g = nb_graph_new();
    int64_t id[2] = {-1, 3};
    nb_output idx = nb_placeholder(g, NB_INT32, nb_shape_make(2, id), "idx");
    nb_output oh = nb_one_hot(g, idx, D, 1.0, 0.0, NB_FLOAT32, NULL);
    int perm[3] = {0, 2, 1};
    nb_output oht = nb_transpose(g, oh, perm, 3, NULL);
    nb_output mm = nb_matmul(g, oh, oht, false, false, "mm");
    nb_output mm2 = nb_matmul(g, oht, oh, false, false, "mm2"); /* [0, D, D] */
    CHECK(nb_graph_status(g) == NB_OK);
    nb_session *ss = nb_session_new(g);
    int64_t zd[2] = {0, 3};
    nb_tensor *z = nb_tensor_zeros(NB_INT32, 2, zd);
    nb_feed fd = {idx, z};
    nb_output f[3] = {mm, mm2, oht};
    nb_tensor *o[3] = {0};
    CHECK_STATUS(nb_session_run(ss, &fd, 1, f, 3, o), NB_OK);
    CHECK(o[0] && nb_tensor_rank(o[0]) == 3 && nb_tensor_dim(o[0], 0) == 0 &&
          nb_tensor_dim(o[0], 1) == 3 && nb_tensor_dim(o[0], 2) == 3);
    CHECK(o[1] && nb_tensor_rank(o[1]) == 3 && nb_tensor_dim(o[1], 1) == D &&
          nb_tensor_dim(o[1], 2) == D && nb_tensor_size(o[1]) == 0);
    CHECK(o[2] && nb_tensor_dim(o[2], 1) == D && nb_tensor_dim(o[2], 2) == 3);
    unref_all(o, 3);
    /* other kernels that took products of its dims (3 * D overflowed int64) */
    int axs[2] = {1, 2};
    nb_output more[5] = {
        nb_reduce_prod(g, oh, axs, 2, true, NULL),          /* [0, 1, 1] */
        nb_split(g, oh, 3, 1, NULL),                        /* 3 x [0, 1, D] */
        nb_unstack(g, oh, 3, 1, NULL),                      /* 3 x [0, D] */
        nb_cumsum(g, oh, 0, false, true, NULL),             /* [0, 3, D] */
        nb_cumsum(g, oh, 2, true, false, NULL),             /* [0, 3, D] */
    };
    more[1].index = 2;
    more[2].index = 1;
    CHECK(nb_graph_status(g) == NB_OK);
    nb_tensor *m[5] = {0};
    CHECK_STATUS(nb_session_run(ss, &fd, 1, more, 5, m), NB_OK);
    const int64_t want[5][3] = {{0, 1, 1}, {0, 1, D}, {0, D, -1}, {0, 3, D}, {0, 3, D}};
    for (int i = 0; i < 5; i++) {
        int rank = want[i][2] < 0 ? 2 : 3;
        CHECK(m[i] && nb_tensor_rank(m[i]) == rank && nb_tensor_size(m[i]) == 0);
        for (int j = 0; j < rank && m[i]; j++) CHECK(nb_tensor_dim(m[i], j) == want[i][j]);
    }
    unref_all(m, 5);
    nb_tensor_unref(z);
    nb_session_free(ss);
    nb_graph_free(g);
}

/* One session, one plan, four threads with their own shapes; each keeps some
 * results across its next run. The session serializes runs; no result of one
 * thread may change under another's runs. */
typedef struct {
    nb_session *ss;
    const chain *c;
    int id;
    int bad;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    nb_tensor *prev[F_N] = {0};
    double prev_y[64];
    int64_t prev_r = 0;
    for (int it = 0; it < 40; it++) {
        int64_t r = 1 + (w->id * 3 + it) % 8;
        double seed = w->id * 100.0 + it;
        nb_tensor *x = rows(r, seed);
        nb_output f[F_N] = {w->c->v1, w->c->t1, w->c->y, w->c->yf, w->c->z, w->c->w, w->c->s, w->c->v1};
        nb_feed fd = {w->c->x, x};
        nb_tensor *out[F_N] = {0};
        if (nb_session_run(w->ss, &fd, 1, f, F_N, out) != NB_OK) w->bad++;
        double v1[24], t1[24], y[64];
        naive(nb_tensor_data_const(x), r, v1, t1, y);
        if (!same_values(out[F_V1], v1, 3 * r, 0) || !same_values(out[F_Y], y, r * r, 0) ||
            !same_values(out[F_S], y, r * r, 1) || !same_values(out[F_T1], t1, 3 * r, 0))
            w->bad++;
        if (prev_r && (!same_values(prev[F_Y], prev_y, prev_r * prev_r, 0) ||
                       !same_values(prev[F_W], prev_y, prev_r * prev_r, 1)))
            w->bad++;
        unref_all(prev, F_N);
        if (it % 2) {
            memcpy(prev, out, sizeof prev);
            memcpy(prev_y, y, sizeof prev_y);
            prev_r = r;
        } else {
            unref_all(out, F_N);
            prev_r = 0;
        }
        nb_tensor_unref(x);
    }
    unref_all(prev, F_N);
    return NULL;
}

TEST(one_plan_from_four_threads) {
    chain c = make_chain();
    nb_session *ss = nb_session_new(c.g);
    worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){ss, &c, i, 0};
        CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(w[i].bad == 0);
    }
    nb_session_free(ss);
    nb_graph_free(c.g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
