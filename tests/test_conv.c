/*
 * test_conv.c — Conv2D, Conv2DBackpropInput/Filter, MaxPool(Grad), AvgPool(Grad)
 * and FusedBatchNorm(Grad) (src/ops/conv.def, norm.def) against naive reference loops
 * written here: random shapes, strides 1 and 2, SAME and VALID, dilation 2,
 * batch and channels > 1, 1x1 and 5x5 filters, float32 and float64, one and
 * two threads, static and unknown dims. Also TF's output sizes, shape
 * inference, names, and build-time and run-time errors naming the node.
 */
#include "harness.h"

#include <stdint.h>

/*** helpers ***/

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static double rng_uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}
static int64_t rng_int(int64_t lo, int64_t hi) { return lo + (int64_t)(rng_uniform() * (double)(hi - lo + 1)); }

static nb_tensor *rand_tensor(nb_dtype dt, int rank, const int64_t *dims) {
    nb_tensor *t = nb_tensor_new(dt, rank, dims, NULL);
    for (int64_t i = 0; i < nb_tensor_size(t); i++) nb_tensor_set_flat(t, i, 2 * rng_uniform() - 1);
    return t;
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

/* Max relative difference between a tensor and a double array. */
static double max_diff(const nb_tensor *t, const double *ref, int64_t n) {
    if (!t || nb_tensor_size(t) != n) return INFINITY;
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs(nb_tensor_get_flat(t, i) - ref[i]) / (1.0 + fabs(ref[i]));
        if (!(d <= m)) m = d;
    }
    return m;
}

/* The reference geometry, written from TF's documentation independently of conv.c. */
typedef struct {
    int64_t n, h, w, c, fh, fw, o, sh, sw, dh, dw;
    bool same;
    int64_t oh, ow, pt, pl;
} cfg;

static void ref_out(int64_t in, int64_t k, int64_t d, int64_t s, bool same, int64_t *out, int64_t *pad) {
    int64_t ek = (k - 1) * d + 1;
    if (same) {
        *out = (in + s - 1) / s;
        int64_t p = (*out - 1) * s + ek - in;
        *pad = p > 0 ? p / 2 : 0;
    } else {
        *out = in >= ek ? (in - ek) / s + 1 : 0;
        *pad = 0;
    }
}
static void cfg_finish(cfg *c) {
    ref_out(c->h, c->fh, c->dh, c->sh, c->same, &c->oh, &c->pt);
    ref_out(c->w, c->fw, c->dw, c->sw, c->same, &c->ow, &c->pl);
}

/* Input index of output (y, x) window cell (a, b), or -1 when padded. */
static int64_t src_index(const cfg *c, int64_t n, int64_t y, int64_t x, int64_t a, int64_t b, int64_t ch) {
    int64_t iy = y * c->sh - c->pt + a * c->dh, ix = x * c->sw - c->pl + b * c->dw;
    if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w) return -1;
    return ((n * c->h + iy) * c->w + ix) * c->c + ch;
}

/* Naive conv, dx and df (double). */
static void ref_conv(const cfg *c, const double *x, const double *f, const double *dy, double *y,
                     double *dx, double *df) {
    memset(dx, 0, sizeof(double) * (size_t)(c->n * c->h * c->w * c->c));
    memset(df, 0, sizeof(double) * (size_t)(c->fh * c->fw * c->c * c->o));
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t i = 0; i < c->oh; i++)
            for (int64_t j = 0; j < c->ow; j++)
                for (int64_t o = 0; o < c->o; o++) {
                    int64_t yi = ((n * c->oh + i) * c->ow + j) * c->o + o;
                    double acc = 0;
                    for (int64_t a = 0; a < c->fh; a++)
                        for (int64_t b = 0; b < c->fw; b++)
                            for (int64_t ch = 0; ch < c->c; ch++) {
                                int64_t xi = src_index(c, n, i, j, a, b, ch);
                                if (xi < 0) continue;
                                int64_t fi = ((a * c->fw + b) * c->c + ch) * c->o + o;
                                acc += x[xi] * f[fi];
                                dx[xi] += dy[yi] * f[fi];
                                df[fi] += dy[yi] * x[xi];
                            }
                    y[yi] = acc;
                }
}

static double *to_doubles(const nb_tensor *t) {
    double *d = malloc(sizeof(double) * (size_t)(nb_tensor_size(t) + 1));
    for (int64_t i = 0; i < nb_tensor_size(t); i++) d[i] = nb_tensor_get_flat(t, i);
    return d;
}

static const char *pad_name(bool same) { return same ? "SAME" : "VALID"; }

/* Builds conv, both backprops (directly and through nb_gradients), runs, compares. */
/* Largest |t - ref| over the largest |ref| (at least 1): the error measure of
 * algorithms whose rounding scales with the whole output, not each element. */
static double scaled_diff(const nb_tensor *t, const double *ref, int64_t n) {
    if (!t || nb_tensor_size(t) != n) return INFINITY;
    double m = 0, big = 1;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs(nb_tensor_get_flat(t, i) - ref[i]);
        if (!(d <= m)) m = d;
        if (fabs(ref[i]) > big) big = fabs(ref[i]);
    }
    return m / big;
}

/* Whether nabla runs this conv with Winograd, F(2x2,5x5) or F(4x4,3x3) (nb_set_winograd). */
static bool takes_winograd(const cfg *c, nb_dtype dt) {
    return dt == NB_FLOAT32 && nb_get_winograd() && (c->fh == 5 || c->fh == 3) && c->fw == c->fh && c->sh == 1 && c->sw == 1 &&
           c->dh == 1 && c->dw == 1 && c->c % 8 == 0 && c->o % 8 == 0 && c->n > 0 && c->oh > 0 && c->ow > 0;
}

static void check_conv(cfg c, nb_dtype dt, bool dynamic, int threads) {
    cfg_finish(&c);
    nb_set_num_threads(threads);
    int64_t xd[4] = {c.n, c.h, c.w, c.c}, fd[4] = {c.fh, c.fw, c.c, c.o}, yd[4] = {c.n, c.oh, c.ow, c.o};
    nb_tensor *X = rand_tensor(dt, 4, xd), *F = rand_tensor(dt, 4, fd), *DY = rand_tensor(dt, 4, yd);
    double *x = to_doubles(X), *f = to_doubles(F), *dy = to_doubles(DY);
    int64_t ny = c.n * c.oh * c.ow * c.o, nx = c.n * c.h * c.w * c.c, nf = c.fh * c.fw * c.c * c.o;
    double *y = calloc((size_t)ny + 1, sizeof *y), *dx = calloc((size_t)nx + 1, sizeof *dx),
           *df = calloc((size_t)nf + 1, sizeof *df);
    ref_conv(&c, x, f, dy, y, dx, df);

    nb_graph *g = nb_graph_new();
    int64_t u[4] = {-1, -1, -1, -1};
    nb_output px = nb_placeholder(g, dt, nb_shape_make(4, dynamic ? u : xd), "x");
    nb_output pf = nb_placeholder(g, dt, nb_shape_make(4, dynamic ? u : fd), "f");
    nb_output pdy = nb_placeholder(g, dt, nb_shape_make(4, dynamic ? u : yd), "dy");
    int st[4] = {1, (int)c.sh, (int)c.sw, 1}, dl[4] = {1, (int)c.dh, (int)c.dw, 1};
    nb_output out = nb_nn_conv2d(g, px, pf, st, pad_name(c.same), dl, NULL);
    nb_output grads[2];
    nb_gradients(g, &out, 1, (nb_output[]){px, pf}, 2, &pdy, grads);
    CHECK_GRAPH_OK(g);
    if (!dynamic) {
        nb_shape s = nb_output_shape(out);
        CHECK(s.rank == 4 && s.dims[0] == c.n && s.dims[1] == c.oh && s.dims[2] == c.ow && s.dims[3] == c.o);
    }
    nb_session *s = nb_session_new(g);
    nb_feed feeds[3] = {{px, X}, {pf, F}, {pdy, DY}};
    nb_tensor *res[3] = {NULL, NULL, NULL};
    nb_status rs = nb_session_run(s, feeds, 3, (nb_output[]){out, grads[0], grads[1]}, 3, res);
    if (rs != NB_OK) FAILF("run: %s", nb_session_errmsg(s));
    double tol = dt == NB_FLOAT32 ? 1e-4 : 1e-11;
    double e0 = max_diff(res[0], y, ny), e1 = max_diff(res[1], dx, nx), e2 = max_diff(res[2], df, nf);
    if (takes_winograd(&c, dt)) {
        /* Winograd's rounding error scales with the outputs' magnitude: measured
         * ~2e-6 (y, dx) and ~1e-5 (df) of the largest |value|; bound 5e-5 */
        tol = 5e-5;
        e0 = scaled_diff(res[0], y, ny), e1 = scaled_diff(res[1], dx, nx), e2 = scaled_diff(res[2], df, nf);
    }
    checks_ += 3;
    if (!(e0 <= tol && e1 <= tol && e2 <= tol))
        FAILF("conv n%lld %lldx%lldx%lld f%lldx%lld o%lld s%lld,%lld d%lld,%lld %s %s%s t%d: errors y %g dx %g df %g",
              (long long)c.n, (long long)c.h, (long long)c.w, (long long)c.c, (long long)c.fh,
              (long long)c.fw, (long long)c.o, (long long)c.sh, (long long)c.sw, (long long)c.dh,
              (long long)c.dw, pad_name(c.same), nb_dtype_name(dt), dynamic ? " dynamic" : "", threads, e0,
              e1, e2);
    /* a second run reuses the cached scratch and buffers */
    for (int i = 0; i < 3; i++) nb_tensor_unref(res[i]), res[i] = NULL;
    rs = nb_session_run(s, feeds, 3, (nb_output[]){out, grads[0], grads[1]}, 3, res);
    double (*diff)(const nb_tensor *, const double *, int64_t) = takes_winograd(&c, dt) ? scaled_diff : max_diff;
    CHECK(rs == NB_OK && diff(res[0], y, ny) <= tol && diff(res[2], df, nf) <= tol);
    for (int i = 0; i < 3; i++) nb_tensor_unref(res[i]);
    nb_session_free(s);
    nb_graph_free(g);
    nb_tensor_unref(X), nb_tensor_unref(F), nb_tensor_unref(DY);
    free(x), free(f), free(dy), free(y), free(dx), free(df);
    nb_set_num_threads(0);
}

/*** Conv2D ***/

TEST(conv_output_sizes_match_tf) {
    /* TF: SAME out = ceil(in/s); VALID out = ceil((in - ek + 1)/s); SAME pads the extra cell at the end */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(-1, 28, 28, 1), "x");
    nb_output f = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(5, 5, 1, 32), "f");
    int s1[4] = {1, 1, 1, 1}, s2[4] = {1, 2, 2, 1}, d2[4] = {1, 2, 2, 1};
    nb_shape a = nb_output_shape(nb_nn_conv2d(g, x, f, s1, "SAME", NULL, NULL));
    nb_shape b = nb_output_shape(nb_nn_conv2d(g, x, f, s2, "SAME", NULL, NULL));
    nb_shape c = nb_output_shape(nb_nn_conv2d(g, x, f, s1, "VALID", NULL, NULL));
    nb_shape d = nb_output_shape(nb_nn_conv2d(g, x, f, s2, "VALID", d2, NULL));
    nb_shape p = nb_output_shape(nb_nn_max_pool(g, x, (int[]){1, 2, 2, 1}, s2, "SAME", NULL));
    nb_shape q = nb_output_shape(nb_nn_avg_pool(g, x, (int[]){1, 3, 3, 1}, s2, "VALID", NULL));
    CHECK_GRAPH_OK(g);
    char buf[64];
    CHECK(strcmp(nb_shape_string(a, buf, sizeof buf), "[?,28,28,32]") == 0);
    CHECK(strcmp(nb_shape_string(b, buf, sizeof buf), "[?,14,14,32]") == 0);
    CHECK(strcmp(nb_shape_string(c, buf, sizeof buf), "[?,24,24,32]") == 0);
    CHECK(strcmp(nb_shape_string(d, buf, sizeof buf), "[?,10,10,32]") == 0); /* (28-9+2)/2 */
    CHECK(strcmp(nb_shape_string(p, buf, sizeof buf), "[?,14,14,1]") == 0);
    CHECK(strcmp(nb_shape_string(q, buf, sizeof buf), "[?,13,13,1]") == 0);
    /* unknown spatial dims stay unknown; the names are TF's */
    nb_output z = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(-1, -1, 7, 1), "z");
    nb_output cz = nb_nn_conv2d(g, z, f, s2, "SAME", NULL, NULL);
    CHECK(strcmp(nb_shape_string(nb_output_shape(cz), buf, sizeof buf), "[?,?,4,32]") == 0);
    CHECK(strcmp(nb_op_name(cz.op), "Conv2D_4") == 0);
    CHECK(strcmp(nb_op_type(cz.op), "Conv2D") == 0);
    nb_graph_free(g);
}

TEST(conv_same_pads_extra_on_bottom_right) {
    /* 4x4 input of ones-at-one-cell, 2x2 ones filter, SAME: pad total 1 goes after */
    nb_graph *g = nb_graph_new();
    float xv[16] = {0};
    xv[0] = 1; /* top-left */
    nb_output x = nb_constant_array(g, NB_FLOAT32, 4, (int64_t[]){1, 4, 4, 1}, xv, NULL);
    float fv[4] = {1, 2, 3, 4};
    nb_output f = nb_constant_array(g, NB_FLOAT32, 4, (int64_t[]){2, 2, 1, 1}, fv, NULL);
    nb_output y = nb_nn_conv2d(g, x, f, (int[]){1, 1, 1, 1}, "SAME", NULL, NULL);
    nb_tensor *t = eval1(g, y, NULL, 0);
    /* with padding after, output (0,0) sees x(0,0) at filter (0,0) -> 1 */
    CHECK(t && nb_tensor_get_flat(t, 0) == 1.0f);
    CHECK(t && nb_tensor_get_flat(t, 1) == 0.0f);
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(conv_matches_reference_loops) {
    /* fixed corner cases first, then random shapes */
    cfg fixed[] = {
        {.n = 2, .h = 7, .w = 6, .c = 3, .fh = 5, .fw = 5, .o = 4, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 3, .h = 8, .w = 9, .c = 2, .fh = 5, .fw = 5, .o = 3, .sh = 2, .sw = 2, .dh = 1, .dw = 1, .same = false},
        {.n = 2, .h = 9, .w = 8, .c = 2, .fh = 3, .fw = 3, .o = 5, .sh = 1, .sw = 1, .dh = 2, .dw = 2, .same = true},
        {.n = 2, .h = 9, .w = 10, .c = 3, .fh = 3, .fw = 2, .o = 2, .sh = 2, .sw = 1, .dh = 2, .dw = 2, .same = false},
        {.n = 3, .h = 5, .w = 4, .c = 6, .fh = 1, .fw = 1, .o = 7, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 2, .h = 5, .w = 5, .c = 4, .fh = 1, .fw = 1, .o = 3, .sh = 2, .sw = 2, .dh = 1, .dw = 1, .same = false},
        {.n = 1, .h = 28, .w = 28, .c = 1, .fh = 5, .fw = 5, .o = 8, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 5, .h = 14, .w = 14, .c = 8, .fh = 5, .fw = 5, .o = 16, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 2, .h = 3, .w = 3, .c = 2, .fh = 5, .fw = 5, .o = 2, .sh = 2, .sw = 2, .dh = 1, .dw = 1, .same = true},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        for (int t = 1; t <= 2; t++) {
            check_conv(fixed[i], NB_FLOAT32, false, t);
            check_conv(fixed[i], NB_FLOAT64, t == 2, t);
        }
    for (int r = 0; r < 24; r++) {
        cfg c = {.n = rng_int(1, 4), .h = rng_int(1, 11), .w = rng_int(1, 11), .c = rng_int(1, 5),
                 .o = rng_int(1, 6), .sh = rng_int(1, 2), .sw = rng_int(1, 2), .dh = rng_int(1, 2),
                 .dw = rng_int(1, 2), .same = rng_uniform() < 0.5};
        int64_t fs[] = {1, 2, 3, 5};
        c.fh = fs[rng_int(0, 3)], c.fw = fs[rng_int(0, 3)];
        if (!c.same && ((c.fh - 1) * c.dh + 1 > c.h || (c.fw - 1) * c.dw + 1 > c.w)) c.same = true;
        check_conv(c, r % 2 ? NB_FLOAT64 : NB_FLOAT32, r % 3 == 0, 1 + r % 2);
    }
}

TEST(conv_large_batch_blocks_and_threads) {
    /* enough rows to be split into many blocks across threads */
    cfg c = {.n = 12, .h = 14, .w = 14, .c = 32, .fh = 5, .fw = 5, .o = 64, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true};
    check_conv(c, NB_FLOAT32, true, 2);
    cfg d = {.n = 17, .h = 28, .w = 28, .c = 1, .fh = 5, .fw = 5, .o = 32, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true};
    check_conv(d, NB_FLOAT32, false, 2);
    check_conv(d, NB_FLOAT32, false, 1);
}

TEST(conv_batch_size_changes_between_runs) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(-1, 6, 6, 2), "x");
    nb_tensor *F = rand_tensor(NB_FLOAT64, 4, (int64_t[]){3, 3, 2, 2});
    nb_output f = nb_constant(g, F, "f");
    nb_tensor_unref(F);
    nb_output y = nb_nn_conv2d(g, x, f, (int[]){1, 1, 1, 1}, "SAME", NULL, NULL);
    nb_output sum = nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, NULL);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    double prev = 0;
    for (int64_t n = 1; n <= 9; n += 4) {
        nb_tensor *X = nb_tensor_ones(NB_FLOAT64, 4, (int64_t[]){n, 6, 6, 2});
        nb_tensor *t = nb_session_eval(s, sum, &(nb_feed){x, X}, 1);
        CHECK(t != NULL);
        if (t && n > 1) CHECK_NEAR(nb_tensor_scalar_f64(t) / (double)n, prev, 1e-12);
        if (t && n == 1) prev = nb_tensor_scalar_f64(t);
        nb_tensor_unref(t);
        nb_tensor_unref(X);
    }
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(conv_direct_small_channels) {
    /* C <= 4 takes the direct float32 kernels (src/ops/conv_direct.c): every
     * channel count, square and oblong windows, O below, at, and past a
     * multiple of 8, SAME and VALID, widths that leave partial pixel tiles,
     * batches of 1 and 9, one and two threads */
    const int64_t wins[][2] = {{1, 1}, {3, 3}, {5, 5}, {2, 3}, {7, 7}}, outs[] = {1, 8, 32, 33};
    int i = 0;
    for (int64_t c = 1; c <= 4; c++)
        for (int wi = 0; wi < 5; wi++)
            for (int oi = 0; oi < 4; oi++)
                for (int same = 0; same <= 1; same++, i++) {
                    cfg k = {.n = i % 4 == 0 ? 9 : 1, .h = 7 + i % 5, .w = 7 + i % 11, .c = c, .fh = wins[wi][0],
                             .fw = wins[wi][1], .o = outs[oi], .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = same};
                    check_conv(k, NB_FLOAT32, i % 3 == 0, 1 + i % 2);
                }
    /* the first layer of the course CNN, input smaller than the window, strides,
     * dilations, one image split into bands over two threads, empty batch and row */
    cfg fixed[] = {
        {.n = 9, .h = 28, .w = 28, .c = 1, .fh = 5, .fw = 5, .o = 32, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 2, .h = 3, .w = 2, .c = 3, .fh = 5, .fw = 5, .o = 8, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 1, .h = 1, .w = 1, .c = 1, .fh = 7, .fw = 7, .o = 33, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 3, .h = 11, .w = 13, .c = 2, .fh = 3, .fw = 3, .o = 16, .sh = 2, .sw = 3, .dh = 1, .dw = 1, .same = true},
        {.n = 2, .h = 12, .w = 10, .c = 4, .fh = 3, .fw = 2, .o = 24, .sh = 1, .sw = 2, .dh = 2, .dw = 3, .same = false},
        {.n = 2, .h = 9, .w = 9, .c = 3, .fh = 5, .fw = 5, .o = 40, .sh = 2, .sw = 2, .dh = 1, .dw = 1, .same = false},
        {.n = 1, .h = 30, .w = 9, .c = 1, .fh = 5, .fw = 5, .o = 32, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 0, .h = 5, .w = 5, .c = 2, .fh = 3, .fw = 3, .o = 8, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 2, .h = 4, .w = 0, .c = 1, .fh = 3, .fw = 3, .o = 8, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
    };
    for (size_t j = 0; j < sizeof fixed / sizeof fixed[0]; j++)
        for (int t = 1; t <= 2; t++) check_conv(fixed[j], NB_FLOAT32, t == 2, t);
}

/* Issue 18: strides and dilations up to 2^31-1 (what a GraphDef may hold):
 * the direct kernel sized its slab from (7 strides + the dilated window), and
 * a stride of 2^31-1 asked for 180 GB of scratch to compute a 1x1 output.
 * Now: the right answer (checked against the reference loops, forward and both
 * gradients), with scratch that follows the output. */
TEST(conv_huge_strides_and_dilations) {
    const int64_t B = 2147483647; /* INT32_MAX, the largest attr */
    cfg cases[] = {
        /* 1x1 outputs from huge strides, direct (C = 3) and im2col (C = 8) sizes */
        {.n = 2, .h = 5, .w = 6, .c = 3, .fh = 2, .fw = 2, .o = 4, .sh = B, .sw = B, .dh = 1, .dw = 1, .same = false},
        {.n = 2, .h = 5, .w = 6, .c = 3, .fh = 2, .fw = 2, .o = 4, .sh = B, .sw = B, .dh = 1, .dw = 1, .same = true},
        {.n = 1, .h = 4, .w = 7, .c = 8, .fh = 3, .fw = 2, .o = 8, .sh = B, .sw = 3, .dh = 1, .dw = 1, .same = true},
        /* a huge dilation with SAME: the dilated taps fall outside, only padding */
        {.n = 1, .h = 5, .w = 5, .c = 3, .fh = 2, .fw = 2, .o = 4, .sh = 1, .sw = 1, .dh = B, .dw = B, .same = true},
        {.n = 1, .h = 6, .w = 3, .c = 2, .fh = 3, .fw = 1, .o = 8, .sh = 2, .sw = 1, .dh = B, .dw = 1, .same = true},
        /* strides just past the direct kernel's limit (16), dilation 17 */
        {.n = 1, .h = 40, .w = 40, .c = 1, .fh = 3, .fw = 3, .o = 8, .sh = 17, .sw = 17, .dh = 17, .dw = 1, .same = true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_conv(cases[i], NB_FLOAT32, false, 2);
        check_conv(cases[i], NB_FLOAT64, true, 1);
    }
    /* VALID with a huge dilation: TF's negative-size error, computed without overflow */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(1, 5, 5, 3), "x");
    nb_output f = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 2, 3, 4), "f");
    CHECK(nb_output_is_nil(nb_nn_conv2d(g, x, f, (int[]){1, 1, 1, 1}, "VALID", (int[]){1, (int)B, 1, 1}, "c")));
    char want[256];
    snprintf(want, sizeof want, "Computed output size would be negative: %lld [input_size: 5, "
             "effective_filter_size: %lld, stride: 1]", (long long)(5 - (B + 1) + 1), (long long)(B + 1));
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), want);
    nb_graph_free(g);
    /* filter_sizes of 2^62 rows with a dilation of 2^31-1: (fh - 1) * d + 1
     * overflows int64 (was undefined behaviour); a clear error instead */
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(1, 5, 5, 3), "x");
    nb_output fs = nb_placeholder(g, NB_INT64, NB_SHAPE(4), "fs");
    nb_output dy = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "dy");
    nb_output bf = nb_nn_conv2d_backprop_filter(g, x, fs, dy, (int[]){1, 1, 1, 1}, "SAME",
                                                (int[]){1, (int)B, 1, 1}, "bf");
    CHECK_GRAPH_OK(g);
    nb_tensor *X = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){1, 5, 5, 3});
    nb_tensor *FS = nb_tensor_new(NB_INT64, 1, (int64_t[]){4}, (int64_t[]){(int64_t)1 << 62, 1, 3, 4});
    nb_tensor *DY = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){1, 5, 5, 4});
    char msg[1024];
    CHECK(run_error(g, bf, (nb_feed[]){{x, X}, {fs, FS}, {dy, DY}}, 3, msg, sizeof msg) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "The effective filter height (filter_size - 1) * dilation + 1 overflows int64: "
                            "filter_size 4611686018427387904, dilation 2147483647\n\t [[{{node bf}}");
    nb_tensor_unref(X), nb_tensor_unref(FS), nb_tensor_unref(DY);
    nb_graph_free(g);
}

/*** Pooling ***/

/* Naive pools and their gradients. */
static void ref_pool(const cfg *c, bool max, const double *x, const double *dy, double *y, double *dx) {
    memset(dx, 0, sizeof(double) * (size_t)(c->n * c->h * c->w * c->c));
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t i = 0; i < c->oh; i++)
            for (int64_t j = 0; j < c->ow; j++)
                for (int64_t ch = 0; ch < c->c; ch++) {
                    int64_t yi = ((n * c->oh + i) * c->ow + j) * c->c + ch, arg = -1, cnt = 0;
                    double acc = 0;
                    for (int64_t a = 0; a < c->fh; a++)
                        for (int64_t b = 0; b < c->fw; b++) {
                            int64_t xi = src_index(c, n, i, j, a, b, ch);
                            if (xi < 0) continue;
                            cnt++;
                            if (max) {
                                if (arg < 0 || x[xi] > x[arg]) arg = xi;
                            } else {
                                acc += x[xi];
                            }
                        }
                    if (max) {
                        y[yi] = x[arg];
                        dx[arg] += dy[yi];
                    } else {
                        y[yi] = acc / (double)cnt;
                        for (int64_t a = 0; a < c->fh; a++)
                            for (int64_t b = 0; b < c->fw; b++) {
                                int64_t xi = src_index(c, n, i, j, a, b, ch);
                                if (xi >= 0) dx[xi] += dy[yi] / (double)cnt;
                            }
                    }
                }
}

static void check_pool(cfg c, bool max, nb_dtype dt, bool dynamic, int threads, bool ties) {
    c.dh = c.dw = 1;
    c.o = c.c;
    cfg_finish(&c);
    nb_set_num_threads(threads);
    int64_t xd[4] = {c.n, c.h, c.w, c.c}, yd[4] = {c.n, c.oh, c.ow, c.c};
    nb_tensor *X = rand_tensor(dt, 4, xd), *DY = rand_tensor(dt, 4, yd);
    if (ties) /* few distinct values: ties everywhere, the first max must win */
        for (int64_t i = 0; i < nb_tensor_size(X); i++)
            nb_tensor_set_flat(X, i, (double)(int)(3 * nb_tensor_get_flat(X, i)));
    double *x = to_doubles(X), *dy = to_doubles(DY);
    int64_t ny = c.n * c.oh * c.ow * c.c, nx = c.n * c.h * c.w * c.c;
    double *y = calloc((size_t)ny + 1, sizeof *y), *dx = calloc((size_t)nx + 1, sizeof *dx);
    ref_pool(&c, max, x, dy, y, dx);
    nb_graph *g = nb_graph_new();
    int64_t u[4] = {-1, -1, -1, -1};
    nb_output px = nb_placeholder(g, dt, nb_shape_make(4, dynamic ? u : xd), "x");
    nb_output pdy = nb_placeholder(g, dt, nb_shape_make(4, dynamic ? u : yd), "dy");
    int k[4] = {1, (int)c.fh, (int)c.fw, 1}, st[4] = {1, (int)c.sh, (int)c.sw, 1};
    nb_output out = max ? nb_nn_max_pool(g, px, k, st, pad_name(c.same), NULL)
                        : nb_nn_avg_pool(g, px, k, st, pad_name(c.same), NULL);
    nb_output gx;
    nb_gradients(g, &out, 1, &px, 1, &pdy, &gx);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    nb_tensor *res[2] = {NULL, NULL};
    if (nb_session_run(s, (nb_feed[]){{px, X}, {pdy, DY}}, 2, (nb_output[]){out, gx}, 2, res) != NB_OK)
        FAILF("run: %s", nb_session_errmsg(s));
    double tol = dt == NB_FLOAT32 ? 1e-5 : 1e-12;
    double e0 = max_diff(res[0], y, ny), e1 = max_diff(res[1], dx, nx);
    checks_++;
    if (!(e0 <= tol && e1 <= tol))
        FAILF("%s n%lld %lldx%lldx%lld k%lldx%lld s%lld,%lld %s %s%s%s: errors y %g dx %g", max ? "max_pool" : "avg_pool",
              (long long)c.n, (long long)c.h, (long long)c.w, (long long)c.c, (long long)c.fh, (long long)c.fw,
              (long long)c.sh, (long long)c.sw, pad_name(c.same), nb_dtype_name(dt), dynamic ? " dynamic" : "",
              ties ? " ties" : "", e0, e1);
    nb_tensor_unref(res[0]), nb_tensor_unref(res[1]);
    nb_session_free(s);
    nb_graph_free(g);
    nb_tensor_unref(X), nb_tensor_unref(DY);
    free(x), free(dy), free(y), free(dx);
    nb_set_num_threads(0);
}

TEST(pools_match_reference_loops) {
    cfg fixed[] = {
        {.n = 2, .h = 28, .w = 28, .c = 32, .fh = 2, .fw = 2, .sh = 2, .sw = 2, .same = true},
        {.n = 3, .h = 7, .w = 7, .c = 3, .fh = 2, .fw = 2, .sh = 2, .sw = 2, .same = true},
        {.n = 3, .h = 7, .w = 7, .c = 3, .fh = 2, .fw = 2, .sh = 2, .sw = 2, .same = false},
        {.n = 2, .h = 6, .w = 5, .c = 2, .fh = 3, .fw = 3, .sh = 1, .sw = 1, .same = true},
        {.n = 2, .h = 9, .w = 8, .c = 4, .fh = 3, .fw = 2, .sh = 2, .sw = 1, .same = false},
        {.n = 1, .h = 4, .w = 4, .c = 1, .fh = 5, .fw = 5, .sh = 2, .sw = 2, .same = true},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        for (int m = 0; m < 2; m++) {
            check_pool(fixed[i], m, NB_FLOAT32, false, 2, false);
            check_pool(fixed[i], m, NB_FLOAT64, true, 1, m == 1);
        }
    for (int r = 0; r < 20; r++) {
        cfg c = {.n = rng_int(1, 4), .h = rng_int(1, 10), .w = rng_int(1, 10), .c = rng_int(1, 5),
                 .fh = rng_int(1, 4), .fw = rng_int(1, 4), .sh = rng_int(1, 3), .sw = rng_int(1, 3),
                 .same = rng_uniform() < 0.5};
        if (!c.same && (c.fh > c.h || c.fw > c.w)) c.same = true;
        check_pool(c, r % 2, r % 3 ? NB_FLOAT32 : NB_FLOAT64, r % 4 == 0, 1 + r % 2, r % 5 == 0);
    }
}

/* MaxPool 2x2 / stride 2, the shape with its own kernel (VALID, or SAME with
 * even sizes): channel counts around the 8-lane vectors (tails), odd sizes
 * (an uncovered last row/column whose gradient must be 0), ties (the first
 * maximum takes the gradient), the CNN's two shapes, 1 and 2 threads. */
TEST(max_pool_2x2_matches_reference_loops) {
    cfg fixed[] = {
        {.n = 3, .h = 28, .w = 28, .c = 32, .fh = 2, .fw = 2, .sh = 2, .sw = 2, .same = true},
        {.n = 3, .h = 14, .w = 14, .c = 64, .fh = 2, .fw = 2, .sh = 2, .sw = 2, .same = true},
        {.n = 2, .h = 7, .w = 9, .c = 17, .fh = 2, .fw = 2, .sh = 2, .sw = 2, .same = false},
        {.n = 1, .h = 2, .w = 2, .c = 8, .fh = 2, .fw = 2, .sh = 2, .sw = 2, .same = false},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        for (int t = 1; t <= 2; t++) {
            check_pool(fixed[i], true, NB_FLOAT32, false, t, false);
            check_pool(fixed[i], true, NB_FLOAT32, t == 2, t, true);
        }
    for (int r = 0; r < 24; r++) {
        bool same = r % 3 == 0;
        cfg c = {.n = rng_int(1, 3), .h = rng_int(2, 13), .w = rng_int(2, 13), .c = rng_int(1, 20),
                 .fh = 2, .fw = 2, .sh = 2, .sw = 2, .same = same};
        if (same) c.h += c.h % 2, c.w += c.w % 2;
        check_pool(c, true, NB_FLOAT32, r % 4 == 1, 1 + r % 2, r % 2 == 0);
    }
}

/* Pools with a window of 2^31-1 (SAME, stride 1): every window covers the
 * whole image, so each output is the image's max / mean per channel (computed
 * here by a plain loop); VALID gives TF's negative-size error. */
TEST(pools_with_huge_windows) {
    const int K = 2147483647;
    int64_t xd[4] = {2, 3, 4, 2};
    nb_tensor *X = rand_tensor(NB_FLOAT64, 4, xd);
    nb_graph *g = nb_graph_new();
    nb_output px = nb_placeholder(g, NB_FLOAT64, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output mp = nb_nn_max_pool(g, px, (int[]){1, K, K, 1}, (int[]){1, 1, 1, 1}, "SAME", "mp");
    nb_output ap = nb_nn_avg_pool(g, px, (int[]){1, K, 2, 1}, (int[]){1, 1, K, 1}, "SAME", "ap");
    nb_output vp = nb_nn_max_pool(g, px, (int[]){1, K, 1, 1}, (int[]){1, 1, 1, 1}, "VALID", "vp");
    CHECK_GRAPH_OK(g);
    nb_feed f = {px, X};
    nb_tensor *M = eval1(g, mp, &f, 1), *A = eval1(g, ap, &f, 1);
    CHECK(M && nb_tensor_rank(M) == 4 && nb_tensor_dim(M, 1) == 3 && nb_tensor_dim(M, 2) == 4);
    /* ap: window K x 2, stride (1, K): output 3 x 1, column window [0, 2) shifted
     * by SAME's left pad ((1-1)*K + 2 - 4 < 0: none): columns 0 and 1 */
    CHECK(A && nb_tensor_rank(A) == 4 && nb_tensor_dim(A, 1) == 3 && nb_tensor_dim(A, 2) == 1);
    for (int64_t n = 0; M && A && n < 2; n++)
        for (int64_t c = 0; c < 2; c++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t i = 0; i < 12; i++) {
                double v = nb_tensor_get_flat(X, (n * 12 + i) * 2 + c);
                if (v > mx) mx = v;
                if (i % 4 < 2) sum += v;
            }
            for (int64_t p = 0; p < 12; p++) CHECK(nb_tensor_get_flat(M, (n * 12 + p) * 2 + c) == mx);
            for (int64_t r = 0; r < 3; r++) CHECK_NEAR(nb_tensor_get_flat(A, (n * 3 + r) * 2 + c), sum / 6, 1e-12);
        }
    char msg[1024];
    CHECK(run_error(g, vp, &f, 1, msg, sizeof msg) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "Computed output size would be negative: -2147483643 [input_size: 3, "
                            "effective_filter_size: 2147483647, stride: 1]");
    nb_tensor_unref(M), nb_tensor_unref(A), nb_tensor_unref(X);
    nb_graph_free(g);
}

TEST(max_pool_grad_ties_go_to_first_max) {
    nb_graph *g = nb_graph_new();
    float xv[4] = {1, 1, 1, 1};
    nb_output x = nb_constant_array(g, NB_FLOAT32, 4, (int64_t[]){1, 2, 2, 1}, xv, NULL);
    nb_output y = nb_nn_max_pool(g, x, (int[]){1, 2, 2, 1}, (int[]){1, 2, 2, 1}, "VALID", NULL);
    nb_output dx;
    nb_gradients(g, &y, 1, &x, 1, NULL, &dx);
    CHECK_GRAPH_OK(g);
    CHECK(strcmp(nb_op_type(dx.op), "MaxPoolGrad") == 0);
    nb_tensor *t = eval1(g, dx, NULL, 0);
    CHECK(t && nb_tensor_get_flat(t, 0) == 1 && nb_tensor_get_flat(t, 1) == 0 && nb_tensor_get_flat(t, 3) == 0);
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(pool_grad_ops_direct) {
    /* the public backprop constructors, as TF's gen_nn_ops */
    nb_graph *g = nb_graph_new();
    nb_tensor *X = rand_tensor(NB_FLOAT32, 4, (int64_t[]){2, 4, 4, 3});
    nb_output x = nb_constant(g, X, "x");
    int k[4] = {1, 2, 2, 1};
    nb_output y = nb_nn_avg_pool(g, x, k, k, "VALID", NULL);
    nb_tensor *DY = nb_tensor_ones(NB_FLOAT32, 4, (int64_t[]){2, 2, 2, 3});
    nb_output dy = nb_constant(g, DY, "dy");
    nb_tensor_unref(DY);
    nb_output ga = nb_nn_avg_pool_grad(g, nb_shape_of(g, x, NULL), dy, k, k, "VALID", NULL);
    nb_output gm = nb_nn_max_pool_grad(g, x, nb_nn_max_pool(g, x, k, k, "VALID", NULL), dy, k, k, "VALID", NULL);
    CHECK_GRAPH_OK(g);
    char buf[64];
    CHECK(strcmp(nb_shape_string(nb_output_shape(ga), buf, sizeof buf), "[2,4,4,3]") == 0);
    nb_tensor *a = eval1(g, ga, NULL, 0), *m = eval1(g, gm, NULL, 0), *yy = eval1(g, y, NULL, 0);
    CHECK(a && fabs(nb_tensor_get_flat(a, 5) - 0.25) < 1e-7);
    double s = 0;
    for (int64_t i = 0; m && i < nb_tensor_size(m); i++) s += nb_tensor_get_flat(m, i);
    CHECK_NEAR(s, 24.0, 1e-6);
    nb_tensor_unref(a), nb_tensor_unref(m), nb_tensor_unref(yy), nb_tensor_unref(X);
    nb_graph_free(g);
}

TEST(conv_backprop_ops_direct) {
    nb_graph *g = nb_graph_new();
    nb_tensor *X = rand_tensor(NB_FLOAT64, 4, (int64_t[]){2, 5, 5, 3});
    nb_tensor *F = rand_tensor(NB_FLOAT64, 4, (int64_t[]){3, 3, 3, 2});
    nb_tensor *DY = rand_tensor(NB_FLOAT64, 4, (int64_t[]){2, 3, 3, 2});
    nb_output x = nb_constant(g, X, "x"), f = nb_constant(g, F, "f"), dy = nb_constant(g, DY, "dy");
    int s2[4] = {1, 2, 2, 1};
    nb_output xs = nb_constant_array(g, NB_INT32, 1, (int64_t[]){4}, (int32_t[]){2, 5, 5, 3}, "xs");
    nb_output fs = nb_constant_array(g, NB_INT32, 1, (int64_t[]){4}, (int32_t[]){3, 3, 3, 2}, "fs");
    nb_output bi = nb_nn_conv2d_backprop_input(g, xs, f, dy, s2, "SAME", NULL, NULL);
    nb_output bf = nb_nn_conv2d_backprop_filter(g, x, fs, dy, s2, "SAME", NULL, NULL);
    CHECK_GRAPH_OK(g);
    char buf[64];
    CHECK(strcmp(nb_shape_string(nb_output_shape(bi), buf, sizeof buf), "[2,5,5,3]") == 0);
    CHECK(strcmp(nb_shape_string(nb_output_shape(bf), buf, sizeof buf), "[3,3,3,2]") == 0);
    cfg c = {.n = 2, .h = 5, .w = 5, .c = 3, .fh = 3, .fw = 3, .o = 2, .sh = 2, .sw = 2, .dh = 1, .dw = 1, .same = true};
    cfg_finish(&c);
    double *xd = to_doubles(X), *fd = to_doubles(F), *dyd = to_doubles(DY);
    double y[2 * 3 * 3 * 2], dx[2 * 5 * 5 * 3], df[3 * 3 * 3 * 2];
    ref_conv(&c, xd, fd, dyd, y, dx, df);
    nb_tensor *a = eval1(g, bi, NULL, 0), *b = eval1(g, bf, NULL, 0);
    CHECK(max_diff(a, dx, 150) < 1e-12);
    CHECK(max_diff(b, df, 54) < 1e-12);
    /* second derivatives are out of scope: the backprop ops are NBI_NO_GRAD */
    nb_output gg;
    nb_gradients(g, &bi, 1, &f, 1, NULL, &gg);
    CHECK_GRAPH_OK(g);
    CHECK(nb_output_is_nil(gg));
    nb_tensor_unref(a), nb_tensor_unref(b);
    nb_tensor_unref(X), nb_tensor_unref(F), nb_tensor_unref(DY);
    free(xd), free(fd), free(dyd);
    nb_graph_free(g);
}

/*** FusedBatchNorm ***/

static void check_bn(int rank, const int64_t *dims, bool training, nb_dtype dt, bool dynamic) {
    int64_t C = dims[rank - 1], R = 1;
    for (int i = 0; i < rank - 1; i++) R *= dims[i];
    nb_tensor *X = rand_tensor(dt, rank, dims), *S = rand_tensor(dt, 1, &C), *O = rand_tensor(dt, 1, &C);
    nb_tensor *M = rand_tensor(dt, 1, &C), *V = rand_tensor(dt, 1, &C), *DY = rand_tensor(dt, rank, dims);
    for (int64_t c = 0; c < C; c++) nb_tensor_set_flat(V, c, 0.5 + fabs(nb_tensor_get_flat(V, c)));
    double eps = 1e-3;
    double *x = to_doubles(X), *dy = to_doubles(DY);
    double *y = calloc((size_t)(R * C), sizeof *y), *dx = calloc((size_t)(R * C), sizeof *dx);
    double mean[16], var[16], uvar[16], ds[16], dof[16];
    for (int64_t c = 0; c < C; c++) {
        double m = 0, v = 0;
        for (int64_t r = 0; r < R; r++) m += x[r * C + c];
        m /= (double)R;
        for (int64_t r = 0; r < R; r++) v += (x[r * C + c] - m) * (x[r * C + c] - m);
        uvar[c] = R > 1 ? v / (double)(R - 1) : v;
        v /= (double)R;
        mean[c] = training ? m : nb_tensor_get_flat(M, c);
        var[c] = training ? v : nb_tensor_get_flat(V, c);
        double inv = 1 / sqrt(var[c] + eps), s = nb_tensor_get_flat(S, c), sdy = 0, sdyx = 0;
        for (int64_t r = 0; r < R; r++) {
            double xh = (x[r * C + c] - mean[c]) * inv;
            y[r * C + c] = s * xh + nb_tensor_get_flat(O, c);
            sdy += dy[r * C + c];
            sdyx += dy[r * C + c] * xh;
        }
        ds[c] = sdyx, dof[c] = sdy;
        for (int64_t r = 0; r < R; r++) {
            double xh = (x[r * C + c] - mean[c]) * inv;
            dx[r * C + c] = training ? s * inv * (dy[r * C + c] - sdy / (double)R - xh * sdyx / (double)R)
                                     : s * inv * dy[r * C + c];
        }
    }
    nb_graph *g = nb_graph_new();
    int64_t u[4] = {-1, -1, -1, -1};
    nb_output px = nb_placeholder(g, dt, nb_shape_make(rank, dynamic ? u : dims), "x");
    nb_output ps = nb_placeholder(g, dt, NB_SHAPE(dynamic ? -1 : C), "scale");
    nb_output po = nb_placeholder(g, dt, NB_SHAPE(dynamic ? -1 : C), "offset");
    nb_output pm = nb_placeholder(g, dt, NB_SHAPE(dynamic ? -1 : C), "mean");
    nb_output pv = nb_placeholder(g, dt, NB_SHAPE(dynamic ? -1 : C), "variance");
    nb_output pdy = nb_placeholder(g, dt, nb_shape_make(rank, dynamic ? u : dims), "dy");
    nb_output bm, bv;
    nb_output out = nb_nn_fused_batch_norm(g, px, ps, po, training ? nb_nil : pm, training ? nb_nil : pv,
                                           eps, training, &bm, &bv, NULL);
    nb_output gr[3];
    nb_gradients(g, &out, 1, (nb_output[]){px, ps, po}, 3, &pdy, gr);
    CHECK_GRAPH_OK(g);
    CHECK(strcmp(nb_op_type(out.op), "FusedBatchNorm") == 0 && nb_op_num_outputs(out.op) == 5);
    nb_session *s = nb_session_new(g);
    nb_tensor *res[6] = {0};
    nb_feed f[6] = {{px, X}, {ps, S}, {po, O}, {pdy, DY}, {pm, M}, {pv, V}};
    if (nb_session_run(s, f, training ? 4 : 6, (nb_output[]){out, bm, bv, gr[0], gr[1], gr[2]}, 6, res) != NB_OK)
        FAILF("run: %s", nb_session_errmsg(s));
    double tol = dt == NB_FLOAT32 ? 1e-4 : 1e-10;
    double ref_bm[16], ref_bv[16];
    for (int64_t c = 0; c < C; c++) ref_bm[c] = mean[c], ref_bv[c] = training ? uvar[c] : var[c];
    double e[6] = {max_diff(res[0], y, R * C), max_diff(res[1], ref_bm, C), max_diff(res[2], ref_bv, C),
                   max_diff(res[3], dx, R * C), max_diff(res[4], ds, C), max_diff(res[5], dof, C)};
    for (int i = 0; i < 6; i++) {
        checks_++;
        if (!(e[i] <= tol))
            FAILF("batch norm rank %d %s %s%s: output %d error %g", rank, training ? "training" : "inference",
                  nb_dtype_name(dt), dynamic ? " dynamic" : "", i, e[i]);
    }
    for (int i = 0; i < 6; i++) nb_tensor_unref(res[i]);
    nb_session_free(s);
    nb_graph_free(g);
    nb_tensor_unref(X), nb_tensor_unref(S), nb_tensor_unref(O), nb_tensor_unref(M), nb_tensor_unref(V),
        nb_tensor_unref(DY);
    free(x), free(dy), free(y), free(dx);
}

TEST(fused_batch_norm_matches_reference) {
    for (int tr = 0; tr < 2; tr++) {
        check_bn(4, (int64_t[]){3, 4, 5, 6}, tr, NB_FLOAT32, false);
        check_bn(4, (int64_t[]){2, 3, 3, 4}, tr, NB_FLOAT64, true);
        check_bn(2, (int64_t[]){7, 5}, tr, NB_FLOAT64, false);
        check_bn(2, (int64_t[]){9, 3}, tr, NB_FLOAT32, true);
    }
}

TEST(fused_batch_norm_names_and_shapes) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(-1, 8, 8, 16), "x");
    nb_output sc = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(16), "s");
    nb_output of = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(16), "o");
    nb_output bm, bv;
    nb_output y = nb_nn_fused_batch_norm(g, x, sc, of, nb_nil, nb_nil, 1e-3, true, &bm, &bv, NULL);
    CHECK_GRAPH_OK(g);
    char buf[64];
    CHECK(strcmp(nb_op_name(y.op), "FusedBatchNorm") == 0);
    CHECK(nb_graph_find_op(g, "FusedBatchNorm/Const") != NULL);
    CHECK(strcmp(nb_shape_string(nb_output_shape(y), buf, sizeof buf), "[?,8,8,16]") == 0);
    CHECK(strcmp(nb_shape_string(nb_output_shape(bv), buf, sizeof buf), "[16]") == 0);
    CHECK(bm.op == y.op && bm.index == 1 && bv.index == 2);
    /* inference needs the statistics */
    nb_nn_fused_batch_norm(g, x, sc, of, nb_nil, nb_nil, 1e-3, false, NULL, NULL, "bn");
    CHECK(nb_graph_status(g) == NB_ERR_INVALID_ARGUMENT);
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 8, 16), "x");
    sc = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(16), "s");
    nb_nn_fused_batch_norm(g, x, sc, sc, nb_nil, nb_nil, 1e-3, true, NULL, NULL, "bn3");
    CHECK(nb_graph_status(g) == NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'bn3'");
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 8, 8, 16), "x");
    sc = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(15), "s");
    nb_nn_fused_batch_norm(g, x, sc, sc, nb_nil, nb_nil, 1e-3, true, NULL, NULL, "bnc");
    CHECK(nb_graph_status(g) == NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'bnc'");
    nb_graph_free(g);
}

/*** Errors ***/

static void expect_build_error(nb_shape xs, nb_shape fs, const int *strides, const char *padding,
                               const int *dil, nb_status code, const char *needle) {
    nb_graph *g = nb_graph_new();
    nb_name_scope_push(g, "layer");
    nb_output x = nb_placeholder(g, NB_FLOAT32, xs, "x");
    nb_output f = nb_placeholder(g, NB_FLOAT32, fs, "f");
    nb_output y = nb_nn_conv2d(g, x, f, strides, padding, dil, "conv");
    CHECK(nb_output_is_nil(y));
    CHECK(nb_graph_status(g) == code);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "layer/conv");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), needle);
    nb_graph_free(g);
}

TEST(conv_build_errors_name_the_node) {
    int s1[4] = {1, 1, 1, 1};
    expect_build_error(NB_SHAPE(2, 5, 5), NB_SHAPE(3, 3, 1, 1), s1, "SAME", NULL, NB_ERR_SHAPE, "rank 4 but is rank 3");
    expect_build_error(NB_SHAPE(2, 5, 5, 1), NB_SHAPE(3, 3, 1), s1, "SAME", NULL, NB_ERR_SHAPE, "rank 4 but is rank 3");
    expect_build_error(NB_SHAPE(2, 5, 5, 3), NB_SHAPE(3, 3, 2, 1), s1, "SAME", NULL, NB_ERR_SHAPE, "Depth of input (3)");
    expect_build_error(NB_SHAPE(2, 5, 5, 1), NB_SHAPE(3, 3, 1, 1), s1, "same", NULL, NB_ERR_INVALID_ARGUMENT, "padding");
    expect_build_error(NB_SHAPE(2, 5, 5, 1), NB_SHAPE(3, 3, 1, 1), s1, NULL, NULL, NB_ERR_INVALID_ARGUMENT, "padding");
    expect_build_error(NB_SHAPE(2, 5, 5, 1), NB_SHAPE(3, 3, 1, 1), (int[]){1, 0, 1, 1}, "SAME", NULL,
                       NB_ERR_INVALID_ARGUMENT, "must be positive");
    expect_build_error(NB_SHAPE(2, 5, 5, 1), NB_SHAPE(3, 3, 1, 1), (int[]){2, 1, 1, 1}, "SAME", NULL,
                       NB_ERR_INVALID_ARGUMENT, "batch and depth");
    expect_build_error(NB_SHAPE(2, 5, 5, 1), NB_SHAPE(3, 3, 1, 1), s1, "SAME", (int[]){1, 0, 1, 1},
                       NB_ERR_INVALID_ARGUMENT, "dilations");
    expect_build_error(NB_SHAPE(2, 2, 5, 1), NB_SHAPE(5, 3, 1, 1), s1, "VALID", NULL, NB_ERR_INVALID_ARGUMENT,
                       "Computed output size would be negative");
    /* pools */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 5, 5, 1), "x");
    nb_nn_max_pool(g, x, (int[]){1, 2, 2, 1}, (int[]){1, 0, 2, 1}, "SAME", "pool");
    CHECK(nb_graph_status(g) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'pool'");
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 5, 5), "x");
    nb_nn_avg_pool(g, x, (int[]){1, 2, 2, 1}, (int[]){1, 2, 2, 1}, "VALID", "apool");
    CHECK(nb_graph_status(g) == NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'apool'");
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 5, 5, 1), "x");
    nb_nn_max_pool(g, x, (int[]){1, 2, 2, 1}, (int[]){1, 2, 2, 1}, "FULL", "mp");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'mp'");
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "\"FULL\"");
    nb_graph_free(g);
    /* dtypes */
    g = nb_graph_new();
    x = nb_placeholder(g, NB_INT32, NB_SHAPE(2, 5, 5, 1), "x");
    nb_output f = nb_placeholder(g, NB_INT32, NB_SHAPE(1, 1, 1, 1), "f");
    nb_nn_conv2d(g, x, f, (int[]){1, 1, 1, 1}, "SAME", NULL, "ic");
    CHECK(nb_graph_status(g) == NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "'ic'");
    nb_graph_free(g);
}

TEST(conv_run_errors_name_the_node) {
    /* shapes only known at run time: channel mismatch, wrong rank, too-small input */
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output f = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "f");
    nb_name_scope_push(g, "net");
    nb_output y = nb_nn_conv2d(g, x, f, (int[]){1, 1, 1, 1}, "VALID", NULL, NULL);
    nb_output p = nb_nn_max_pool(g, x, (int[]){1, 3, 3, 1}, (int[]){1, 1, 1, 1}, "VALID", NULL);
    nb_name_scope_pop(g);
    CHECK_GRAPH_OK(g);
    char msg[1024];
    nb_tensor *X = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){1, 4, 4, 3});
    nb_tensor *F = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){3, 3, 2, 1});
    nb_tensor *X3 = nb_tensor_zeros(NB_FLOAT32, 3, (int64_t[]){4, 4, 3});
    nb_tensor *Xs = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){1, 2, 2, 2});
    CHECK(run_error(g, y, (nb_feed[]){{x, X}, {f, F}}, 2, msg, sizeof msg) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "net/Conv2D");
    CHECK_STR_CONTAINS(msg, "Depth of input");
    CHECK(run_error(g, y, (nb_feed[]){{x, X3}, {f, F}}, 2, msg, sizeof msg) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "net/Conv2D");
    nb_tensor *Xn = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){1, 1, 1, 2});
    CHECK(run_error(g, y, (nb_feed[]){{x, Xn}, {f, F}}, 2, msg, sizeof msg) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "negative");
    nb_tensor_unref(Xn);
    /* VALID with a window one larger than the input: an empty output, as TF */
    nb_tensor *E = eval1(g, y, (nb_feed[]){{x, Xs}, {f, F}}, 2);
    CHECK(E && nb_tensor_size(E) == 0);
    nb_tensor_unref(E);
    nb_tensor *X1 = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){1, 1, 1, 2});
    CHECK(run_error(g, p, (nb_feed[]){{x, X1}}, 1, msg, sizeof msg) == NB_ERR_INVALID_ARGUMENT);
    nb_tensor_unref(X1);
    CHECK_STR_CONTAINS(msg, "net/MaxPool");
    /* a backprop op with mismatched out_backprop */
    nb_output xs = nb_constant_array(g, NB_INT32, 1, (int64_t[]){4}, (int32_t[]){1, 4, 4, 2}, "xs");
    nb_output dy = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "dy");
    nb_output bi = nb_nn_conv2d_backprop_input(g, xs, f, dy, (int[]){1, 1, 1, 1}, "VALID", NULL, "bi");
    CHECK_GRAPH_OK(g);
    nb_tensor *DY = nb_tensor_zeros(NB_FLOAT32, 4, (int64_t[]){1, 3, 3, 1});
    CHECK(run_error(g, bi, (nb_feed[]){{f, F}, {dy, DY}}, 2, msg, sizeof msg) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "bi");
    CHECK_STR_CONTAINS(msg, "out_backprop");
    nb_tensor_unref(X), nb_tensor_unref(F), nb_tensor_unref(X3), nb_tensor_unref(Xs), nb_tensor_unref(DY);
    nb_graph_free(g);
}

/*** Winograd F(2x2, 5x5) and F(4x4, 3x3) ***/

/* Runs conv + both gradients of x[n,h,w,c] * f[fh,fw,c,o] (stride 1) with
 * Winograd on or off; res gets y, dx, df. */
static void run_conv3(const cfg *c, bool wino, const nb_tensor *X, const nb_tensor *F, const nb_tensor *DY,
                      nb_tensor **res) {
    bool prev = nb_get_winograd();
    nb_set_winograd(wino);
    nb_graph *g = nb_graph_new();
    int64_t u[4] = {-1, -1, -1, -1};
    nb_output px = nb_placeholder(g, NB_FLOAT32, nb_shape_make(4, u), "x");
    nb_output pf = nb_placeholder(g, NB_FLOAT32, nb_shape_make(4, u), "f");
    nb_output pdy = nb_placeholder(g, NB_FLOAT32, nb_shape_make(4, u), "dy");
    nb_output out = nb_nn_conv2d(g, px, pf, (int[]){1, 1, 1, 1}, pad_name(c->same), NULL, NULL);
    nb_output grads[2];
    nb_gradients(g, &out, 1, (nb_output[]){px, pf}, 2, &pdy, grads);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    union { const nb_tensor *c; nb_tensor *m; } ux = {X}, uf = {F}, ud = {DY};
    nb_feed feeds[3] = {{px, ux.m}, {pf, uf.m}, {pdy, ud.m}};
    if (nb_session_run(s, feeds, 3, (nb_output[]){out, grads[0], grads[1]}, 3, res) != NB_OK)
        FAILF("run: %s", nb_session_errmsg(s));
    nb_session_free(s);
    nb_graph_free(g);
    nb_set_winograd(prev);
}

static bool bitwise_equal(const nb_tensor *a, const nb_tensor *b) {
    return a && b && nb_tensor_size(a) == nb_tensor_size(b) &&
           memcmp(nb_tensor_data_const(a), nb_tensor_data_const(b), (size_t)nb_tensor_size(a) * sizeof(float)) == 0;
}

TEST(conv_winograd_matches_reference_and_im2col) {
    /* partial tiles (odd output sizes), VALID (padding 0) and SAME (2), one
     * image and many, channels 8..64, 1 and 2 threads; the reference is the
     * double loop, and with Winograd off the same run must meet im2col's
     * per-element bound while Winograd's result differs from it (the fast path
     * was taken) by no more than the scaled bound */
    cfg cases[] = {
        {.n = 2, .h = 14, .w = 14, .c = 32, .fh = 5, .fw = 5, .o = 64, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 3, .h = 13, .w = 11, .c = 8, .fh = 5, .fw = 5, .o = 16, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 2, .h = 9, .w = 7, .c = 16, .fh = 5, .fw = 5, .o = 8, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = false},
        {.n = 1, .h = 5, .w = 6, .c = 8, .fh = 5, .fw = 5, .o = 24, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = false},
        {.n = 1, .h = 1, .w = 2, .c = 8, .fh = 5, .fw = 5, .o = 8, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 7, .h = 6, .w = 6, .c = 40, .fh = 5, .fw = 5, .o = 8, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        /* F(4x4, 3x3): a VGG-like layer, partial tiles, VALID */
        {.n = 2, .h = 16, .w = 16, .c = 32, .fh = 3, .fw = 3, .o = 32, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 3, .h = 13, .w = 10, .c = 8, .fh = 3, .fw = 3, .o = 16, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 2, .h = 9, .w = 7, .c = 16, .fh = 3, .fw = 3, .o = 8, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = false},
        {.n = 1, .h = 1, .w = 3, .c = 8, .fh = 3, .fw = 3, .o = 8, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
    };
    bool prev = nb_get_winograd();
    nb_set_winograd(true);
    /* random shapes first: sizes 1..12 (partial tiles, images smaller than the
     * window), channels 8..24, SAME or VALID, known or unknown shapes */
    for (int r = 0; r < 16; r++) {
        int64_t fs = r % 2 ? 3 : 5;
        cfg c = {.n = rng_int(1, 3), .h = rng_int(1, 12), .w = rng_int(1, 12), .c = 8 * rng_int(1, 3),
                 .fh = fs, .fw = fs, .o = 8 * rng_int(1, 3), .sh = 1, .sw = 1, .dh = 1, .dw = 1,
                 .same = rng_uniform() < 0.5};
        if (!c.same && (c.h < fs || c.w < fs)) c.same = true;
        cfg probe = c;
        cfg_finish(&probe);
        CHECK(takes_winograd(&probe, NB_FLOAT32));
        check_conv(c, NB_FLOAT32, r % 4 >= 2, 1 + r % 2);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cfg c = cases[i];
        cfg_finish(&c);
        CHECK(takes_winograd(&c, NB_FLOAT32));
        for (int t = 1; t <= 2; t++) check_conv(c, NB_FLOAT32, i % 2 == 1, t);
        int64_t xd[4] = {c.n, c.h, c.w, c.c}, fd[4] = {c.fh, c.fw, c.c, c.o}, yd[4] = {c.n, c.oh, c.ow, c.o};
        nb_tensor *X = rand_tensor(NB_FLOAT32, 4, xd), *F = rand_tensor(NB_FLOAT32, 4, fd),
                  *DY = rand_tensor(NB_FLOAT32, 4, yd);
        nb_tensor *on[3] = {NULL, NULL, NULL}, *off[3] = {NULL, NULL, NULL};
        run_conv3(&c, true, X, F, DY, on);
        run_conv3(&c, false, X, F, DY, off);
        double *x = to_doubles(X), *f = to_doubles(F), *dy = to_doubles(DY);
        int64_t ny = c.n * c.oh * c.ow * c.o, nx = c.n * c.h * c.w * c.c, nf = c.fh * c.fw * c.c * c.o;
        double *y = calloc((size_t)ny, sizeof *y), *dx = calloc((size_t)nx, sizeof *dx), *df = calloc((size_t)nf, sizeof *df);
        ref_conv(&c, x, f, dy, y, dx, df);
        double *refs[3] = {y, dx, df};
        int64_t ns[3] = {ny, nx, nf};
        for (int j = 0; j < 3; j++) {
            CHECK(max_diff(off[j], refs[j], ns[j]) <= 1e-4);
            CHECK(scaled_diff(on[j], refs[j], ns[j]) <= 5e-5);
            CHECK(!bitwise_equal(on[j], off[j]));
        }
        for (int j = 0; j < 3; j++) nb_tensor_unref(on[j]), nb_tensor_unref(off[j]);
        nb_tensor_unref(X), nb_tensor_unref(F), nb_tensor_unref(DY);
        free(x), free(f), free(dy), free(y), free(dx), free(df);
    }
    nb_set_winograd(prev);
}

TEST(conv_filter_gradient_is_reproducible) {
    /* the filter gradient sums per-thread partials: at 2 threads, runs in fresh
     * sessions must agree bit for bit, for Winograd (5x5, 3x3) and for im2col
     * (channels not multiples of 8) */
    cfg cases[] = {
        {.n = 9, .h = 14, .w = 14, .c = 16, .fh = 5, .fw = 5, .o = 32, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 9, .h = 14, .w = 14, .c = 16, .fh = 3, .fw = 3, .o = 32, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
        {.n = 9, .h = 14, .w = 14, .c = 12, .fh = 3, .fw = 3, .o = 20, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .same = true},
    };
    /* a fixed team: sized to idle cores (the default), the team can change
     * between runs on a busy machine, and the partials' grouping with it */
    nb_set_adaptive_threads(false);
    nb_set_num_threads(2);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cfg c = cases[i];
        cfg_finish(&c);
        int64_t xd[4] = {c.n, c.h, c.w, c.c}, fd[4] = {c.fh, c.fw, c.c, c.o}, yd[4] = {c.n, c.oh, c.ow, c.o};
        nb_tensor *X = rand_tensor(NB_FLOAT32, 4, xd), *F = rand_tensor(NB_FLOAT32, 4, fd),
                  *DY = rand_tensor(NB_FLOAT32, 4, yd);
        nb_tensor *first[3] = {NULL, NULL, NULL};
        run_conv3(&c, true, X, F, DY, first);
        for (int r = 0; r < 4; r++) {
            nb_tensor *again[3] = {NULL, NULL, NULL};
            run_conv3(&c, true, X, F, DY, again);
            for (int j = 0; j < 3; j++) CHECK(bitwise_equal(first[j], again[j]));
            for (int j = 0; j < 3; j++) nb_tensor_unref(again[j]);
        }
        for (int j = 0; j < 3; j++) nb_tensor_unref(first[j]);
        nb_tensor_unref(X), nb_tensor_unref(F), nb_tensor_unref(DY);
    }
    nb_set_num_threads(0);
    nb_set_adaptive_threads(true);
}

TEST(conv_winograd_switch_and_environment) {
    /* on by default unless NABLA_WINOGRAD=0 was set when first asked (ctest
     * also runs this whole file so, test_conv_winograd_off); every test that
     * switches it puts it back */
    const char *e = getenv("NABLA_WINOGRAD");
    bool expect = !(e && strcmp(e, "0") == 0);
    CHECK(nb_get_winograd() == expect);
    nb_set_winograd(!expect);
    CHECK(nb_get_winograd() == !expect);
    nb_set_winograd(expect);
    CHECK(nb_get_winograd() == expect);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
