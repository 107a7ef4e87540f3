/*
 * misc.c — ops of TF1's Python namespace that belong to no family:
 * PlaceholderWithDefault (tf.placeholder_with_default), Print (tf.Print) and
 * LinSpace (tf.linspace).
 *
 * Print keeps first_n in attrs.ints[0], summarize in attrs.ints[1] and its
 * message in attrs.message; the number of lines printed so far is the
 * session's counter for the op (nbi_kop_counter), so each session prints its
 * own first_n lines, as each TF1 session has its own Print kernel.
 */
#include "ops/ops_impl.h"
#include "io/io.h"
#include "graph/graphdef_attrs.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>

/*** PlaceholderWithDefault ***/

static nb_status infer_placeholder_with_default(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (dt != op->attrs.dtype)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Input 'input' of 'PlaceholderWithDefault' Op has type %s that does not match expected type of %s",
                               nbi_dtype_tfname(dt), nbi_dtype_tfname(op->attrs.dtype));
    const nb_shape *in = nbi_in_shape(op, 0), *want = &op->attrs.shape;
    nb_shape m;
    if (!nbi_shape_merge(in, want, &m)) {
        char a[128], b[128];
        if (in->rank >= 0 && want->rank >= 0 && in->rank != want->rank)
            return nbi_infer_error(op, NB_ERR_SHAPE, "Shapes must be equal rank, but are %d and %d", in->rank,
                                   want->rank);
        for (int i = 0; i < in->rank; i++)
            if (in->dims[i] >= 0 && want->dims[i] >= 0 && in->dims[i] != want->dims[i])
                return nbi_infer_error(op, NB_ERR_SHAPE,
                                       "Dimension %d in both shapes must be equal, but are %lld and %lld. Shapes are %s and %s.",
                                       i, (long long)in->dims[i], (long long)want->dims[i],
                                       nb_shape_string(*in, a, sizeof a), nb_shape_string(*want, b, sizeof b));
        return nbi_infer_error(op, NB_ERR_SHAPE, "Shapes %s and %s are incompatible", nb_shape_string(*in, a, sizeof a),
                               nb_shape_string(*want, b, sizeof b));
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    op->out_shape[0] = *want; /* may be less precise than the default's */
    return NB_OK;
}

static nb_status k_identity_in0(nbi_kctx *k) {
    k->out[0] = nb_tensor_ref(k->in[0]);
    return NB_OK;
}

/* Passes the gradient to the default value (as an Identity would). */
static void g_pass_in0(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    (void)g;
    (void)op;
    dx[0] = dy[0];
}

const nbi_opdef nbi_opdef_PLACEHOLDER_WITH_DEFAULT = {
    .type = "PlaceholderWithDefault", .n_inputs = 1, .infer = infer_placeholder_with_default,
    .kernel = k_identity_in0, .grad = g_pass_in0,
    .attrs = NBI_ATTRS({"dtype", NBI_A_DTYPE}, {"shape", NBI_A_SHAPE}),
};

nb_output nb_placeholder_with_default(nb_graph *g, nb_output input, nb_shape shape, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (shape.rank < -1 || shape.rank > NB_MAX_RANK) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_placeholder_with_default: bad shape rank %d", shape.rank);
        return nb_nil;
    }
    nb_op *op = nbi_op_new(g, NBI_OP_PLACEHOLDER_WITH_DEFAULT, name, NULL, &input, 1);
    if (!op) return nb_nil;
    op->attrs.dtype = nb_output_dtype(input);
    op->attrs.shape = shape;
    if (shape.rank < 0) op->attrs.shape.rank = -1;
    return nbi_op_finish(op);
}

/*** Print ***/

/* TF's StrCat of one element: floats with 6 (float) / 15 (double) significant
 * digits, or 9 / 17 when fewer do not read back the same value. */
static void print_element(nbi_sbuf *b, const nb_tensor *t, int64_t i) {
    char s[64];
    switch (t->dtype) {
    case NB_FLOAT32: {
        float v = ((const float *)t->data)[i];
        snprintf(s, sizeof s, "%.*g", FLT_DIG, (double)v);
        if (strtof(s, NULL) != v && v == v) snprintf(s, sizeof s, "%.*g", FLT_DIG + 3, (double)v);
        break;
    }
    case NB_FLOAT64: {
        double v = ((const double *)t->data)[i];
        snprintf(s, sizeof s, "%.*g", DBL_DIG, v);
        if (strtod(s, NULL) != v && v == v) snprintf(s, sizeof s, "%.*g", DBL_DIG + 2, v);
        break;
    }
    case NB_INT64: snprintf(s, sizeof s, "%lld", (long long)((const int64_t *)t->data)[i]); break;
    case NB_INT32: snprintf(s, sizeof s, "%d", ((const int32_t *)t->data)[i]); break;
    default: snprintf(s, sizeof s, "%d", (int)((const uint8_t *)t->data)[i]); break; /* uint8, bool: numbers */
    }
    /* TF prints inf/nan as "inf", "-inf", "nan" (as %g does) */
    nbi_sb_puts(b, s);
}

/* TF1's Tensor::SummarizeValue(limit) (the pre-v2 layout): nested brackets per
 * dim, at most `limit` elements, "..." where it stops. */
static void print_dim(nbi_sbuf *b, const nb_tensor *t, int dim, int64_t limit, int64_t *at) {
    if (*at >= limit) return;
    int64_t n = t->dims[dim];
    if (dim == t->rank - 1) {
        for (int64_t i = 0; i < n; i++) {
            if (*at >= limit) {
                if (dim != 0) nbi_sb_puts(b, "...");
                return;
            }
            if (i > 0) nbi_sb_puts(b, " ");
            print_element(b, t, (*at)++);
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        bool open = false;
        if (*at < limit) {
            nbi_sb_puts(b, "[");
            open = true;
        }
        print_dim(b, t, dim + 1, limit, at);
        if (*at < limit || open) nbi_sb_puts(b, "]");
    }
}

static void summarize(nbi_sbuf *b, const nb_tensor *t, int64_t max_entries) {
    int64_t limit = max_entries < 0 || max_entries > t->size ? t->size : max_entries;
    if (t->rank == 0) {
        for (int64_t i = 0; i < limit; i++) {
            if (i > 0) nbi_sb_puts(b, " ");
            print_element(b, t, i);
        }
        if (t->size > limit) nbi_sb_puts(b, "...");
        return;
    }
    int64_t at = 0;
    print_dim(b, t, 0, limit, &at);
    if (t->size > limit) nbi_sb_puts(b, "...");
}

static nb_status infer_print(nb_op *op) {
    /* a GraphDef node may list no inputs (found by fuzz/fuzz_graphdef.c) */
    if (op->n_inputs < 1) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Print needs at least one input");
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = *nbi_in_shape(op, 0);
    return NB_OK;
}

static nb_status k_print(nbi_kctx *k) {
    nb_op *op = k->op;
    k->out[0] = nb_tensor_ref(k->in[0]);
    int64_t first_n = op->attrs.ints[0];
    if (first_n >= 0) {
        uint32_t *done = nbi_kop_counter(k); /* stops counting at first_n: no wrap */
        if ((int64_t)*done >= first_n) return NB_OK;
        (*done)++;
    }
    nbi_sbuf b = {0};
    nbi_sb_puts(&b, op->attrs.message ? op->attrs.message : "");
    for (int i = 1; i < op->n_inputs; i++) {
        nbi_sb_puts(&b, "[");
        summarize(&b, k->in[i], op->attrs.ints[1]);
        nbi_sb_puts(&b, "]");
    }
    nbi_sb_puts(&b, "\n");
    if (b.oom) {
        nbi_free(b.p);
        return nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory formatting the Print message");
    }
    fputs(b.p, stderr);
    fflush(stderr);
    nbi_free(b.p);
    return NB_OK;
}

/* TF: the gradient passes to the printed input; none to the data. */
const nbi_opdef nbi_opdef_PRINT = {
    .type = "Print", .n_inputs = -1, .flags = NBI_STATEFUL, .infer = infer_print, .kernel = k_print,
    .grad = g_pass_in0,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"U", NBI_A_T_REST}, {"first_n", NBI_A_FIRST_N}, {"message", NBI_A_MESSAGE},
                       {"summarize", NBI_A_SUMMARIZE}),
};

nb_output nb_print(nb_graph *g, nb_output input, const nb_output *data, int n_data, const char *message,
                   int first_n, int summarize_n, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (n_data < 0 || (n_data > 0 && !data)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_print: bad data list (%d tensors)", n_data);
        return nb_nil;
    }
    nb_output *in = nbi_malloc(((size_t)n_data + 1) * sizeof *in);
    char *m = nbi_strdup(message ? message : "");
    if (!in || !m || !nbi_graph_own(g, m, nbi_free)) {
        nbi_free(in);
        nbi_free(m);
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory adding Print");
        return nb_nil;
    }
    in[0] = input;
    if (n_data) memcpy(in + 1, data, (size_t)n_data * sizeof *in);
    nb_op *op = nbi_op_new(g, NBI_OP_PRINT, name, NULL, in, n_data + 1);
    nbi_free(in);
    if (!op) return nb_nil;
    op->attrs.message = m;
    op->attrs.ints[0] = first_n;
    op->attrs.ints[1] = summarize_n;
    op->attrs.ints[2] = 0;
    op->attrs.n_ints = 2;
    return nbi_op_finish(op);
}

/*** LinSpace ***/

static nb_status infer_lin_space(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0), nt = nbi_in_dtype(op, 2);
    if (!nbi_dtype_is_float(dt))
        return nbi_infer_error(op, NB_ERR_DTYPE, "Value for attr 'T' of %s is not in the list of allowed values: float, double",
                               nbi_dtype_tfname(dt));
    if (nbi_in_dtype(op, 1) != dt)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Input 'stop' of 'LinSpace' Op has type %s that does not match type %s of argument 'start'",
                               nbi_dtype_tfname(nbi_in_dtype(op, 1)), nbi_dtype_tfname(dt));
    if (nt != NB_INT32 && nt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'Tidx' of %s is not in the list of allowed values: int32, int64",
                               nbi_dtype_tfname(nt));
    for (int i = 0; i < 3; i++) {
        const nb_shape *s = nbi_in_shape(op, i);
        if (s->rank > 0)
            return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Shape must be rank 0 but is rank %d", s->rank);
    }
    int64_t num;
    int64_t d = NB_DIM_UNKNOWN;
    if (nbi_const_ints(op, 2, &num, 1) == 1) {
        if (num <= 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "Requires num > 0: %lld", (long long)num);
        d = num;
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    op->out_shape[0] = nb_shape_make(1, &d);
    return NB_OK;
}

static nb_status k_lin_space(nbi_kctx *k) {
    static const char *const names[3] = {"start", "stop", "num"};
    for (int i = 0; i < 3; i++)
        if (k->in[i]->rank != 0) {
            char a[64];
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s must be a scalar, not shape %s", names[i],
                              nbi_dims_string(k->in[i]->rank, k->in[i]->dims, false, a, sizeof a));
        }
    const nb_tensor *nt = k->in[2];
    int64_t num = nt->dtype == NB_INT32 ? ((const int32_t *)nt->data)[0] : ((const int64_t *)nt->data)[0];
    if (num <= 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Requires num > 0: %lld", (long long)num);
    nb_dtype dt = k->in[0]->dtype;
    nb_tensor *o = nbi_kalloc(k, dt, 1, &num);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    /* TF: start + step * i, computed in T, with the last value exactly stop */
    if (dt == NB_FLOAT32) {
        float a = *(const float *)k->in[0]->data, z = *(const float *)k->in[1]->data, *y = o->data;
        float step = num > 1 ? (z - a) / (float)(num - 1) : 0;
        for (int64_t i = 0; i < num; i++) y[i] = a + step * (float)i;
        if (num > 1) y[num - 1] = z;
    } else {
        double a = *(const double *)k->in[0]->data, z = *(const double *)k->in[1]->data, *y = o->data;
        double step = num > 1 ? (z - a) / (double)(num - 1) : 0;
        for (int64_t i = 0; i < num; i++) y[i] = a + step * (double)i;
        if (num > 1) y[num - 1] = z;
    }
    return NB_OK;
}

const nbi_opdef nbi_opdef_LIN_SPACE = {
    .type = "LinSpace", .n_inputs = 3, .flags = NBI_NO_GRAD, .infer = infer_lin_space, .kernel = k_lin_space,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"Tidx", NBI_A_T_IN2}),
};

nb_output nb_linspace(nb_graph *g, nb_output start, nb_output stop, nb_output num, const char *name) {
    nb_output in[3] = {start, stop, num};
    return nbi_op_finish(nbi_op_new(g, NBI_OP_LIN_SPACE, name, NULL, in, 3));
}
