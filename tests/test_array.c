/*
 * test_array.c — every op of src/ops/shape.def, layout.def and index.def:
 * forward values (by hand or against a naive loop written here), static
 * shape inference, TensorFlow's
 * default node names, bad inputs (the message must name the node) and, for
 * the differentiable ops, gradients of sum(w * op(x)) with w = 1, 2, 3, ...
 * so that each gradient value shows where it came from.
 */
#include "harness.h"
#include "nb_internal.h" /* BroadcastGradientArgs and raw ops have no public constructor */

/*** Helpers ***/

#define D(...) ((int64_t[]){__VA_ARGS__})
#define V(...) ((double[]){__VA_ARGS__})

/* A tensor of dtype with the given values (converted). New reference. */
static nb_tensor *mk(nb_dtype dt, int rank, const int64_t *dims, const double *vals) {
    nb_tensor *t = nb_tensor_new(dt, rank, dims, NULL);
    if (!t) return NULL;
    for (int64_t i = 0; i < nb_tensor_size(t); i++) nb_tensor_set_flat(t, i, vals[i]);
    return t;
}

static nb_output cst(nb_graph *g, nb_dtype dt, int rank, const int64_t *dims, const double *vals) {
    nb_tensor *t = mk(dt, rank, dims, vals);
    nb_output c = nb_constant(g, t, NULL);
    nb_tensor_unref(t);
    return c;
}

/* A constant holding 0, 1, 2, ... in the given shape. */
static nb_output iota(nb_graph *g, nb_dtype dt, int rank, const int64_t *dims) {
    nb_tensor *t = nb_tensor_new(dt, rank, dims, NULL);
    for (int64_t i = 0; i < nb_tensor_size(t); i++) nb_tensor_set_flat(t, i, (double)i);
    nb_output c = nb_constant(g, t, NULL);
    nb_tensor_unref(t);
    return c;
}

static nb_tensor *iota_t(nb_dtype dt, int rank, const int64_t *dims) {
    nb_tensor *t = nb_tensor_new(dt, rank, dims, NULL);
    for (int64_t i = 0; i < nb_tensor_size(t); i++) nb_tensor_set_flat(t, i, (double)i);
    return t;
}

static bool tensor_matches(const nb_tensor *t, int rank, const int64_t *dims, const double *vals,
                           char *why, size_t n) {
    if (!t) {
        snprintf(why, n, "no value (see the eval error above)");
        return false;
    }
    char a[128], b[128];
    if (nb_tensor_rank(t) != rank ||
        (rank > 0 && memcmp(nb_tensor_dims(t), dims, sizeof(int64_t) * (size_t)rank))) {
        snprintf(why, n, "dims %s, expected %s",
                 nb_shape_string(nb_tensor_shape(t), a, sizeof a),
                 nb_shape_string(nb_shape_make(rank, dims), b, sizeof b));
        return false;
    }
    for (int64_t i = 0; i < nb_tensor_size(t); i++) {
        double v = nb_tensor_get_flat(t, i);
        if (!(fabs(v - vals[i]) <= 1e-5 * (1.0 + fabs(vals[i])))) {
            snprintf(why, n, "element %lld = %g, expected %g", (long long)i, v, vals[i]);
            return false;
        }
    }
    return true;
}

/* Evaluates y (with feeds) and compares dims and values. */
#define EXPECT_FED(g, y, feeds, nf, rank, dims, vals)                                   \
    do {                                                                                \
        checks_++;                                                                      \
        char w_[512];                                                                   \
        if (nb_graph_status(g) != NB_OK) {                                              \
            FAILF("graph error: %s", nb_graph_errmsg(g));                               \
            break;                                                                      \
        }                                                                               \
        nb_tensor *t_ = eval1(g, y, feeds, nf);                                         \
        if (!tensor_matches(t_, rank, dims, vals, w_, sizeof w_)) FAILF("%s: %s", #y, w_); \
        nb_tensor_unref(t_);                                                            \
    } while (0)
#define EXPECT(g, y, rank, dims, vals) EXPECT_FED(g, y, NULL, 0, rank, dims, vals)

#define CHECK_SHAPE(o, want)                                                            \
    do {                                                                                \
        checks_++;                                                                      \
        char b_[128];                                                                   \
        nb_shape_string(nb_output_shape(o), b_, sizeof b_);                             \
        if (strcmp(b_, want)) FAILF("shape of %s is %s, expected %s", #o, b_, want);    \
    } while (0)

#define CHECK_NAME(op_, want)                                                           \
    do {                                                                                \
        checks_++;                                                                      \
        const char *n_ = nb_op_name(op_);                                               \
        if (strcmp(n_, want)) FAILF("name '%s', expected '%s'", n_, want);              \
    } while (0)

/* The graph is in error and its message holds both strings. */
#define CHECK_GRAPH_ERR(g, s1, s2)                                                      \
    do {                                                                                \
        checks_++;                                                                      \
        if (nb_graph_status(g) == NB_OK) FAILF("expected a graph error (%s)", s1);     \
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), s1);                                     \
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), s2);                                     \
    } while (0)

/* Runs y expecting a run-time error whose message holds both strings. */
static char run_msg[4096];
static nb_status run_error(nb_graph *g, nb_output y, const nb_feed *f, int nf) {
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, y, f, nf);
    nb_status st = t ? NB_OK : nb_session_status(s);
    snprintf(run_msg, sizeof run_msg, "%s", nb_session_errmsg(s));
    nb_tensor_unref(t);
    nb_session_free(s);
    return st;
}
#define CHECK_RUN_ERR(g, y, f, nf, s1, s2)                                              \
    do {                                                                                \
        checks_++;                                                                      \
        if (nb_graph_status(g) != NB_OK) {                                              \
            FAILF("graph error: %s", nb_graph_errmsg(g));                               \
            break;                                                                      \
        }                                                                               \
        if (run_error(g, y, f, nf) == NB_OK) FAILF("expected a run-time error (%s)", s1); \
        CHECK_STR_CONTAINS(run_msg, s1);                                                \
        CHECK_STR_CONTAINS(run_msg, s2);                                                \
    } while (0)

/* sum(y * w) where w = 1, 2, 3, ... in y's (fully known) static shape. */
static nb_output wsum(nb_graph *g, nb_output y) {
    nb_shape s = nb_output_shape(y);
    if (!nbi_shape_known(&s)) return nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, NULL);
    nb_tensor *w = nb_tensor_new(nb_output_dtype(y), s.rank, s.dims, NULL);
    for (int64_t i = 0; i < nb_tensor_size(w); i++) nb_tensor_set_flat(w, i, (double)(i + 1));
    nb_output wc = nb_constant(g, w, "w");
    nb_tensor_unref(w);
    return nb_reduce_sum(g, nb_multiply(g, y, wc, NULL), NULL, NB_ALL_AXES, false, NULL);
}

/* d loss / d x, evaluated (with feeds) and compared. */
#define EXPECT_GRAD_FED(g, loss, x, feeds, nf, rank, dims, vals)                        \
    do {                                                                                \
        nb_output l_ = (loss), x_ = (x), dx_;                                           \
        nb_gradients(g, &l_, 1, &x_, 1, NULL, &dx_);                                    \
        if (nb_output_is_nil(dx_)) {                                                    \
            checks_++;                                                                  \
            FAILF("no gradient for %s: %s", #x, nb_graph_errmsg(g));                    \
            break;                                                                      \
        }                                                                               \
        EXPECT_FED(g, dx_, feeds, nf, rank, dims, vals);                                \
    } while (0)
#define EXPECT_GRAD(g, loss, x, rank, dims, vals) EXPECT_GRAD_FED(g, loss, x, NULL, 0, rank, dims, vals)

static nb_output ph(nb_graph *g, nb_dtype dt, nb_shape s) { return nb_placeholder(g, dt, s, NULL); }

/*** Transpose ***/

TEST(transpose_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(2, 3));
    nb_output t = nb_transpose(g, x, NULL, 0, NULL);
    CHECK_NAME(t.op, "transpose");
    CHECK_NAME(nb_op_input(t.op, 1).op, "transpose/perm");
    CHECK_SHAPE(t, "[3,2]");
    EXPECT(g, t, 2, D(3, 2), V(0, 3, 1, 4, 2, 5));
    nb_output t2 = nb_transpose(g, x, (int[]){1, 0}, 2, NULL);
    CHECK_NAME(t2.op, "transpose_1");
    CHECK_NAME(nb_op_input(t2.op, 1).op, "transpose_1/perm");
    EXPECT(g, t2, 2, D(3, 2), V(0, 3, 1, 4, 2, 5));
    /* identity permutation and int32 */
    nb_output xi = iota(g, NB_INT32, 2, D(2, 2));
    EXPECT(g, nb_transpose(g, xi, (int[]){0, 1}, 2, NULL), 2, D(2, 2), V(0, 1, 2, 3));
    EXPECT(g, nb_transpose(g, xi, NULL, 0, NULL), 2, D(2, 2), V(0, 2, 1, 3));
    nb_graph_free(g);
}

TEST(transpose_3d_against_loop) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT64, 3, D(2, 3, 4));
    nb_output t = nb_transpose(g, x, (int[]){2, 0, 1}, 3, "tr");
    CHECK_NAME(t.op, "tr");
    CHECK_SHAPE(t, "[4,2,3]");
    double want[24];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 3; k++) want[(i * 2 + j) * 3 + k] = (j * 3 + k) * 4 + i;
    EXPECT(g, t, 3, D(4, 2, 3), want);
    nb_graph_free(g);
}

TEST(transpose_edge_cases) {
    nb_graph *g = nb_graph_new();
    /* size-1 dims: the data order is unchanged (a view) */
    EXPECT(g, nb_transpose(g, iota(g, NB_FLOAT32, 2, D(1, 3)), NULL, 0, NULL), 2, D(3, 1), V(0, 1, 2));
    EXPECT(g, nb_transpose(g, iota(g, NB_FLOAT32, 3, D(2, 1, 3)), (int[]){1, 0, 2}, 3, NULL), 3,
           D(1, 2, 3), V(0, 1, 2, 3, 4, 5));
    /* empty and scalar */
    EXPECT(g, nb_transpose(g, iota(g, NB_FLOAT32, 2, D(0, 2)), NULL, 0, NULL), 2, D(2, 0), V(0));
    nb_output s = nb_transpose(g, nb_constant_f32(g, 4.5f, NULL), NULL, 0, NULL);
    CHECK_SHAPE(s, "[]");
    EXPECT(g, s, 0, NULL, V(4.5));
    /* unknown dims */
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 3));
    nb_output t = nb_transpose(g, p, NULL, 0, NULL);
    CHECK_SHAPE(t, "[3,?]");
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(2, 3));
    nb_feed f = {p, v};
    EXPECT_FED(g, t, &f, 1, 2, D(3, 2), V(0, 3, 1, 4, 2, 5));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(transpose_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_transpose(g, iota(g, NB_FLOAT32, 2, D(2, 3)), (int[]){0, 0}, 2, NULL);
    CHECK_GRAPH_ERR(g, "'transpose'", "permutation");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_transpose(g, iota(g, NB_FLOAT32, 2, D(2, 3)), (int[]){0, 1, 2}, 3, NULL);
    CHECK_GRAPH_ERR(g, "'transpose'", "Dimension must be 2 but is 3");
    nb_graph_free(g);
    /* unknown rank: caught when run */
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK);
    nb_output t = nb_transpose(g, p, (int[]){1, 0, 2}, 3, NULL);
    CHECK_SHAPE(t, "[?,?,?]");
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(2, 3));
    nb_feed f = {p, v};
    CHECK_RUN_ERR(g, t, &f, 1, "transpose", "vector of size 2");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(transpose_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(2, 3));
    /* y = x^T [3,2], w = 1..6: dx[i][j] = w[j][i] */
    EXPECT_GRAD(g, wsum(g, nb_transpose(g, x, NULL, 0, NULL)), x, 2, D(2, 3), V(1, 3, 5, 2, 4, 6));
    nb_graph_free(g);
}

/*** Reshape ***/

TEST(reshape_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(2, 3));
    nb_output r = nb_reshape(g, x, 2, D(3, 2), NULL);
    CHECK_NAME(r.op, "Reshape");
    CHECK_NAME(nb_op_input(r.op, 1).op, "Reshape/shape");
    CHECK_SHAPE(r, "[3,2]");
    EXPECT(g, r, 2, D(3, 2), V(0, 1, 2, 3, 4, 5));
    nb_output r2 = nb_reshape(g, x, 1, D(-1), NULL);
    CHECK_NAME(r2.op, "Reshape_1");
    CHECK_SHAPE(r2, "[6]");
    EXPECT(g, r2, 1, D(6), V(0, 1, 2, 3, 4, 5));
    CHECK_SHAPE(nb_reshape(g, x, 3, D(2, -1, 1), NULL), "[2,3,1]");
    /* to and from a scalar */
    nb_output s = nb_reshape(g, iota(g, NB_FLOAT32, 1, D(1)), 0, NULL, NULL);
    CHECK_SHAPE(s, "[]");
    EXPECT(g, s, 0, NULL, V(0));
    EXPECT(g, nb_reshape(g, nb_constant_f32(g, 2.f, NULL), 2, D(1, 1), NULL), 2, D(1, 1), V(2));
    /* empty */
    nb_output e = nb_reshape(g, iota(g, NB_FLOAT32, 2, D(0, 3)), 2, D(3, -1), NULL);
    CHECK_SHAPE(e, "[3,0]");
    EXPECT(g, e, 2, D(3, 0), V(0));
    nb_graph_free(g);
}

TEST(reshape_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 3));
    CHECK_SHAPE(nb_reshape(g, p, 1, D(-1), NULL), "[?]");
    nb_output r = nb_reshape(g, p, 2, D(-1, 2), NULL);
    CHECK_SHAPE(r, "[?,2]");
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(2, 3));
    nb_feed f = {p, v};
    EXPECT_FED(g, r, &f, 1, 2, D(3, 2), V(0, 1, 2, 3, 4, 5));
    /* shape given by a tensor */
    nb_output sp = ph(g, NB_INT32, NB_SHAPE(2));
    nb_output rt = nb_reshape_t(g, p, sp, NULL);
    CHECK_SHAPE(rt, "[?,?]");
    nb_tensor *sv = mk(NB_INT32, 1, D(2), V(1, 6));
    nb_feed f2[2] = {{p, v}, {sp, sv}};
    EXPECT_FED(g, rt, f2, 2, 2, D(1, 6), V(0, 1, 2, 3, 4, 5));
    nb_tensor_unref(sv);
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(reshape_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_reshape(g, iota(g, NB_FLOAT32, 2, D(2, 3)), 1, D(4), NULL);
    CHECK_GRAPH_ERR(g, "'Reshape'", "Cannot reshape a tensor with 6 elements to shape [4]");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1));
    nb_output r = nb_reshape(g, p, 2, D(2, -1), NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 1, D(5));
    nb_feed f = {p, v};
    CHECK_RUN_ERR(g, r, &f, 1, "Reshape", "5 values");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(reshape_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(2, 3));
    EXPECT_GRAD(g, wsum(g, nb_reshape(g, x, 2, D(3, 2), NULL)), x, 2, D(2, 3), V(1, 2, 3, 4, 5, 6));
    nb_graph_free(g);
}

/*** ExpandDims ***/

TEST(expand_dims_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(2, 3));
    nb_output e = nb_expand_dims(g, x, 0, NULL);
    CHECK_NAME(e.op, "ExpandDims");
    CHECK_NAME(nb_op_input(e.op, 1).op, "ExpandDims/dim");
    CHECK_SHAPE(e, "[1,2,3]");
    EXPECT(g, e, 3, D(1, 2, 3), V(0, 1, 2, 3, 4, 5));
    CHECK_SHAPE(nb_expand_dims(g, x, -1, NULL), "[2,3,1]");
    EXPECT(g, nb_expand_dims(g, x, 1, NULL), 3, D(2, 1, 3), V(0, 1, 2, 3, 4, 5));
    EXPECT(g, nb_expand_dims(g, x, -3, NULL), 3, D(1, 2, 3), V(0, 1, 2, 3, 4, 5));
    /* scalar, empty, unknown */
    EXPECT(g, nb_expand_dims(g, nb_constant_f32(g, 7.f, NULL), 0, NULL), 1, D(1), V(7));
    EXPECT(g, nb_expand_dims(g, iota(g, NB_FLOAT32, 1, D(0)), 0, NULL), 2, D(1, 0), V(0));
    CHECK_SHAPE(nb_expand_dims(g, ph(g, NB_FLOAT32, NB_SHAPE(-1, 3)), 1, NULL), "[?,1,3]");
    CHECK_SHAPE(nb_expand_dims(g, ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK), 1, NULL), "<unknown>");
    nb_graph_free(g);
}

TEST(expand_dims_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_expand_dims(g, iota(g, NB_FLOAT32, 2, D(2, 3)), 3, NULL);
    CHECK_GRAPH_ERR(g, "'ExpandDims'", "Tried to expand dim index 3 for tensor with 2 dimensions");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK);
    nb_output e = nb_expand_dims(g, p, 4, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 1, D(2));
    nb_feed f = {p, v};
    CHECK_RUN_ERR(g, e, &f, 1, "ExpandDims", "Tried to expand dim index 4");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(expand_dims_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(2, 3));
    EXPECT_GRAD(g, wsum(g, nb_expand_dims(g, x, 1, NULL)), x, 2, D(2, 3), V(1, 2, 3, 4, 5, 6));
    nb_graph_free(g);
}

/*** Squeeze ***/

TEST(squeeze_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 4, D(1, 2, 1, 3));
    nb_output s = nb_squeeze(g, x, NULL, 0, NULL);
    CHECK_NAME(s.op, "Squeeze");
    CHECK_SHAPE(s, "[2,3]");
    EXPECT(g, s, 2, D(2, 3), V(0, 1, 2, 3, 4, 5));
    nb_output s1 = nb_squeeze(g, x, (int[]){0}, 1, NULL);
    CHECK_NAME(s1.op, "Squeeze_1");
    CHECK_SHAPE(s1, "[2,1,3]");
    EXPECT(g, s1, 3, D(2, 1, 3), V(0, 1, 2, 3, 4, 5));
    CHECK_SHAPE(nb_squeeze(g, x, (int[]){-2}, 1, NULL), "[1,2,3]");
    CHECK_SHAPE(nb_squeeze(g, x, (int[]){0, 2}, 2, NULL), "[2,3]");
    CHECK_SHAPE(nb_squeeze(g, x, (int[]){2, -4}, 2, NULL), "[2,3]");
    /* to a scalar, nothing to squeeze, empty */
    nb_output sc = nb_squeeze(g, nb_constant_array(g, NB_FLOAT32, 2, D(1, 1), (float[]){3}, NULL), NULL, 0, NULL);
    CHECK_SHAPE(sc, "[]");
    EXPECT(g, sc, 0, NULL, V(3));
    EXPECT(g, nb_squeeze(g, iota(g, NB_INT32, 1, D(3)), NULL, 0, NULL), 1, D(3), V(0, 1, 2));
    EXPECT(g, nb_squeeze(g, iota(g, NB_FLOAT32, 2, D(0, 1)), NULL, 0, NULL), 1, D(0), V(0));
    nb_graph_free(g);
}

TEST(squeeze_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 1, 3));
    nb_output all = nb_squeeze(g, p, NULL, 0, NULL);
    CHECK_SHAPE(all, "<unknown>"); /* the ? may or may not be 1 */
    CHECK_SHAPE(nb_squeeze(g, p, (int[]){1}, 1, NULL), "[?,3]");
    CHECK_SHAPE(nb_squeeze(g, p, (int[]){0}, 1, NULL), "[1,3]");
    CHECK_SHAPE(nb_squeeze(g, ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK), (int[]){0}, 1, NULL), "<unknown>");
    nb_tensor *v = iota_t(NB_FLOAT32, 3, D(1, 1, 3));
    nb_feed f = {p, v};
    EXPECT_FED(g, all, &f, 1, 1, D(3), V(0, 1, 2));
    nb_tensor_unref(v);
    v = iota_t(NB_FLOAT32, 3, D(2, 1, 3));
    f.value = v;
    EXPECT_FED(g, all, &f, 1, 2, D(2, 3), V(0, 1, 2, 3, 4, 5));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(squeeze_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_squeeze(g, iota(g, NB_FLOAT32, 2, D(2, 3)), (int[]){1}, 1, NULL);
    CHECK_GRAPH_ERR(g, "'Squeeze'", "Can not squeeze dim[1], expected a dimension of 1, got 3");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_squeeze(g, iota(g, NB_FLOAT32, 2, D(1, 3)), (int[]){5}, 1, "sq");
    CHECK_GRAPH_ERR(g, "'sq'", "Tried to squeeze dim index 5 for tensor with 2 dimensions");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 1, 3));
    nb_output s = nb_squeeze(g, p, (int[]){0}, 1, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 3, D(2, 1, 3));
    nb_feed f = {p, v};
    CHECK_RUN_ERR(g, s, &f, 1, "Squeeze", "Can not squeeze dim[0]");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(squeeze_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 3, D(2, 1, 3));
    EXPECT_GRAD(g, wsum(g, nb_squeeze(g, x, NULL, 0, NULL)), x, 3, D(2, 1, 3), V(1, 2, 3, 4, 5, 6));
    nb_graph_free(g);
    /* x's shape known only at run time: reshaped back through Shape(x) */
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 1, 3));
    nb_output y = nb_squeeze(g, p, (int[]){1}, 1, NULL);
    nb_output loss = nb_reduce_sum(g, nb_square(g, y, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 3, D(2, 1, 3));
    nb_feed f = {p, v};
    EXPECT_GRAD_FED(g, loss, p, &f, 1, 3, D(2, 1, 3), V(0, 2, 4, 6, 8, 10));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

/*** ConcatV2 ***/

TEST(concat_values) {
    nb_graph *g = nb_graph_new();
    nb_output a = iota(g, NB_FLOAT32, 2, D(2, 2));
    nb_output b = cst(g, NB_FLOAT32, 2, D(2, 1), V(10, 11));
    nb_output c = cst(g, NB_FLOAT32, 2, D(1, 2), V(20, 21));
    nb_output y = nb_concat(g, (nb_output[]){a, b}, 2, 1, NULL);
    CHECK_NAME(y.op, "concat");
    CHECK_NAME(nb_op_input(y.op, 2).op, "concat/axis");
    CHECK(!strcmp(nb_op_type(y.op), "ConcatV2"));
    CHECK_SHAPE(y, "[2,3]");
    EXPECT(g, y, 2, D(2, 3), V(0, 1, 10, 2, 3, 11));
    nb_output y1 = nb_concat(g, (nb_output[]){a, b}, 2, -1, NULL);
    CHECK_NAME(y1.op, "concat_1");
    CHECK_NAME(nb_op_input(y1.op, 2).op, "concat_1/axis");
    EXPECT(g, y1, 2, D(2, 3), V(0, 1, 10, 2, 3, 11));
    EXPECT(g, nb_concat(g, (nb_output[]){a, c}, 2, 0, NULL), 2, D(3, 2), V(0, 1, 2, 3, 20, 21));
    EXPECT(g, nb_concat(g, (nb_output[]){c, a, c}, 3, 0, NULL), 2, D(4, 2), V(20, 21, 0, 1, 2, 3, 20, 21));
    /* one input, an empty input, int32 */
    EXPECT(g, nb_concat(g, &a, 1, 0, NULL), 2, D(2, 2), V(0, 1, 2, 3));
    nb_output e = iota(g, NB_FLOAT32, 2, D(0, 2));
    EXPECT(g, nb_concat(g, (nb_output[]){e, a, e}, 3, 0, NULL), 2, D(2, 2), V(0, 1, 2, 3));
    EXPECT(g, nb_concat(g, (nb_output[]){e, e}, 2, 0, NULL), 2, D(0, 2), V(0));
    nb_output ai = iota(g, NB_INT32, 1, D(2));
    EXPECT(g, nb_concat(g, (nb_output[]){ai, ai}, 2, 0, NULL), 1, D(4), V(0, 1, 0, 1));
    nb_graph_free(g);
}

TEST(concat_3d_against_loop) {
    nb_graph *g = nb_graph_new();
    nb_output a = iota(g, NB_FLOAT64, 3, D(2, 3, 2));
    nb_output b = iota(g, NB_FLOAT64, 3, D(2, 1, 2));
    nb_output y = nb_concat(g, (nb_output[]){a, b}, 2, 1, NULL);
    CHECK_SHAPE(y, "[2,4,2]");
    double want[16];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++)
                want[(i * 4 + j) * 2 + k] = j < 3 ? (i * 3 + j) * 2 + k : i * 2 + k;
    EXPECT(g, y, 3, D(2, 4, 2), want);
    nb_graph_free(g);
}

TEST(concat_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output a = iota(g, NB_FLOAT32, 2, D(2, 2));
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2));
    nb_output y0 = nb_concat(g, (nb_output[]){p, a}, 2, 0, NULL);
    CHECK_SHAPE(y0, "[?,2]");
    nb_output y1 = nb_concat(g, (nb_output[]){p, a}, 2, 1, NULL);
    CHECK_SHAPE(y1, "[2,4]"); /* the ? merges with a's 2 */
    CHECK_SHAPE(nb_concat(g, (nb_output[]){ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK), a}, 2, 0, NULL), "[?,2]");
    CHECK_SHAPE(nb_concat(g, (nb_output[]){ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK), a}, 2, 1, NULL), "[2,?]");
    nb_tensor *v = mk(NB_FLOAT32, 2, D(1, 2), V(7, 8));
    nb_feed f = {p, v};
    EXPECT_FED(g, y0, &f, 1, 2, D(3, 2), V(7, 8, 0, 1, 2, 3));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(concat_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_concat(g, (nb_output[]){iota(g, NB_FLOAT32, 2, D(2, 2)), iota(g, NB_FLOAT32, 2, D(3, 1))}, 2, 1, NULL);
    CHECK_GRAPH_ERR(g, "'concat'", "Dimension 0 in both shapes must be equal, but are 2 and 3");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_concat(g, (nb_output[]){nb_constant_f32(g, 1, NULL), nb_constant_f32(g, 2, NULL)}, 2, 0, NULL);
    CHECK_GRAPH_ERR(g, "'concat'", "Can't concatenate scalars");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_concat(g, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)), iota(g, NB_FLOAT32, 1, D(2))}, 2, 1, NULL);
    CHECK_GRAPH_ERR(g, "'concat'", "range [-1, 1), but got 1");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_concat(g, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)), iota(g, NB_INT32, 1, D(2))}, 2, 0, NULL);
    CHECK_GRAPH_ERR(g, "'concat'", "don't all match");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_concat(g, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)), iota(g, NB_FLOAT32, 2, D(2, 1))}, 2, 0, NULL);
    CHECK_GRAPH_ERR(g, "'concat'", "Shape must be rank 1 but is rank 2");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, -1));
    nb_output y = nb_concat(g, (nb_output[]){p, iota(g, NB_FLOAT32, 2, D(2, 2))}, 2, 0, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(3, 3));
    nb_feed f = {p, v};
    CHECK_RUN_ERR(g, y, &f, 1, "concat", "Dimensions of inputs should match: shape[0] = [3,3] vs. shape[1] = [2,2]");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(concat_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output a = iota(g, NB_FLOAT32, 2, D(2, 2));
    nb_output b = iota(g, NB_FLOAT32, 2, D(2, 1));
    nb_output loss = wsum(g, nb_concat(g, (nb_output[]){a, b}, 2, 1, NULL));
    /* w = [[1,2,3],[4,5,6]] */
    EXPECT_GRAD(g, loss, a, 2, D(2, 2), V(1, 2, 4, 5));
    EXPECT_GRAD(g, loss, b, 2, D(2, 1), V(3, 6));
    nb_graph_free(g);
    /* run-time sizes along the axis: offsets computed from Shape ops */
    g = nb_graph_new();
    nb_output p1 = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2)), p2 = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2));
    nb_output pw = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2));
    nb_output y = nb_concat(g, (nb_output[]){p1, p2}, 2, 0, NULL);
    nb_output l = nb_reduce_sum(g, nb_multiply(g, y, pw, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_tensor *v1 = iota_t(NB_FLOAT32, 2, D(1, 2)), *v2 = iota_t(NB_FLOAT32, 2, D(2, 2));
    nb_tensor *w = mk(NB_FLOAT32, 2, D(3, 2), V(1, 2, 3, 4, 5, 6));
    nb_feed f[3] = {{p1, v1}, {p2, v2}, {pw, w}};
    EXPECT_GRAD_FED(g, l, p1, f, 3, 2, D(1, 2), V(1, 2));
    EXPECT_GRAD_FED(g, l, p2, f, 3, 2, D(2, 2), V(3, 4, 5, 6));
    nb_tensor_unref(v1);
    nb_tensor_unref(v2);
    nb_tensor_unref(w);
    nb_graph_free(g);
}

/*** Pack ***/

TEST(stack_values) {
    nb_graph *g = nb_graph_new();
    nb_output a = cst(g, NB_FLOAT32, 1, D(2), V(1, 2));
    nb_output b = cst(g, NB_FLOAT32, 1, D(2), V(3, 4));
    nb_output c = cst(g, NB_FLOAT32, 1, D(2), V(5, 6));
    nb_output s = nb_stack(g, (nb_output[]){a, b, c}, 3, 0, NULL);
    CHECK_NAME(s.op, "stack");
    CHECK(!strcmp(nb_op_type(s.op), "Pack"));
    CHECK_SHAPE(s, "[3,2]");
    EXPECT(g, s, 2, D(3, 2), V(1, 2, 3, 4, 5, 6));
    nb_output s1 = nb_stack(g, (nb_output[]){a, b, c}, 3, 1, NULL);
    CHECK_NAME(s1.op, "stack_1");
    CHECK_SHAPE(s1, "[2,3]");
    EXPECT(g, s1, 2, D(2, 3), V(1, 3, 5, 2, 4, 6));
    EXPECT(g, nb_stack(g, (nb_output[]){a, b, c}, 3, -1, NULL), 2, D(2, 3), V(1, 3, 5, 2, 4, 6));
    EXPECT(g, nb_stack(g, (nb_output[]){a, b, c}, 3, -2, NULL), 2, D(3, 2), V(1, 2, 3, 4, 5, 6));
    /* scalars, one input, empty inputs, int32 */
    nb_output sc = nb_stack(g, (nb_output[]){nb_constant_f32(g, 1, NULL), nb_constant_f32(g, 2, NULL)}, 2, 0, NULL);
    CHECK_SHAPE(sc, "[2]");
    EXPECT(g, sc, 1, D(2), V(1, 2));
    EXPECT(g, nb_stack(g, &a, 1, 0, NULL), 2, D(1, 2), V(1, 2));
    nb_output e = iota(g, NB_FLOAT32, 1, D(0));
    EXPECT(g, nb_stack(g, (nb_output[]){e, e}, 2, 1, NULL), 2, D(0, 2), V(0));
    nb_output ai = iota(g, NB_INT32, 1, D(2));
    EXPECT(g, nb_stack(g, (nb_output[]){ai, ai}, 2, 1, NULL), 2, D(2, 2), V(0, 0, 1, 1));
    nb_graph_free(g);
}

TEST(stack_3d_against_loop) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT64, 2, D(2, 3));
    nb_output y = nb_add(g, x, nb_constant_f64(g, 100, NULL), NULL);
    nb_output s = nb_stack(g, (nb_output[]){x, y}, 2, 1, NULL);
    CHECK_SHAPE(s, "[2,2,3]");
    double want[12];
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++)
            for (int j = 0; j < 3; j++) want[(i * 2 + k) * 3 + j] = i * 3 + j + 100 * k;
    EXPECT(g, s, 3, D(2, 2, 3), want);
    nb_graph_free(g);
}

TEST(stack_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output a = cst(g, NB_FLOAT32, 1, D(2), V(1, 2));
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1)), q = ph(g, NB_FLOAT32, NB_SHAPE(-1));
    nb_output s = nb_stack(g, (nb_output[]){p, a}, 2, 0, NULL);
    CHECK_SHAPE(s, "[2,2]");
    CHECK_SHAPE(nb_stack(g, (nb_output[]){p, q}, 2, 1, NULL), "[?,2]");
    CHECK_SHAPE(nb_stack(g, (nb_output[]){ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK), q}, 2, 0, NULL), "[2,?]");
    nb_tensor *v = mk(NB_FLOAT32, 1, D(2), V(7, 8));
    nb_feed f = {p, v};
    EXPECT_FED(g, s, &f, 1, 2, D(2, 2), V(7, 8, 1, 2));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(stack_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_stack(g, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)), iota(g, NB_FLOAT32, 1, D(3))}, 2, 0, NULL);
    CHECK_GRAPH_ERR(g, "'stack'", "Shapes of all inputs must match: values[0].shape = [2] != values[1].shape = [3]");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_stack(g, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)), iota(g, NB_FLOAT32, 1, D(2))}, 2, 2, NULL);
    CHECK_GRAPH_ERR(g, "'stack'", "Invalid axis: 2; must be in [-2,2)");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1)), q = ph(g, NB_FLOAT32, NB_SHAPE(-1));
    nb_output s = nb_stack(g, (nb_output[]){p, q}, 2, 0, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 1, D(2)), *w = iota_t(NB_FLOAT32, 1, D(3));
    nb_feed f[2] = {{p, v}, {q, w}};
    CHECK_RUN_ERR(g, s, f, 2, "stack", "Shapes of all inputs must match");
    nb_tensor_unref(v);
    nb_tensor_unref(w);
    nb_graph_free(g);
}

TEST(stack_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output a = iota(g, NB_FLOAT32, 1, D(2)), b = iota(g, NB_FLOAT32, 1, D(2));
    nb_output loss = wsum(g, nb_stack(g, (nb_output[]){a, b}, 2, 1, NULL));
    /* y = [[a0,b0],[a1,b1]], w = [[1,2],[3,4]] */
    EXPECT_GRAD(g, loss, a, 1, D(2), V(1, 3));
    EXPECT_GRAD(g, loss, b, 1, D(2), V(2, 4));
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1));
    nb_output l = nb_reduce_sum(g, nb_square(g, nb_stack(g, (nb_output[]){p, p}, 2, 0, NULL), NULL), NULL,
                                NB_ALL_AXES, false, NULL);
    nb_tensor *v = mk(NB_FLOAT32, 1, D(3), V(1, 2, 3));
    nb_feed f = {p, v};
    EXPECT_GRAD_FED(g, l, p, &f, 1, 1, D(3), V(4, 8, 12));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

/*** Slice ***/

TEST(slice_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(3, 4));
    nb_output s = nb_slice(g, x, D(1, 1), D(2, 2), 2, NULL);
    CHECK_NAME(s.op, "Slice");
    CHECK_NAME(nb_op_input(s.op, 1).op, "Slice/begin");
    CHECK_NAME(nb_op_input(s.op, 2).op, "Slice/size");
    CHECK_SHAPE(s, "[2,2]");
    EXPECT(g, s, 2, D(2, 2), V(5, 6, 9, 10));
    nb_output s1 = nb_slice(g, x, D(1, 0), D(-1, 2), 2, NULL);
    CHECK_NAME(s1.op, "Slice_1");
    CHECK_NAME(nb_op_input(s1.op, 1).op, "Slice_1/begin");
    CHECK_SHAPE(s1, "[2,2]");
    EXPECT(g, s1, 2, D(2, 2), V(4, 5, 8, 9));
    /* empty result, whole input, begin at the end, 1-d, scalar */
    EXPECT(g, nb_slice(g, x, D(0, 0), D(0, 4), 2, NULL), 2, D(0, 4), V(0));
    EXPECT(g, nb_slice(g, x, D(3, 4), D(-1, -1), 2, NULL), 2, D(0, 0), V(0));
    EXPECT(g, nb_slice(g, x, D(0, 0), D(-1, -1), 2, NULL), 2, D(3, 4), V(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
    EXPECT(g, nb_slice(g, iota(g, NB_INT64, 1, D(5)), D(2), D(2), 1, NULL), 1, D(2), V(2, 3));
    EXPECT(g, nb_slice(g, nb_constant_f32(g, 3, NULL), NULL, NULL, 0, NULL), 0, NULL, V(3));
    nb_graph_free(g);
}

TEST(slice_3d_against_loop) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT64, 3, D(2, 3, 4));
    nb_output s = nb_slice(g, x, D(1, 0, 1), D(1, 3, 2), 3, NULL);
    double want[6];
    for (int j = 0; j < 3; j++)
        for (int k = 0; k < 2; k++) want[j * 2 + k] = (1 * 3 + j) * 4 + (1 + k);
    EXPECT(g, s, 3, D(1, 3, 2), want);
    nb_graph_free(g);
}

TEST(slice_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 4));
    nb_output s = nb_slice(g, p, D(1, 0), D(-1, 2), 2, NULL);
    CHECK_SHAPE(s, "[?,2]");
    CHECK_SHAPE(nb_slice(g, p, D(0, 1), D(2, -1), 2, NULL), "[2,3]");
    CHECK_SHAPE(nb_slice(g, ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK), D(0, 1), D(2, -1), 2, NULL), "[2,?]");
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(3, 4));
    nb_feed f = {p, v};
    EXPECT_FED(g, s, &f, 1, 2, D(2, 2), V(4, 5, 8, 9));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(slice_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_slice(g, iota(g, NB_FLOAT32, 2, D(3, 4)), D(2, 0), D(2, 4), 2, NULL);
    CHECK_GRAPH_ERR(g, "'Slice'", "Expected size[0] in [0, 1], but got 2");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_slice(g, iota(g, NB_FLOAT32, 2, D(3, 4)), D(-1, 0), D(1, 1), 2, NULL);
    CHECK_GRAPH_ERR(g, "'Slice'", "Expected begin[0] in [0, 3], but got -1");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_slice(g, iota(g, NB_FLOAT32, 2, D(3, 4)), D(0), D(1), 1, NULL);
    CHECK_GRAPH_ERR(g, "'Slice'", "1-D tensors of size 2");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 4));
    nb_output s = nb_slice(g, p, D(1, 0), D(3, 4), 2, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(3, 4));
    nb_feed f = {p, v};
    CHECK_RUN_ERR(g, s, &f, 1, "{{node Slice}}", "Expected size[0] in [0, 2], but got 3");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(slice_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(3, 4));
    EXPECT_GRAD(g, wsum(g, nb_slice(g, x, D(1, 1), D(2, 2), 2, NULL)), x, 2, D(3, 4),
                V(0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0));
    nb_graph_free(g);
    /* x's shape known only at run time: paddings computed from Shape ops */
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 4));
    nb_output l = nb_reduce_sum(g, nb_slice(g, p, D(1, 1), D(1, 2), 2, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(3, 4));
    nb_feed f = {p, v};
    EXPECT_GRAD_FED(g, l, p, &f, 1, 2, D(3, 4), V(0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

/*** GatherV2 ***/

TEST(gather_values) {
    nb_graph *g = nb_graph_new();
    nb_output p = cst(g, NB_FLOAT32, 1, D(4), V(10, 11, 12, 13));
    nb_output y = nb_gather(g, p, cst(g, NB_INT32, 1, D(3), V(3, 0, 3)), 0, NULL);
    CHECK_NAME(y.op, "GatherV2");
    CHECK_NAME(nb_op_input(y.op, 2).op, "GatherV2/axis");
    CHECK_SHAPE(y, "[3]");
    EXPECT(g, y, 1, D(3), V(13, 10, 13));
    nb_output y1 = nb_gather(g, p, nb_constant_i32(g, 1, NULL), 0, NULL);
    CHECK_NAME(y1.op, "GatherV2_1");
    CHECK_NAME(nb_op_input(y1.op, 2).op, "GatherV2_1/axis");
    CHECK_SHAPE(y1, "[]");
    EXPECT(g, y1, 0, NULL, V(11));
    /* 2-d params along each axis, 2-d and int64 indices, empty indices */
    nb_output m = iota(g, NB_FLOAT32, 2, D(3, 2));
    EXPECT(g, nb_gather(g, m, cst(g, NB_INT32, 1, D(2), V(2, 0)), 0, NULL), 2, D(2, 2), V(4, 5, 0, 1));
    EXPECT(g, nb_gather(g, m, cst(g, NB_INT64, 1, D(1), V(1)), 1, NULL), 2, D(3, 1), V(1, 3, 5));
    EXPECT(g, nb_gather(g, m, cst(g, NB_INT64, 1, D(1), V(1)), -1, NULL), 2, D(3, 1), V(1, 3, 5));
    EXPECT(g, nb_gather(g, m, nb_constant_i32(g, 1, NULL), 1, NULL), 1, D(3), V(1, 3, 5));
    nb_output q = cst(g, NB_INT32, 1, D(3), V(5, 6, 7));
    nb_output y2 = nb_gather(g, q, cst(g, NB_INT32, 2, D(2, 2), V(0, 1, 1, 0)), 0, NULL);
    CHECK_SHAPE(y2, "[2,2]");
    EXPECT(g, y2, 2, D(2, 2), V(5, 6, 6, 5));
    EXPECT(g, nb_gather(g, p, iota(g, NB_INT32, 1, D(0)), 0, NULL), 1, D(0), V(0));
    EXPECT(g, nb_gather(g, iota(g, NB_FLOAT32, 2, D(0, 2)), iota(g, NB_INT32, 1, D(0)), 0, NULL), 2, D(0, 2), V(0));
    nb_graph_free(g);
}

TEST(gather_3d_against_loop) {
    nb_graph *g = nb_graph_new();
    nb_output p = iota(g, NB_FLOAT64, 3, D(2, 3, 4));
    int idx[4] = {2, 0, 2, 1};
    nb_output y = nb_gather(g, p, cst(g, NB_INT32, 1, D(4), V(2, 0, 2, 1)), 1, NULL);
    CHECK_SHAPE(y, "[2,4,4]");
    double want[32];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 4; k++) want[(i * 4 + j) * 4 + k] = (i * 3 + idx[j]) * 4 + k;
    EXPECT(g, y, 3, D(2, 4, 4), want);
    nb_graph_free(g);
}

TEST(gather_course_variable_index) {
    /* The course's w[1] on a 1-d variable. */
    nb_graph *g = nb_graph_new();
    nb_output w = nb_variable(g, cst(g, NB_FLOAT32, 1, D(3), V(1, 2, 3)), "w");
    nb_output w1 = nb_gather(g, w, nb_constant_i32(g, 1, NULL), 0, NULL);
    CHECK_SHAPE(w1, "[]");
    nb_output loss = nb_multiply(g, w1, w1, NULL);
    nb_output dw;
    nb_gradients(g, &loss, 1, &w, 1, NULL, &dw);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
    nb_tensor *out[2] = {NULL, NULL};
    CHECK_STATUS(nb_session_run(s, NULL, 0, (nb_output[]){w1, dw}, 2, out), NB_OK);
    char why[256];
    checks_++;
    if (!tensor_matches(out[0], 0, NULL, V(2), why, sizeof why)) FAILF("w[1]: %s", why);
    checks_++;
    if (!tensor_matches(out[1], 1, D(3), V(0, 4, 0), why, sizeof why)) FAILF("d w[1]^2 / dw: %s", why);
    nb_tensor_unref(out[0]);
    nb_tensor_unref(out[1]);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(gather_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 3));
    nb_output i = ph(g, NB_INT32, NB_SHAPE(-1));
    nb_output y = nb_gather(g, p, i, 0, NULL);
    CHECK_SHAPE(y, "[?,3]");
    CHECK_SHAPE(nb_gather(g, p, cst(g, NB_INT32, 1, D(2), V(0, 0)), 1, NULL), "[?,2]");
    CHECK_SHAPE(nb_gather(g, p, ph(g, NB_INT32, NB_SHAPE_UNKNOWN_RANK), 1, NULL), "<unknown>");
    CHECK_SHAPE(nb_gather(g, ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK), i, 0, NULL), "<unknown>");
    nb_tensor *pv = iota_t(NB_FLOAT32, 2, D(2, 3)), *iv = mk(NB_INT32, 1, D(3), V(1, 1, 0));
    nb_feed f[2] = {{p, pv}, {i, iv}};
    EXPECT_FED(g, y, f, 2, 2, D(3, 3), V(3, 4, 5, 3, 4, 5, 0, 1, 2));
    nb_tensor_unref(pv);
    nb_tensor_unref(iv);
    nb_graph_free(g);
}

TEST(gather_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_gather(g, iota(g, NB_FLOAT32, 2, D(3, 2)), nb_constant_i32(g, 0, NULL), 2, NULL);
    CHECK_GRAPH_ERR(g, "'GatherV2'", "Expected axis in the range [-2, 2), but got 2");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_gather(g, iota(g, NB_FLOAT32, 1, D(3)), nb_constant_f32(g, 0, NULL), 0, NULL);
    CHECK_GRAPH_ERR(g, "'GatherV2'", "Tindices");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output y = nb_gather(g, iota(g, NB_FLOAT32, 1, D(3)), cst(g, NB_INT32, 1, D(2), V(0, 5)), 0, NULL);
    CHECK_RUN_ERR(g, y, NULL, 0, "GatherV2", "indices[1] = 5 is not in [0, 3)");
    nb_output y2 = nb_gather(g, iota(g, NB_FLOAT32, 2, D(3, 2)), cst(g, NB_INT64, 2, D(2, 2), V(0, 1, -1, 0)), 0, "g2");
    CHECK_RUN_ERR(g, y2, NULL, 0, "{{node g2}}", "indices[1,0] = -1 is not in [0, 3)");
    nb_output y3 = nb_gather(g, iota(g, NB_FLOAT32, 1, D(3)), nb_constant_i32(g, 3, NULL), 0, NULL);
    CHECK_RUN_ERR(g, y3, NULL, 0, "GatherV2", "indices = 3 is not in [0, 3)");
    nb_graph_free(g);
}

TEST(gather_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output p = iota(g, NB_FLOAT32, 2, D(3, 2));
    /* axis 0, indices [2,0,2], w = [[1,2],[3,4],[5,6]]: row 2 gets w0 + w2 */
    nb_output l0 = wsum(g, nb_gather(g, p, cst(g, NB_INT32, 1, D(3), V(2, 0, 2)), 0, NULL));
    EXPECT_GRAD(g, l0, p, 2, D(3, 2), V(3, 4, 0, 0, 6, 8));
    /* 2-d indices */
    nb_output l2 = wsum(g, nb_gather(g, p, cst(g, NB_INT64, 2, D(2, 1), V(1, 1)), 0, NULL));
    EXPECT_GRAD(g, l2, p, 2, D(3, 2), V(0, 0, 4, 6, 0, 0));
    /* axis 1 on [2,3], indices [2,2,0]: column 2 gets w[:,0] + w[:,1] */
    nb_output q = iota(g, NB_FLOAT32, 2, D(2, 3));
    nb_output l1 = wsum(g, nb_gather(g, q, cst(g, NB_INT32, 1, D(3), V(2, 2, 0)), 1, NULL));
    EXPECT_GRAD(g, l1, q, 2, D(2, 3), V(3, 0, 3, 6, 0, 9));
    nb_graph_free(g);
    /* params' shape known only at run time */
    g = nb_graph_new();
    nb_output pp = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2));
    nb_output l = nb_reduce_sum(g, nb_gather(g, pp, cst(g, NB_INT32, 1, D(2), V(1, 1)), 0, NULL), NULL,
                                NB_ALL_AXES, false, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(3, 2));
    nb_feed f = {pp, v};
    EXPECT_GRAD_FED(g, l, pp, &f, 1, 2, D(3, 2), V(0, 0, 2, 2, 0, 0));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

/*** Tile ***/

TEST(tile_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = cst(g, NB_FLOAT32, 1, D(2), V(1, 2));
    nb_output t = nb_tile(g, x, D(3), 1, NULL);
    CHECK_NAME(t.op, "Tile");
    CHECK_NAME(nb_op_input(t.op, 1).op, "Tile/multiples");
    CHECK_SHAPE(t, "[6]");
    EXPECT(g, t, 1, D(6), V(1, 2, 1, 2, 1, 2));
    nb_output m = iota(g, NB_INT32, 2, D(2, 2));
    EXPECT(g, nb_tile(g, m, D(2, 1), 2, NULL), 2, D(4, 2), V(0, 1, 2, 3, 0, 1, 2, 3));
    EXPECT(g, nb_tile(g, m, D(1, 2), 2, NULL), 2, D(2, 4), V(0, 1, 0, 1, 2, 3, 2, 3));
    EXPECT(g, nb_tile(g, m, D(0, 2), 2, NULL), 2, D(0, 4), V(0));
    EXPECT(g, nb_tile(g, nb_constant_f32(g, 5, NULL), NULL, 0, NULL), 0, NULL, V(5));
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2));
    nb_output tp = nb_tile(g, p, D(2, 3), 2, NULL);
    CHECK_SHAPE(tp, "[?,6]");
    nb_tensor *v = mk(NB_FLOAT32, 2, D(1, 2), V(7, 8));
    nb_feed f = {p, v};
    EXPECT_FED(g, tp, &f, 1, 2, D(2, 6), V(7, 8, 7, 8, 7, 8, 7, 8, 7, 8, 7, 8));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(tile_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_tile(g, iota(g, NB_FLOAT32, 2, D(2, 2)), D(2), 1, NULL);
    CHECK_GRAPH_ERR(g, "'Tile'", "Expected multiples argument to be a vector of length 2 but got length 1");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_tile(g, iota(g, NB_FLOAT32, 1, D(2)), D(-1), 1, NULL);
    CHECK_GRAPH_ERR(g, "'Tile'", "Expected multiples[0] >= 0, but got -1");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK);
    nb_output t = nb_tile(g, p, D(2), 1, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(1, 2));
    nb_feed f = {p, v};
    CHECK_RUN_ERR(g, t, &f, 1, "Tile", "vector of length 2 but got length 1");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(tile_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 1, D(2));
    EXPECT_GRAD(g, wsum(g, nb_tile(g, x, D(3), 1, NULL)), x, 1, D(2), V(9, 12));
    nb_output m = iota(g, NB_FLOAT32, 2, D(1, 2));
    /* y [2,4] = tile(m, [2,2]); w = 1..8: dm[0] = 1+3+5+7, dm[1] = 2+4+6+8 */
    EXPECT_GRAD(g, wsum(g, nb_tile(g, m, D(2, 2), 2, NULL)), m, 2, D(1, 2), V(16, 20));
    nb_graph_free(g);
}

/*** Pad ***/

TEST(pad_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = cst(g, NB_FLOAT32, 1, D(2), V(1, 2));
    nb_output y = nb_pad(g, x, D(1, 2), 1, NULL);
    CHECK_NAME(y.op, "Pad");
    CHECK_NAME(nb_op_input(y.op, 1).op, "Pad/paddings");
    CHECK_SHAPE(nb_op_input(y.op, 1), "[1,2]");
    CHECK_SHAPE(y, "[5]");
    EXPECT(g, y, 1, D(5), V(0, 1, 2, 0, 0));
    nb_output m = iota(g, NB_FLOAT32, 2, D(2, 2));
    nb_output y2 = nb_pad(g, m, D(1, 0, 0, 1), 2, NULL);
    CHECK_NAME(y2.op, "Pad_1");
    CHECK_SHAPE(y2, "[3,3]");
    EXPECT(g, y2, 2, D(3, 3), V(0, 0, 0, 0, 1, 0, 2, 3, 0));
    /* no padding, empty input, int32, scalar */
    EXPECT(g, nb_pad(g, m, D(0, 0, 0, 0), 2, NULL), 2, D(2, 2), V(0, 1, 2, 3));
    EXPECT(g, nb_pad(g, iota(g, NB_FLOAT32, 2, D(0, 2)), D(1, 1, 0, 0), 2, NULL), 2, D(2, 2), V(0, 0, 0, 0));
    EXPECT(g, nb_pad(g, cst(g, NB_INT32, 1, D(1), V(9)), D(2, 1), 1, NULL), 1, D(4), V(0, 0, 9, 0));
    EXPECT(g, nb_pad(g, nb_constant_f32(g, 5, NULL), NULL, 0, NULL), 0, NULL, V(5));
    nb_graph_free(g);
}

TEST(pad_3d_against_loop) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_add(g, iota(g, NB_FLOAT64, 3, D(2, 1, 3)), nb_constant_f64(g, 1, NULL), NULL);
    nb_output y = nb_pad(g, x, D(0, 1, 2, 0, 1, 1), 3, NULL);
    CHECK_SHAPE(y, "[3,3,5]");
    double want[45];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 5; k++) {
                int a = i, b = j - 2, c = k - 1;
                bool in = a >= 0 && a < 2 && b >= 0 && b < 1 && c >= 0 && c < 3;
                want[(i * 3 + j) * 5 + k] = in ? (a * 1 + b) * 3 + c + 1 : 0;
            }
    EXPECT(g, y, 3, D(3, 3, 5), want);
    nb_graph_free(g);
}

TEST(pad_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2));
    nb_output y = nb_pad(g, p, D(1, 1, 1, 1), 2, NULL);
    CHECK_SHAPE(y, "[?,4]");
    CHECK_SHAPE(nb_pad(g, ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK), D(1, 1), 1, NULL), "[?]");
    nb_tensor *v = mk(NB_FLOAT32, 2, D(1, 2), V(7, 8));
    nb_feed f = {p, v};
    EXPECT_FED(g, y, &f, 1, 2, D(3, 4), V(0, 0, 0, 0, 0, 7, 8, 0, 0, 0, 0, 0));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(pad_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_pad(g, iota(g, NB_FLOAT32, 1, D(2)), D(-1, 0), 1, NULL);
    CHECK_GRAPH_ERR(g, "'Pad'", "Paddings must be non-negative: -1 0");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_pad(g, iota(g, NB_FLOAT32, 2, D(2, 2)), D(1, 1), 1, NULL);
    CHECK_GRAPH_ERR(g, "'Pad'", "The first dimension of paddings must be the rank of inputs");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK);
    nb_output y = nb_pad(g, p, D(1, 1), 1, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(2, 2));
    nb_feed f = {p, v};
    CHECK_RUN_ERR(g, y, &f, 1, "{{node Pad}}", "The first dimension of paddings must be the rank of inputs[1,2] [2,2]");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(pad_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(2, 2));
    /* y [3,3] with x at rows 1..2, cols 0..1; w = 1..9 */
    EXPECT_GRAD(g, wsum(g, nb_pad(g, x, D(1, 0, 0, 1), 2, NULL)), x, 2, D(2, 2), V(4, 5, 7, 8));
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2));
    nb_output l = nb_reduce_sum(g, nb_square(g, nb_pad(g, p, D(1, 0, 0, 1), 2, NULL), NULL), NULL,
                                NB_ALL_AXES, false, NULL);
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(2, 2));
    nb_feed f = {p, v};
    EXPECT_GRAD_FED(g, l, p, &f, 1, 2, D(2, 2), V(0, 2, 4, 6));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

/*** OneHot ***/

TEST(one_hot_values) {
    nb_graph *g = nb_graph_new();
    nb_output i = cst(g, NB_INT32, 1, D(4), V(0, 2, -1, 5));
    nb_output y = nb_one_hot(g, i, 3, 1.0, 0.0, NB_FLOAT32, NULL);
    CHECK_NAME(y.op, "one_hot");
    CHECK(!strcmp(nb_op_type(y.op), "OneHot"));
    CHECK_NAME(nb_op_input(y.op, 1).op, "one_hot/depth");
    CHECK_NAME(nb_op_input(y.op, 2).op, "one_hot/on_value");
    CHECK_NAME(nb_op_input(y.op, 3).op, "one_hot/off_value");
    CHECK(nb_output_dtype(y) == NB_FLOAT32);
    CHECK_SHAPE(y, "[4,3]");
    /* out-of-range indices (-1, 5) give a row of off_value, as in TF */
    EXPECT(g, y, 2, D(4, 3), V(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0));
    nb_output y2 = nb_one_hot(g, i, 3, 5.0, -1.0, NB_INT32, NULL);
    CHECK_NAME(y2.op, "one_hot_1");
    CHECK(nb_output_dtype(y2) == NB_INT32);
    EXPECT(g, y2, 2, D(4, 3), V(5, -1, -1, -1, -1, 5, -1, -1, -1, -1, -1, -1));
    /* 2-d, scalar, int64 / uint8 indices, depth 0, empty */
    nb_output i2 = cst(g, NB_INT64, 2, D(2, 2), V(0, 1, 2, 0));
    EXPECT(g, nb_one_hot(g, i2, 3, 1, 0, NB_FLOAT64, NULL), 3, D(2, 2, 3), V(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0));
    EXPECT(g, nb_one_hot(g, nb_constant_i32(g, 1, NULL), 2, 1, 0, NB_FLOAT32, NULL), 1, D(2), V(0, 1));
    EXPECT(g, nb_one_hot(g, cst(g, NB_UINT8, 1, D(2), V(1, 0)), 2, 1, 0, NB_FLOAT32, NULL), 2, D(2, 2), V(0, 1, 1, 0));
    EXPECT(g, nb_one_hot(g, i, 0, 1, 0, NB_FLOAT32, NULL), 2, D(4, 0), V(0));
    EXPECT(g, nb_one_hot(g, iota(g, NB_INT32, 1, D(0)), 3, 1, 0, NB_FLOAT32, NULL), 2, D(0, 3), V(0));
    nb_graph_free(g);
}

TEST(one_hot_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_INT32, NB_SHAPE(-1));
    nb_output y = nb_one_hot(g, p, 3, 1, 0, NB_FLOAT32, NULL);
    CHECK_SHAPE(y, "[?,3]");
    CHECK_SHAPE(nb_one_hot(g, ph(g, NB_INT32, NB_SHAPE_UNKNOWN_RANK), 3, 1, 0, NB_FLOAT32, NULL), "<unknown>");
    nb_tensor *v = mk(NB_INT32, 1, D(2), V(2, 1));
    nb_feed f = {p, v};
    EXPECT_FED(g, y, &f, 1, 2, D(2, 3), V(0, 0, 1, 0, 1, 0));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

/* A OneHot op from four graph tensors (indices, depth, on_value, off_value). */
static nb_output one_hot_raw(nb_graph *g, const nb_output *in) {
    nb_op *op = nbi_op_new(g, NBI_OP_ONE_HOT, NULL, NULL, in, 4);
    if (!op) return nb_nil;
    op->attrs.axis = -1;
    return nbi_op_finish(op);
}

TEST(one_hot_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_one_hot(g, iota(g, NB_FLOAT32, 1, D(2)), 3, 1, 0, NB_FLOAT32, NULL);
    CHECK_GRAPH_ERR(g, "'one_hot'", "TI");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_one_hot(g, iota(g, NB_INT32, 1, D(2)), -1, 1, 0, NB_FLOAT32, "oh");
    CHECK_GRAPH_ERR(g, "'oh'", "depth must be non-negative, got: -1");
    nb_graph_free(g);
    /* depth fed at run time */
    g = nb_graph_new();
    nb_output d = ph(g, NB_INT32, NB_SHAPE_SCALAR);
    nb_output in[4] = {iota(g, NB_INT32, 1, D(2)), d, nb_constant_f32(g, 1, NULL), nb_constant_f32(g, 0, NULL)};
    nb_output y = one_hot_raw(g, in);
    CHECK_SHAPE(y, "[2,?]");
    nb_tensor *dv = nb_tensor_scalar(NB_INT32, -2);
    nb_feed f = {d, dv};
    CHECK_RUN_ERR(g, y, &f, 1, "{{node OneHot}}", "depth must be non-negative, got: -2");
    nb_tensor_unref(dv);
    nb_graph_free(g);
}

TEST(one_hot_has_no_gradient) {
    /* OneHot is registered NO_GRAD: a path through its on_value gives no gradient and no error. */
    CHECK(nbi_registry[NBI_OP_ONE_HOT]->flags & NBI_NO_GRAD);
    nb_graph *g = nb_graph_new();
    nb_output x = nb_constant_f32(g, 2, NULL);
    nb_output in[4] = {iota(g, NB_INT32, 1, D(2)), nb_constant_i32(g, 2, NULL), x, nb_constant_f32(g, 0, NULL)};
    nb_output y = one_hot_raw(g, in);
    nb_output l = nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, NULL), dx;
    nb_gradients(g, &l, 1, &x, 1, NULL, &dx);
    CHECK_GRAPH_OK(g);
    CHECK(nb_output_is_nil(dx));
    nb_graph_free(g);
}

/*** Fill, ZerosLike, OnesLike ***/

TEST(fill_values) {
    nb_graph *g = nb_graph_new();
    nb_output d = cst(g, NB_INT32, 1, D(2), V(2, 3));
    nb_output y = nb_fill(g, d, nb_constant_f32(g, 7, NULL), NULL);
    CHECK_NAME(y.op, "Fill");
    CHECK_SHAPE(y, "[2,3]");
    CHECK(nb_output_dtype(y) == NB_FLOAT32);
    EXPECT(g, y, 2, D(2, 3), V(7, 7, 7, 7, 7, 7));
    nb_output y1 = nb_fill(g, cst(g, NB_INT64, 1, D(1), V(3)), nb_constant_i32(g, -4, NULL), NULL);
    CHECK_NAME(y1.op, "Fill_1");
    EXPECT(g, y1, 1, D(3), V(-4, -4, -4));
    /* scalar (no dims), empty */
    nb_output s = nb_fill(g, iota(g, NB_INT32, 1, D(0)), nb_constant_f64(g, 1.5, NULL), NULL);
    CHECK_SHAPE(s, "[]");
    EXPECT(g, s, 0, NULL, V(1.5));
    EXPECT(g, nb_fill(g, cst(g, NB_INT32, 1, D(2), V(0, 2)), nb_constant_f32(g, 1, NULL), NULL), 2, D(0, 2), V(0));
    /* dims fed at run time */
    nb_output p = ph(g, NB_INT32, NB_SHAPE(2));
    nb_output yp = nb_fill(g, p, nb_constant_f32(g, 2, NULL), NULL);
    CHECK_SHAPE(yp, "[?,?]");
    CHECK_SHAPE(nb_fill(g, ph(g, NB_INT32, NB_SHAPE(-1)), nb_constant_f32(g, 2, NULL), NULL), "<unknown>");
    nb_tensor *v = mk(NB_INT32, 1, D(2), V(1, 2));
    nb_feed f = {p, v};
    EXPECT_FED(g, yp, &f, 1, 2, D(1, 2), V(2, 2));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(fill_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_fill(g, cst(g, NB_INT32, 1, D(1), V(2)), iota(g, NB_FLOAT32, 1, D(2)), NULL);
    CHECK_GRAPH_ERR(g, "'Fill'", "value must be a scalar");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_fill(g, cst(g, NB_FLOAT32, 1, D(1), V(2)), nb_constant_f32(g, 1, NULL), NULL);
    CHECK_GRAPH_ERR(g, "'Fill'", "dims must be int32 or int64");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = ph(g, NB_INT32, NB_SHAPE(1));
    nb_output y = nb_fill(g, p, nb_constant_f32(g, 1, NULL), NULL);
    nb_tensor *v = mk(NB_INT32, 1, D(1), V(-3));
    nb_feed f = {p, v};
    CHECK_RUN_ERR(g, y, &f, 1, "{{node Fill}}", "dims[0] = -3 must be >= 0");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(fill_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output v = nb_constant_f32(g, 3, NULL);
    nb_output y = nb_fill(g, cst(g, NB_INT32, 1, D(2), V(2, 3)), v, NULL);
    EXPECT_GRAD(g, wsum(g, y), v, 0, NULL, V(21)); /* 1 + 2 + ... + 6 */
    nb_graph_free(g);
}

TEST(zeros_ones_like) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(2, 3));
    nb_output z = nb_zeros_like(g, x, NULL), o = nb_ones_like(g, x, NULL);
    CHECK_NAME(z.op, "zeros_like");
    CHECK_NAME(o.op, "ones_like");
    CHECK(!strcmp(nb_op_type(z.op), "ZerosLike"));
    CHECK(!strcmp(nb_op_type(o.op), "OnesLike"));
    CHECK_SHAPE(z, "[2,3]");
    EXPECT(g, z, 2, D(2, 3), V(0, 0, 0, 0, 0, 0));
    EXPECT(g, o, 2, D(2, 3), V(1, 1, 1, 1, 1, 1));
    CHECK_NAME(nb_zeros_like(g, x, NULL).op, "zeros_like_1");
    /* dtypes, scalar, empty */
    nb_output oi = nb_ones_like(g, iota(g, NB_INT64, 1, D(2)), NULL);
    CHECK(nb_output_dtype(oi) == NB_INT64);
    EXPECT(g, oi, 1, D(2), V(1, 1));
    nb_output ob = nb_ones_like(g, cst(g, NB_BOOL, 1, D(2), V(0, 1)), NULL);
    CHECK(nb_output_dtype(ob) == NB_BOOL);
    EXPECT(g, ob, 1, D(2), V(1, 1));
    EXPECT(g, nb_zeros_like(g, nb_constant_f64(g, 3, NULL), NULL), 0, NULL, V(0));
    EXPECT(g, nb_ones_like(g, iota(g, NB_FLOAT32, 2, D(2, 0)), NULL), 2, D(2, 0), V(0));
    /* unknown dims */
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 3));
    nb_output op = nb_ones_like(g, p, NULL);
    CHECK_SHAPE(op, "[?,3]");
    nb_tensor *v = iota_t(NB_FLOAT32, 2, D(1, 3));
    nb_feed f = {p, v};
    EXPECT_FED(g, op, &f, 1, 2, D(1, 3), V(1, 1, 1));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(zeros_ones_like_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_zeros_like(g, nb_nil, NULL);
    CHECK_GRAPH_ERR(g, "'zeros_like'", "nil output");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_graph *h = nb_graph_new();
    nb_ones_like(g, nb_constant_f32(h, 1, NULL), "ol");
    CHECK_GRAPH_ERR(g, "'ol'", "another graph");
    nb_graph_free(h);
    nb_graph_free(g);
}

TEST(zeros_ones_like_no_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 1, D(2));
    nb_output l = nb_reduce_sum(g, nb_add(g, nb_ones_like(g, x, NULL), x, NULL), NULL, NB_ALL_AXES, false, NULL);
    EXPECT_GRAD(g, l, x, 1, D(2), V(1, 1)); /* only the direct path counts */
    nb_graph_free(g);
}

/*** Shape, Size, Rank ***/

TEST(shape_size_rank_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 2, D(2, 3));
    nb_output sh = nb_shape_of(g, x, NULL), sz = nb_size(g, x, NULL), rk = nb_rank(g, x, NULL);
    CHECK_NAME(sh.op, "Shape");
    CHECK_NAME(sz.op, "Size");
    CHECK_NAME(rk.op, "Rank");
    CHECK(nb_output_dtype(sh) == NB_INT32 && nb_output_dtype(sz) == NB_INT32 && nb_output_dtype(rk) == NB_INT32);
    CHECK_SHAPE(sh, "[2]");
    CHECK_SHAPE(sz, "[]");
    CHECK_SHAPE(rk, "[]");
    EXPECT(g, sh, 1, D(2), V(2, 3));
    EXPECT(g, sz, 0, NULL, V(6));
    EXPECT(g, rk, 0, NULL, V(2));
    CHECK_NAME(nb_shape_of(g, x, NULL).op, "Shape_1");
    /* scalar and empty */
    nb_output s = nb_constant_f32(g, 1, NULL);
    CHECK_SHAPE(nb_shape_of(g, s, NULL), "[0]");
    EXPECT(g, nb_shape_of(g, s, NULL), 1, D(0), V(0));
    EXPECT(g, nb_size(g, s, NULL), 0, NULL, V(1));
    EXPECT(g, nb_rank(g, s, NULL), 0, NULL, V(0));
    nb_output e = iota(g, NB_FLOAT32, 2, D(0, 3));
    EXPECT(g, nb_shape_of(g, e, NULL), 1, D(2), V(0, 3));
    EXPECT(g, nb_size(g, e, NULL), 0, NULL, V(0));
    nb_graph_free(g);
}

TEST(shape_size_rank_unknown) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK);
    nb_output q = ph(g, NB_FLOAT32, NB_SHAPE(-1, 3));
    nb_output sh = nb_shape_of(g, p, NULL), sz = nb_size(g, p, NULL), rk = nb_rank(g, p, NULL);
    CHECK_SHAPE(sh, "[?]");
    CHECK_SHAPE(nb_shape_of(g, q, NULL), "[2]");
    nb_tensor *v = nb_tensor_zeros(NB_FLOAT32, 3, D(4, 5, 6));
    nb_feed f = {p, v};
    EXPECT_FED(g, sh, &f, 1, 1, D(3), V(4, 5, 6));
    EXPECT_FED(g, sz, &f, 1, 0, NULL, V(120));
    EXPECT_FED(g, rk, &f, 1, 0, NULL, V(3));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(shape_size_rank_bad_inputs) {
    nb_graph *g = nb_graph_new(), *h = nb_graph_new();
    nb_shape_of(g, nb_constant_f32(h, 1, NULL), NULL);
    CHECK_GRAPH_ERR(g, "'Shape'", "another graph");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_size(g, nb_nil, NULL);
    CHECK_GRAPH_ERR(g, "'Size'", "nil output");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_rank(g, nb_nil, "r");
    CHECK_GRAPH_ERR(g, "'r'", "nil output");
    nb_graph_free(g);
    /* an unfed placeholder is reported by name when Shape needs its value */
    g = nb_graph_new();
    nb_output sh = nb_shape_of(g, ph(g, NB_FLOAT32, NB_SHAPE(-1)), NULL);
    CHECK_RUN_ERR(g, sh, NULL, 0, "Placeholder", "You must feed a value");
    nb_graph_free(g);
    nb_graph_free(h);
}

/*** BroadcastGradientArgs ***/

static nb_output bga(nb_graph *g, int ra, const double *a, int rb, const double *b) {
    nb_output in[2] = {cst(g, NB_INT32, 1, D(ra), a), cst(g, NB_INT32, 1, D(rb), b)};
    return nbi_op_finish(nbi_op_new(g, NBI_OP_BROADCAST_GRADIENT_ARGS, NULL, NULL, in, 2));
}

TEST(broadcast_gradient_args_values) {
    nb_graph *g = nb_graph_new();
    nb_output r = bga(g, 2, V(2, 3), 1, V(3));
    CHECK_NAME(r.op, "BroadcastGradientArgs");
    CHECK(nb_op_num_outputs(r.op) == 2);
    CHECK_SHAPE(r, "[?]");
    EXPECT(g, r, 1, D(0), V(0));
    EXPECT(g, nb_op_output(r.op, 1), 1, D(1), V(0));
    nb_output r2 = bga(g, 2, V(2, 1), 2, V(1, 3));
    EXPECT(g, r2, 1, D(1), V(1));
    EXPECT(g, nb_op_output(r2.op, 1), 1, D(1), V(0));
    nb_output r3 = bga(g, 1, V(1), 1, V(1));
    EXPECT(g, r3, 1, D(1), V(0));
    EXPECT(g, nb_op_output(r3.op, 1), 1, D(1), V(0));
    nb_output r4 = bga(g, 0, V(0), 2, V(2, 2));
    EXPECT(g, r4, 1, D(2), V(0, 1));
    EXPECT(g, nb_op_output(r4.op, 1), 1, D(0), V(0));
    nb_output r5 = bga(g, 3, V(4, 1, 5), 2, V(3, 1));
    EXPECT(g, r5, 1, D(1), V(1));
    EXPECT(g, nb_op_output(r5.op, 1), 1, D(2), V(0, 2));
    nb_graph_free(g);
}

TEST(broadcast_gradient_args_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_output r = bga(g, 1, V(2), 1, V(3));
    CHECK_RUN_ERR(g, r, NULL, 0, "{{node BroadcastGradientArgs}}", "Incompatible shapes: [2] vs. [3]");
    nb_graph_free(g);
}

/*** UnsortedSegmentSum ***/

TEST(unsorted_segment_sum_values) {
    nb_graph *g = nb_graph_new();
    nb_output d = cst(g, NB_FLOAT32, 1, D(4), V(1, 2, 3, 4));
    nb_output y = nb_unsorted_segment_sum(g, d, cst(g, NB_INT32, 1, D(4), V(0, 2, 0, -1)),
                                          nb_constant_i32(g, 3, NULL), NULL);
    CHECK_NAME(y.op, "UnsortedSegmentSum");
    CHECK_SHAPE(y, "[3]");
    EXPECT(g, y, 1, D(3), V(4, 0, 2)); /* the -1 row is dropped */
    nb_output m = iota(g, NB_FLOAT32, 2, D(3, 2));
    nb_output y2 = nb_unsorted_segment_sum(g, m, cst(g, NB_INT64, 1, D(3), V(1, 1, 0)), nb_constant_i32(g, 2, NULL), NULL);
    CHECK_NAME(y2.op, "UnsortedSegmentSum_1");
    CHECK_SHAPE(y2, "[2,2]");
    EXPECT(g, y2, 2, D(2, 2), V(4, 5, 2, 4));
    /* 2-d ids prefixing 3-d data, int32 data, scalar id, empty data, zero segments */
    nb_output c = iota(g, NB_INT32, 3, D(2, 2, 2));
    nb_output y3 = nb_unsorted_segment_sum(g, c, cst(g, NB_INT32, 2, D(2, 2), V(0, 1, 1, 1)), nb_constant_i32(g, 2, NULL), NULL);
    CHECK_SHAPE(y3, "[2,2]");
    EXPECT(g, y3, 2, D(2, 2), V(0, 1, 12, 15));
    EXPECT(g, nb_unsorted_segment_sum(g, nb_constant_f32(g, 5, NULL), nb_constant_i32(g, 1, NULL), nb_constant_i32(g, 2, NULL), NULL),
           1, D(2), V(0, 5));
    EXPECT(g, nb_unsorted_segment_sum(g, iota(g, NB_FLOAT32, 2, D(0, 2)), iota(g, NB_INT32, 1, D(0)), nb_constant_i32(g, 3, NULL), NULL),
           2, D(3, 2), V(0, 0, 0, 0, 0, 0));
    EXPECT(g, nb_unsorted_segment_sum(g, iota(g, NB_FLOAT32, 1, D(0)), iota(g, NB_INT32, 1, D(0)), nb_constant_i32(g, 0, NULL), NULL),
           1, D(0), V(0));
    nb_graph_free(g);
}

TEST(unsorted_segment_sum_against_loop) {
    nb_graph *g = nb_graph_new();
    double ids[7] = {3, 0, 3, -1, 2, 0, 3};
    nb_output y = nb_unsorted_segment_sum(g, iota(g, NB_FLOAT64, 2, D(7, 3)), cst(g, NB_INT32, 1, D(7), ids),
                                          nb_constant_i32(g, 5, NULL), NULL);
    double want[15] = {0};
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 3; j++)
            if (ids[i] >= 0) want[(int)ids[i] * 3 + j] += i * 3 + j;
    EXPECT(g, y, 2, D(5, 3), want);
    nb_graph_free(g);
}

TEST(unsorted_segment_sum_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output n = ph(g, NB_INT32, NB_SHAPE_SCALAR);
    nb_output d = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2));
    nb_output y = nb_unsorted_segment_sum(g, d, ph(g, NB_INT32, NB_SHAPE(-1)), n, NULL);
    CHECK_SHAPE(y, "[?,2]");
    CHECK_SHAPE(nb_unsorted_segment_sum(g, d, ph(g, NB_INT32, NB_SHAPE_UNKNOWN_RANK), n, NULL), "<unknown>");
    nb_output y2 = nb_unsorted_segment_sum(g, iota(g, NB_FLOAT32, 1, D(3)), cst(g, NB_INT32, 1, D(3), V(0, 0, 1)), n, NULL);
    CHECK_SHAPE(y2, "[?]");
    nb_tensor *nv = nb_tensor_scalar(NB_INT32, 3);
    nb_feed f = {n, nv};
    EXPECT_FED(g, y2, &f, 1, 1, D(3), V(1, 2, 0));
    nb_tensor_unref(nv);
    nb_graph_free(g);
}

TEST(unsorted_segment_sum_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_unsorted_segment_sum(g, iota(g, NB_FLOAT32, 1, D(4)), iota(g, NB_INT32, 1, D(3)), nb_constant_i32(g, 3, NULL), NULL);
    CHECK_GRAPH_ERR(g, "'UnsortedSegmentSum'", "segment_ids.shape = [3] does not prefix data.shape = [4]");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_unsorted_segment_sum(g, iota(g, NB_FLOAT32, 1, D(4)), iota(g, NB_FLOAT32, 1, D(4)), nb_constant_i32(g, 3, NULL), "uss");
    CHECK_GRAPH_ERR(g, "'uss'", "segment_ids must be int32 or int64");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output y = nb_unsorted_segment_sum(g, iota(g, NB_FLOAT32, 1, D(2)), cst(g, NB_INT32, 1, D(2), V(0, 5)),
                                          nb_constant_i32(g, 3, NULL), NULL);
    CHECK_RUN_ERR(g, y, NULL, 0, "{{node UnsortedSegmentSum}}", "segment_ids[1] = 5 is out of range [0, 3)");
    nb_graph_free(g);
}

TEST(unsorted_segment_sum_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output d = iota(g, NB_FLOAT32, 1, D(4));
    nb_output y = nb_unsorted_segment_sum(g, d, cst(g, NB_INT32, 1, D(4), V(0, 2, 0, -1)), nb_constant_i32(g, 3, NULL), NULL);
    /* w = [1,2,3]: d data = w[ids], 0 for the dropped id */
    EXPECT_GRAD(g, wsum(g, y), d, 1, D(4), V(1, 3, 1, 0));
    nb_output m = iota(g, NB_FLOAT32, 2, D(3, 2));
    nb_output y2 = nb_unsorted_segment_sum(g, m, cst(g, NB_INT32, 1, D(3), V(1, -1, 0)), nb_constant_i32(g, 2, NULL), NULL);
    EXPECT_GRAD(g, wsum(g, y2), m, 2, D(3, 2), V(3, 4, 0, 0, 1, 2));
    nb_graph_free(g);
}

/*** Range ***/

TEST(range_values) {
    nb_graph *g = nb_graph_new();
    nb_output r = nb_range(g, nb_constant_i32(g, 0, NULL), nb_constant_i32(g, 5, NULL), nb_constant_i32(g, 1, NULL), NULL);
    CHECK_NAME(r.op, "range");
    CHECK(!strcmp(nb_op_type(r.op), "Range"));
    CHECK(nb_output_dtype(r) == NB_INT32);
    CHECK_SHAPE(r, "[?]");
    EXPECT(g, r, 1, D(5), V(0, 1, 2, 3, 4));
    nb_output r1 = nb_range(g, nb_constant_i32(g, 5, NULL), nb_constant_i32(g, 0, NULL), nb_constant_i32(g, -2, NULL), NULL);
    CHECK_NAME(r1.op, "range_1");
    EXPECT(g, r1, 1, D(3), V(5, 3, 1));
    EXPECT(g, nb_range(g, nb_constant_f32(g, 0, NULL), nb_constant_f32(g, 1, NULL), nb_constant_f32(g, 0.25f, NULL), NULL),
           1, D(4), V(0, 0.25, 0.5, 0.75));
    EXPECT(g, nb_range(g, nb_constant_i32(g, 3, NULL), nb_constant_i32(g, 3, NULL), nb_constant_i32(g, 1, NULL), NULL),
           1, D(0), V(0));
    EXPECT(g, nb_range(g, nb_constant_i32(g, 0, NULL), nb_constant_i32(g, 7, NULL), nb_constant_i32(g, 3, NULL), NULL),
           1, D(3), V(0, 3, 6));
    nb_graph_free(g);
}

TEST(range_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_range(g, nb_constant_i32(g, 0, NULL), nb_constant_f32(g, 5, NULL), nb_constant_i32(g, 1, NULL), NULL);
    CHECK_GRAPH_ERR(g, "'range'", "share one dtype");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output r = nb_range(g, nb_constant_i32(g, 0, NULL), nb_constant_i32(g, 5, NULL), nb_constant_i32(g, 0, NULL), NULL);
    CHECK_RUN_ERR(g, r, NULL, 0, "{{node range}}", "Requires delta != 0");
    nb_output r2 = nb_range(g, nb_constant_i32(g, 5, NULL), nb_constant_i32(g, 0, NULL), nb_constant_i32(g, 1, NULL), NULL);
    CHECK_RUN_ERR(g, r2, NULL, 0, "{{node range_1}}", "Requires start <= limit");
    nb_graph_free(g);
}

/*** Ops fed their index tensors at run time ***/

static nb_output raw(nb_graph *g, int type, const nb_output *in, int n) {
    return nbi_op_finish(nbi_op_new(g, type, NULL, NULL, in, n));
}

TEST(concat_axis_fed_at_run_time) {
    nb_graph *g = nb_graph_new();
    nb_output ax = ph(g, NB_INT32, NB_SHAPE_SCALAR);
    nb_output a = iota(g, NB_FLOAT32, 2, D(2, 2));
    nb_output y = raw(g, NBI_OP_CONCAT, (nb_output[]){a, a, ax}, 3);
    CHECK_SHAPE(y, "[?,?]");
    nb_tensor *v = nb_tensor_scalar(NB_INT32, -1);
    nb_feed f = {ax, v};
    EXPECT_FED(g, y, &f, 1, 2, D(2, 4), V(0, 1, 0, 1, 2, 3, 2, 3));
    nb_tensor_unref(v);
    v = nb_tensor_scalar(NB_INT32, 2);
    f.value = v;
    CHECK_RUN_ERR(g, y, &f, 1, "{{node ConcatV2}}", "range [-2, 2), but got 2");
    nb_tensor_unref(v);
    /* no constant axis: no gradient, with a clear message */
    nb_output l = nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, NULL), da;
    nb_gradients(g, &l, 1, &a, 1, NULL, &da);
    CHECK_GRAPH_ERR(g, "'ConcatV2'", "constant axis");
    CHECK(nb_graph_status(g) == NB_ERR_UNIMPLEMENTED);
    nb_graph_free(g);
}

TEST(slice_begin_size_fed_at_run_time) {
    nb_graph *g = nb_graph_new();
    nb_output b = ph(g, NB_INT64, NB_SHAPE(2)), s = ph(g, NB_INT64, NB_SHAPE(2));
    nb_output x = iota(g, NB_FLOAT32, 2, D(3, 4));
    nb_output y = raw(g, NBI_OP_SLICE, (nb_output[]){x, b, s}, 3);
    CHECK_SHAPE(y, "[?,?]");
    nb_tensor *bv = mk(NB_INT64, 1, D(2), V(2, 1)), *sv = mk(NB_INT64, 1, D(2), V(-1, 3));
    nb_feed f[2] = {{b, bv}, {s, sv}};
    EXPECT_FED(g, y, f, 2, 2, D(1, 3), V(9, 10, 11));
    /* gradient: paddings built from begin and the shapes at run time */
    nb_output l = nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, NULL);
    EXPECT_GRAD_FED(g, l, x, f, 2, 2, D(3, 4), V(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1));
    nb_tensor_unref(bv);
    nb_tensor_unref(sv);
    nb_graph_free(g);
    g = nb_graph_new();
    raw(g, NBI_OP_SLICE, (nb_output[]){iota(g, NB_FLOAT32, 1, D(3)), cst(g, NB_INT32, 1, D(1), V(0)),
                                        cst(g, NB_INT64, 1, D(1), V(1))}, 3);
    CHECK_GRAPH_ERR(g, "'Slice'", "Input 'size' of 'Slice' Op has type int64 that does not match type int32");
    nb_graph_free(g);
}

TEST(pad_paddings_fed_at_run_time) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_INT32, NB_SHAPE(-1, 2));
    nb_output x = cst(g, NB_FLOAT32, 1, D(2), V(1, 2));
    nb_output y = raw(g, NBI_OP_PAD, (nb_output[]){x, p}, 2);
    CHECK_SHAPE(y, "[?]");
    nb_tensor *pv = mk(NB_INT32, 2, D(1, 2), V(0, 2));
    nb_feed f = {p, pv};
    EXPECT_FED(g, y, &f, 1, 1, D(4), V(1, 2, 0, 0));
    nb_output l = wsum(g, y), dx;
    nb_gradients(g, &l, 1, &x, 1, NULL, &dx);
    EXPECT_FED(g, dx, &f, 1, 1, D(2), V(1, 1));
    nb_tensor_unref(pv);
    pv = mk(NB_INT32, 2, D(1, 2), V(1, -1));
    f.value = pv;
    CHECK_RUN_ERR(g, y, &f, 1, "{{node Pad}}", "Paddings must be non-negative: 1 -1");
    nb_tensor_unref(pv);
    nb_graph_free(g);
    g = nb_graph_new();
    raw(g, NBI_OP_PAD, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)), iota(g, NB_INT32, 2, D(1, 3))}, 2);
    CHECK_GRAPH_ERR(g, "'Pad'", "paddings must be a matrix with 2 columns: [1,3]");
    nb_graph_free(g);
}

TEST(gather_axis_fed_at_run_time) {
    nb_graph *g = nb_graph_new();
    nb_output ax = ph(g, NB_INT64, NB_SHAPE_SCALAR);
    nb_output p = iota(g, NB_FLOAT32, 2, D(2, 3));
    nb_output y = raw(g, NBI_OP_GATHER, (nb_output[]){p, cst(g, NB_INT32, 1, D(1), V(1)), ax}, 3);
    CHECK_SHAPE(y, "[?,?]");
    nb_tensor *v = nb_tensor_scalar(NB_INT64, 1);
    nb_feed f = {ax, v};
    EXPECT_FED(g, y, &f, 1, 2, D(2, 1), V(1, 4));
    nb_tensor_unref(v);
    v = nb_tensor_scalar(NB_INT64, -3);
    f.value = v;
    CHECK_RUN_ERR(g, y, &f, 1, "{{node GatherV2}}", "Expected axis in the range [-2, 2), but got -3");
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(gather_gradient_unsupported_axis) {
    /* Along axis 1 the gradient needs params' full shape: a clear UNIMPLEMENTED otherwise. */
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 3));
    nb_output l = nb_reduce_sum(g, nb_gather(g, p, nb_constant_i32(g, 0, NULL), 1, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_output dp;
    nb_gradients(g, &l, 1, &p, 1, NULL, &dp);
    CHECK(nb_graph_status(g) == NB_ERR_UNIMPLEMENTED);
    CHECK_STR_CONTAINS(nb_graph_errmsg(g), "gradient of 'GatherV2' along axis 1 needs params of fully known shape");
    CHECK(nb_output_is_nil(dp));
    nb_graph_free(g);
}

/*** PadV2, MirrorPad (nb_pad_ex) ***/

TEST(pad_ex_constant_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = cst(g, NB_FLOAT32, 1, D(2), V(1, 2));
    nb_output y = nb_pad_ex(g, x, D(1, 2), 1, NB_PAD_CONSTANT, -3.5, NULL);
    CHECK_NAME(y.op, "PadV2");
    CHECK(!strcmp(nb_op_type(y.op), "PadV2"));
    CHECK_NAME(nb_op_input(y.op, 1).op, "PadV2/paddings");
    CHECK_NAME(nb_op_input(y.op, 2).op, "PadV2/constant_values");
    CHECK_SHAPE(nb_op_input(y.op, 2), "[]");
    CHECK_SHAPE(y, "[5]");
    EXPECT(g, y, 1, D(5), V(-3.5, 1, 2, -3.5, -3.5));
    /* constant_values 0 builds TF1's plain Pad */
    nb_output z = nb_pad_ex(g, x, D(1, 0), 1, NB_PAD_CONSTANT, 0, NULL);
    CHECK(!strcmp(nb_op_type(z.op), "Pad"));
    EXPECT(g, z, 1, D(3), V(0, 1, 2));
    /* 2-d int32, rank 0, empty input, no padding */
    nb_output m = iota(g, NB_INT32, 2, D(2, 2));
    nb_output y2 = nb_pad_ex(g, m, D(1, 0, 0, 1), 2, NB_PAD_CONSTANT, 7, "pv");
    CHECK_NAME(y2.op, "pv");
    CHECK(nb_output_dtype(y2) == NB_INT32);
    EXPECT(g, y2, 2, D(3, 3), V(7, 7, 7, 0, 1, 7, 2, 3, 7));
    EXPECT(g, nb_pad_ex(g, nb_constant_f32(g, 5, NULL), NULL, 0, NB_PAD_CONSTANT, 1, NULL), 0, NULL, V(5));
    EXPECT(g, nb_pad_ex(g, iota(g, NB_FLOAT32, 2, D(0, 2)), D(1, 0, 0, 1), 2, NB_PAD_CONSTANT, 9, NULL), 2, D(1, 3),
           V(9, 9, 9));
    EXPECT(g, nb_pad_ex(g, iota(g, NB_FLOAT32, 2, D(0, 2)), D(0, 0, 1, 1), 2, NB_PAD_CONSTANT, 9, NULL), 2, D(0, 4),
           V(0));
    EXPECT(g, nb_pad_ex(g, m, D(0, 0, 0, 0), 2, NB_PAD_CONSTANT, 4, NULL), 2, D(2, 2), V(0, 1, 2, 3));
    nb_graph_free(g);
}

TEST(pad_ex_constant_unknown_dims_and_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 2));
    nb_output y = nb_pad_ex(g, p, D(1, 0, 0, 1), 2, NB_PAD_CONSTANT, 2, NULL);
    CHECK_SHAPE(y, "[?,3]");
    CHECK_SHAPE(nb_pad_ex(g, ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK), D(1, 1), 1, NB_PAD_CONSTANT, 1, NULL), "[?]");
    nb_tensor *v = mk(NB_FLOAT32, 2, D(1, 2), V(7, 8));
    nb_feed f = {p, v};
    EXPECT_FED(g, y, &f, 1, 2, D(2, 3), V(2, 2, 2, 7, 8, 2));
    /* d/dx sum(y^2) = 2x: the constant cells do not reach x */
    nb_output l = nb_reduce_sum(g, nb_square(g, y, NULL), NULL, NB_ALL_AXES, false, NULL);
    EXPECT_GRAD_FED(g, l, p, &f, 1, 2, D(1, 2), V(14, 16));
    nb_tensor_unref(v);
    nb_graph_free(g);
    /* constant_values has no gradient (TF1's _PadGrad returns None for it) */
    g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 1, D(2));
    nb_output y3 = nb_pad_ex(g, x, D(1, 1), 1, NB_PAD_CONSTANT, 3, NULL);
    nb_output c = nb_op_input(y3.op, 2), l3 = wsum(g, y3), dc;
    nb_gradients(g, &l3, 1, &c, 1, NULL, &dc);
    CHECK_GRAPH_OK(g);
    CHECK(nb_output_is_nil(dc));
    /* w = 1..4: dx = (2, 3) */
    EXPECT_GRAD(g, wsum(g, nb_pad_ex(g, x, D(1, 1), 1, NB_PAD_CONSTANT, 3, NULL)), x, 1, D(2), V(2, 3));
    nb_graph_free(g);
}

/* The source index of each padded position along one dimension, built as the
 * docs describe mirror padding: the reversed edge slices x[off : off+lo] and
 * x[n-off-hi : n-off] put around the row (off 1 for REFLECT, 0 for SYMMETRIC). */
static int64_t mirror_table(int64_t n, int64_t lo, int64_t hi, int off, int64_t *t) {
    int64_t k = 0;
    for (int64_t i = lo - 1 + off; i >= off; i--) t[k++] = i;
    for (int64_t i = 0; i < n; i++) t[k++] = i;
    for (int64_t i = n - 1 - off; i >= n - off - hi; i--) t[k++] = i;
    return k;
}

/* Naive 3-d mirror pad of x (dims xd, values 1, 2, 3, ... in row-major order). */
static void mirror_ref3(const int64_t *xd, const int64_t *pads, int off, int64_t *od, double *out) {
    int64_t t[3][64];
    for (int i = 0; i < 3; i++) od[i] = mirror_table(xd[i], pads[2 * i], pads[2 * i + 1], off, t[i]);
    for (int64_t a = 0; a < od[0]; a++)
        for (int64_t b = 0; b < od[1]; b++)
            for (int64_t c = 0; c < od[2]; c++)
                out[(a * od[1] + b) * od[2] + c] = (double)((t[0][a] * xd[1] + t[1][b]) * xd[2] + t[2][c] + 1);
}

TEST(mirror_pad_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = cst(g, NB_FLOAT32, 1, D(3), V(1, 2, 3));
    nb_output r = nb_pad_ex(g, x, D(2, 2), 1, NB_PAD_REFLECT, 0, NULL);
    CHECK_NAME(r.op, "MirrorPad");
    CHECK(!strcmp(nb_op_type(r.op), "MirrorPad"));
    CHECK_NAME(nb_op_input(r.op, 1).op, "MirrorPad/paddings");
    CHECK_SHAPE(r, "[7]");
    EXPECT(g, r, 1, D(7), V(3, 2, 1, 2, 3, 2, 1));
    nb_output s = nb_pad_ex(g, x, D(2, 2), 1, NB_PAD_SYMMETRIC, 5 /* ignored */, "sym");
    CHECK_NAME(s.op, "sym");
    EXPECT(g, s, 1, D(7), V(2, 1, 1, 2, 3, 3, 2));
    EXPECT(g, nb_pad_ex(g, x, D(3, 0), 1, NB_PAD_SYMMETRIC, 0, NULL), 1, D(6), V(3, 2, 1, 1, 2, 3));
    /* TF's documented example: [[1,2,3],[4,5,6]] padded [[1,1],[2,2]] */
    nb_output m = cst(g, NB_INT32, 2, D(2, 3), V(1, 2, 3, 4, 5, 6));
    EXPECT(g, nb_pad_ex(g, m, D(1, 1, 2, 2), 2, NB_PAD_REFLECT, 0, NULL), 2, D(4, 7),
           V(6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1));
    EXPECT(g, nb_pad_ex(g, m, D(1, 1, 2, 2), 2, NB_PAD_SYMMETRIC, 0, NULL), 2, D(4, 7),
           V(2, 1, 1, 2, 3, 3, 2, 2, 1, 1, 2, 3, 3, 2, 5, 4, 4, 5, 6, 6, 5, 5, 4, 4, 5, 6, 6, 5));
    /* rank 0, no padding, an empty dim with SYMMETRIC */
    EXPECT(g, nb_pad_ex(g, nb_constant_f64(g, 4, NULL), NULL, 0, NB_PAD_REFLECT, 0, NULL), 0, NULL, V(4));
    EXPECT(g, nb_pad_ex(g, m, D(0, 0, 0, 0), 2, NB_PAD_REFLECT, 0, NULL), 2, D(2, 3), V(1, 2, 3, 4, 5, 6));
    EXPECT(g, nb_pad_ex(g, iota(g, NB_FLOAT32, 2, D(0, 3)), D(0, 0, 1, 2), 2, NB_PAD_SYMMETRIC, 0, NULL), 2, D(0, 6),
           V(0));
    /* bool and uint8 are copied as bytes */
    EXPECT(g, nb_pad_ex(g, cst(g, NB_UINT8, 1, D(2), V(7, 9)), D(1, 1), 1, NB_PAD_REFLECT, 0, NULL), 1, D(4),
           V(9, 7, 9, 7));
    nb_graph_free(g);
}

TEST(mirror_pad_3d_against_naive_reference) {
    static const int64_t xd[3] = {2, 3, 4};
    static const int64_t pr[6] = {1, 1, 2, 0, 0, 3}, ps[6] = {2, 1, 3, 3, 0, 4};
    for (int mode = NB_PAD_REFLECT; mode <= NB_PAD_SYMMETRIC; mode++) {
        const int64_t *pads = mode == NB_PAD_REFLECT ? pr : ps;
        int64_t od[3];
        double want[8 * 9 * 8];
        mirror_ref3(xd, pads, mode == NB_PAD_REFLECT ? 1 : 0, od, want);
        nb_graph *g = nb_graph_new();
        for (int dt = 0; dt < 2; dt++) {
            nb_output x = nb_add(g, iota(g, dt ? NB_INT64 : NB_FLOAT64, 3, xd),
                                 dt ? cst(g, NB_INT64, 0, NULL, V(1)) : nb_constant_f64(g, 1, NULL), NULL);
            nb_output y = nb_pad_ex(g, x, pads, 3, (nb_pad_mode)mode, 0, NULL);
            checks_++;
            nb_shape ys = nb_output_shape(y);
            if (ys.rank != 3 || memcmp(ys.dims, od, sizeof od)) FAILF("mode %d: static shape differs", mode);
            EXPECT(g, y, 3, od, want);
        }
        nb_graph_free(g);
    }
}

TEST(mirror_pad_unknown_dims) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE(-1, 3));
    nb_output y = nb_pad_ex(g, p, D(1, 1, 2, 1), 2, NB_PAD_REFLECT, 0, NULL);
    CHECK_SHAPE(y, "[?,6]");
    nb_output u = ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK);
    nb_output yu = nb_pad_ex(g, u, D(1, 0), 1, NB_PAD_SYMMETRIC, 0, NULL);
    CHECK_SHAPE(yu, "[?]");
    nb_tensor *v = mk(NB_FLOAT32, 2, D(2, 3), V(1, 2, 3, 4, 5, 6));
    nb_feed f = {p, v};
    EXPECT_FED(g, y, &f, 1, 2, D(4, 6),
               V(6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2));
    /* a fed dim too small for REFLECT */
    nb_tensor *v1 = mk(NB_FLOAT32, 2, D(1, 3), V(1, 2, 3));
    nb_feed f1 = {p, v1};
    CHECK_RUN_ERR(g, y, &f1, 1, "{{node MirrorPad}}",
                  "paddings must be no greater than the dimension size: 1, 1 greater than 0");
    nb_tensor *vu = mk(NB_FLOAT32, 1, D(2), V(4, 5));
    nb_feed fu = {u, vu};
    EXPECT_FED(g, yu, &fu, 1, 1, D(3), V(4, 4, 5));
    nb_tensor *vr = iota_t(NB_FLOAT32, 2, D(2, 2));
    fu.value = vr;
    CHECK_RUN_ERR(g, yu, &fu, 1, "MirrorPad_1", "The first dimension of paddings must be the rank of inputs[1,2] [2,2]");
    nb_tensor_unref(v);
    nb_tensor_unref(v1);
    nb_tensor_unref(vu);
    nb_tensor_unref(vr);
    nb_graph_free(g);
}

TEST(mirror_pad_gradient) {
    nb_graph *g = nb_graph_new();
    nb_output x = iota(g, NB_FLOAT32, 1, D(3));
    /* REFLECT (2,1): y = x2 x1 x0 x1 x2 x1, w = 1..6: dx = (3, 2+4+6, 1+5) */
    nb_output r = nb_pad_ex(g, x, D(2, 1), 1, NB_PAD_REFLECT, 0, NULL);
    EXPECT_GRAD(g, wsum(g, r), x, 1, D(3), V(3, 12, 6));
    /* SYMMETRIC (2,1): y = x1 x0 x0 x1 x2 x2: dx = (2+3, 1+4, 5+6) */
    nb_output s = nb_pad_ex(g, x, D(2, 1), 1, NB_PAD_SYMMETRIC, 0, NULL);
    EXPECT_GRAD(g, wsum(g, s), x, 1, D(3), V(5, 5, 11));
    CHECK(nb_graph_find_op(g, "gradients/MirrorPad_grad/MirrorPadGrad") != NULL ||
          nb_graph_find_op(g, "gradients_1/MirrorPad_1_grad/MirrorPadGrad") != NULL);
    nb_graph_free(g);
    /* shapes known only at run time: d sum(y^2) / dx with y = REFLECT(x, (1,1)) of x = [a,b,c]:
     * y = b a b c b, so dx = (2a, 2b*3, 2c) */
    g = nb_graph_new();
    nb_output p = ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK);
    nb_output l = nb_reduce_sum(g, nb_square(g, nb_pad_ex(g, p, D(1, 1), 1, NB_PAD_REFLECT, 0, NULL), NULL), NULL,
                                NB_ALL_AXES, false, NULL);
    nb_tensor *v = mk(NB_FLOAT32, 1, D(3), V(1, 2, 3));
    nb_feed f = {p, v};
    EXPECT_GRAD_FED(g, l, p, &f, 1, 1, D(3), V(2, 12, 6));
    nb_tensor_unref(v);
    nb_graph_free(g);
}

TEST(mirror_pad_grad_op) {
    /* MirrorPadGrad folds dy back: for SYMMETRIC (1,2) on n = 3, the padded row
     * is x0 x0 x1 x2 x2 x1, so dx = (dy0+dy1, dy2+dy5, dy3+dy4) */
    nb_graph *g = nb_graph_new();
    nb_output dy = cst(g, NB_FLOAT64, 1, D(6), V(1, 10, 100, 1000, 10000, 100000));
    nb_output in[2] = {dy, cst(g, NB_INT64, 2, D(1, 2), V(1, 2))};
    nb_op *op = nbi_op_new(g, NBI_OP_MIRROR_PAD_GRAD, NULL, NULL, in, 2);
    op->attrs.ints[0] = NB_PAD_SYMMETRIC;
    nb_output dx = nbi_op_finish(op);
    CHECK_SHAPE(dx, "[3]");
    EXPECT(g, dx, 1, D(3), V(11, 100100, 11000));
    nb_op *op2 = nbi_op_new(g, NBI_OP_MIRROR_PAD_GRAD, NULL, NULL, in, 2);
    op2->attrs.ints[0] = NB_PAD_REFLECT; /* padded row x1 x0 x1 x2 x1 x0 with n = 3 */
    EXPECT(g, nbi_op_finish(op2), 1, D(3), V(10 + 100000, 1 + 100 + 10000, 1000));
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output in2[2] = {iota(g, NB_FLOAT32, 1, D(3)), cst(g, NB_INT32, 2, D(1, 2), V(1, 1))};
    op = nbi_op_new(g, NBI_OP_MIRROR_PAD_GRAD, NULL, NULL, in2, 2);
    op->attrs.ints[0] = NB_PAD_REFLECT;
    nbi_op_finish(op);
    CHECK_GRAPH_ERR(g, "MirrorPadGrad", "paddings must be no greater than the output dimension size: 1, 1 greater than 0");
    nb_graph_free(g);
}

TEST(pad_ex_bad_inputs) {
    nb_graph *g = nb_graph_new();
    nb_pad_ex(g, iota(g, NB_FLOAT32, 1, D(3)), D(3, 0), 1, NB_PAD_REFLECT, 0, NULL);
    CHECK_GRAPH_ERR(g, "'MirrorPad'", "paddings must be no greater than the dimension size: 3, 0 greater than 2");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_pad_ex(g, iota(g, NB_FLOAT32, 2, D(2, 3)), D(0, 0, 1, 4), 2, NB_PAD_SYMMETRIC, 0, NULL);
    CHECK_GRAPH_ERR(g, "'MirrorPad'", "paddings must be no greater than the dimension size: 1, 4 greater than 3");
    nb_graph_free(g);
    /* REFLECT needs at least one element even with zero paddings, as in TF */
    g = nb_graph_new();
    nb_pad_ex(g, iota(g, NB_FLOAT32, 1, D(0)), D(0, 0), 1, NB_PAD_REFLECT, 0, NULL);
    CHECK_GRAPH_ERR(g, "'MirrorPad'", "paddings must be no greater than the dimension size: 0, 0 greater than -1");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_pad_ex(g, iota(g, NB_FLOAT32, 1, D(3)), D(-1, 0), 1, NB_PAD_SYMMETRIC, 0, NULL);
    CHECK_GRAPH_ERR(g, "'MirrorPad'", "paddings must be non-negative: -1 0");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_pad_ex(g, iota(g, NB_FLOAT32, 1, D(3)), D(0, -2), 1, NB_PAD_CONSTANT, 1, NULL);
    CHECK_GRAPH_ERR(g, "'PadV2'", "Paddings must be non-negative: 0 -2");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_pad_ex(g, iota(g, NB_FLOAT32, 2, D(2, 2)), D(1, 1), 1, NB_PAD_REFLECT, 0, NULL);
    CHECK_GRAPH_ERR(g, "'MirrorPad'", "The first dimension of paddings must be the rank of inputs[1,2] [2,2]");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_pad_ex(g, iota(g, NB_FLOAT32, 1, D(2)), D(1, 1), 1, (nb_pad_mode)7, 0, NULL);
    CHECK_GRAPH_ERR(g, "Unknown padding mode", "7");
    nb_graph_free(g);
    /* sizes that overflow int64 */
    g = nb_graph_new();
    nb_pad_ex(g, iota(g, NB_FLOAT32, 1, D(2)), D(INT64_MAX, 1), 1, NB_PAD_CONSTANT, 1, NULL);
    CHECK_GRAPH_ERR(g, "'PadV2'", "Dimension size overflow from adding 9223372036854775807, 2 and 1");
    nb_graph_free(g);
    /* PadV2 with a constant of another dtype or shape (built directly, as an import could) */
    g = nb_graph_new();
    raw(g, NBI_OP_PAD_V2, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)), cst(g, NB_INT32, 2, D(1, 2), V(1, 1)),
                                         nb_constant_i32(g, 1, NULL)}, 3);
    CHECK_GRAPH_ERR(g, "'PadV2'",
                    "Input 'constant_values' of 'PadV2' Op has type int32 that does not match type float of argument 'input'");
    nb_graph_free(g);
    g = nb_graph_new();
    raw(g, NBI_OP_PAD_V2, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)), cst(g, NB_INT32, 2, D(1, 2), V(1, 1)),
                                         iota(g, NB_FLOAT32, 1, D(2))}, 3);
    CHECK_GRAPH_ERR(g, "'PadV2'", "Shape must be rank 0 but is rank 1");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output c = ph(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK);
    nb_output y = raw(g, NBI_OP_PAD_V2, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)),
                                                       cst(g, NB_INT32, 2, D(1, 2), V(1, 1)), c}, 3);
    nb_tensor *cv = iota_t(NB_FLOAT32, 1, D(2));
    nb_feed f = {c, cv};
    CHECK_RUN_ERR(g, y, &f, 1, "{{node PadV2}}", "constant_values must be a scalar. Got: [2]");
    nb_tensor_unref(cv);
    nb_graph_free(g);
    /* a MirrorPad without a valid mode (as an import of a node lacking the attr) */
    g = nb_graph_new();
    raw(g, NBI_OP_MIRROR_PAD, (nb_output[]){iota(g, NB_FLOAT32, 1, D(2)), cst(g, NB_INT32, 2, D(1, 2), V(1, 1))}, 2);
    CHECK_GRAPH_ERR(g, "'MirrorPad'", "Value for attr 'mode' of MirrorPad must be one of \"REFLECT\", \"SYMMETRIC\"");
    nb_graph_free(g);
}

/*** OneHot with axis ***/

/* Naive one-hot of indices [2,3] at each axis: out[...] = on where the depth index equals the index. */
TEST(one_hot_axis_every_position) {
    static const double idx[6] = {0, 3, 1, -1, 2, 2};
    const int depth = 3;
    for (int axis = -1; axis <= 2; axis++) {
        int ax = axis < 0 ? 2 : axis;
        int64_t od[3];
        for (int i = 0, j = 0; i < 3; i++) od[i] = i == ax ? depth : (j++ == 0 ? 2 : 3);
        double want[18];
        for (int64_t a = 0; a < od[0]; a++)
            for (int64_t b = 0; b < od[1]; b++)
                for (int64_t c = 0; c < od[2]; c++) {
                    int64_t pos[3] = {a, b, c}, in[2], k = 0, dpos = pos[ax];
                    for (int i = 0; i < 3; i++)
                        if (i != ax) in[k++] = pos[i];
                    want[(a * od[1] + b) * od[2] + c] = idx[in[0] * 3 + in[1]] == (double)dpos ? 5 : -2;
                }
        nb_graph *g = nb_graph_new();
        nb_output i = cst(g, NB_INT64, 2, D(2, 3), idx);
        nb_output y = nb_one_hot_axis(g, i, depth, 5, -2, NB_FLOAT64, axis, NULL);
        CHECK_NAME(y.op, "one_hot");
        checks_++;
        nb_shape ys = nb_output_shape(y);
        if (ys.rank != 3 || memcmp(ys.dims, od, sizeof od)) FAILF("axis %d: static shape differs", axis);
        EXPECT(g, y, 3, od, want);
        /* the GraphDef carries TF's axis attr */
        nb_graph *g2 = nb_graph_new();
        void *b = NULL;
        size_t n = 0;
        nb_error err;
        CHECK(nb_graph_to_graphdef(g, &b, &n) == NB_OK);
        CHECK(nb_graph_import_graphdef(g2, b, n, NULL, &err) == NB_OK);
        nb_op *o2 = nb_graph_find_op(g2, "one_hot");
        CHECK(o2 != NULL);
        if (o2) EXPECT(g2, nb_op_output(o2, 0), 3, od, want);
        free(b);
        nb_graph_free(g2);
        nb_graph_free(g);
    }
    /* rank 0 indices: axis 0 and -1 both give [depth] */
    nb_graph *g = nb_graph_new();
    EXPECT(g, nb_one_hot_axis(g, nb_constant_i32(g, 2, NULL), 3, 1, 0, NB_INT32, 0, NULL), 1, D(3), V(0, 0, 1));
    /* rank 1, axis 0: [depth, N] */
    EXPECT(g, nb_one_hot_axis(g, cst(g, NB_INT32, 1, D(2), V(1, 0)), 3, 1, 0, NB_FLOAT32, 0, NULL), 2, D(3, 2),
           V(0, 1, 1, 0, 0, 0));
    /* empty indices, axis 0 */
    EXPECT(g, nb_one_hot_axis(g, iota(g, NB_INT32, 1, D(0)), 3, 1, 0, NB_FLOAT32, 0, NULL), 2, D(3, 0), V(0));
    nb_graph_free(g);
}

TEST(one_hot_axis_unknown_dims_and_errors) {
    nb_graph *g = nb_graph_new();
    nb_output p = ph(g, NB_INT32, NB_SHAPE(-1, 2));
    nb_output y = nb_one_hot_axis(g, p, 2, 1, 0, NB_FLOAT32, 1, NULL);
    CHECK_SHAPE(y, "[?,2,2]");
    nb_output u = ph(g, NB_INT32, NB_SHAPE_UNKNOWN_RANK);
    nb_output yu = nb_one_hot_axis(g, u, 2, 1, 0, NB_FLOAT32, 2, NULL);
    CHECK_SHAPE(yu, "<unknown>");
    nb_tensor *v = mk(NB_INT32, 2, D(1, 2), V(1, 0));
    nb_feed f = {p, v};
    /* out[0, d, j] = (idx[0, j] == d) */
    EXPECT_FED(g, y, &f, 1, 3, D(1, 2, 2), V(0, 1, 1, 0));
    nb_feed fu = {u, v};
    EXPECT_FED(g, yu, &fu, 1, 3, D(1, 2, 2), V(0, 1, 1, 0));
    nb_tensor *v1 = mk(NB_INT32, 1, D(2), V(1, 0));
    fu.value = v1;
    CHECK_RUN_ERR(g, yu, &fu, 1, "one_hot_1", "Expected axis to be -1 or between [0, 2).  But received: 2");
    nb_tensor_unref(v);
    nb_tensor_unref(v1);
    nb_graph_free(g);
    g = nb_graph_new();
    nb_one_hot_axis(g, iota(g, NB_INT32, 2, D(2, 2)), 3, 1, 0, NB_FLOAT32, 3, NULL);
    CHECK_GRAPH_ERR(g, "'one_hot'", "Expected axis to be -1 or between [0, 3).  But received: 3");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_one_hot_axis(g, ph(g, NB_INT32, NB_SHAPE_UNKNOWN_RANK), 3, 1, 0, NB_FLOAT32, -2, "oh");
    CHECK_GRAPH_ERR(g, "'oh'", "axis must be >= -1");
    nb_graph_free(g);
}

/*** Registry coverage ***/

TEST(every_array_op_is_registered) {
    static const int types[] = {
#define NB_OP(e) NBI_OP_##e,
#include "ops/shape.def"
#include "ops/layout.def"
#include "ops/index.def"
#undef NB_OP
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const nbi_opdef *d = nbi_registry[types[i]];
        checks_++;
        if (!d || !d->kernel || !d->type)
            FAILF("op %d of array.def is missing or unnamed", types[i]);
        else if (!d->grad && !(d->flags & NBI_NO_GRAD))
            FAILF("op %s has neither a gradient nor NBI_NO_GRAD", d->type);
    }
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
