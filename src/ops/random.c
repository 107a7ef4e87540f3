/*
 * random.c — RandomStandardNormal, RandomUniform, TruncatedNormal as graph ops,
 * and the tf.random_* wrappers built from them.
 *
 * Seeds follow TF1's random_seed.get_seed: with a graph seed, an op without a
 * seed of its own gets the number of ops created so far; with only an op seed
 * the graph seed is 87654321; with neither the session draws one. Each run of
 * a random op draws new numbers (the Philox stream advances per run), and the
 * same seeds give the same sequence in every session on every machine.
 */
#include "nb_internal.h"
#include "graph/graphdef_attrs.h"

#include <math.h>

static nb_status infer_random(nb_op *op) {
    nb_dtype sdt = nbi_in_dtype(op, 0);
    if (sdt != NB_INT32 && sdt != NB_INT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "shape must be int32 or int64");
    if (op->attrs.dtype != NB_FLOAT32 && op->attrs.dtype != NB_FLOAT64)
        return nbi_infer_error(op, NB_ERR_DTYPE, "random ops produce float or double, not %s",
                               nbi_dtype_tfname(op->attrs.dtype));
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = op->attrs.dtype;
    int64_t d[NB_MAX_RANK];
    int n = nbi_const_ints(op, 0, d, NB_MAX_RANK);
    if (n >= 0) {
        for (int i = 0; i < n; i++)
            if (d[i] < 0) return nbi_infer_error(op, NB_ERR_INVALID_ARGUMENT, "shape dims must be >= 0");
        op->out_shape[0] = nb_shape_make(n, d);
    }
    return NB_OK;
}

static nb_status k_random(nbi_kctx *k) {
    const nb_tensor *st = k->in[0];
    if (st->rank != 1 || st->size > NB_MAX_RANK)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "shape must be a vector of at most %d elements", NB_MAX_RANK);
    int64_t d[NB_MAX_RANK];
    for (int i = 0; i < st->size; i++) {
        d[i] = nbi_load_int(st->data, st->dtype, i);
        if (d[i] < 0) return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "shape dims must be >= 0");
    }
    nb_status cs = nbi_kcheck_numel(k, k->op->attrs.dtype, (int)st->size, d);
    if (cs != NB_OK) return cs;
    nb_tensor *o = nbi_kalloc(k, k->op->attrs.dtype, (int)st->size, d);
    if (!o) return NB_ERR_OUT_OF_MEMORY;
    k->out[0] = o;
    uint64_t s1, s2;
    uint32_t stream;
    nbi_kseed(k, &s1, &s2, &stream);
    int kind = k->op->type == NBI_OP_RANDOM_UNIFORM ? 0 : k->op->type == NBI_OP_RANDOM_NORMAL ? 1 : 2;
    nbi_random_fill(o->data, o->dtype, o->size, kind, s1, s2, stream);
    return NB_OK;
}

const nbi_opdef nbi_opdef_RANDOM_NORMAL = {
    .type = "RandomStandardNormal", .n_inputs = 1, .flags = NBI_STATEFUL | NBI_NO_GRAD | NBI_SEEDED,
    .infer = infer_random, .kernel = k_random,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN0}, {"dtype", NBI_A_DTYPE}, {"seed", NBI_A_SEED}, {"seed2", NBI_A_SEED2}),
};
const nbi_opdef nbi_opdef_RANDOM_UNIFORM = {
    .type = "RandomUniform", .n_inputs = 1, .flags = NBI_STATEFUL | NBI_NO_GRAD | NBI_SEEDED,
    .infer = infer_random, .kernel = k_random,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN0}, {"dtype", NBI_A_DTYPE}, {"seed", NBI_A_SEED}, {"seed2", NBI_A_SEED2}),
};
const nbi_opdef nbi_opdef_TRUNCATED_NORMAL = {
    .type = "TruncatedNormal", .n_inputs = 1, .flags = NBI_STATEFUL | NBI_NO_GRAD | NBI_SEEDED,
    .infer = infer_random, .kernel = k_random,
    .attrs = NBI_ATTRS({"T", NBI_A_T_IN0}, {"dtype", NBI_A_DTYPE}, {"seed", NBI_A_SEED}, {"seed2", NBI_A_SEED2}),
};

/* TF1's get_seed. */
static void get_seed(nb_graph *g, int64_t op_seed, int64_t *s1, int64_t *s2) {
    if (g->has_seed) {
        *s1 = g->seed;
        *s2 = op_seed == NB_SEED_NONE ? g->n_ops : op_seed;
    } else if (op_seed != NB_SEED_NONE) {
        *s1 = 87654321;
        *s2 = op_seed;
    } else {
        *s1 = *s2 = 0;
        return;
    }
    if (*s1 == 0 && *s2 == 0) *s2 = 2147483647;
}

static nb_output scalar_const(nb_graph *g, nb_dtype dt, double v, const char *name) {
    nb_output c = nbi_const_owning(g, nb_tensor_scalar(dt, v), name, "Const");
    return c;
}

/* kind 0 uniform [a, b), 1 normal (mean a, stddev b), 2 truncated normal. */
static nb_output random_ctor(nb_graph *g, int kind, nb_dtype dtype, nb_shape shape, double a,
                             double b, int64_t seed, const char *name, const char *defname) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (!nbi_shape_known(&shape)) {
        char buf[128];
        nbi_graph_error(g, NB_ERR_SHAPE, "%s: the shape must be fully known, got %s", defname,
                        nb_shape_string(shape, buf, sizeof buf));
        return nb_nil;
    }
    if (dtype != NB_FLOAT32 && dtype != NB_FLOAT64) {
        nbi_graph_error(g, NB_ERR_DTYPE, "%s: dtype must be float32 or float64", defname);
        return nb_nil;
    }
    char *scope = nbi_op_scope_push(g, name, defname);
    if (!scope) return nb_nil;
    nb_output sh = nbi_const_ints_node(g, NB_INT32, shape.dims, shape.rank, false, "shape");
    nb_output ca = scalar_const(g, dtype, a, kind == 0 ? "min" : "mean");
    nb_output cb = scalar_const(g, dtype, b, kind == 0 ? "max" : "stddev");
    int type = kind == 0 ? NBI_OP_RANDOM_UNIFORM : kind == 1 ? NBI_OP_RANDOM_NORMAL : NBI_OP_TRUNCATED_NORMAL;
    nb_op *op = nbi_op_new(g, type, NULL, NULL, &sh, 1);
    nb_output r = nb_nil;
    if (op) {
        op->attrs.dtype = dtype;
        get_seed(g, seed, &op->attrs.seed, &op->attrs.seed2);
        nb_output rnd = nbi_op_finish(op);
        if (kind == 0) {
            nb_output range = nb_subtract(g, cb, ca, "sub");
            r = nb_add(g, nb_multiply(g, rnd, range, "mul"), ca, scope);
        } else {
            r = nb_add(g, nb_multiply(g, rnd, cb, "mul"), ca, scope);
        }
    }
    nb_name_scope_pop(g);
    nbi_free(scope);
    return r;
}

nb_output nb_random_normal(nb_graph *g, nb_dtype dtype, nb_shape shape, double mean,
                           double stddev, int64_t seed, const char *name) {
    return random_ctor(g, 1, dtype, shape, mean, stddev, seed, name, "random_normal");
}

nb_output nb_random_uniform(nb_graph *g, nb_dtype dtype, nb_shape shape, double minval,
                            double maxval, int64_t seed, const char *name) {
    return random_ctor(g, 0, dtype, shape, minval, maxval, seed, name, "random_uniform");
}

nb_output nb_truncated_normal(nb_graph *g, nb_dtype dtype, nb_shape shape, double mean,
                              double stddev, int64_t seed, const char *name) {
    return random_ctor(g, 2, dtype, shape, mean, stddev, seed, name, "truncated_normal");
}

nb_output nb_glorot_uniform(nb_graph *g, nb_dtype dtype, nb_shape shape, int64_t seed,
                            const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (!nbi_shape_known(&shape) || shape.rank < 1) {
        nbi_graph_error(g, NB_ERR_SHAPE, "glorot_uniform: needs a fully known shape of rank >= 1");
        return nb_nil;
    }
    double fan_in, fan_out;
    if (shape.rank == 1) {
        fan_in = fan_out = (double)shape.dims[0];
    } else {
        double receptive = 1;
        for (int i = 0; i < shape.rank - 2; i++) receptive *= (double)shape.dims[i];
        fan_in = (double)shape.dims[shape.rank - 2] * receptive;
        fan_out = (double)shape.dims[shape.rank - 1] * receptive;
    }
    double limit = fan_in + fan_out > 0 ? sqrt(6.0 / (fan_in + fan_out)) : 0.0;
    return random_ctor(g, 0, dtype, shape, -limit, limit, seed, name, "glorot_uniform");
}
