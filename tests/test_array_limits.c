/*
 * test_array_limits.c — sizes from user values at the edges of int32/int64
 * (issue 18): paddings, multiples, slice sizes, concat sums, one_hot depth,
 * fill dims, num_segments and range bounds near INT64_MAX must give a clear
 * error (or the exact answer), never a wrapped shape, a heap overflow or a
 * trip through double; Shape/Size with out_type; int64 shape constants.
 * Huge dims are exercised with tensors of zero elements (a dim of 0 beside
 * them), or with address space mapped but never touched, so nothing big is
 * ever allocated.
 */
#include "harness.h"
#include "ops/ops_impl.h"

#include <sys/mman.h>

#define D(...) ((int64_t[]){__VA_ARGS__})

static nb_output i64c(nb_graph *g, int rank, const int64_t *dims, const int64_t *v) {
    return nb_constant_array(g, NB_INT64, rank, dims, v, NULL);
}
static nb_output i64s(nb_graph *g, int64_t v) { return i64c(g, 0, NULL, &v); }

static char msg[4096];
/* Runs y; returns its value (new reference) or NULL with the message in msg. */
static nb_tensor *run(nb_graph *g, nb_output y, const nb_feed *f, int nf, nb_status *st) {
    msg[0] = 0;
    if (nb_graph_status(g) != NB_OK) {
        snprintf(msg, sizeof msg, "graph error: %s", nb_graph_errmsg(g));
        *st = nb_graph_status(g);
        return NULL;
    }
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, y, f, nf);
    *st = t ? NB_OK : nb_session_status(s);
    snprintf(msg, sizeof msg, "%s", nb_session_errmsg(s));
    nb_session_free(s);
    return t;
}

#define CHECK_RUN_FAILS(g, y, f, nf, code, text)                                        \
    do {                                                                                \
        nb_status st_;                                                                  \
        nb_tensor *t_ = run(g, y, f, nf, &st_);                                         \
        checks_++;                                                                      \
        if (t_) FAILF("expected a run-time error (%s)", text);                          \
        else if (st_ != (code)) FAILF("status %s, expected %s: %s", nb_status_string(st_), \
                                      nb_status_string(code), msg);                     \
        CHECK_STR_CONTAINS(msg, text);                                                  \
        nb_tensor_unref(t_);                                                            \
    } while (0)

#define CHECK_GRAPH_FAILS(g, text, node)                                                \
    do {                                                                                \
        checks_++;                                                                      \
        if (nb_graph_status(g) == NB_OK) FAILF("expected a graph error (%s)", text);    \
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), text);                                   \
        CHECK_STR_CONTAINS(nb_graph_errmsg(g), node);                                   \
    } while (0)

static bool dims_are(nb_shape s, int rank, const int64_t *dims) {
    if (s.rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (s.dims[i] != dims[i]) return false;
    return true;
}
static bool tdims_are(const nb_tensor *t, int rank, const int64_t *dims) {
    return t && nb_tensor_rank(t) == rank &&
           (rank == 0 || !memcmp(nb_tensor_dims(t), dims, sizeof(int64_t) * (size_t)rank));
}

/* A float tensor with no elements and the given dims (one of them 0). */
static nb_tensor *empty(int rank, const int64_t *dims) { return nb_tensor_new(NB_FLOAT32, rank, dims, NULL); }

/*** Pad ***/

TEST(pad_paddings_near_int64_max_at_build) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_zeros(g, NB_FLOAT32, nb_shape_make(1, D(3)), "x");
    nb_pad(g, x, D(INT64_MAX, 0), 1, "P");
    CHECK_GRAPH_FAILS(g, "Dimension size overflow from adding 9223372036854775807, 3 and 0", "'P'");
    nb_graph_free(g);
}

/* Before: 3 + MAX + MAX wrapped to 1 and the kernel wrote 3 floats at offset MAX. */
TEST(pad_paddings_near_int64_max_at_run) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output p = nb_placeholder(g, NB_INT64, nb_shape_make(2, D(-1, 2)), "p");
    nb_output y = nbi_binary(g, NBI_OP_PAD, x, p, "P", NULL);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 1, D(3), NULL);
    nb_tensor *pv = nb_tensor_new(NB_INT64, 2, D(1, 2), D(INT64_MAX, INT64_MAX));
    nb_feed f[2] = {{x, xv}, {p, pv}};
    CHECK_RUN_FAILS(g, y, f, 2, NB_ERR_INVALID_ARGUMENT,
                    "Dimension size overflow from adding 9223372036854775807, 3 and 9223372036854775807");
    CHECK_STR_CONTAINS(msg, "{{node P");
    /* a legal huge pad of an empty tensor is exact: [0, 1] padded by (MAX-1, 1) in dim 0 */
    nb_tensor *xe = empty(2, D(0, 1));
    nb_tensor *pe = nb_tensor_new(NB_INT64, 2, D(2, 2), D(INT64_MAX - 2, 1, 0, 0));
    nb_feed fe[2] = {{x, xe}, {p, pe}};
    nb_status st;
    /* [MAX-1, 1] floats cannot be allocated: out of memory, said plainly */
    CHECK_RUN_FAILS(g, y, fe, 2, NB_ERR_OUT_OF_MEMORY,
                    "OOM when allocating tensor with shape[9223372036854775806,1] and type float");
    nb_tensor *pz = nb_tensor_new(NB_INT64, 2, D(2, 2), D(INT64_MAX - 2, 1, 0, 0));
    nb_tensor *xz = empty(2, D(0, 0));
    nb_feed fz[2] = {{x, xz}, {p, pz}};
    nb_tensor *t = run(g, y, fz, 2, &st);
    CHECK(tdims_are(t, 2, D(INT64_MAX - 1, 0)));
    nb_tensor_unref(t);
    nb_tensor_unref(xv); nb_tensor_unref(pv); nb_tensor_unref(xe); nb_tensor_unref(pe);
    nb_tensor_unref(xz); nb_tensor_unref(pz);
    nb_graph_free(g);
}

/*** A GraphDef written by hand (field numbers of tensorboard-format.md) ***/

typedef struct pb {
    unsigned char b[4096];
    size_t n;
} pb;
static void pb_varint(pb *o, uint64_t v) {
    for (; v >= 0x80; v >>= 7) o->b[o->n++] = (unsigned char)(v | 0x80);
    o->b[o->n++] = (unsigned char)v;
}
static void pb_len(pb *o, int field, const void *d, size_t n) {
    pb_varint(o, (uint64_t)field << 3 | 2);
    pb_varint(o, n);
    memcpy(o->b + o->n, d, n);
    o->n += n;
}
static void pb_str(pb *o, int field, const char *s) { pb_len(o, field, s, strlen(s)); }
static void pb_sub(pb *o, int field, const pb *m) { pb_len(o, field, m->b, m->n); }
static void pb_int(pb *o, int field, int64_t v) {
    pb_varint(o, (uint64_t)field << 3);
    pb_varint(o, (uint64_t)v);
}
static void pb_attr(pb *node, const char *key, const pb *val) {
    pb e = {.n = 0};
    pb_str(&e, 1, key);
    pb_sub(&e, 2, val);
    pb_sub(node, 5, &e);
}
static void pb_attr_type(pb *node, const char *key, int dt) {
    pb v = {.n = 0};
    pb_int(&v, 6, dt);
    pb_attr(node, key, &v);
}
/* A Const node holding an int64 (dt 9) or float (dt 1) tensor of dims with values v. */
static void pb_const(pb *gd, const char *name, int dt, int rank, const int64_t *dims, const int64_t *v, int n) {
    pb nd = {.n = 0}, t = {.n = 0}, sh = {.n = 0}, val = {.n = 0};
    pb_str(&nd, 1, name);
    pb_str(&nd, 2, "Const");
    pb_int(&t, 1, dt);
    for (int i = 0; i < rank; i++) {
        pb d = {.n = 0};
        pb_int(&d, 1, dims[i]);
        pb_sub(&sh, 2, &d);
    }
    pb_sub(&t, 2, &sh);
    for (int i = 0; i < n; i++) pb_int(&t, dt == 9 ? 10 : 7, v[i]);
    pb_sub(&val, 8, &t);
    pb_attr(&nd, "value", &val);
    pb_attr_type(&nd, "dtype", dt);
    pb_sub(gd, 1, &nd);
}
static void pb_op(pb *gd, const char *name, const char *op, const char *in0, const char *in1) {
    pb nd = {.n = 0};
    pb_str(&nd, 1, name);
    pb_str(&nd, 2, op);
    if (in0) pb_str(&nd, 3, in0);
    if (in1) pb_str(&nd, 3, in1);
    pb_attr_type(&nd, "T", 1);
    pb_sub(gd, 1, &nd);
}

/* The issue's model: a Pad node whose paddings are near INT64_MAX. */
TEST(pad_overflow_from_a_graphdef) {
    pb gd = {.n = 0};
    pb_const(&gd, "x", 3, 1, D(3), D(1, 2, 3), 3); /* int32 [3] */
    pb_const(&gd, "paddings", 9, 2, D(1, 2), D(INT64_MAX, 0), 2);
    pb_op(&gd, "Pad", "Pad", "x", "paddings");
    nb_graph *g = nb_graph_new();
    nb_error err;
    nb_status st = nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err);
    CHECK(st == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "node 'Pad'");
    CHECK_STR_CONTAINS(err.message, "Dimension size overflow from adding 9223372036854775807, 3 and 0");
    nb_graph_free(g);
}

/* Shape's out_type travels through a GraphDef (TF's attr), and a bad one is refused. */
TEST(shape_out_type_from_a_graphdef) {
    pb gd = {.n = 0};
    pb_const(&gd, "x", 3, 2, D(3000000000LL, 0), NULL, 0);
    pb nd = {.n = 0};
    pb_str(&nd, 1, "S");
    pb_str(&nd, 2, "Shape");
    pb_str(&nd, 3, "x");
    pb_attr_type(&nd, "T", 3);
    pb_attr_type(&nd, "out_type", 9);
    pb_sub(&gd, 1, &nd);
    nb_graph *g = nb_graph_new();
    nb_error err;
    CHECK(nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err) == NB_OK);
    nb_op *s = nb_graph_find_op(g, "S");
    CHECK(s != NULL);
    if (s) {
        nb_output o = {s, 0};
        CHECK(nb_output_dtype(o) == NB_INT64);
        nb_status rs;
        nb_tensor *t = run(g, o, NULL, 0, &rs);
        CHECK(t && nb_tensor_dtype(t) == NB_INT64 && ((int64_t *)nb_tensor_data(t))[0] == 3000000000LL);
        nb_tensor_unref(t);
        /* export and import again: still int64 */
        void *bytes = NULL;
        size_t len = 0;
        CHECK(nb_graph_to_graphdef(g, &bytes, &len) == NB_OK);
        nb_graph *g2 = nb_graph_new();
        CHECK(nb_graph_import_graphdef(g2, bytes, len, NULL, &err) == NB_OK);
        nb_op *s2 = nb_graph_find_op(g2, "S");
        CHECK(s2 && nb_output_dtype((nb_output){s2, 0}) == NB_INT64);
        nb_graph_free(g2);
        free(bytes);
    }
    nb_graph_free(g);
    /* out_type float is not allowed */
    pb gb = {.n = 0};
    pb_const(&gb, "x", 3, 1, D(1), D(7), 1);
    pb nb = {.n = 0};
    pb_str(&nb, 1, "S");
    pb_str(&nb, 2, "Size");
    pb_str(&nb, 3, "x");
    pb_attr_type(&nb, "T", 3);
    pb_attr_type(&nb, "out_type", 1);
    pb_sub(&gb, 1, &nb);
    g = nb_graph_new();
    CHECK(nb_graph_import_graphdef(g, gb.b, gb.n, NULL, &err) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "node 'S' (op: 'Size'): attr 'out_type' must be int32 or int64");
    nb_graph_free(g);
}

/*** Tile and reshape: multiples and dims above 2^31-1 ***/

TEST(tile_multiples_overflow) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_zeros(g, NB_FLOAT32, nb_shape_make(1, D(3)), "x");
    nb_tile(g, x, D(INT64_MAX / 2), 1, "T");
    CHECK_GRAPH_FAILS(g, "Negative dimension size caused by overflow when multiplying 3 and 4611686018427387903", "'T'");
    nb_graph_free(g);
    /* at run time: multiples fed, the input's shape unknown until then */
    g = nb_graph_new();
    nb_output xp = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output m = nb_placeholder(g, NB_INT64, nb_shape_make(1, D(-1)), "m");
    nb_output y = nbi_binary(g, NBI_OP_TILE, xp, m, "T", NULL);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 1, D(3), NULL);
    nb_tensor *mv = nb_tensor_new(NB_INT64, 1, D(1), D(INT64_MAX / 2));
    nb_feed f[2] = {{xp, xv}, {m, mv}};
    CHECK_RUN_FAILS(g, y, f, 2, NB_ERR_INVALID_ARGUMENT,
                    "Negative dimension size caused by overflow when multiplying 3 and 4611686018427387903");
    /* dims that fit each alone but not together: [2^32, 2^32] */
    nb_tensor *x2 = nb_tensor_new(NB_FLOAT32, 2, D(1, 1), NULL);
    nb_tensor *m2 = nb_tensor_new(NB_INT64, 1, D(2), D(1LL << 32, 1LL << 32));
    nb_feed f2[2] = {{xp, x2}, {m, m2}};
    CHECK_RUN_FAILS(g, y, f2, 2, NB_ERR_INVALID_ARGUMENT,
                    "Encountered overflow when multiplying 4294967296 with 4294967296, result: -1");
    nb_tensor_unref(xv); nb_tensor_unref(mv); nb_tensor_unref(x2); nb_tensor_unref(m2);
    nb_graph_free(g);
}

/* Before: the multiples were an int32 Const and 3000000000 became 2147483647. */
TEST(tile_and_reshape_keep_int64_values) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_zeros(g, NB_FLOAT32, nb_shape_make(2, D(1, 0)), "x");
    nb_output t = nb_tile(g, x, D(3000000000LL, 5), 2, "T");
    nb_output r = nb_reshape(g, x, 3, D(3000000000LL, 0, 7), "R");
    CHECK(dims_are(nb_output_shape(t), 2, D(3000000000LL, 0)));
    CHECK(dims_are(nb_output_shape(r), 3, D(3000000000LL, 0, 7)));
    nb_op *mc = nb_graph_find_op(g, "T/multiples");
    CHECK(mc && nb_output_dtype((nb_output){mc, 0}) == NB_INT64);
    nb_status st;
    nb_tensor *tv = run(g, t, NULL, 0, &st);
    CHECK(tdims_are(tv, 2, D(3000000000LL, 0)));
    nb_tensor *rv = run(g, r, NULL, 0, &st);
    CHECK(tdims_are(rv, 3, D(3000000000LL, 0, 7)));
    nb_tensor_unref(tv);
    nb_tensor_unref(rv);
    /* small values stay int32, as TF's */
    nb_tile(g, x, D(2, 3), 2, "T2");
    nb_op *m2 = nb_graph_find_op(g, "T2/multiples");
    CHECK(m2 && nb_output_dtype((nb_output){m2, 0}) == NB_INT32);
    CHECK_GRAPH_OK(g);
    nb_graph_free(g);
}

/* Reshape's kernel read the shape through a double: 2^53 + 1 became 2^53. */
TEST(reshape_reads_int64_shape_exactly) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output s = nb_placeholder(g, NB_INT64, nb_shape_make(1, D(2)), "s");
    nb_output y = nb_reshape_t(g, x, s, "R");
    nb_tensor *xv = empty(1, D(0));
    nb_tensor *sv = nb_tensor_new(NB_INT64, 1, D(2), D((1LL << 53) + 1, 0));
    nb_feed f[2] = {{x, xv}, {s, sv}};
    nb_status st;
    nb_tensor *t = run(g, y, f, 2, &st);
    CHECK(tdims_are(t, 2, D((1LL << 53) + 1, 0)));
    nb_tensor_unref(t);
    nb_tensor_unref(xv);
    nb_tensor_unref(sv);
    nb_graph_free(g);
}

/*** Slice ***/

TEST(slice_size_near_int64_max) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_zeros(g, NB_FLOAT32, nb_shape_make(1, D(4)), "x");
    nb_slice(g, x, D(2), D(INT64_MAX), 1, "S");
    CHECK_GRAPH_FAILS(g, "Expected size[0] in [0, 2], but got 9223372036854775807", "'S'");
    nb_graph_free(g);
    /* at run time (begin + size overflowed int64 before) */
    g = nb_graph_new();
    nb_output xp = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output b = nb_placeholder(g, NB_INT64, nb_shape_make(1, D(1)), "b");
    nb_output s = nb_placeholder(g, NB_INT64, nb_shape_make(1, D(1)), "s");
    nb_output y = nbi_op_finish(nbi_op_new(g, NBI_OP_SLICE, "S", NULL, (nb_output[]){xp, b, s}, 3));
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 1, D(4), NULL);
    nb_tensor *bv = nb_tensor_new(NB_INT64, 1, D(1), D(2));
    nb_tensor *sv = nb_tensor_new(NB_INT64, 1, D(1), D(INT64_MAX));
    nb_feed f[3] = {{xp, xv}, {b, bv}, {s, sv}};
    CHECK_RUN_FAILS(g, y, f, 3, NB_ERR_INVALID_ARGUMENT, "Expected size[0] in [0, 2], but got 9223372036854775807");
    /* a begin of INT64_MIN with size -1 */
    nb_tensor *bm = nb_tensor_new(NB_INT64, 1, D(1), D(INT64_MIN));
    nb_tensor *sm = nb_tensor_new(NB_INT64, 1, D(1), D(-1));
    nb_feed fm[3] = {{xp, xv}, {b, bm}, {s, sm}};
    CHECK_RUN_FAILS(g, y, fm, 3, NB_ERR_INVALID_ARGUMENT, "Expected begin[0] in [0, 4], but got -9223372036854775808");
    nb_tensor_unref(xv); nb_tensor_unref(bv); nb_tensor_unref(sv); nb_tensor_unref(bm); nb_tensor_unref(sm);
    nb_graph_free(g);
}

/*** Concat sums ***/

TEST(concat_sum_overflow) {
    int64_t half = (int64_t)1 << 62;
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT32, nb_shape_make(2, D(half, 0)), "a");
    nb_output xs[2] = {a, a};
    nb_concat(g, xs, 2, 0, "C");
    CHECK_GRAPH_FAILS(g, "Dimension size overflow from adding 4611686018427387904 and 4611686018427387904", "'C'");
    nb_graph_free(g);
    /* at run time, with tensors of zero elements */
    g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "p");
    nb_output ps[2] = {p, p};
    nb_output c = nb_concat(g, ps, 2, 0, "C");
    nb_tensor *v = empty(2, D(half, 0));
    nb_feed f = {p, v};
    CHECK_RUN_FAILS(g, c, &f, 1, NB_ERR_INVALID_ARGUMENT,
                    "Dimension size overflow from adding 4611686018427387904 and 4611686018427387904");
    /* just below the limit it is exact */
    nb_tensor *w = empty(2, D(half - 1, 0));
    nb_feed fw = {p, w};
    nb_status st;
    nb_tensor *t = run(g, c, &fw, 1, &st);
    CHECK(tdims_are(t, 2, D(2 * (half - 1), 0)));
    nb_tensor_unref(t);
    nb_tensor_unref(v);
    nb_tensor_unref(w);
    nb_graph_free(g);
}

/*** one_hot depth, fill dims, random shapes, zeros ***/

TEST(one_hot_depth_overflow) {
    nb_graph *g = nb_graph_new();
    nb_output ix = nb_constant_array(g, NB_INT32, 1, D(2), (int32_t[]){0, 1}, "ix");
    nb_output y = nb_one_hot(g, ix, INT64_MAX, 1, 0, NB_FLOAT32, "H");
    CHECK(dims_are(nb_output_shape(y), 2, D(2, INT64_MAX)));
    CHECK_RUN_FAILS(g, y, NULL, 0, NB_ERR_INVALID_ARGUMENT,
                    "Encountered overflow when multiplying 2 with 9223372036854775807, result: -1");
    nb_graph_free(g);
}

TEST(fill_dims_overflow_and_exact) {
    nb_graph *g = nb_graph_new();
    nb_output y = nb_fill(g, i64c(g, 1, D(2), D(1LL << 40, 1LL << 40)), nb_constant_f32(g, 1, NULL), "F");
    CHECK_RUN_FAILS(g, y, NULL, 0, NB_ERR_INVALID_ARGUMENT,
                    "Encountered overflow when multiplying 1099511627776 with 1099511627776, result: -1");
    /* 2^53 + 1 survives, in the static shape and at run time */
    nb_output z = nb_fill(g, i64c(g, 1, D(2), D((1LL << 53) + 1, 0)), nb_constant_f32(g, 1, NULL), "F2");
    CHECK(dims_are(nb_output_shape(z), 2, D((1LL << 53) + 1, 0)));
    nb_status st;
    nb_tensor *t = run(g, z, NULL, 0, &st);
    CHECK(tdims_are(t, 2, D((1LL << 53) + 1, 0)));
    nb_tensor_unref(t);
    /* far too many bytes, though the count fits int64 */
    nb_output w = nb_fill(g, i64c(g, 1, D(1), D(INT64_MAX)), nb_constant_f32(g, 1, NULL), "F3");
    CHECK_RUN_FAILS(g, w, NULL, 0, NB_ERR_OUT_OF_MEMORY,
                    "OOM when allocating tensor with shape[9223372036854775807] and type float");
    nb_graph_free(g);
}

TEST(random_and_zeros_shape_overflow) {
    nb_graph *g = nb_graph_new();
    nb_output r = nb_random_uniform(g, NB_FLOAT32, nb_shape_make(2, D(1LL << 40, 1LL << 40)), 0, 1, 1, "U");
    CHECK_GRAPH_OK(g);
    CHECK_RUN_FAILS(g, r, NULL, 0, NB_ERR_INVALID_ARGUMENT,
                    "Encountered overflow when multiplying 1099511627776 with 1099511627776, result: -1");
    nb_zeros(g, NB_FLOAT32, nb_shape_make(2, D(1LL << 40, 1LL << 40)), "Z");
    CHECK_GRAPH_FAILS(g, "zeros: Encountered overflow when multiplying 1099511627776 with 1099511627776", "zeros");
    nb_graph_free(g);
}

/*** num_segments and other int64 constants read exactly ***/

/* Before: num_segments went through a double: 2^63-1 became -2^63 (and UBSan
 * reported the float-cast-overflow). */
TEST(unsorted_segment_sum_num_segments_int64_max) {
    nb_graph *g = nb_graph_new();
    nb_output data = nb_constant_array(g, NB_FLOAT32, 1, D(2), (float[]){1, 2}, "d");
    nb_output ids = nb_constant_array(g, NB_INT32, 1, D(2), (int32_t[]){0, 1}, "i");
    nb_output y = nb_unsorted_segment_sum(g, data, ids, i64s(g, INT64_MAX), "U");
    CHECK_GRAPH_OK(g);
    CHECK(dims_are(nb_output_shape(y), 1, D(INT64_MAX)));
    CHECK_RUN_FAILS(g, y, NULL, 0, NB_ERR_OUT_OF_MEMORY,
                    "OOM when allocating tensor with shape[9223372036854775807] and type float");
    /* 2^53 + 1 segments of [0] rows: exact */
    nb_output d0 = nb_zeros(g, NB_FLOAT32, nb_shape_make(2, D(2, 0)), "d0");
    nb_output y0 = nb_unsorted_segment_sum(g, d0, ids, i64s(g, (1LL << 53) + 1), "U0");
    nb_status st;
    nb_tensor *t = run(g, y0, NULL, 0, &st);
    CHECK(tdims_are(t, 2, D((1LL << 53) + 1, 0)));
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(expand_dims_axis_int64_extremes) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_zeros(g, NB_FLOAT32, nb_shape_make(1, D(2)), "x");
    nbi_binary(g, NBI_OP_EXPAND_DIMS, x, i64s(g, INT64_MAX), "E", NULL);
    CHECK_GRAPH_FAILS(g, "Tried to expand dim index 9223372036854775807 for tensor with 1 dimensions", "'E'");
    nb_graph_free(g);
    g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "p");
    nb_output a = nb_placeholder(g, NB_INT64, nb_shape_make(0, NULL), "a");
    nb_output y = nbi_binary(g, NBI_OP_EXPAND_DIMS, p, a, "E", NULL);
    nb_tensor *pv = nb_tensor_new(NB_FLOAT32, 1, D(2), NULL);
    nb_tensor *av = nb_tensor_scalar(NB_INT64, 0);
    ((int64_t *)nb_tensor_data(av))[0] = INT64_MIN;
    nb_feed f[2] = {{p, pv}, {a, av}};
    CHECK_RUN_FAILS(g, y, f, 2, NB_ERR_INVALID_ARGUMENT,
                    "Tried to expand dim index -9223372036854775808 for tensor with 1 dimensions");
    nb_tensor_unref(pv);
    nb_tensor_unref(av);
    nb_graph_free(g);
}

/* AssignAdd on int64 went through double: 2^53 + 1 became 2^53. */
TEST(assign_add_int64_exact) {
    nb_graph *g = nb_graph_new();
    nb_output v = nb_variable(g, i64s(g, 1LL << 53), "v");
    nb_output up = nb_assign_add(g, v, i64s(g, 1), "up");
    nb_output init = nb_global_variables_initializer(g);
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    CHECK(nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
    nb_tensor *t = nb_session_eval(s, up, NULL, 0);
    CHECK(t && ((int64_t *)nb_tensor_data(t))[0] == (1LL << 53) + 1);
    nb_tensor_unref(t);
    nb_session_free(s);
    nb_graph_free(g);
}

/*** range in integer arithmetic ***/

static void check_range(int64_t start, int64_t limit, int64_t delta, int n, const int64_t *want) {
    nb_graph *g = nb_graph_new();
    nb_output r = nb_range(g, i64s(g, start), i64s(g, limit), i64s(g, delta), NULL);
    nb_status st;
    nb_tensor *t = run(g, r, NULL, 0, &st);
    checks_++;
    if (!t) {
        FAILF("range(%lld, %lld, %lld): %s", (long long)start, (long long)limit, (long long)delta, msg);
    } else if (nb_tensor_size(t) != n) {
        FAILF("range(%lld, %lld, %lld) has %lld elements, expected %d", (long long)start, (long long)limit,
              (long long)delta, (long long)nb_tensor_size(t), n);
    } else {
        const int64_t *v = nb_tensor_data(t);
        for (int i = 0; i < n; i++)
            if (v[i] != want[i])
                FAILF("range(%lld, %lld, %lld)[%d] = %lld, expected %lld", (long long)start, (long long)limit,
                      (long long)delta, i, (long long)v[i], (long long)want[i]);
    }
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(range_int64_exact) {
    int64_t p53 = 1LL << 53;
    check_range(p53, p53 + 4, 1, 4, D(p53, p53 + 1, p53 + 2, p53 + 3));
    int64_t big = 1700000000000000000LL;
    check_range(big, big + 3, 1, 3, D(big, big + 1, big + 2));
    check_range(big + 3, big, -2, 2, D(big + 3, big + 1));
    /* the whole int64 line in steps of 2^62: the span 2^64-1 does not fit int64 */
    int64_t q = 1LL << 62;
    check_range(INT64_MIN, INT64_MAX, q, 4, D(INT64_MIN, INT64_MIN + q, 0, q));
    check_range(INT64_MAX, INT64_MIN, INT64_MIN, 2, D(INT64_MAX, -1));
    check_range(5, -5, -3, 4, D(5, 2, -1, -4));
    check_range(7, 7, 3, 0, NULL);
    /* int32 too */
    nb_graph *g = nb_graph_new();
    nb_output r = nb_range(g, nb_constant_i32(g, INT32_MIN, NULL), nb_constant_i32(g, INT32_MAX, NULL),
                           nb_constant_i32(g, INT32_MAX, NULL), NULL);
    nb_status st;
    nb_tensor *t = run(g, r, NULL, 0, &st);
    CHECK(t && nb_tensor_size(t) == 3);
    if (t && nb_tensor_size(t) == 3) {
        const int32_t *v = nb_tensor_data(t);
        CHECK(v[0] == INT32_MIN && v[1] == -1 && v[2] == INT32_MAX - 1);
    }
    nb_tensor_unref(t);
    nb_graph_free(g);
}

TEST(range_int64_bad_and_huge) {
    nb_graph *g = nb_graph_new();
    nb_output r = nb_range(g, i64s(g, 0), i64s(g, INT64_MAX), i64s(g, 1), "R");
    CHECK_RUN_FAILS(g, r, NULL, 0, NB_ERR_INVALID_ARGUMENT, "Range of 9223372036854775807 elements is too large");
    nb_output r2 = nb_range(g, i64s(g, 0), i64s(g, 5), i64s(g, 0), "R2");
    CHECK_RUN_FAILS(g, r2, NULL, 0, NB_ERR_INVALID_ARGUMENT, "Requires delta != 0: 0");
    nb_output r3 = nb_range(g, i64s(g, 9007199254740993LL), i64s(g, 0), i64s(g, 1), "R3");
    CHECK_RUN_FAILS(g, r3, NULL, 0, NB_ERR_INVALID_ARGUMENT,
                    "Requires start <= limit when delta > 0 (or >= when delta < 0): 9007199254740993/0");
    nb_graph_free(g);
}

/*** Shape and Size with out_type ***/

static void unmap(void *data, size_t nbytes, void *ctx) {
    (void)ctx;
    munmap(data, nbytes);
}

TEST(shape_out_type_int32_refuses_big_dims) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "x");
    nb_output s32 = nb_shape_of(g, x, "S32");
    nb_output s64 = nb_shape_of_ex(g, x, NB_INT64, "S64");
    nb_output z32 = nb_size_ex(g, x, NB_INT32, "Z32");
    CHECK(nb_output_dtype(s32) == NB_INT32 && nb_output_dtype(s64) == NB_INT64);
    nb_tensor *v = empty(2, D(3000000000LL, 0));
    nb_feed f = {x, v};
    CHECK_RUN_FAILS(g, s32, &f, 1, NB_ERR_INVALID_ARGUMENT, "Shape output type is 32-bit  but dim 0 is 3000000000");
    nb_status st;
    nb_tensor *t = run(g, s64, &f, 1, &st);
    CHECK(t && nb_tensor_dtype(t) == NB_INT64 && nb_tensor_size(t) == 2);
    if (t) CHECK(((int64_t *)nb_tensor_data(t))[0] == 3000000000LL && ((int64_t *)nb_tensor_data(t))[1] == 0);
    nb_tensor_unref(t);
    t = run(g, z32, &f, 1, &st); /* 0 elements: int32 holds it */
    CHECK(t && ((int32_t *)nb_tensor_data(t))[0] == 0);
    nb_tensor_unref(t);
    /* 2^31-1 fits int32 */
    nb_tensor *v2 = empty(2, D(INT32_MAX, 0));
    nb_feed f2 = {x, v2};
    t = run(g, s32, &f2, 1, &st);
    CHECK(t && ((int32_t *)nb_tensor_data(t))[0] == INT32_MAX);
    nb_tensor_unref(t);
    nb_tensor_unref(v);
    nb_tensor_unref(v2);
    nb_shape_of_ex(g, x, NB_FLOAT32, "bad");
    CHECK_GRAPH_FAILS(g, "Value for attr 'out_type' of float is not in the list of allowed values: int32, int64",
                      "nb_shape_of_ex");
    nb_graph_free(g);
}

/* More than 2^31-1 elements: 2^31 + 5 bytes of address space, mapped but never
 * touched (Size does not read the data). Before: Size returned -2147483643. */
TEST(size_out_type_int32_refuses_big_counts) {
    int64_t n = (1LL << 31) + 5;
    void *mem = mmap(NULL, (size_t)n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
        checks_++;
        FAILF("mmap of %lld bytes failed", (long long)n);
        return;
    }
    nb_tensor *v = nb_tensor_wrap(NB_UINT8, 1, &n, mem, (size_t)n, unmap, NULL);
    CHECK(v != NULL);
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_UINT8, nb_shape_make(1, D(-1)), "x");
    nb_output z32 = nb_size(g, x, "Z32");
    nb_output z64 = nb_size_ex(g, x, NB_INT64, "Z64");
    nb_output s32 = nb_shape_of(g, x, "S32");
    nb_feed f = {x, v};
    CHECK_RUN_FAILS(g, z32, &f, 1, NB_ERR_INVALID_ARGUMENT,
                    "Number of elements was larger than representable by 32-bit output type");
    CHECK_RUN_FAILS(g, s32, &f, 1, NB_ERR_INVALID_ARGUMENT, "Shape output type is 32-bit  but dim 0 is 2147483653");
    nb_status st;
    nb_tensor *t = run(g, z64, &f, 1, &st);
    CHECK(t && nb_tensor_dtype(t) == NB_INT64 && ((int64_t *)nb_tensor_data(t))[0] == n);
    nb_tensor_unref(t);
    nb_tensor_unref(v);
    nb_graph_free(g);
}

/* Found by fuzz_graphdef: fetching a variable never assigned returned OK and NULL. */
TEST(fetch_of_an_uninitialized_variable_fails) {
    nb_graph *g = nb_graph_new();
    nb_output v = nb_variable(g, nb_constant_f32(g, 1, NULL), "w");
    nb_output raw = {nb_variable_op(v), 0};
    CHECK_GRAPH_OK(g);
    CHECK_RUN_FAILS(g, raw, NULL, 0, NB_ERR_FAILED_PRECONDITION, "Attempting to use uninitialized value w");
    CHECK_RUN_FAILS(g, v, NULL, 0, NB_ERR_FAILED_PRECONDITION, "Attempting to use uninitialized value w");
    nb_graph_free(g);
}

/* Found by fuzz_graphdef: an Assign whose ref is a Const dereferenced NULL at run time. */
TEST(assign_to_a_non_variable_from_a_graphdef) {
    pb gd = {.n = 0};
    pb_const(&gd, "c", 3, 0, NULL, D(1), 1);
    pb_const(&gd, "v", 3, 0, NULL, D(2), 1);
    pb nd = {.n = 0};
    pb_str(&nd, 1, "Assign");
    pb_str(&nd, 2, "Assign");
    pb_str(&nd, 3, "c");
    pb_str(&nd, 3, "v");
    pb_attr_type(&nd, "T", 3);
    pb_sub(&gd, 1, &nd);
    nb_graph *g = nb_graph_new();
    nb_error err;
    CHECK(nb_graph_import_graphdef(g, gd.b, gd.n, "imp", &err) == NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "Input 0 of node imp/Assign was passed int32 from imp/c:0 incompatible with expected int32_ref.");
    nb_graph_free(g);
}

/* Found by fuzz_graph: the gradient of a gather from params of shape [3, 2, 2^63-1]
 * multiplied the dims in int64 (UBSan: signed overflow). */
TEST(gather_gradient_of_an_impossible_shape) {
    nb_graph *g = nb_graph_new();
    nb_output p = nb_placeholder(g, NB_FLOAT32, nb_shape_make(3, D(3, 2, INT64_MAX)), "p");
    nb_output y = nb_gather(g, p, nb_constant_i32(g, 0, NULL), 0, "G");
    nb_output l = nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, NULL);
    nb_output dp;
    nb_gradients(g, &l, 1, &p, 1, NULL, &dp);
    CHECK_GRAPH_FAILS(g, "Encountered overflow when multiplying 6 with 9223372036854775807, result: -1", "'G'");
    nb_graph_free(g);
}

/* Found by fuzz_graph: a batch matmul of empty operands with a huge inner dim
 * ([0, 3, 2^62] x [0, 2^62, 2]) multiplied 3 * 2^62 in int64 (UBSan). */
TEST(batch_matmul_of_empty_operands_with_huge_dims) {
    int64_t q = (int64_t)1 << 62;
    nb_graph *g = nb_graph_new();
    nb_output a = nb_placeholder(g, NB_FLOAT32, nb_shape_make(3, D(-1, -1, -1)), "a");
    nb_output b = nb_placeholder(g, NB_FLOAT32, nb_shape_make(3, D(-1, -1, -1)), "b");
    nb_output y = nb_matmul(g, a, b, false, false, "M");
    nb_tensor *av = empty(3, D(0, 3, q)), *bv = empty(3, D(0, q, 2));
    nb_feed f[2] = {{a, av}, {b, bv}};
    nb_status st;
    nb_tensor *t = run(g, y, f, 2, &st);
    CHECK(tdims_are(t, 3, D(0, 3, 2)));
    if (!t) fprintf(stderr, "  %s\n", msg);
    nb_tensor_unref(t);
    /* [1, 2, 0] x [1, 0, 3]: a sum over nothing is 0 (by hand) */
    nb_tensor *a2 = empty(3, D(1, 2, 0)), *b2 = empty(3, D(1, 0, 3));
    nb_feed f2[2] = {{a, a2}, {b, b2}};
    t = run(g, y, f2, 2, &st);
    CHECK(tdims_are(t, 3, D(1, 2, 3)));
    if (t) for (int i = 0; i < 6; i++) CHECK(((float *)nb_tensor_data(t))[i] == 0.0f);
    nb_tensor_unref(t);
    nb_tensor_unref(av); nb_tensor_unref(bv); nb_tensor_unref(a2); nb_tensor_unref(b2);
    nb_graph_free(g);
}

/* Integer inputs of other kernels read exactly too: a float ArgMax dimension of
 * 1e30 was cast to int64 (undefined; found by fuzz_graphdef), and an int64
 * reduction axis of 2^53 + 1 went through a double. */
TEST(int_inputs_of_other_kernels_read_exactly) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_constant_array(g, NB_FLOAT32, 1, D(2), (float[]){1, 2}, "x");
    nb_output am = nbi_binary(g, NBI_OP_ARG_MAX, x, nb_constant_f32(g, 1e30f, NULL), "A", NULL);
    CHECK_RUN_FAILS(g, am, NULL, 0, NB_ERR_INVALID_ARGUMENT,
                    "Expected dimension in the range [-1, 1), but got 9223372036854775807");
    nb_output ax = nb_placeholder(g, NB_INT64, nb_shape_make(1, D(1)), "ax");
    nb_output rs = nbi_binary(g, NBI_OP_SUM, x, ax, "S", NULL);
    nb_tensor *av = nb_tensor_new(NB_INT64, 1, D(1), D((1LL << 53) + 1));
    nb_feed f = {ax, av};
    CHECK_RUN_FAILS(g, rs, &f, 1, NB_ERR_INVALID_ARGUMENT,
                    "Invalid reduction dimension 9007199254740993 for input with 1 dimensions");
    nb_tensor_unref(av);
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
