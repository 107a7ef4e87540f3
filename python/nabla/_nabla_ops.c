/*
 * _nabla_ops.c — one Python function per public graph constructor, named
 * without "nb_". Constructors that share a C signature share one trampoline:
 * a row of the table below holds (name, signature kind, C function), and each
 * Python function is a builtin whose `self` is a capsule pointing at its row.
 * The few one-of-a-kind signatures are written out after the table.
 *
 * Every builder: converts arguments (Outputs, shapes, dtypes, ints), checks that
 * all Outputs belong to the graph, takes the graph's write lock, calls libnabla,
 * and raises TypeError (NB_ERR_DTYPE) / ValueError (others) with libnabla's
 * message when the graph recorded an error, clearing it so building goes on.
 */
#include "_nabla.h"

#include <string.h>

enum sig {
    S_U,      /* (g, x, name) */
    S_B,      /* (g, x, y, name) */
    S_T,      /* (g, x, y, z, name) */
    S_RED,    /* (g, x, axes=None, keep_dims=False, name) */
    S_LIST,   /* (g, xs, name) */
    S_LISTAX, /* (g, xs, axis=0, name) */
    S_INT,    /* (g, x, axis, name) */
    S_INTDT,  /* (g, x, axis, dtype, name) */
    S_INTS,   /* (g, x, ints=None, name): const int *, int n */
    S_I64,    /* (g, x, ints, name): const int64_t *, int rank */
    S_SRC,    /* (g, dtype, shape, name) */
    S_RAND,   /* (g, dtype, shape, a, b, seed=None, name) */
    S_INIT,   /* (g, dtype, shape, seed=None, name) */
    S_G,      /* (g) */
    S_NAME,   /* (g, name=None) */
    S_CAST,   /* (g, x, dtype, name) */
    S_DBL,    /* (g, x, value, name) */
    S_POOL,   /* (g, x, ksize, strides, padding, name) */
    S_REDT,   /* (g, x, axes (Output), keep_dims=False, name) */
};

typedef nb_output (*fn_u)(nb_graph *, nb_output, const char *);
typedef nb_output (*fn_b)(nb_graph *, nb_output, nb_output, const char *);
typedef nb_output (*fn_t)(nb_graph *, nb_output, nb_output, nb_output, const char *);
typedef nb_output (*fn_red)(nb_graph *, nb_output, const int *, int, bool, const char *);
typedef nb_output (*fn_list)(nb_graph *, const nb_output *, int, const char *);
typedef nb_output (*fn_listax)(nb_graph *, const nb_output *, int, int, const char *);
typedef nb_output (*fn_int)(nb_graph *, nb_output, int, const char *);
typedef nb_output (*fn_intdt)(nb_graph *, nb_output, int, nb_dtype, const char *);
typedef nb_output (*fn_ints)(nb_graph *, nb_output, const int *, int, const char *);
typedef nb_output (*fn_i64)(nb_graph *, nb_output, const int64_t *, int, const char *);
typedef nb_output (*fn_src)(nb_graph *, nb_dtype, nb_shape, const char *);
typedef nb_output (*fn_rand)(nb_graph *, nb_dtype, nb_shape, double, double, int64_t, const char *);
typedef nb_output (*fn_init)(nb_graph *, nb_dtype, nb_shape, int64_t, const char *);
typedef nb_output (*fn_g)(nb_graph *);
typedef nb_output (*fn_name)(nb_graph *, const char *);
typedef nb_output (*fn_cast)(nb_graph *, nb_output, nb_dtype, const char *);
typedef nb_output (*fn_dbl)(nb_graph *, nb_output, double, const char *);
typedef nb_output (*fn_pool)(nb_graph *, nb_output, const int *, const int *, const char *,
                             const char *);
typedef nb_output (*fn_redt)(nb_graph *, nb_output, nb_output, bool, const char *);
/* R() checks at compile time that the C function has its row's signature. */
typedef fn_u fn_of_S_U;
typedef fn_b fn_of_S_B;
typedef fn_t fn_of_S_T;
typedef fn_red fn_of_S_RED;
typedef fn_list fn_of_S_LIST;
typedef fn_listax fn_of_S_LISTAX;
typedef fn_int fn_of_S_INT;
typedef fn_intdt fn_of_S_INTDT;
typedef fn_ints fn_of_S_INTS;
typedef fn_i64 fn_of_S_I64;
typedef fn_src fn_of_S_SRC;
typedef fn_rand fn_of_S_RAND;
typedef fn_init fn_of_S_INIT;
typedef fn_g fn_of_S_G;
typedef fn_name fn_of_S_NAME;
typedef fn_cast fn_of_S_CAST;
typedef fn_dbl fn_of_S_DBL;
typedef fn_pool fn_of_S_POOL;
typedef fn_redt fn_of_S_REDT;

typedef struct {
    const char *name;
    enum sig sig;
    void (*fn)(void);
    const char *doc;
} row;

#define R(n, s, doc)                                                                     \
    {#n, s,                                                                              \
     (void (*)(void))__builtin_choose_expr(                                              \
         __builtin_types_compatible_p(__typeof__(&nb_##n), fn_of_##s), nb_##n, (void)0), \
     doc}

static nb_output reshape_i64(nb_graph *g, nb_output x, const int64_t *dims, int rank,
                             const char *name) {
    return nb_reshape(g, x, rank, dims, name);
}

static const row rows[] = {
    /* unary math and nn */
    R(negative, S_U, "-x"), R(abs, S_U, "|x|"), R(sign, S_U, "sign"), R(square, S_U, "x^2"),
    R(sqrt, S_U, "sqrt"), R(rsqrt, S_U, "1/sqrt"), R(exp, S_U, "e^x"), R(log, S_U, "ln"),
    R(log1p, S_U, "ln(1+x)"), R(reciprocal, S_U, "1/x"), R(sigmoid, S_U, "sigmoid"),
    R(tanh, S_U, "tanh"), R(relu, S_U, "relu"), R(logical_not, S_U, "not"),
    R(identity, S_U, "y = x"), R(stop_gradient, S_U, "no gradient"),
    R(zeros_like, S_U, "zeros_like"), R(ones_like, S_U, "ones_like"), R(shape_of, S_U, "tf.shape"),
    R(size, S_U, "tf.size"), R(rank, S_U, "tf.rank"), R(nn_relu, S_U, "tf.nn.relu"),
    R(nn_relu6, S_U, "relu6"), R(nn_elu, S_U, "elu"), R(nn_selu, S_U, "selu"),
    R(nn_softplus, S_U, "softplus"), R(nn_softsign, S_U, "softsign"), R(nn_swish, S_U, "swish"),
    R(nn_softmax, S_U, "softmax"), R(nn_log_softmax, S_U, "log_softmax"),
    R(nn_l2_loss, S_U, "sum(t^2)/2"), R(layers_flatten, S_U, "tf.layers.flatten"),
    R(floor, S_U, "floor"), R(ceil, S_U, "ceil"), R(round, S_U, "round half to even"),
    R(sin, S_U, "sin"), R(cos, S_U, "cos"), R(tan, S_U, "tan"), R(asin, S_U, "asin"),
    R(acos, S_U, "acos"), R(atan, S_U, "atan"), R(sinh, S_U, "sinh"), R(cosh, S_U, "cosh"),
    R(erf, S_U, "erf"), R(expm1, S_U, "e^x - 1"), R(is_nan, S_U, "isnan"), R(is_inf, S_U, "isinf"),
    R(is_finite, S_U, "isfinite"), R(where_true, S_U, "where(condition): int64 [count, rank]"),
    R(matrix_diag, S_U, "matrix_diag(diagonal)"), R(matrix_diag_part, S_U, "matrix_diag_part(x)"),
    R(matrix_set_diag, S_B, "matrix_set_diag(x, diagonal)"), R(gather_nd, S_B, "gather_nd(params, indices)"), R(atan2, S_B, "atan2(y, x)"),
    /* binary */
    R(add, S_B, "x + y"), R(subtract, S_B, "x - y"), R(multiply, S_B, "x * y"),
    R(divide, S_B, "x / y"), R(floor_div, S_B, "x // y"), R(mod, S_B, "x % y"),
    R(pow, S_B, "x ** y"), R(maximum, S_B, "max"), R(minimum, S_B, "min"),
    R(squared_difference, S_B, "(x-y)^2"), R(equal, S_B, "=="), R(not_equal, S_B, "!="),
    R(less, S_B, "<"), R(less_equal, S_B, "<="), R(greater, S_B, ">"),
    R(greater_equal, S_B, ">="), R(logical_and, S_B, "and"), R(logical_or, S_B, "or"),
    R(assign, S_B, "assign(ref, value)"), R(assign_add, S_B, "ref += value"),
    R(assign_sub, S_B, "ref -= value"), R(reduce_sum_t, S_REDT, "reduce_sum(x, axes tensor, keep_dims)"),
    R(reduce_mean_t, S_REDT, "reduce_mean(x, axes tensor, keep_dims)"), R(reshape_t, S_B, "reshape(x, shape tensor)"),
    R(fill, S_B, "fill(dims, value)"), R(nn_bias_add, S_B, "bias_add(value, bias)"),
    R(nn_softmax_cross_entropy_with_logits, S_B, "(labels, logits)"),
    R(nn_sparse_softmax_cross_entropy_with_logits, S_B, "(labels, logits)"),
    R(nn_sigmoid_cross_entropy_with_logits, S_B, "(labels, logits)"),
    R(losses_mean_squared_error, S_B, "(labels, predictions)"),
    /* ternary */
    R(where, S_T, "where(cond, x, y)"), R(where_v2, S_T, "where_v2(cond, x, y)"),
    R(range, S_T, "range(start, limit, delta)"),
    R(unsorted_segment_sum, S_T, "(data, segment_ids, num_segments)"),
    R(linspace, S_T, "linspace(start, stop, num)"),
    /* reductions */
    R(reduce_sum, S_RED, "sum"), R(reduce_mean, S_RED, "mean"), R(reduce_prod, S_RED, "prod"),
    R(reduce_max, S_RED, "max"), R(reduce_min, S_RED, "min"),
    R(reduce_any, S_RED, "any"), R(reduce_all, S_RED, "all"),
    /* lists */
    R(add_n, S_LIST, "AddN"), R(group, S_LIST, "tf.group"),
    R(concat, S_LISTAX, "concat(xs, axis)"), R(stack, S_LISTAX, "stack(xs, axis)"),
    /* one int */
    R(expand_dims, S_INT, "expand_dims(x, axis)"), R(argmax, S_INT, "argmax(x, axis)"),
    R(argmin, S_INT, "argmin(x, axis)"),
    R(argmax_ex, S_INTDT, "argmax_ex(x, axis, output_type)"),
    R(argmin_ex, S_INTDT, "argmin_ex(x, axis, output_type)"),
    /* int lists */
    R(transpose, S_INTS, "transpose(x, perm=None)"), R(squeeze, S_INTS, "squeeze(x, axes=None)"),
    R(reverse, S_INTS, "reverse(x, axes)"),
    {"reshape", S_I64, (void (*)(void))reshape_i64, "reshape(x, dims)"},
    R(tile, S_I64, "tile(x, multiples)"),
    /* sources */
    R(placeholder, S_SRC, "placeholder(dtype, shape, name)"), R(zeros, S_SRC, "zeros(dtype, shape)"),
    R(ones, S_SRC, "ones(dtype, shape)"),
    R(random_normal, S_RAND, "(dtype, shape, mean, stddev, seed)"),
    R(random_uniform, S_RAND, "(dtype, shape, minval, maxval, seed)"),
    R(truncated_normal, S_RAND, "(dtype, shape, mean, stddev, seed)"),
    R(glorot_uniform, S_INIT, "(dtype, shape, seed)"), R(he_normal, S_INIT, "(dtype, shape, seed)"),
    R(he_uniform, S_INIT, "(dtype, shape, seed)"),
    R(global_variables_initializer, S_G, "init NoOp"), R(summary_merge_all, S_G, "Merge (or None)"),
    R(train_create_global_step, S_G, "global_step variable"),
    R(no_op, S_NAME, "NoOp"),
    R(cast, S_CAST, "cast(x, dtype)"),
    R(nn_leaky_relu, S_DBL, "leaky_relu(x, alpha)"),
    R(nn_max_pool, S_POOL, "max_pool(x, ksize, strides, padding)"),
    R(nn_avg_pool, S_POOL, "avg_pool(x, ksize, strides, padding)"),
};
#define N_ROWS ((int)(sizeof rows / sizeof rows[0]))

static PyMethodDef defs[N_ROWS + 1];

static inline nb_output O(const NbpyOutput *o) {
    return o ? (nb_output){o->op, o->index} : nb_nil;
}

static int to_int(int64_t v, int *out) {
    if (v < INT32_MIN || v > INT32_MAX) {
        PyErr_Format(PyExc_ValueError, "%lld does not fit an int", (long long)v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int ints_to_c(const nbpy_ints *v, int *out) {
    for (int i = 0; i < v->n; i++)
        if (to_int(v->v[i], &out[i]) < 0) return -1;
    return 0;
}

/* n ints exactly, e.g. strides [1, h, w, 1] */
static int fixed_ints(const nbpy_ints *v, int n, const char *what, int *out) {
    if (v->n != n) {
        PyErr_Format(PyExc_ValueError, "%s must have %d entries", what, n);
        return -1;
    }
    return ints_to_c(v, out);
}

static PyObject *trampoline(PyObject *self, PyObject *args, PyObject *kw) {
    const row *r = PyCapsule_GetPointer(self, "nabla.row");
    if (!r) return NULL;
    NbpyGraph *g = NULL;
    NbpyOutput *x = NULL, *y = NULL, *z = NULL;
    const char *name = NULL;
    nb_output o = nb_nil;
    switch (r->sig) {
    case S_U: {
        static char *k[] = {"graph", "x", "name", NULL};
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&|O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, nbpy_name_conv, &name))
            return NULL;
        if (nbpy_check_graph(g, &x, 1) < 0) return NULL;
        nbpy_build_begin(g);
        o = ((fn_u)r->fn)(g->g, O(x), name);
        break;
    }
    case S_B: {
        static char *k[] = {"graph", "x", "y", "name", NULL};
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&|O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, nbpy_output_conv, &y,
                                         nbpy_name_conv, &name))
            return NULL;
        NbpyOutput *io[2] = {x, y};
        if (nbpy_check_graph(g, io, 2) < 0) return NULL;
        nbpy_build_begin(g);
        o = ((fn_b)r->fn)(g->g, O(x), O(y), name);
        break;
    }
    case S_T: {
        static char *k[] = {"graph", "x", "y", "z", "name", NULL};
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&O&|O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, nbpy_output_conv, &y,
                                         nbpy_output_conv, &z, nbpy_name_conv, &name))
            return NULL;
        NbpyOutput *io[3] = {x, y, z};
        if (nbpy_check_graph(g, io, 3) < 0) return NULL;
        nbpy_build_begin(g);
        o = ((fn_t)r->fn)(g->g, O(x), O(y), O(z), name);
        break;
    }
    case S_RED: {
        static char *k[] = {"graph", "x", "axes", "keep_dims", "name", NULL};
        nbpy_ints axes = {-1, {0}};
        bool keep = false;
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&|O&O&O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, nbpy_ints_conv, &axes,
                                         nbpy_bool_conv, &keep, nbpy_name_conv, &name))
            return NULL;
        if (nbpy_check_graph(g, &x, 1) < 0) return NULL;
        int ax[64];
        if (ints_to_c(&axes, ax) < 0) return NULL;
        nbpy_build_begin(g);
        o = ((fn_red)r->fn)(g->g, O(x), axes.n < 0 ? NULL : ax,
                            axes.n < 0 ? NB_ALL_AXES : axes.n, keep, name);
        break;
    }
    case S_LIST:
    case S_LISTAX: {
        static char *k1[] = {"graph", "xs", "name", NULL};
        static char *k2[] = {"graph", "xs", "axis", "name", NULL};
        nbpy_outs xs;
        int axis = 0;
        int ok = r->sig == S_LIST
                     ? PyArg_ParseTupleAndKeywords(args, kw, "O&O&|O&", k1, nbpy_graph_conv, &g,
                                                   nbpy_outs_conv, &xs, nbpy_name_conv, &name)
                     : PyArg_ParseTupleAndKeywords(args, kw, "O&O&|iO&", k2, nbpy_graph_conv, &g,
                                                   nbpy_outs_conv, &xs, &axis, nbpy_name_conv,
                                                   &name);
        if (!ok) return NULL;
        if (nbpy_check_graph_outs(g, &xs) < 0) {
            nbpy_outs_clear(&xs);
            return NULL;
        }
        nbpy_build_begin(g);
        if (r->sig == S_LIST) o = ((fn_list)r->fn)(g->g, xs.v, xs.n, name);
        else o = ((fn_listax)r->fn)(g->g, xs.v, xs.n, axis, name);
        nbpy_outs_clear(&xs);
        break;
    }
    case S_INT: {
        static char *k[] = {"graph", "x", "axis", "name", NULL};
        int axis;
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&i|O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, &axis, nbpy_name_conv, &name))
            return NULL;
        if (nbpy_check_graph(g, &x, 1) < 0) return NULL;
        nbpy_build_begin(g);
        o = ((fn_int)r->fn)(g->g, O(x), axis, name);
        break;
    }
    case S_INTDT: {
        static char *k[] = {"graph", "x", "axis", "dtype", "name", NULL};
        int axis;
        nb_dtype dt;
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&iO&|O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, &axis, nbpy_dtype_conv, &dt,
                                         nbpy_name_conv, &name))
            return NULL;
        if (nbpy_check_graph(g, &x, 1) < 0) return NULL;
        nbpy_build_begin(g);
        o = ((fn_intdt)r->fn)(g->g, O(x), axis, dt, name);
        break;
    }
    case S_INTS:
    case S_I64: {
        static char *k[] = {"graph", "x", "values", "name", NULL};
        nbpy_ints v = {-1, {0}};
        if (!PyArg_ParseTupleAndKeywords(args, kw, r->sig == S_INTS ? "O&O&|O&O&" : "O&O&O&|O&",
                                         k, nbpy_graph_conv, &g, nbpy_output_conv, &x,
                                         nbpy_ints_conv, &v, nbpy_name_conv, &name))
            return NULL;
        if (nbpy_check_graph(g, &x, 1) < 0) return NULL;
        if (r->sig == S_INTS) {
            int c[64];
            if (ints_to_c(&v, c) < 0) return NULL;
            nbpy_build_begin(g);
            o = ((fn_ints)r->fn)(g->g, O(x), v.n < 0 ? NULL : c, v.n < 0 ? 0 : v.n, name);
        } else {
            if (v.n < 0) {
                PyErr_Format(PyExc_TypeError, "%s: the values must be a sequence of ints", r->name);
                return NULL;
            }
            nbpy_build_begin(g);
            o = ((fn_i64)r->fn)(g->g, O(x), v.v, v.n, name);
        }
        break;
    }
    case S_SRC: {
        static char *k[] = {"graph", "dtype", "shape", "name", NULL};
        nb_dtype dt;
        nb_shape shape = nb_shape_make(-1, NULL);
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&|O&O&", k, nbpy_graph_conv, &g,
                                         nbpy_dtype_conv, &dt, nbpy_shape_conv, &shape,
                                         nbpy_name_conv, &name))
            return NULL;
        nbpy_build_begin(g);
        o = ((fn_src)r->fn)(g->g, dt, shape, name);
        break;
    }
    case S_RAND: {
        static char *k[] = {"graph", "dtype", "shape", "a", "b", "seed", "name", NULL};
        nb_dtype dt;
        nb_shape shape;
        double a, b;
        int64_t seed = NB_SEED_NONE;
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&dd|O&O&", k, nbpy_graph_conv, &g,
                                         nbpy_dtype_conv, &dt, nbpy_shape_conv, &shape, &a, &b,
                                         nbpy_seed_conv, &seed, nbpy_name_conv, &name))
            return NULL;
        nbpy_build_begin(g);
        o = ((fn_rand)r->fn)(g->g, dt, shape, a, b, seed, name);
        break;
    }
    case S_INIT: {
        static char *k[] = {"graph", "dtype", "shape", "seed", "name", NULL};
        nb_dtype dt;
        nb_shape shape;
        int64_t seed = NB_SEED_NONE;
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&|O&O&", k, nbpy_graph_conv, &g,
                                         nbpy_dtype_conv, &dt, nbpy_shape_conv, &shape,
                                         nbpy_seed_conv, &seed, nbpy_name_conv, &name))
            return NULL;
        nbpy_build_begin(g);
        o = ((fn_init)r->fn)(g->g, dt, shape, seed, name);
        break;
    }
    case S_G: {
        static char *k[] = {"graph", NULL};
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&", k, nbpy_graph_conv, &g)) return NULL;
        nbpy_build_begin(g);
        o = ((fn_g)r->fn)(g->g);
        break;
    }
    case S_NAME: {
        static char *k[] = {"graph", "name", NULL};
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O&", k, nbpy_graph_conv, &g,
                                         nbpy_name_conv, &name))
            return NULL;
        nbpy_build_begin(g);
        o = ((fn_name)r->fn)(g->g, name);
        break;
    }
    case S_CAST: {
        static char *k[] = {"graph", "x", "dtype", "name", NULL};
        nb_dtype dt;
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&|O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, nbpy_dtype_conv, &dt,
                                         nbpy_name_conv, &name))
            return NULL;
        if (nbpy_check_graph(g, &x, 1) < 0) return NULL;
        nbpy_build_begin(g);
        o = ((fn_cast)r->fn)(g->g, O(x), dt, name);
        break;
    }
    case S_DBL: {
        static char *k[] = {"graph", "x", "value", "name", NULL};
        double v;
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&d|O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, &v, nbpy_name_conv, &name))
            return NULL;
        if (nbpy_check_graph(g, &x, 1) < 0) return NULL;
        nbpy_build_begin(g);
        o = ((fn_dbl)r->fn)(g->g, O(x), v, name);
        break;
    }
    case S_REDT: {
        static char *k[] = {"graph", "x", "axes", "keep_dims", "name", NULL};
        bool keep = false;
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&|O&O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, nbpy_output_conv, &y,
                                         nbpy_bool_conv, &keep, nbpy_name_conv, &name))
            return NULL;
        NbpyOutput *io[2] = {x, y};
        if (nbpy_check_graph(g, io, 2) < 0) return NULL;
        nbpy_build_begin(g);
        o = ((fn_redt)r->fn)(g->g, O(x), O(y), keep, name);
        break;
    }
    case S_POOL: {
        static char *k[] = {"graph", "x", "ksize", "strides", "padding", "name", NULL};
        nbpy_ints ks, st;
        const char *padding;
        int kc[4], sc[4];
        if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&O&s|O&", k, nbpy_graph_conv, &g,
                                         nbpy_output_conv, &x, nbpy_ints_conv, &ks,
                                         nbpy_ints_conv, &st, &padding, nbpy_name_conv, &name))
            return NULL;
        if (nbpy_check_graph(g, &x, 1) < 0 || fixed_ints(&ks, 4, "ksize", kc) < 0 ||
            fixed_ints(&st, 4, "strides", sc) < 0)
            return NULL;
        nbpy_build_begin(g);
        o = ((fn_pool)r->fn)(g->g, O(x), kc, sc, padding, name);
        break;
    }
    }
    return nbpy_build_result(g, o);
}

/*** one-of-a-kind signatures ***/

#define PARSE(fmt, ...) \
    if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, k, __VA_ARGS__)) return NULL
#define CHECK_OUTS(...)                                                  \
    do {                                                                 \
        NbpyOutput *io_[] = {__VA_ARGS__};                               \
        if (nbpy_check_graph(g, io_, (int)(sizeof io_ / sizeof io_[0])) < 0) return NULL; \
    } while (0)

static PyObject *b_constant(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "value", "dtype", "name", NULL};
    NbpyGraph *g;
    PyObject *v, *dto = Py_None;
    const char *name = NULL;
    nb_dtype dt = NB_DTYPE_INVALID;
    PARSE("O&O|OO&", nbpy_graph_conv, &g, &v, &dto, nbpy_name_conv, &name);
    if (dto != Py_None && !nbpy_dtype_conv(dto, &dt)) return NULL;
    nb_tensor *t = nbpy_tensor_from_object(v, dt);
    if (!t) return NULL;
    nbpy_build_begin(g);
    nb_output o = nb_constant(g->g, t, name);
    nb_tensor_unref(t);
    return nbpy_build_result(g, o);
}

static PyObject *b_variable(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "initial_value", "trainable", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    bool trainable = true;
    const char *name = NULL;
    PARSE("O&O&|O&O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, nbpy_bool_conv, &trainable,
          nbpy_name_conv, &name);
    CHECK_OUTS(x);
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_variable_ex(g->g, O(x), trainable, name));
}

static PyObject *b_variable_from_value(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "value", "name", NULL};
    NbpyGraph *g;
    PyObject *v;
    const char *name = NULL;
    PARSE("O&O|O&", nbpy_graph_conv, &g, &v, nbpy_name_conv, &name);
    nb_tensor *t = nbpy_tensor_from_object(v, NB_DTYPE_INVALID);
    if (!t) return NULL;
    nbpy_build_begin(g);
    nb_output o = nb_variable_from_tensor(g->g, t, name);
    nb_tensor_unref(t);
    return nbpy_build_result(g, o);
}

static PyObject *b_matmul(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "a", "b", "transpose_a", "transpose_b", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *a, *b;
    bool ta = false, tb = false;
    const char *name = NULL;
    PARSE("O&O&O&|O&O&O&", nbpy_graph_conv, &g, nbpy_output_conv, &a, nbpy_output_conv, &b,
          nbpy_bool_conv, &ta, nbpy_bool_conv, &tb, nbpy_name_conv, &name);
    CHECK_OUTS(a, b);
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_matmul(g->g, O(a), O(b), ta, tb, name));
}

static PyObject *b_slice(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "begin", "size", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    nbpy_ints b, s;
    const char *name = NULL;
    PARSE("O&O&O&O&|O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, nbpy_ints_conv, &b,
          nbpy_ints_conv, &s, nbpy_name_conv, &name);
    CHECK_OUTS(x);
    if (b.n < 0 || b.n != s.n) {
        PyErr_SetString(PyExc_ValueError, "slice: begin and size must be lists of one length");
        return NULL;
    }
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_slice(g->g, O(x), b.v, s.v, b.n, name));
}

static PyObject *b_pad(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "paddings", "name", "mode", "constant_value", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    PyObject *p;
    const char *name = NULL;
    int mode = NB_PAD_CONSTANT;
    double cv = 0;
    PARSE("O&O&O|O&id", nbpy_graph_conv, &g, nbpy_output_conv, &x, &p, nbpy_name_conv, &name,
          &mode, &cv);
    CHECK_OUTS(x);
    PyArrayObject *a = (PyArrayObject *)PyArray_FromAny(
        p, PyArray_DescrFromType(NPY_INT64), 2, 2, NPY_ARRAY_CARRAY | NPY_ARRAY_FORCECAST, NULL);
    if (!a) return NULL;
    if (PyArray_DIM(a, 1) != 2 || PyArray_DIM(a, 0) > NB_MAX_RANK) {
        Py_DECREF(a);
        PyErr_SetString(PyExc_ValueError, "paddings must be [rank, 2]");
        return NULL;
    }
    nbpy_build_begin(g);
    nb_output o = nb_pad_ex(g->g, O(x), PyArray_DATA(a), (int)PyArray_DIM(a, 0),
                            (nb_pad_mode)mode, cv, name);
    Py_DECREF(a);
    return nbpy_build_result(g, o);
}

static PyObject *b_gather(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "params", "indices", "axis", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x, *i;
    int axis = 0;
    const char *name = NULL;
    PARSE("O&O&O&|iO&", nbpy_graph_conv, &g, nbpy_output_conv, &x, nbpy_output_conv, &i, &axis,
          nbpy_name_conv, &name);
    CHECK_OUTS(x, i);
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_gather(g->g, O(x), O(i), axis, name));
}

static PyObject *b_one_hot(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "indices", "depth", "on_value", "off_value", "dtype", "name",
                        "axis", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    long long depth;
    double on = 1, off = 0;
    PyObject *dto = Py_None;
    nb_dtype dt = NB_DTYPE_INVALID;
    const char *name = NULL;
    int axis = -1;
    PARSE("O&O&L|ddOO&i", nbpy_graph_conv, &g, nbpy_output_conv, &x, &depth, &on, &off, &dto,
          nbpy_name_conv, &name, &axis);
    CHECK_OUTS(x);
    if (dto != Py_None && !nbpy_dtype_conv(dto, &dt)) return NULL;
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_one_hot_axis(g->g, O(x), depth, on, off, dt, axis, name));
}

static int conv_args(const nbpy_ints *st, const nbpy_ints *dil, int *sc, int *dc) {
    if (fixed_ints(st, 4, "strides", sc) < 0) return -1;
    if (dil->n >= 0 && fixed_ints(dil, 4, "dilations", dc) < 0) return -1;
    return 0;
}

static PyObject *b_conv2d(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "input", "filter", "strides", "padding", "dilations", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x, *f;
    nbpy_ints st, dil = {-1, {0}};
    const char *padding, *name = NULL;
    int sc[4], dc[4];
    PARSE("O&O&O&O&s|O&O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, nbpy_output_conv, &f,
          nbpy_ints_conv, &st, &padding, nbpy_ints_conv, &dil, nbpy_name_conv, &name);
    CHECK_OUTS(x, f);
    if (conv_args(&st, &dil, sc, dc) < 0) return NULL;
    nbpy_build_begin(g);
    return nbpy_build_result(
        g, nb_nn_conv2d(g->g, O(x), O(f), sc, padding, dil.n < 0 ? NULL : dc, name));
}

static PyObject *b_conv2d_backprop(PyObject *self, PyObject *args, PyObject *kw) {
    static char *k[] = {"graph", "a", "b", "out_backprop", "strides", "padding", "dilations",
                        "name", NULL};
    NbpyGraph *g;
    NbpyOutput *a, *b, *dy;
    nbpy_ints st, dil = {-1, {0}};
    const char *padding, *name = NULL;
    int sc[4], dc[4];
    PARSE("O&O&O&O&O&s|O&O&", nbpy_graph_conv, &g, nbpy_output_conv, &a, nbpy_output_conv, &b,
          nbpy_output_conv, &dy, nbpy_ints_conv, &st, &padding, nbpy_ints_conv, &dil,
          nbpy_name_conv, &name);
    CHECK_OUTS(a, b, dy);
    if (conv_args(&st, &dil, sc, dc) < 0) return NULL;
    bool input = PyLong_AsLong(self) == 0;
    nbpy_build_begin(g);
    nb_output o = input ? nb_nn_conv2d_backprop_input(g->g, O(a), O(b), O(dy), sc, padding,
                                                      dil.n < 0 ? NULL : dc, name)
                        : nb_nn_conv2d_backprop_filter(g->g, O(a), O(b), O(dy), sc, padding,
                                                       dil.n < 0 ? NULL : dc, name);
    return nbpy_build_result(g, o);
}

static PyObject *b_max_pool_grad(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "orig_input", "orig_output", "grad", "ksize", "strides",
                        "padding", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *a, *b, *c;
    nbpy_ints ks, st;
    const char *padding, *name = NULL;
    int kc[4], sc[4];
    PARSE("O&O&O&O&O&O&s|O&", nbpy_graph_conv, &g, nbpy_output_conv, &a, nbpy_output_conv, &b,
          nbpy_output_conv, &c, nbpy_ints_conv, &ks, nbpy_ints_conv, &st, &padding,
          nbpy_name_conv, &name);
    CHECK_OUTS(a, b, c);
    if (fixed_ints(&ks, 4, "ksize", kc) < 0 || fixed_ints(&st, 4, "strides", sc) < 0) return NULL;
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_nn_max_pool_grad(g->g, O(a), O(b), O(c), kc, sc, padding, name));
}

static PyObject *b_avg_pool_grad(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "orig_input_shape", "grad", "ksize", "strides", "padding",
                        "name", NULL};
    NbpyGraph *g;
    NbpyOutput *a, *b;
    nbpy_ints ks, st;
    const char *padding, *name = NULL;
    int kc[4], sc[4];
    PARSE("O&O&O&O&O&s|O&", nbpy_graph_conv, &g, nbpy_output_conv, &a, nbpy_output_conv, &b,
          nbpy_ints_conv, &ks, nbpy_ints_conv, &st, &padding, nbpy_name_conv, &name);
    CHECK_OUTS(a, b);
    if (fixed_ints(&ks, 4, "ksize", kc) < 0 || fixed_ints(&st, 4, "strides", sc) < 0) return NULL;
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_nn_avg_pool_grad(g->g, O(a), O(b), kc, sc, padding, name));
}

/* returns (y, batch_mean, batch_variance) */
static PyObject *b_fused_batch_norm(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "scale", "offset", "mean", "variance", "epsilon",
                        "is_training", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x, *s, *of, *m = NULL, *v = NULL;
    double eps = 0.001;
    bool training = true;
    const char *name = NULL;
    PARSE("O&O&O&O&|O&O&dO&O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, nbpy_output_conv, &s,
          nbpy_output_conv, &of, nbpy_opt_output_conv, &m, nbpy_opt_output_conv, &v, &eps,
          nbpy_bool_conv, &training, nbpy_name_conv, &name);
    CHECK_OUTS(x, s, of, m, v);
    nb_output bm = nb_nil, bv = nb_nil;
    nbpy_build_begin(g);
    nb_output y = nb_nn_fused_batch_norm(g->g, O(x), O(s), O(of), O(m), O(v), eps, training, &bm,
                                         &bv, name);
    if (nbpy_build_end(g) < 0) return NULL;
    nb_output all[3] = {y, bm, bv};
    PyObject *l = nbpy_outputs_list(g, all, 3);
    if (!l) return NULL;
    PyObject *t = PyList_AsTuple(l);
    Py_DECREF(l);
    return t;
}

static PyObject *b_gelu(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "approximate", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    bool approx = false;
    const char *name = NULL;
    PARSE("O&O&|O&O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, nbpy_bool_conv, &approx,
          nbpy_name_conv, &name);
    CHECK_OUTS(x);
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_nn_gelu(g->g, O(x), approx, name));
}

/* dropout(graph, x, keep_prob (float or Output), seed=None, training=None, name=None) */
static PyObject *b_dropout(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "keep_prob", "seed", "training", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x, *tr = NULL;
    PyObject *kp;
    int64_t seed = NB_SEED_NONE;
    const char *name = NULL;
    PARSE("O&O&O|O&O&O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, &kp, nbpy_seed_conv, &seed,
          nbpy_opt_output_conv, &tr, nbpy_name_conv, &name);
    CHECK_OUTS(x, tr);
    nb_output o;
    if (PyObject_TypeCheck(kp, &NbpyOutput_Type)) {
        NbpyOutput *kpo = (NbpyOutput *)kp;
        CHECK_OUTS(kpo);
        nbpy_build_begin(g);
        o = nb_nn_dropout_t(g->g, O(x), O(kpo), seed, O(tr), name);
    } else {
        double p = PyFloat_AsDouble(kp);
        if (p == -1 && PyErr_Occurred()) return NULL;
        nbpy_build_begin(g);
        o = nb_nn_dropout(g->g, O(x), p, seed, O(tr), name);
    }
    return nbpy_build_result(g, o);
}

static int layer_options(PyObject *kernel_init, PyObject *use_bias, PyObject *seed,
                         nb_layer_options *opt) {
    memset(opt, 0, sizeof *opt);
    if (kernel_init != Py_None) {
        long v = PyLong_AsLong(kernel_init);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v < NB_INIT_GLOROT_UNIFORM || v > NB_INIT_ZEROS) {
            PyErr_Format(PyExc_ValueError, "unknown kernel initializer %ld", v);
            return -1;
        }
        opt->kernel_initializer = (nb_initializer)v;
    }
    int b = PyObject_IsTrue(use_bias);
    if (b < 0) return -1;
    opt->no_bias = !b;
    if (seed != Py_None) {
        opt->has_seed = true;
        if (!nbpy_seed_conv(seed, &opt->seed)) return -1;
    }
    return 0;
}

static int activation(int a) {
    if (a < NB_ACT_NONE || a > NB_ACT_GELU) {
        PyErr_Format(PyExc_ValueError, "unknown activation %d", a);
        return -1;
    }
    return 0;
}

static PyObject *b_dense(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "units", "activation", "kernel_initializer", "use_bias",
                        "seed", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    long long units;
    int act = 0;
    PyObject *ki = Py_None, *ub = Py_True, *seed = Py_None;
    const char *name = NULL;
    nb_layer_options opt;
    PARSE("O&O&L|iOOOO&", nbpy_graph_conv, &g, nbpy_output_conv, &x, &units, &act, &ki, &ub,
          &seed, nbpy_name_conv, &name);
    CHECK_OUTS(x);
    if (activation(act) < 0 || layer_options(ki, ub, seed, &opt) < 0) return NULL;
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_layers_dense_ex(g->g, O(x), units, act, &opt, name));
}

static PyObject *b_layers_conv2d(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "filters", "kh", "kw", "stride", "padding", "activation",
                        "kernel_initializer", "use_bias", "seed", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    long long filters;
    int kh, kwid, stride = 1, act = 0;
    const char *padding = NULL, *name = NULL;
    PyObject *ki = Py_None, *ub = Py_True, *seed = Py_None;
    nb_layer_options opt;
    PARSE("O&O&Lii|izi" "OOOO&", nbpy_graph_conv, &g, nbpy_output_conv, &x, &filters, &kh, &kwid,
          &stride, &padding, &act, &ki, &ub, &seed, nbpy_name_conv, &name);
    CHECK_OUTS(x);
    if (activation(act) < 0 || layer_options(ki, ub, seed, &opt) < 0) return NULL;
    nbpy_build_begin(g);
    return nbpy_build_result(
        g, nb_layers_conv2d_ex(g->g, O(x), filters, kh, kwid, stride, padding, act, &opt, name));
}

static PyObject *b_variance_scaling(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "dtype", "shape", "scale", "mode", "uniform", "seed", "name", NULL};
    NbpyGraph *g;
    nb_dtype dt;
    nb_shape shape;
    double scale = 1;
    int mode = NB_FAN_IN;
    bool uniform = false;
    int64_t seed = NB_SEED_NONE;
    const char *name = NULL;
    PARSE("O&O&O&|diO&O&O&", nbpy_graph_conv, &g, nbpy_dtype_conv, &dt, nbpy_shape_conv, &shape,
          &scale, &mode, nbpy_bool_conv, &uniform, nbpy_seed_conv, &seed, nbpy_name_conv, &name);
    if (mode < NB_FAN_IN || mode > NB_FAN_AVG) {
        PyErr_Format(PyExc_ValueError, "mode must be 0 (fan_in), 1 (fan_out) or 2 (fan_avg)");
        return NULL;
    }
    nbpy_build_begin(g);
    return nbpy_build_result(
        g, nb_variance_scaling(g->g, dt, shape, scale, (nb_fan_mode)mode, uniform, seed, name));
}

static PyObject *b_check_numerics(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "message", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    const char *msg, *name = NULL;
    PARSE("O&O&s|O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, &msg, nbpy_name_conv, &name);
    CHECK_OUTS(x);
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_check_numerics(g->g, O(x), msg, name));
}

/* summary_scalar(graph, name, x) / summary_histogram(graph, name, x) */
static PyObject *b_summary(PyObject *self, PyObject *args, PyObject *kw) {
    static char *k[] = {"graph", "name", "x", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    const char *name;
    PARSE("O&sO&", nbpy_graph_conv, &g, &name, nbpy_output_conv, &x);
    CHECK_OUTS(x);
    bool hist = PyLong_AsLong(self) == 1;
    nbpy_build_begin(g);
    nb_output o = hist ? nb_summary_histogram(g->g, name, O(x)) : nb_summary_scalar(g->g, name, O(x));
    return nbpy_build_result(g, o);
}

static PyObject *b_summary_merge(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "summaries", "name", NULL};
    NbpyGraph *g;
    nbpy_outs xs;
    const char *name = NULL;
    PARSE("O&O&|O&", nbpy_graph_conv, &g, nbpy_outs_conv, &xs, nbpy_name_conv, &name);
    if (nbpy_check_graph_outs(g, &xs) < 0) {
        nbpy_outs_clear(&xs);
        return NULL;
    }
    nbpy_build_begin(g);
    nb_output o = nb_summary_merge(g->g, xs.v, xs.n, name);
    nbpy_outs_clear(&xs);
    return nbpy_build_result(g, o);
}

/* strided_slice(graph, x, begin, end, strides=None, begin_mask=0, end_mask=0,
 *               ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0, name=None);
 * begin/end/strides lists of ints, or Outputs (then nb_strided_slice_t). */
static PyObject *b_strided_slice(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "begin", "end", "strides", "begin_mask", "end_mask",
                        "ellipsis_mask", "new_axis_mask", "shrink_axis_mask", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    PyObject *bo, *eo, *so = Py_None;
    int bm = 0, em = 0, elm = 0, nam = 0, sam = 0;
    const char *name = NULL;
    PARSE("O&O&OO|OiiiiiO&", nbpy_graph_conv, &g, nbpy_output_conv, &x, &bo, &eo, &so, &bm, &em,
          &elm, &nam, &sam, nbpy_name_conv, &name);
    CHECK_OUTS(x);
    if (PyObject_TypeCheck(bo, &NbpyOutput_Type)) {
        NbpyOutput *b, *e, *s;
        if (!nbpy_output_conv(bo, &b) || !nbpy_output_conv(eo, &e) || !nbpy_output_conv(so, &s))
            return NULL;
        CHECK_OUTS(b, e, s);
        nbpy_build_begin(g);
        return nbpy_build_result(
            g, nb_strided_slice_t(g->g, O(x), O(b), O(e), O(s), bm, em, elm, nam, sam, name));
    }
    nbpy_ints b, e, s = {-1, {0}};
    if (!nbpy_ints_conv(bo, &b) || !nbpy_ints_conv(eo, &e) || !nbpy_ints_conv(so, &s)) return NULL;
    if (b.n < 0 || b.n != e.n || (s.n >= 0 && s.n != b.n)) {
        PyErr_SetString(PyExc_ValueError, "strided_slice: begin, end and strides must have one length");
        return NULL;
    }
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_strided_slice(g->g, O(x), b.v, e.v, s.n < 0 ? NULL : s.v, b.n,
                                                 bm, em, elm, nam, sam, name));
}

/* The outputs of a multi-output op as a list. */
static PyObject *all_outputs(NbpyGraph *g, nb_output first) {
    if (nbpy_build_end(g) < 0) return NULL;
    if (!first.op) return PyList_New(0);
    int n = nb_op_num_outputs(first.op);
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++) {
        PyObject *x = nbpy_output_new(g, nb_op_output(first.op, i));
        if (!x) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, x);
    }
    return l;
}

static PyObject *b_unstack(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "value", "num", "axis", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    int num = -1, axis = 0;
    const char *name = NULL;
    PARSE("O&O&|iiO&", nbpy_graph_conv, &g, nbpy_output_conv, &x, &num, &axis, nbpy_name_conv, &name);
    CHECK_OUTS(x);
    nbpy_build_begin(g);
    return all_outputs(g, nb_unstack(g->g, O(x), num, axis, name));
}

static PyObject *b_split(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "value", "num_split", "axis", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    int num, axis = 0;
    const char *name = NULL;
    PARSE("O&O&i|iO&", nbpy_graph_conv, &g, nbpy_output_conv, &x, &num, &axis, nbpy_name_conv, &name);
    CHECK_OUTS(x);
    nbpy_build_begin(g);
    return all_outputs(g, nb_split(g->g, O(x), num, axis, name));
}

static PyObject *b_split_v(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "value", "size_splits", "axis", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    nbpy_ints sizes;
    int axis = 0;
    const char *name = NULL;
    PARSE("O&O&O&|iO&", nbpy_graph_conv, &g, nbpy_output_conv, &x, nbpy_ints_conv, &sizes, &axis,
          nbpy_name_conv, &name);
    CHECK_OUTS(x);
    if (sizes.n < 0) {
        PyErr_SetString(PyExc_TypeError, "split_v: size_splits must be a list of ints");
        return NULL;
    }
    nbpy_build_begin(g);
    return all_outputs(g, nb_split_v(g->g, O(x), sizes.v, sizes.n, axis, name));
}

static PyObject *b_placeholder_with_default(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "input", "shape", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    nb_shape shape;
    const char *name = NULL;
    PARSE("O&O&O&|O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, nbpy_shape_conv, &shape,
          nbpy_name_conv, &name);
    CHECK_OUTS(x);
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_placeholder_with_default(g->g, O(x), shape, name));
}

static PyObject *b_print(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "input", "data", "message", "first_n", "summarize", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    nbpy_outs data;
    const char *msg = "", *name = NULL;
    int first_n = -1, summarize = 3;
    PARSE("O&O&O&|siiO&", nbpy_graph_conv, &g, nbpy_output_conv, &x, nbpy_outs_conv, &data, &msg,
          &first_n, &summarize, nbpy_name_conv, &name);
    if (nbpy_check_graph(g, &x, 1) < 0 || nbpy_check_graph_outs(g, &data) < 0) {
        nbpy_outs_clear(&data);
        return NULL;
    }
    nbpy_build_begin(g);
    nb_output o = nb_print(g->g, O(x), data.v, data.n, msg, first_n, summarize, name);
    nbpy_outs_clear(&data);
    return nbpy_build_result(g, o);
}

static PyObject *b_summary_image(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "name", "images", "max_outputs", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    const char *name;
    int max_outputs = 3;
    PARSE("O&sO&|i", nbpy_graph_conv, &g, &name, nbpy_output_conv, &x, &max_outputs);
    CHECK_OUTS(x);
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_summary_image(g->g, name, O(x), max_outputs));
}

static PyObject *b_top_k(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "x", "k", "sorted", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    int kk = 1;
    bool sorted = true;
    const char *name = NULL;
    PARSE("O&O&|iO&O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, &kk, nbpy_bool_conv, &sorted,
          nbpy_name_conv, &name);
    CHECK_OUTS(x);
    nbpy_build_begin(g);
    return all_outputs(g, nb_top_k(g->g, O(x), kk, sorted, name));
}

static PyObject *b_in_top_k(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "predictions", "targets", "k", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *p, *t;
    int kk;
    const char *name = NULL;
    PARSE("O&O&O&i|O&", nbpy_graph_conv, &g, nbpy_output_conv, &p, nbpy_output_conv, &t, &kk,
          nbpy_name_conv, &name);
    CHECK_OUTS(p, t);
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_in_top_k(g->g, O(p), O(t), kk, name));
}

static PyObject *b_scatter_nd(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *k[] = {"graph", "indices", "updates", "shape", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *i, *u;
    nbpy_ints shape;
    const char *name = NULL;
    PARSE("O&O&O&O&|O&", nbpy_graph_conv, &g, nbpy_output_conv, &i, nbpy_output_conv, &u,
          nbpy_ints_conv, &shape, nbpy_name_conv, &name);
    CHECK_OUTS(i, u);
    if (shape.n < 0) {
        PyErr_SetString(PyExc_TypeError, "scatter_nd: shape must be a list of ints");
        return NULL;
    }
    nbpy_build_begin(g);
    return nbpy_build_result(g, nb_scatter_nd(g->g, O(i), O(u), shape.v, shape.n, name));
}

/* cumsum / cumprod: (graph, x, axis=0, exclusive=False, reverse=False, name) */
static PyObject *scan_builder(PyObject *args, PyObject *kw,
                              nb_output (*fn)(nb_graph *, nb_output, int, bool, bool, const char *)) {
    static char *k[] = {"graph", "x", "axis", "exclusive", "reverse", "name", NULL};
    NbpyGraph *g;
    NbpyOutput *x;
    int axis = 0;
    bool excl = false, rev = false;
    const char *name = NULL;
    PARSE("O&O&|iO&O&O&", nbpy_graph_conv, &g, nbpy_output_conv, &x, &axis, nbpy_bool_conv, &excl,
          nbpy_bool_conv, &rev, nbpy_name_conv, &name);
    CHECK_OUTS(x);
    nbpy_build_begin(g);
    return nbpy_build_result(g, fn(g->g, O(x), axis, excl, rev, name));
}

static PyObject *b_cumsum(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    return scan_builder(args, kw, nb_cumsum);
}

static PyObject *b_cumprod(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    return scan_builder(args, kw, nb_cumprod);
}

#define KW (METH_VARARGS | METH_KEYWORDS)
#define F(name, fn, doc) {name, (PyCFunction)(void (*)(void))fn, KW, doc}
static PyMethodDef single_defs[] = {
    F("constant", b_constant, "constant(graph, value, dtype=None, name=None)"),
    F("variable", b_variable, "variable(graph, initial_value, trainable=True, name=None) -> read output"),
    F("variable_from_value", b_variable_from_value, "variable_from_value(graph, ndarray, name=None)"),
    F("matmul", b_matmul, "matmul(graph, a, b, transpose_a=False, transpose_b=False, name=None)"),
    F("slice", b_slice, "slice(graph, x, begin, size, name=None)"),
    F("pad", b_pad, "pad(graph, x, paddings [[before, after], ...], name=None, mode=0 (CONSTANT; 1 REFLECT, 2 SYMMETRIC), constant_value=0)"),
    F("gather", b_gather, "gather(graph, params, indices, axis=0, name=None)"),
    F("one_hot", b_one_hot, "one_hot(graph, indices, depth, on_value=1, off_value=0, dtype=None, name=None, axis=-1)"),
    F("nn_conv2d", b_conv2d, "nn_conv2d(graph, input, filter, strides, padding, dilations=None, name=None)"),
    F("nn_max_pool_grad", b_max_pool_grad, "(graph, orig_input, orig_output, grad, ksize, strides, padding, name)"),
    F("nn_avg_pool_grad", b_avg_pool_grad, "(graph, orig_input_shape, grad, ksize, strides, padding, name)"),
    F("nn_fused_batch_norm", b_fused_batch_norm,
      "(graph, x, scale, offset, mean=None, variance=None, epsilon=0.001, is_training=True, name=None) -> (y, batch_mean, batch_variance)"),
    F("nn_gelu", b_gelu, "nn_gelu(graph, x, approximate=False, name=None)"),
    F("nn_dropout", b_dropout, "nn_dropout(graph, x, keep_prob (float or Output), seed=None, training=None, name=None)"),
    F("layers_dense", b_dense,
      "layers_dense(graph, x, units, activation=0, kernel_initializer=None, use_bias=True, seed=None, name=None)"),
    F("layers_conv2d", b_layers_conv2d,
      "layers_conv2d(graph, x, filters, kh, kw, stride=1, padding=None, activation=0, kernel_initializer=None, use_bias=True, seed=None, name=None)"),
    F("variance_scaling", b_variance_scaling,
      "variance_scaling(graph, dtype, shape, scale=1, mode=0, uniform=False, seed=None, name=None)"),
    F("check_numerics", b_check_numerics, "check_numerics(graph, x, message, name=None)"),
    F("summary_merge", b_summary_merge, "summary_merge(graph, summaries, name=None)"),
    F("strided_slice", b_strided_slice,
      "strided_slice(graph, x, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0, name=None)"),
    F("unstack", b_unstack, "unstack(graph, value, num=-1, axis=0, name=None) -> [Output]"),
    F("split", b_split, "split(graph, value, num_split, axis=0, name=None) -> [Output]"),
    F("split_v", b_split_v, "split_v(graph, value, size_splits, axis=0, name=None) -> [Output]"),
    F("placeholder_with_default", b_placeholder_with_default,
      "placeholder_with_default(graph, input, shape, name=None)"),
    F("print_", b_print,
      "print_(graph, input, data, message='', first_n=-1, summarize=3, name=None) (tf.Print)"),
    F("summary_image", b_summary_image, "summary_image(graph, name, images, max_outputs=3)"),
    F("top_k", b_top_k, "top_k(graph, x, k=1, sorted=True, name=None) -> [values, indices]"),
    F("in_top_k", b_in_top_k, "in_top_k(graph, predictions, targets, k, name=None)"),
    F("scatter_nd", b_scatter_nd, "scatter_nd(graph, indices, updates, shape, name=None)"),
    F("cumsum", b_cumsum, "cumsum(graph, x, axis=0, exclusive=False, reverse=False, name=None)"),
    F("cumprod", b_cumprod, "cumprod(graph, x, axis=0, exclusive=False, reverse=False, name=None)"),
    F("strided_slice_t", b_strided_slice,
      "strided_slice_t(graph, x, begin, end, strides, begin_mask=0, ...): the same function; begin/end/strides Outputs"),
    {NULL, NULL, 0, NULL}};

/* functions whose self says which variant: (def, self value) */
static PyMethodDef variant_defs[] = {
    F("nn_conv2d_backprop_input", b_conv2d_backprop,
      "(graph, input_sizes, filter, out_backprop, strides, padding, dilations=None, name=None)"),
    F("nn_conv2d_backprop_filter", b_conv2d_backprop,
      "(graph, input, filter_sizes, out_backprop, strides, padding, dilations=None, name=None)"),
    F("summary_scalar", b_summary, "summary_scalar(graph, name, x)"),
    F("summary_histogram", b_summary, "summary_histogram(graph, name, x)"),
};
static const int variant_self[] = {0, 1, 0, 1};

int nbpy_ops_register(PyObject *m) {
    PyObject *modname = PyModule_GetNameObject(m);
    if (!modname) return -1;
    for (int i = 0; i < N_ROWS; i++) {
        defs[i].ml_name = rows[i].name;
        defs[i].ml_meth = (PyCFunction)(void (*)(void))trampoline;
        defs[i].ml_flags = KW;
        defs[i].ml_doc = rows[i].doc;
        PyObject *cap = PyCapsule_New((void *)&rows[i], "nabla.row", NULL);
        PyObject *f = cap ? PyCFunction_NewEx(&defs[i], cap, modname) : NULL;
        Py_XDECREF(cap);
        if (!f || PyModule_AddObject(m, rows[i].name, f) < 0) {
            Py_XDECREF(f);
            Py_DECREF(modname);
            return -1;
        }
    }
    for (int i = 0; i < (int)(sizeof variant_self / sizeof variant_self[0]); i++) {
        PyObject *v = PyLong_FromLong(variant_self[i]);
        PyObject *f = v ? PyCFunction_NewEx(&variant_defs[i], v, modname) : NULL;
        Py_XDECREF(v);
        if (!f || PyModule_AddObject(m, variant_defs[i].ml_name, f) < 0) {
            Py_XDECREF(f);
            Py_DECREF(modname);
            return -1;
        }
    }
    Py_DECREF(modname);
    return PyModule_AddFunctions(m, single_defs);
}
