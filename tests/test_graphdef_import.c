/*
 * test_graphdef_import.c — GraphDef import: a GraphDef encoded byte by byte
 * from the field numbers of shared/reference/tensorboard-format.md (standing in
 * for one TensorFlow 1.x wrote), export -> import -> export round trips,
 * checkpoints restored into an imported graph, freezing, and bad input.
 */
#include "harness.h"
#include "graph.pb-c.h"

#include <unistd.h>

/*** A tiny protobuf writer ***/

typedef struct buf {
    unsigned char b[8192];
    size_t n;
} buf;

static void put_varint(buf *o, uint64_t v) {
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        o->b[o->n++] = c | (v ? 0x80 : 0);
    } while (v);
}
static void put_key(buf *o, int field, int wt) { put_varint(o, (uint64_t)(field << 3 | wt)); }
static void put_bytes(buf *o, int field, const void *d, size_t n) {
    put_key(o, field, 2);
    put_varint(o, n);
    memcpy(o->b + o->n, d, n);
    o->n += n;
}
static void put_str(buf *o, int field, const char *s) { put_bytes(o, field, s, strlen(s)); }
static void put_msg(buf *o, int field, const buf *m) { put_bytes(o, field, m->b, m->n); }
static void put_int(buf *o, int field, int64_t v) {
    put_key(o, field, 0);
    put_varint(o, (uint64_t)v);
}
static void put_float(buf *o, int field, float f) {
    put_key(o, field, 5);
    memcpy(o->b + o->n, &f, 4);
    o->n += 4;
}

/* TensorShapeProto with dims (-1: unknown). */
static buf shape(int rank, const int64_t *dims) {
    buf s = {.n = 0};
    for (int i = 0; i < rank; i++) {
        buf d = {.n = 0};
        put_int(&d, 1, dims[i]);
        put_msg(&s, 2, &d);
    }
    return s;
}

static void attr(buf *node, const char *key, const buf *value) {
    buf e = {.n = 0};
    put_str(&e, 1, key);
    put_msg(&e, 2, value);
    put_msg(node, 5, &e);
}
static void attr_type(buf *node, const char *key, int dt) {
    buf v = {.n = 0};
    put_int(&v, 6, dt);
    attr(node, key, &v);
}
static void attr_bool(buf *node, const char *key, bool b) {
    buf v = {.n = 0};
    put_int(&v, 5, b);
    attr(node, key, &v);
}

static buf node(const char *name, const char *op, const char **inputs, int n_in) {
    buf n = {.n = 0};
    put_str(&n, 1, name);
    put_str(&n, 2, op);
    for (int i = 0; i < n_in; i++) put_str(&n, 3, inputs[i]);
    return n;
}

/* A TF1-style classifier: relu(matmul(x, W, transpose_b) + b), nodes out of order. */
static size_t tf_graphdef(unsigned char *out, bool bad_attr, const char *matmul_op,
                          const char *relu_input) {
    buf gd = {.n = 0};
    const char *relu_in[] = {relu_input};
    buf relu = node("out", "Relu", relu_in, 1);
    attr_type(&relu, "T", 1);
    put_msg(&gd, 1, &relu);

    buf x = node("x", "Placeholder", NULL, 0);
    attr_type(&x, "dtype", 1);
    int64_t xd[2] = {-1, 3};
    buf xs = shape(2, xd), xv = {.n = 0};
    put_msg(&xv, 7, &xs);
    attr(&x, "shape", &xv);
    put_msg(&gd, 1, &x);

    /* W: [2, 3] from tensor_content */
    buf w = node("W", "Const", NULL, 0);
    attr_type(&w, "dtype", 1);
    float wv[6] = {1, 2, 3, -1, -2, -3};
    int64_t wd[2] = {2, 3};
    buf wt = {.n = 0}, ws = shape(2, wd), wval = {.n = 0};
    put_int(&wt, 1, 1);
    put_msg(&wt, 2, &ws);
    put_bytes(&wt, 4, wv, sizeof wv);
    put_msg(&wval, 8, &wt);
    attr(&w, "value", &wval);
    put_msg(&gd, 1, &w);

    const char *mm_in[] = {"x", "W:0"};
    buf mm = node("MatMul", matmul_op, mm_in, 2);
    attr_type(&mm, "T", 1);
    attr_bool(&mm, "transpose_a", false);
    if (bad_attr) {
        buf v = {.n = 0};
        put_float(&v, 4, 1.0f); /* a float where a bool belongs */
        attr(&mm, "transpose_b", &v);
    } else {
        attr_bool(&mm, "transpose_b", true);
    }
    put_msg(&gd, 1, &mm);

    /* b: [2] as one float_val broadcast (tf.fill / tf.zeros style), packed */
    buf b = node("b", "Const", NULL, 0);
    attr_type(&b, "dtype", 1);
    int64_t bd[1] = {2};
    buf bt = {.n = 0}, bs = shape(1, bd), bval = {.n = 0};
    put_int(&bt, 1, 1);
    put_msg(&bt, 2, &bs);
    float half = 0.5f;
    put_bytes(&bt, 5, &half, 4);
    put_msg(&bval, 8, &bt);
    attr(&b, "value", &bval);
    put_msg(&gd, 1, &b);

    const char *add_in[] = {"MatMul", "b", "^W"};
    buf add = node("add", "Add", add_in, 3);
    attr_type(&add, "T", 1);
    put_msg(&gd, 1, &add);

    buf ver = {.n = 0};
    put_int(&ver, 1, 21);
    put_msg(&gd, 4, &ver);
    memcpy(out, gd.b, gd.n);
    return gd.n;
}

TEST(import_handmade_tf_graphdef) {
    unsigned char gd[8192];
    size_t n = tf_graphdef(gd, false, "MatMul", "add");
    nb_graph *g = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g, gd, n, "import", &err), NB_OK);
    CHECK_GRAPH_OK(g);
    nb_output x = nb_graph_find_output(g, "import/x");
    nb_output out = nb_graph_find_output(g, "import/out");
    CHECK(x.op && out.op);
    if (!x.op || !out.op) goto end;
    nb_shape s = nb_output_shape(out);
    CHECK(s.rank == 2 && s.dims[0] == NB_DIM_UNKNOWN && s.dims[1] == 2);
    float xv[6] = {1, 1, 1, 0.5f, -1, 2};
    int64_t xd[2] = {2, 3};
    nb_tensor *xt = nb_tensor_new(NB_FLOAT32, 2, xd, xv);
    nb_feed f = {x, xt};
    nb_tensor *y = eval1(g, out, &f, 1);
    CHECK(y != NULL);
    if (y) {
        const float *yv = nb_tensor_data_const(y);
        /* row 0: [6, -6] + 0.5 -> relu [6.5, 0]; row 1: [0.5-2+6, -4.5] + 0.5 -> [5, 0] */
        CHECK_NEAR(yv[0], 6.5, 1e-6);
        CHECK_NEAR(yv[1], 0, 1e-6);
        CHECK_NEAR(yv[2], 5.0, 1e-6);
        CHECK_NEAR(yv[3], 0, 1e-6);
    }
    nb_op *add = nb_graph_find_op(g, "import/add");
    CHECK(add && nb_op_num_control_inputs(add) == 1);
    nb_tensor_unref(y);
    nb_tensor_unref(xt);
    /* A second import under the same prefix collides; under another works. */
    nb_graph *g2 = nb_graph_new();
    CHECK_STATUS(nb_graph_import_graphdef(g2, gd, n, NULL, &err), NB_OK);
    CHECK(nb_graph_find_op(g2, "out") != NULL);
    nb_graph_free(g2);
end:
    nb_graph_free(g);
}

/* TF's older variable op, "Variable", is read as VariableV2 (the entry's old_type). */
/* Issue 15: a Placeholder without a shape attr is TF1's default, unknown rank
 * (it imported as a scalar); VariableV2 and PlaceholderWithDefault have no
 * default for shape, so a node without one is an error naming it. */
TEST(import_placeholder_without_shape_is_unknown_rank) {
    buf gd = {.n = 0};
    buf p = node("p", "Placeholder", NULL, 0);
    attr_type(&p, "dtype", 1);
    put_msg(&gd, 1, &p);
    const char *y_in[] = {"p"};
    buf y = node("y", "Relu", y_in, 1);
    attr_type(&y, "T", 1);
    put_msg(&gd, 1, &y);
    nb_graph *g = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err), NB_OK);
    nb_output po = nb_graph_find_output(g, "p:0"), yo = nb_graph_find_output(g, "y:0");
    CHECK(!nb_output_is_nil(po) && !nb_output_is_nil(yo));
    if (!nb_output_is_nil(po) && !nb_output_is_nil(yo)) {
        CHECK(nb_output_shape(po).rank == -1 && nb_output_shape(yo).rank == -1);
        /* feeding a vector and a matrix to the same graph: relu by hand */
        nb_tensor *v1 = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){3}, (float[]){-1, 2, -3});
        nb_tensor *v2 = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){2, 2}, (float[]){4, -5, 0, 6});
        const float w1[3] = {0, 2, 0}, w2[4] = {4, 0, 0, 6};
        nb_session *s = nb_session_new(g);
        nb_tensor *r1 = nb_session_eval(s, yo, &(nb_feed){po, v1}, 1);
        nb_tensor *r2 = nb_session_eval(s, yo, &(nb_feed){po, v2}, 1);
        CHECK(r1 && nb_tensor_rank(r1) == 1 && nb_tensor_size(r1) == 3);
        CHECK(r2 && nb_tensor_rank(r2) == 2 && nb_tensor_size(r2) == 4);
        for (int i = 0; r1 && i < 3; i++) CHECK(nb_tensor_get_flat(r1, i) == w1[i]);
        for (int i = 0; r2 && i < 4; i++) CHECK(nb_tensor_get_flat(r2, i) == w2[i]);
        nb_tensor_unref(r1);
        nb_tensor_unref(r2);
        /* unfed: TF's message without a shape */
        CHECK(nb_session_eval(s, yo, NULL, 0) == NULL);
        CHECK_STR_CONTAINS(nb_session_errmsg(s), "You must feed a value for placeholder tensor 'p' with dtype float\n");
        nb_session_free(s);
        nb_tensor_unref(v1);
        nb_tensor_unref(v2);
    }
    nb_graph_free(g);
    /* no default for the others */
    const char *types[] = {"VariableV2", "PlaceholderWithDefault"};
    for (int i = 0; i < 2; i++) {
        buf gd2 = {.n = 0};
        buf c = node("c", "Const", NULL, 0);
        attr_type(&c, "dtype", 1);
        int64_t one = 1;
        buf ct = {.n = 0}, cs = shape(1, &one), cval = {.n = 0};
        put_int(&ct, 1, 1);
        put_msg(&ct, 2, &cs);
        put_float(&ct, 5, 1.5f);
        put_msg(&cval, 8, &ct);
        attr(&c, "value", &cval);
        put_msg(&gd2, 1, &c);
        const char *in[] = {"c"};
        buf v = node("v", types[i], in, i);
        attr_type(&v, "dtype", 1);
        put_msg(&gd2, 1, &v);
        g = nb_graph_new();
        CHECK_STATUS(nb_graph_import_graphdef(g, gd2.b, gd2.n, NULL, &err), NB_ERR_INVALID_ARGUMENT);
        char want[128];
        snprintf(want, sizeof want, "node 'v' (op: '%s'): attr 'shape' is missing", types[i]);
        CHECK_STR_CONTAINS(err.message, want);
        nb_graph_free(g);
    }
}

TEST(import_takes_the_old_variable_op) {
    nb_graph *g = nb_graph_new();
    nb_variable(g, nb_constant_f32(g, 3, NULL), "v");
    void *bytes = NULL;
    size_t n = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &bytes, &n), NB_OK);
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, n, bytes);
    CHECK(gd != NULL);
    int renamed = 0;
    for (size_t i = 0; gd && i < gd->n_node; i++)
        if (!strcmp(gd->node[i]->op, "VariableV2")) gd->node[i]->op[8] = 0, renamed++; /* "Variable" */
    CHECK(renamed == 1);
    uint8_t packed[4096];
    size_t m = gd && tensorflow__graph_def__get_packed_size(gd) <= sizeof packed ? tensorflow__graph_def__pack(gd, packed) : 0;
    CHECK(m > 0);
    if (gd) tensorflow__graph_def__free_unpacked(gd, NULL);
    free(bytes);
    nb_graph *g2 = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g2, packed, m, NULL, &err), NB_OK);
    nb_op *v = nb_graph_find_op(g2, "v");
    CHECK(v && !strcmp(nb_op_type(v), "VariableV2") && nb_graph_num_variables(g2) == 1);
    nb_session *s = nb_session_new(g2);
    nb_output init = nb_graph_find_output(g2, "v/Assign");
    CHECK(!nb_output_is_nil(init) && nb_session_run(s, NULL, 0, &init, 1, NULL) == NB_OK);
    nb_tensor *t = v ? nb_session_eval(s, nb_op_output(v, 0), NULL, 0) : NULL;
    CHECK(t && nb_tensor_scalar_f64(t) == 3);
    nb_tensor_unref(t);
    nb_session_free(s);
    nb_graph_free(g2);
    nb_graph_free(g);
}

TEST(import_errors_name_the_node) {
    unsigned char gd[8192];
    nb_error err;
    struct {
        bool bad_attr;
        const char *mm, *relu_in, *want;
        nb_status code;
    } cases[] = {
        {true, "MatMul", "add", "'MatMul'", NB_ERR_INVALID_ARGUMENT},
        {false, "FancyMatMul", "add", "'MatMul'", NB_ERR_UNIMPLEMENTED},
        {false, "MatMul", "nowhere", "'out'", NB_ERR_NOT_FOUND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = tf_graphdef(gd, cases[i].bad_attr, cases[i].mm, cases[i].relu_in);
        nb_graph *g = nb_graph_new();
        CHECK_STATUS(nb_graph_import_graphdef(g, gd, n, NULL, &err), cases[i].code);
        CHECK_STR_CONTAINS(err.message, cases[i].want);
        CHECK(nb_graph_status(g) != NB_OK);
        nb_graph_free(g);
    }
    /* A cycle: a -> b -> a. */
    buf c = {.n = 0};
    const char *ia[] = {"b"}, *ib[] = {"a"};
    buf a = node("a", "Relu", ia, 1), b = node("b", "Relu", ib, 1);
    put_msg(&c, 1, &a);
    put_msg(&c, 1, &b);
    nb_graph *g = nb_graph_new();
    CHECK_STATUS(nb_graph_import_graphdef(g, c.b, c.n, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "cycle");
    nb_graph_free(g);
    /* Garbage, and every truncation of a valid GraphDef: errors, never crashes. */
    g = nb_graph_new();
    CHECK_STATUS(nb_graph_import_graphdef(g, "\xff\xff\xff\xff", 4, NULL, &err), NB_ERR_IO);
    nb_graph_free(g);
    size_t n = tf_graphdef(gd, false, "MatMul", "add");
    int ok = 0;
    for (size_t len = 0; len < n; len++) {
        g = nb_graph_new();
        if (nb_graph_import_graphdef(g, gd, len, "p", &err) == NB_OK) ok++;
        nb_graph_free(g);
    }
    CHECK(ok < (int)n);
    for (size_t i = 0; i < n; i++) {
        unsigned char copy[8192];
        memcpy(copy, gd, n);
        copy[i] ^= 0x5a;
        g = nb_graph_new();
        (void)nb_graph_import_graphdef(g, copy, n, NULL, &err);
        nb_graph_free(g);
    }
}

/* A node of a variadic op type that lists no inputs: an error naming the node,
 * never a read of input 0 (Print's shape inference read it: a NULL dereference,
 * found by fuzz/fuzz_graphdef.c). */
TEST(variadic_nodes_without_inputs_are_errors) {
    const char *types[] = {"Print", "AddN", "Pack", "ConcatV2", "MergeSummary"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        buf gd = {.n = 0};
        buf n = node("lonely", types[i], NULL, 0);
        put_msg(&gd, 1, &n);
        nb_graph *g = nb_graph_new();
        nb_error err;
        CHECK(nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err) != NB_OK);
        CHECK_STR_CONTAINS(err.message, "lonely");
        CHECK(nb_graph_status(g) != NB_OK);
        nb_graph_free(g);
    }
    buf gd = {.n = 0};
    buf n = node("p", "Print", NULL, 0);
    put_msg(&gd, 1, &n);
    nb_graph *g = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "Print needs at least one input");
    nb_graph_free(g);
}

/* A Placeholder node of dtype dt and shape [] (rank 0) or [1] (rank 1). */
static buf small_placeholder(const char *name, int dt, int rank) {
    buf p = node(name, "Placeholder", NULL, 0), sv = {.n = 0}, sh = shape(rank, (int64_t[]){1});
    attr_type(&p, "dtype", dt);
    put_msg(&sv, 7, &sh);
    attr(&p, "shape", &sv);
    return p;
}
static void attr_int(buf *node, const char *key, int64_t i) {
    buf v = {.n = 0};
    put_int(&v, 3, i);
    attr(node, key, &v);
}

/* Imports a GraphDef of float [1] a, b, an int32 scalar ax and the node `last`; returns the
 * status, the graph in *out (caller frees). */
static nb_status import_with(const buf *last, nb_graph **out, nb_error *err) {
    buf gd = {.n = 0}, a = small_placeholder("a", 1, 1), b = small_placeholder("b", 1, 1), ax = small_placeholder("ax", 3, 0);
    put_msg(&gd, 1, &a);
    put_msg(&gd, 1, &b);
    put_msg(&gd, 1, &ax);
    put_msg(&gd, 1, last);
    *out = nb_graph_new();
    return nb_graph_import_graphdef(*out, gd.b, gd.n, NULL, err);
}

/* TF's importer checks a list input's length attr (N, num_tensors) against
 * the inputs the NodeDef lists, and rejects a NodeDef without it (no default
 * in TF's OpDefs): a node that disagrees is an error naming it, never a graph
 * whose export says something else than the NodeDef. */
TEST(import_checks_n_against_the_inputs) {
    const char *ab[] = {"a", "b"}, *abx[] = {"a", "b", "ax"};
    nb_graph *g;
    nb_error err;
    /* AddN: N counts the inputs */
    for (int n = 1; n <= 3; n++) {
        buf s = node("s", "AddN", ab, 2);
        attr_type(&s, "T", 1);
        attr_int(&s, "N", n);
        nb_status st = import_with(&s, &g, &err);
        if (n != 2) {
            CHECK_STATUS(st, NB_ERR_INVALID_ARGUMENT);
            char want[128];
            snprintf(want, sizeof want, "node 's' (op: 'AddN'): attr 'N' is %d but the node has 2 inputs; they must agree", n);
            CHECK_STR_CONTAINS(err.message, want);
        } else {
            CHECK_STATUS(st, NB_OK); /* and computes a + b: 1.5 + 2 = 3.5 */
            nb_tensor *av = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){1}, (float[]){1.5f});
            nb_tensor *bv = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){1}, (float[]){2.0f});
            nb_feed f[2] = {{nb_graph_find_output(g, "a:0"), av}, {nb_graph_find_output(g, "b:0"), bv}};
            nb_tensor *t = eval1(g, nb_graph_find_output(g, "s:0"), f, 2);
            CHECK(t && *(const float *)nb_tensor_data(t) == 3.5f);
            nb_tensor_unref(t);
            nb_tensor_unref(av);
            nb_tensor_unref(bv);
        }
        nb_graph_free(g);
    }
    /* without N */
    buf s = node("s", "AddN", ab, 2);
    attr_type(&s, "T", 1);
    CHECK_STATUS(import_with(&s, &g, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "node 's' (op: 'AddN'): attr 'N' is missing");
    nb_graph_free(g);
    /* ConcatV2: N counts the values, the axis is the last input */
    for (int n = 2; n <= 3; n++) {
        buf c = node("c", "ConcatV2", abx, 3);
        attr_type(&c, "T", 1);
        attr_type(&c, "Tidx", 3);
        attr_int(&c, "N", n);
        nb_status st = import_with(&c, &g, &err);
        if (n == 3) {
            CHECK_STATUS(st, NB_ERR_INVALID_ARGUMENT);
            CHECK_STR_CONTAINS(err.message, "node 'c' (op: 'ConcatV2'): attr 'N' is 3 but the node has 3 inputs "
                                            "(the N values and the axis); they must agree");
        } else {
            if (st != NB_OK) fprintf(stderr, "  %s\n", err.message);
            CHECK_STATUS(st, NB_OK);
        }
        nb_graph_free(g);
    }
    /* Pack's N */
    buf p = node("p", "Pack", ab, 2);
    attr_type(&p, "T", 1);
    attr_int(&p, "N", 1);
    CHECK_STATUS(import_with(&p, &g, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "node 'p' (op: 'Pack'): attr 'N' is 1 but the node has 2 inputs; they must agree");
    nb_graph_free(g);
}

/* ArgMax's output_type: int32 or int64 (TF's default when missing); another
 * dtype is TF's importer's error. */
TEST(import_argmax_output_type) {
    const char *in[] = {"v", "ax"};
    for (int k = 0; k < 3; k++) { /* output_type float, int32, missing */
        buf gd = {.n = 0}, v = node("v", "Placeholder", NULL, 0), va = {.n = 0}, vs = shape(2, (int64_t[]){2, 3});
        attr_type(&v, "dtype", 1);
        put_msg(&va, 7, &vs);
        attr(&v, "shape", &va);
        buf ax = small_placeholder("ax", 3, 0);
        buf m = node("am", "ArgMax", in, 2);
        attr_type(&m, "T", 1);
        attr_type(&m, "Tidx", 3);
        if (k < 2) attr_type(&m, "output_type", k == 0 ? 1 : 3);
        put_msg(&gd, 1, &v);
        put_msg(&gd, 1, &ax);
        put_msg(&gd, 1, &m);
        nb_graph *g = nb_graph_new();
        nb_error err;
        nb_status st = nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err);
        if (k == 0) {
            CHECK_STATUS(st, NB_ERR_INVALID_ARGUMENT);
            CHECK_STR_CONTAINS(err.message, "node 'am' (op: 'ArgMax'): attr 'output_type' must be int32 or int64");
        } else {
            CHECK_STATUS(st, NB_OK);
            /* [[1 5 3] [6 2 4]] along axis 1: 1, 0 */
            nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){2, 3}, (float[]){1, 5, 3, 6, 2, 4});
            nb_tensor *av = nb_tensor_new(NB_INT32, 0, NULL, (int32_t[]){1});
            nb_feed f[2] = {{nb_graph_find_output(g, "v:0"), xv}, {nb_graph_find_output(g, "ax:0"), av}};
            nb_tensor *t = eval1(g, nb_graph_find_output(g, "am:0"), f, 2);
            CHECK(t != NULL);
            if (t) {
                CHECK(nb_tensor_dtype(t) == (k == 1 ? NB_INT32 : NB_INT64));
                CHECK(nb_tensor_get_flat(t, 0) == 1 && nb_tensor_get_flat(t, 1) == 0);
            }
            nb_tensor_unref(t);
            nb_tensor_unref(xv);
            nb_tensor_unref(av);
        }
        nb_graph_free(g);
    }
}

/* Linear regression with gradients and a Momentum optimizer (slots w/Momentum). */
static nb_graph *linreg(nb_output *train, nb_output *loss, nb_output *pred) {
    nb_graph *g = nb_graph_new();
    nb_graph_set_seed(g, 7);
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "x");
    nb_output y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 1), "y");
    nb_output w = nb_variable(g, nb_random_normal(g, NB_FLOAT32, NB_SHAPE(2, 1), 0, 1, 0, NULL), "weights");
    nb_output b = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(1), NULL), "bias");
    *pred = nb_nn_relu(g, nb_add(g, nb_matmul(g, x, w, false, false, NULL), b, NULL), "pred");
    *loss = nb_reduce_mean(g, nb_squared_difference(g, y, *pred, NULL), NULL, NB_ALL_AXES, false, "loss");
    *train = nb_optimizer_minimize(nb_train_momentum(g, 0.05, 0.9, false), *loss, NULL, 0,
                                   nb_train_create_global_step(g));
    nb_global_variables_initializer(g);
    return g;
}

static nb_tensor *mat(int r, int c, const float *v) {
    int64_t d[2] = {r, c};
    return nb_tensor_new(NB_FLOAT32, 2, d, v);
}

static bool same_tensor(const nb_tensor *a, const nb_tensor *b) {
    return a && b && nb_tensor_dtype(a) == nb_tensor_dtype(b) &&
           nb_tensor_nbytes(a) == nb_tensor_nbytes(b) &&
           !memcmp(nb_tensor_data_const(a), nb_tensor_data_const(b), nb_tensor_nbytes(a));
}

/* Trains 5 steps and returns the loss after them. */
static nb_tensor *train5(nb_graph *g, nb_session **out_s) {
    float xv[8] = {1, 2, 3, 4, -1, 0.5f, 2, -2}, yv[4] = {1, 2, 0.5f, 3};
    nb_tensor *X = mat(4, 2, xv), *Y = mat(4, 1, yv);
    nb_feed f[2] = {{nb_graph_find_output(g, "x"), X}, {nb_graph_find_output(g, "y"), Y}};
    nb_session *s = nb_session_new(g);
    nb_output init = nb_graph_find_output(g, "init");
    nb_op *init_op = nb_graph_find_op(g, "init");
    nb_output train = nb_graph_find_output(g, "Momentum");
    nb_op *train_op = nb_graph_find_op(g, "Momentum");
    (void)init;
    (void)train;
    nb_output io = {init_op, 0}, to = {train_op, 0};
    /* Ops without outputs are fetched as {op, 0}. */
    nb_session_run(s, NULL, 0, &io, 1, NULL);
    for (int i = 0; i < 5; i++) nb_session_run(s, f, 2, &to, 1, NULL);
    nb_tensor *l = nb_session_eval(s, nb_graph_find_output(g, "loss"), f, 2);
    if (!l) fprintf(stderr, "  run error: %s\n", nb_session_errmsg(s));
    nb_tensor_unref(X);
    nb_tensor_unref(Y);
    if (out_s) *out_s = s;
    else nb_session_free(s);
    return l;
}

static void round_trip(nb_graph *g, const char *what) {
    void *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    nb_error err;
    CHECK_STATUS(nb_graph_to_graphdef(g, &a, &na), NB_OK);
    nb_graph *g2 = nb_graph_new();
    CHECK_STATUS(nb_graph_import_graphdef(g2, a, na, NULL, &err), NB_OK);
    if (err.code) fprintf(stderr, "  %s: %s\n", what, err.message);
    CHECK_STATUS(nb_graph_to_graphdef(g2, &b, &nb), NB_OK);
    checks_++;
    if (!(na == nb && a && b && !memcmp(a, b, na)))
        FAILF("%s: export -> import -> export differs (%zu vs %zu bytes)", what, na, nb);
    CHECK(nb_graph_num_variables(g2) == nb_graph_num_variables(g));
    free(a);
    free(b);
    nb_graph_free(g2);
}

TEST(round_trip_linear_regression) {
    nb_output train, loss, pred;
    nb_graph *g = linreg(&train, &loss, &pred);
    CHECK_GRAPH_OK(g);
    round_trip(g, "linear regression");
    /* Values: the imported graph trains to the same bits. */
    void *a;
    size_t na;
    nb_graph_to_graphdef(g, &a, &na);
    nb_graph *g2 = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g2, a, na, NULL, &err), NB_OK);
    free(a);
    nb_tensor *l1 = train5(g, NULL), *l2 = train5(g2, NULL);
    CHECK(same_tensor(l1, l2));
    nb_tensor_unref(l1);
    nb_tensor_unref(l2);
    nb_graph_free(g2);
    nb_graph_free(g);
}

/* HW2-style graph: constants, placeholders, arithmetic, reductions, a scope. */
TEST(round_trip_hw2_style) {
    nb_graph *g = nb_graph_new();
    nb_output a = nb_constant_f32(g, 5, "a");
    nb_output b = nb_constant_f32(g, 3, "b");
    nb_name_scope_push(g, "intermediate");
    nb_output c = nb_multiply(g, a, b, "c");
    nb_output d = nb_add(g, a, b, "d");
    nb_name_scope_pop(g);
    nb_output e = nb_add(g, c, d, "e");
    int64_t n4 = 4;
    float iv[4] = {1, 2, 3, 4};
    nb_output in = nb_constant_array(g, NB_FLOAT32, 1, &n4, iv, "input");
    nb_output p = nb_reduce_prod(g, in, NULL, NB_ALL_AXES, false, "prod");
    nb_output s = nb_reduce_sum(g, in, NULL, NB_ALL_AXES, true, "sum");
    nb_output out = nb_add(g, nb_add(g, e, p, NULL), nb_reshape(g, s, 0, NULL, NULL), "output");
    (void)out;
    CHECK_GRAPH_OK(g);
    round_trip(g, "hw2");
    nb_graph_free(g);
}

/* A small CNN with its gradients: Conv2D (SAME, stride 2, its dilations attr), MaxPool
 * (VALID), AvgPool, BiasAdd, LeakyRelu, FusedBatchNorm and every backprop op
 * round-trip, and compute the same values after import. */
/* tf.pad's PadV2 and MirrorPad (both modes) with their gradients (MirrorPadGrad):
 * export -> import -> export is stable, and the imported graph computes the same. */
TEST(round_trip_pad_family) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 3), "x");
    nb_output a = nb_pad_ex(g, x, (int64_t[]){1, 0, 2, 1}, 2, NB_PAD_CONSTANT, 2.5, NULL);
    nb_output b = nb_pad_ex(g, x, (int64_t[]){0, 1, 2, 2}, 2, NB_PAD_REFLECT, 0, NULL);
    nb_output c = nb_pad_ex(g, x, (int64_t[]){2, 0, 1, 3}, 2, NB_PAD_SYMMETRIC, 0, NULL);
    nb_output l = nb_add_n(g, (nb_output[]){nb_reduce_sum(g, nb_square(g, a, NULL), NULL, NB_ALL_AXES, false, NULL),
                                            nb_reduce_sum(g, nb_square(g, b, NULL), NULL, NB_ALL_AXES, false, NULL),
                                            nb_reduce_sum(g, nb_square(g, c, NULL), NULL, NB_ALL_AXES, false, NULL)},
                           3, "loss");
    nb_output dx;
    nb_gradients(g, &l, 1, &x, 1, NULL, &dx);
    CHECK_GRAPH_OK(g);
    round_trip(g, "pad family");
    void *bytes = NULL;
    size_t n = 0;
    nb_error err;
    CHECK_STATUS(nb_graph_to_graphdef(g, &bytes, &n), NB_OK);
    nb_graph *g2 = nb_graph_new();
    CHECK_STATUS(nb_graph_import_graphdef(g2, bytes, n, NULL, &err), NB_OK);
    free(bytes);
    CHECK(!strcmp(nb_op_type(nb_graph_find_op(g2, "PadV2")), "PadV2"));
    CHECK(!strcmp(nb_op_type(nb_graph_find_op(g2, "MirrorPad_1")), "MirrorPad"));
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){2, 3}, (float[]){1, -2, 3, 0.5f, 4, -1});
    const char *names[] = {"PadV2", "MirrorPad", "MirrorPad_1", "loss"};
    nb_session *s1 = nb_session_new(g), *s2 = nb_session_new(g2);
    nb_op *x2 = nb_graph_find_op(g2, "x");
    for (int i = 0; i < 5 && x2; i++) {
        nb_feed f1 = {x, xv}, f2 = {nb_op_output(x2, 0), xv};
        nb_output o1 = i < 4 ? nb_op_output(nb_graph_find_op(g, names[i]), 0) : dx;
        nb_output o2 = i < 4 ? nb_op_output(nb_graph_find_op(g2, names[i]), 0)
                             : nb_op_output(nb_graph_find_op(g2, nb_op_name(dx.op)), dx.index);
        nb_tensor *t1 = nb_session_eval(s1, o1, &f1, 1), *t2 = nb_session_eval(s2, o2, &f2, 1);
        checks_++;
        if (!t1 || !t2 || !same_tensor(t1, t2)) FAILF("output %d differs after the round trip", i);
        nb_tensor_unref(t1);
        nb_tensor_unref(t2);
    }
    nb_session_free(s1);
    nb_session_free(s2);
    nb_tensor_unref(xv);
    nb_graph_free(g2);
    nb_graph_free(g);
}

/* A MirrorPad node from TF with a bad or missing mode. */
TEST(import_mirror_pad_mode) {
    for (int k = 0; k < 3; k++) {
        buf gd = {.n = 0};
        buf xs = node("x", "Placeholder", NULL, 0), ps = node("p", "Placeholder", NULL, 0);
        attr_type(&xs, "dtype", 1);
        attr_type(&ps, "dtype", 3);
        buf xsh = shape(1, (int64_t[]){-1}), psh = shape(2, (int64_t[]){1, 2}), xa = {.n = 0}, pa = {.n = 0};
        put_msg(&xa, 7, &xsh);
        put_msg(&pa, 7, &psh);
        attr(&xs, "shape", &xa);
        attr(&ps, "shape", &pa);
        const char *in[] = {"x", "p"};
        buf m = node("mp", "MirrorPad", in, 2);
        attr_type(&m, "T", 1);
        attr_type(&m, "Tpaddings", 3);
        if (k < 2) {
            buf v = {.n = 0};
            put_str(&v, 2, k == 0 ? "WRAP" : "SYMMETRIC");
            attr(&m, "mode", &v);
        }
        put_msg(&gd, 1, &xs);
        put_msg(&gd, 1, &ps);
        put_msg(&gd, 1, &m);
        nb_graph *g = nb_graph_new();
        nb_error err;
        nb_status st = nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err);
        if (k == 0) {
            CHECK_STATUS(st, NB_ERR_INVALID_ARGUMENT);
            CHECK_STR_CONTAINS(err.message, "'mp'");
            CHECK_STR_CONTAINS(err.message, "must be REFLECT or SYMMETRIC");
        } else if (k == 1) {
            if (st != NB_OK) fprintf(stderr, "  %s\n", err.message);
            CHECK_STATUS(st, NB_OK);
            nb_op *mp = nb_graph_find_op(g, "mp"), *x = nb_graph_find_op(g, "x"), *p = nb_graph_find_op(g, "p");
            nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){2}, (float[]){3, 4});
            nb_tensor *pv = nb_tensor_new(NB_INT32, 2, (int64_t[]){1, 2}, (int32_t[]){2, 1});
            nb_feed f[2] = {{nb_op_output(x, 0), xv}, {nb_op_output(p, 0), pv}};
            nb_session *s = nb_session_new(g);
            nb_tensor *t = nb_session_eval(s, nb_op_output(mp, 0), f, 2);
            nb_tensor *want = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){5}, (float[]){4, 3, 3, 4, 4});
            CHECK(t && same_tensor(t, want));
            nb_tensor_unref(t);
            nb_tensor_unref(want);
            nb_tensor_unref(xv);
            nb_tensor_unref(pv);
            nb_session_free(s);
        } else {
            CHECK_STATUS(st, NB_ERR_INVALID_ARGUMENT);
            CHECK_STR_CONTAINS(err.message, "Value for attr 'mode' of MirrorPad must be one of");
        }
        nb_graph_free(g);
    }
}

TEST(round_trip_cnn) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 8, 8, 2), "x");
    nb_output w = nb_variable(g, nb_glorot_uniform(g, NB_FLOAT32, NB_SHAPE(3, 3, 2, 4), 1, NULL), "conv/kernel");
    nb_output bias = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(4), NULL), "conv/bias");
    nb_output c = nb_nn_conv2d(g, x, w, (int[]){1, 2, 2, 1}, "SAME", (int[]){1, 1, 1, 1}, NULL);
    c = nb_nn_leaky_relu(g, nb_nn_bias_add(g, c, bias, NULL), 0.1, NULL);
    nb_output sc = nb_variable(g, nb_ones(g, NB_FLOAT32, NB_SHAPE(4), NULL), "bn/scale");
    nb_output of = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(4), NULL), "bn/offset");
    nb_output bn = nb_nn_fused_batch_norm(g, c, sc, of, nb_nil, nb_nil, 1e-3, true, NULL, NULL, NULL);
    nb_output mp = nb_nn_max_pool(g, bn, (int[]){1, 2, 2, 1}, (int[]){1, 2, 2, 1}, "VALID", NULL);
    nb_output ap = nb_nn_avg_pool(g, bn, (int[]){1, 3, 3, 1}, (int[]){1, 1, 1, 1}, "SAME", NULL);
    nb_output loss = nb_add(g, nb_reduce_sum(g, nb_square(g, mp, NULL), NULL, NB_ALL_AXES, false, NULL),
                            nb_reduce_mean(g, ap, NULL, NB_ALL_AXES, false, NULL), "loss");
    nb_output train = nb_optimizer_minimize(nb_train_gradient_descent(g, 0.01), loss, NULL, 0, nb_nil);
    nb_output init = nb_global_variables_initializer(g);
    (void)train;
    (void)init;
    CHECK_GRAPH_OK(g);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "  %s\n", nb_graph_errmsg(g));
        nb_graph_free(g);
        return;
    }
    round_trip(g, "cnn");
    void *a = NULL;
    size_t na = 0;
    nb_error err;
    CHECK_STATUS(nb_graph_to_graphdef(g, &a, &na), NB_OK);
    nb_graph *g2 = nb_graph_new();
    CHECK_STATUS(nb_graph_import_graphdef(g2, a, na, NULL, &err), NB_OK);
    free(a);
    /* the same weights in both sessions, then one training step, then the loss */
    int64_t xd[4] = {2, 8, 8, 2};
    nb_tensor *xv = nb_tensor_random_normal(NB_FLOAT32, 4, xd, 0, 1, 3);
    nb_tensor *res[2] = {NULL, NULL};
    nb_graph *gs[2] = {g, g2};
    for (int k = 0; k < 2; k++) {
        nb_graph *h = gs[k];
        nb_session *s = nb_session_new(h);
        nb_output io = {nb_graph_find_op(h, "init"), 0}, to = {nb_graph_find_op(h, "GradientDescent"), 0};
        nb_feed f = {nb_graph_find_output(h, "x"), xv};
        CHECK_STATUS(nb_session_run(s, NULL, 0, &io, 1, NULL), NB_OK);
        CHECK_STATUS(nb_session_run(s, &f, 1, &to, 1, NULL), NB_OK);
        res[k] = nb_session_eval(s, nb_graph_find_output(h, "loss"), &f, 1);
        if (!res[k]) fprintf(stderr, "  run error: %s\n", nb_session_errmsg(s));
        nb_session_free(s);
    }
    CHECK(same_tensor(res[0], res[1]));
    nb_tensor_unref(res[0]);
    nb_tensor_unref(res[1]);
    nb_tensor_unref(xv);
    nb_graph_free(g2);
    nb_graph_free(g);
}

TEST(checkpoint_into_imported_graph_and_freeze) {
    nb_output train, loss, pred;
    nb_graph *g = linreg(&train, &loss, &pred);
    nb_session *s;
    nb_tensor *l1 = train5(g, &s);
    nb_error err;
    char ck[128], pb[128];
    snprintf(ck, sizeof ck, "/tmp/nb_gdi_%ld.safetensors", (long)getpid());
    snprintf(pb, sizeof pb, "/tmp/nb_gdi_%ld.pb", (long)getpid());
    CHECK_STATUS(nb_checkpoint_save(s, ck, &err), NB_OK);
    CHECK_STATUS(nb_graph_save_graphdef(g, pb, &err), NB_OK);
    /* Another "program": load the graph, restore the checkpoint. */
    nb_graph *g2 = nb_graph_new();
    CHECK_STATUS(nb_graph_load_graphdef(g2, pb, NULL, &err), NB_OK);
    nb_session *s2 = nb_session_new(g2);
    CHECK_STATUS(nb_checkpoint_restore(s2, ck, &err), NB_OK);
    float xv[4] = {0.5f, 1, 2, 3}, yv[2] = {1, 2};
    nb_tensor *X = mat(2, 2, xv), *Y = mat(2, 1, yv);
    nb_feed f1[2] = {{nb_graph_find_output(g, "x"), X}, {nb_graph_find_output(g, "y"), Y}};
    nb_feed f2[2] = {{nb_graph_find_output(g2, "x"), X}, {nb_graph_find_output(g2, "y"), Y}};
    nb_tensor *p1 = nb_session_eval(s, pred, f1, 1);
    nb_tensor *p2 = nb_session_eval(s2, nb_graph_find_output(g2, "pred"), f2, 1);
    CHECK(same_tensor(p1, p2));
    /* Freeze: only what pred needs, variables as constants. */
    nb_graph *fz = NULL;
    CHECK_STATUS(nb_graph_freeze(s, &pred, 1, &fz, &err), NB_OK);
    if (fz) {
        CHECK(nb_graph_num_variables(fz) == 0);
        CHECK(nb_graph_find_op(fz, "loss") == NULL);
        CHECK(nb_graph_find_op(fz, "y") == NULL);
        nb_op *wop = nb_graph_find_op(fz, "weights");
        CHECK(wop && !strcmp(nb_op_type(wop), "Const"));
        CHECK_STATUS(nb_graph_save_graphdef(fz, pb, &err), NB_OK);
        nb_graph *g3 = nb_graph_new();
        CHECK_STATUS(nb_graph_load_graphdef(g3, pb, "frozen", &err), NB_OK);
        nb_feed f3 = {nb_graph_find_output(g3, "frozen/x"), X};
        nb_tensor *p3 = eval1(g3, nb_graph_find_output(g3, "frozen/pred"), &f3, 1);
        CHECK(same_tensor(p1, p3));
        nb_tensor_unref(p3);
        nb_graph_free(g3);
        nb_graph_free(fz);
    }
    /* Freezing a train op is refused; an uninitialized variable is named. */
    CHECK_STATUS(nb_graph_freeze(s, &train, 1, &fz, &err), NB_ERR_INVALID_ARGUMENT);
    nb_session *fresh = nb_session_new(g);
    CHECK_STATUS(nb_graph_freeze(fresh, &pred, 1, &fz, &err), NB_ERR_FAILED_PRECONDITION);
    CHECK_STR_CONTAINS(err.message, "'weights'");
    /* A missing file names the path. */
    nb_graph *g4 = nb_graph_new();
    CHECK_STATUS(nb_graph_load_graphdef(g4, "/nonexistent/x.pb", NULL, &err), NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "/nonexistent/x.pb");
    nb_graph_free(g4);
    nb_session_free(fresh);
    nb_tensor_unref(p1);
    nb_tensor_unref(p2);
    nb_tensor_unref(l1);
    nb_tensor_unref(X);
    nb_tensor_unref(Y);
    nb_session_free(s);
    nb_session_free(s2);
    nb_graph_free(g);
    nb_graph_free(g2);
    unlink(ck);
    unlink(pb);
}

/* Issue 18: a Conv2D / MaxPool node with strides, dilations or ksize of
 * 2^31-1 (the largest the importer takes) computes the right answer; 2^31 is
 * refused naming the node. The conv's 1x1 output is checked by hand. */
static buf conv_graphdef(const char *op, int64_t sh, int64_t dil, const char *padding) {
    buf gd = {.n = 0};
    int64_t xd[4] = {2, 5, 6, 3}, fd[4] = {2, 2, 3, 4};
    const char *names[2] = {"x", "f"};
    for (int i = 0; i < (strcmp(op, "Conv2D") ? 1 : 2); i++) {
        buf p = node(names[i], "Placeholder", NULL, 0);
        attr_type(&p, "dtype", 2); /* DT_DOUBLE */
        buf sp = shape(4, i ? fd : xd), v = {.n = 0};
        put_msg(&v, 7, &sp);
        attr(&p, "shape", &v);
        put_msg(&gd, 1, &p);
    }
    const char *in[2] = {"x", "f"};
    buf c = node("c", op, in, strcmp(op, "Conv2D") ? 1 : 2);
    attr_type(&c, "T", 2);
    const char *lists[3] = {"strides", "dilations", "ksize"};
    for (int l = 0; l < 3; l++) {
        if (strcmp(op, "Conv2D") ? l == 1 : l == 2) continue;
        int64_t v[4] = {1, l == 0 ? sh : l == 1 ? dil : 2, l == 0 ? sh : l == 1 ? 1 : 2, 1};
        buf lv = {.n = 0}, av = {.n = 0};
        for (int i = 0; i < 4; i++) put_int(&lv, 3, v[i]); /* ListValue.i */
        put_msg(&av, 1, &lv);                              /* AttrValue.list */
        attr(&c, lists[l], &av);
    }
    buf pv = {.n = 0};
    put_str(&pv, 2, padding); /* AttrValue.s */
    attr(&c, "padding", &pv);
    put_msg(&gd, 1, &c);
    return gd;
}

TEST(import_conv_with_huge_strides_and_dilations) {
    const int64_t B = 2147483647;
    int64_t xd[4] = {2, 5, 6, 3}, fd[4] = {2, 2, 3, 4};
    nb_tensor *X = nb_tensor_new(NB_FLOAT64, 4, xd, NULL), *F = nb_tensor_new(NB_FLOAT64, 4, fd, NULL);
    double *x = nb_tensor_data(X), *f = nb_tensor_data(F);
    for (int i = 0; i < 180; i++) x[i] = (double)((i * 7) % 11) - 5;
    for (int i = 0; i < 48; i++) f[i] = (double)((i * 5) % 9) - 4;
    for (int pad = 0; pad < 2; pad++) {
        buf gd = conv_graphdef("Conv2D", B, 1, pad ? "SAME" : "VALID");
        nb_graph *g = nb_graph_new();
        nb_error err;
        CHECK_STATUS(nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err), NB_OK);
        nb_output px = nb_graph_find_output(g, "x"), pf = nb_graph_find_output(g, "f");
        nb_output c = nb_graph_find_output(g, "c");
        nb_tensor *y = c.op ? eval1(g, c, (nb_feed[]){{px, X}, {pf, F}}, 2) : NULL;
        /* one output pixel per image, the window at the origin (SAME pads
         * nothing: (1 - 1) * stride + 2 - 5 < 0) */
        CHECK(y && nb_tensor_rank(y) == 4 && nb_tensor_dim(y, 1) == 1 && nb_tensor_dim(y, 2) == 1);
        for (int n = 0; y && n < 2; n++)
            for (int o = 0; o < 4; o++) {
                double acc = 0;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                        for (int ch = 0; ch < 3; ch++)
                            acc += x[((n * 5 + a) * 6 + b) * 3 + ch] * f[((a * 2 + b) * 3 + ch) * 4 + o];
                CHECK_NEAR(nb_tensor_get_flat(y, n * 4 + o), acc, 1e-12);
            }
        nb_tensor_unref(y);
        nb_graph_free(g);
    }
    /* a dilation of 2^31-1 with VALID: TF's negative-size error at import */
    buf gd = conv_graphdef("Conv2D", 1, B, "VALID");
    nb_graph *g = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "Computed output size would be negative: -2147483642 [input_size: 5, "
                                    "effective_filter_size: 2147483648, stride: 1]");
    nb_graph_free(g);
    /* strides of 2^31: beyond the attrs nabla takes, refused naming the node */
    gd = conv_graphdef("MaxPool", B + 1, 1, "SAME");
    g = nb_graph_new();
    CHECK_STATUS(nb_graph_import_graphdef(g, gd.b, gd.n, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(!strcmp(err.message, "node 'c' (op: 'MaxPool'): attr 'strides' must be [1, h, w, 1] with "
                               "1 <= h, w <= 2147483647 (NHWC)"));
    nb_graph_free(g);
    nb_tensor_unref(X);
    nb_tensor_unref(F);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
