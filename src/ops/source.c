/*
 * source.c — placeholders, constants, variables and their assignment ops,
 * NoOp/group, Identity and StopGradient.
 *
 * Variables follow TF1: a VariableV2 op whose value lives in each session,
 * "<name>/Assign" from the initial value and "<name>/read" (Identity), which is
 * what other ops consume. Kernels never write into their inputs; a variable is
 * updated in place only when the session holds its sole reference, otherwise
 * it is copied first, so tensors handed out earlier keep their values.
 */
#include "nb_internal.h"
#include "graph/graphdef_attrs.h"

#include <stdio.h>

/*** Placeholder ***/

static nb_status infer_placeholder(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = op->attrs.dtype;
    op->out_shape[0] = op->attrs.shape;
    return NB_OK;
}

static nb_status k_placeholder(nbi_kctx *k) {
    /* Runs only when nothing was fed. */
    char shape[256];
    const nb_op *op = k->op;
    if (op->attrs.shape.rank < 0)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "You must feed a value for placeholder tensor '%s' with dtype %s",
                          op->name, nbi_dtype_tfname(op->attrs.dtype));
    return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                      "You must feed a value for placeholder tensor '%s' with dtype %s and shape %s",
                      op->name, nbi_dtype_tfname(op->attrs.dtype),
                      nb_shape_string(op->attrs.shape, shape, sizeof shape));
}

const nbi_opdef nbi_opdef_PLACEHOLDER = {
    .type = "Placeholder", .n_inputs = 0, .flags = NBI_NO_GRAD, .infer = infer_placeholder,
    .kernel = k_placeholder,
    .attrs = NBI_ATTRS({"dtype", NBI_A_DTYPE}, {"shape", NBI_A_SHAPE}),
};

nb_output nb_placeholder(nb_graph *g, nb_dtype dtype, nb_shape shape, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (!nbi_dtype_valid(dtype)) {
        nbi_graph_error(g, NB_ERR_DTYPE, "nb_placeholder: invalid dtype %d", (int)dtype);
        return nb_nil;
    }
    nb_op *op = nbi_op_new(g, NBI_OP_PLACEHOLDER, name, NULL, NULL, 0);
    if (!op) return nb_nil;
    op->attrs.dtype = dtype;
    op->attrs.shape = nb_shape_make(shape.rank, shape.dims);
    return nbi_op_finish(op);
}

/*** Const ***/

static nb_status infer_const(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = op->value->dtype;
    op->out_shape[0] = nb_shape_make(op->value->rank, op->value->dims);
    return NB_OK;
}

static nb_status k_const(nbi_kctx *k) {
    k->out[0] = nb_tensor_ref(k->op->value);
    return NB_OK;
}

/* Its value is known while building: nbi_const_input reads it. */
static const nb_tensor *const_value_of_const(nb_op *op) { return op->value; }

const nbi_opdef nbi_opdef_CONST = {
    .type = "Const", .n_inputs = 0, .flags = NBI_NO_GRAD, .infer = infer_const, .kernel = k_const,
    .attrs = NBI_ATTRS({"dtype", NBI_A_VALUE_DTYPE}, {"value", NBI_A_VALUE}),
    .const_value = const_value_of_const,
};

/* Takes ownership of t (a new reference); a NULL t is recorded as out of memory. */
nb_output nbi_const_owning(nb_graph *g, nb_tensor *t, const char *name, const char *defname) {
    if (!nbi_graph_ok(g)) {
        nb_tensor_unref(t);
        return nb_nil;
    }
    if (!t) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory creating a constant");
        return nb_nil;
    }
    nb_op *op = nbi_op_new(g, NBI_OP_CONST, name, defname, NULL, 0);
    if (!op) {
        nb_tensor_unref(t);
        return nb_nil;
    }
    op->value = t;
    op->attrs.dtype = t->dtype;
    return nbi_op_finish(op);
}

nb_output nb_constant(nb_graph *g, const nb_tensor *t, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (!t) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_constant: the tensor is NULL");
        return nb_nil;
    }
    return nbi_const_owning(g, nb_tensor_copy(t), name, "Const");
}

nb_output nb_constant_f32(nb_graph *g, float v, const char *name) {
    return nbi_graph_ok(g) ? nbi_const_owning(g, nb_tensor_scalar(NB_FLOAT32, v), name, "Const")
                           : nb_nil;
}
nb_output nb_constant_f64(nb_graph *g, double v, const char *name) {
    return nbi_graph_ok(g) ? nbi_const_owning(g, nb_tensor_scalar(NB_FLOAT64, v), name, "Const")
                           : nb_nil;
}
nb_output nb_constant_i32(nb_graph *g, int32_t v, const char *name) {
    return nbi_graph_ok(g) ? nbi_const_owning(g, nb_tensor_scalar(NB_INT32, v), name, "Const")
                           : nb_nil;
}

nb_output nb_constant_array(nb_graph *g, nb_dtype dtype, int rank, const int64_t *dims,
                            const void *data, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    nb_tensor *t = nb_tensor_new(dtype, rank, dims, data);
    if (!t) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                        "nb_constant_array: bad dtype %d or dims (rank %d)", (int)dtype, rank);
        return nb_nil;
    }
    return nbi_const_owning(g, t, name, "Const");
}

nb_output nbi_const_ints_node(nb_graph *g, nb_dtype dt, const int64_t *v, int n, bool scalar,
                              const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    /* Values are stored exactly: an int32 request becomes int64 when a value
     * needs it (TF stores a shape or multiples above 2^31-1 as int64 too). */
    if (dt == NB_INT32)
        for (int i = 0; i < n; i++)
            if (v[i] > INT32_MAX || v[i] < INT32_MIN) dt = NB_INT64;
    int64_t d = n;
    nb_tensor *t = nbi_tensor_alloc(dt, scalar ? 0 : 1, &d);
    if (t)
        for (int i = 0; i < n; i++) nbi_store_int(t->data, dt, i, v[i]);
    return nbi_const_owning(g, t, name, "Const");
}

static nb_output filled_const(nb_graph *g, nb_dtype dtype, nb_shape shape, double v,
                              const char *name, const char *defname) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (!nbi_shape_known(&shape) || !nbi_dtype_valid(dtype)) {
        char b[256];
        nbi_graph_error(g, NB_ERR_SHAPE, "%s: needs a valid dtype and a fully known shape, got %s",
                        defname, nb_shape_string(shape, b, sizeof b));
        return nb_nil;
    }
    int64_t a, b;
    if (nbi_numel_overflow(shape.rank, shape.dims, &a, &b) >= 0) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                        "%s: Encountered overflow when multiplying %lld with %lld, result: -1", defname,
                        (long long)a, (long long)b);
        return nb_nil;
    }
    return nbi_const_owning(g, nb_tensor_fill(dtype, shape.rank, shape.dims, v), name, defname);
}

nb_output nb_zeros(nb_graph *g, nb_dtype dtype, nb_shape shape, const char *name) {
    return filled_const(g, dtype, shape, 0.0, name, "zeros");
}
nb_output nb_ones(nb_graph *g, nb_dtype dtype, nb_shape shape, const char *name) {
    return filled_const(g, dtype, shape, 1.0, name, "ones");
}

/*** VariableV2 ***/

static nb_status infer_variable(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = op->attrs.dtype;
    op->out_shape[0] = op->attrs.shape;
    return NB_OK;
}

static nb_status k_variable(nbi_kctx *k) {
    /* NULL when uninitialized: the consumer reports it, as TF does. */
    k->out[0] = nb_tensor_ref(*nbi_kvar_slot(k, -1));
    return NB_OK;
}

/* An imported VariableV2 is its own variable, trainable, as tf.Variable's is. */
static void imported_variable(nb_op *op) {
    op->variable = op;
    op->trainable = true;
}

const nbi_opdef nbi_opdef_VARIABLE = {
    .type = "VariableV2", .old_type = "Variable", .n_inputs = 0,
    .flags = NBI_STATEFUL | NBI_NO_GRAD | NBI_VARIABLE,
    .infer = infer_variable, .kernel = k_variable,
    .attrs = NBI_ATTRS({"container", NBI_A_EMPTY_S}, {"dtype", NBI_A_DTYPE}, {"shape", NBI_A_SHAPE},
                       {"shared_name", NBI_A_EMPTY_S}),
    .imported = imported_variable,
};

static bool push_var(nb_graph *g, nb_op *v) {
    if (g->n_vars == g->cap_vars) {
        int cap = g->cap_vars ? g->cap_vars * 2 : 16;
        nb_op **vs = nbi_realloc(g->vars, (size_t)cap * sizeof *vs);
        if (!vs) return false;
        g->vars = vs;
        g->cap_vars = cap;
    }
    v->var_index = g->n_vars;
    g->vars[g->n_vars++] = v;
    return true;
}

bool nbi_graph_add_variable(nb_graph *g, nb_op *v) { return push_var(g, v); }

nb_output nb_variable_ex(nb_graph *g, nb_output init, bool trainable, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (!init.op) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_variable: the initial value is nil");
        return nb_nil;
    }
    nb_shape shape = nb_output_shape(init);
    if (!nbi_shape_known(&shape)) {
        char b[256];
        nbi_graph_error(g, NB_ERR_SHAPE,
                        "initial_value must have a fully defined shape, got %s for variable '%s'",
                        nb_shape_string(shape, b, sizeof b), name ? name : "Variable");
        return nb_nil;
    }
    /* Variables ignore the control-dependency stack (TF's init_scope). */
    int saved_ctrl = g->n_ctrl;
    g->n_ctrl = 0;
    const char *scope = nb_name_scope_push(g, name && *name ? name : "Variable");
    nb_output read = nb_nil;
    nb_op *v = nbi_op_new(g, NBI_OP_VARIABLE, scope, NULL, NULL, 0);
    if (v) {
        v->attrs.dtype = nb_output_dtype(init);
        v->attrs.shape = shape;
        v->variable = v;
        v->trainable = trainable;
        nb_output vo = nbi_op_finish(v);
        if (vo.op) {
            if (!push_var(g, v)) {
                nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory adding variable");
            } else {
                nb_output a = nb_assign(g, vo, init, "Assign");
                v->initializer = a.op;
                read = nb_identity(g, vo, "read");
                if (read.op) read.op->variable = v;
            }
        }
    }
    nb_name_scope_pop(g);
    g->n_ctrl = saved_ctrl;
    return nbi_graph_ok(g) ? read : nb_nil;
}

nb_output nb_variable(nb_graph *g, nb_output init, const char *name) {
    return nb_variable_ex(g, init, true, name);
}

nb_output nb_variable_from_tensor(nb_graph *g, const nb_tensor *value, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (!value) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_variable_from_tensor: value is NULL");
        return nb_nil;
    }
    /* TF names the constant "<name>/initial_value": build it inside the scope the
     * variable will take, then re-enter that scope verbatim. */
    const char *scope = nb_name_scope_push(g, name && *name ? name : "Variable");
    char *s = nbi_strdup(scope);
    nb_output init = nb_constant(g, value, "initial_value");
    nb_name_scope_pop(g);
    if (!s) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return nb_nil;
    }
    nb_output r = nb_variable(g, init, s); /* trailing '/' re-enters the same name */
    nbi_free(s);
    return r;
}

int nb_graph_num_variables(const nb_graph *g) { return g ? g->n_vars : 0; }

nb_output nb_graph_variable(const nb_graph *g, int i) {
    if (!g || i < 0 || i >= g->n_vars) return nb_nil;
    /* The read op is "<name>/read"; find it among the variable's consumers. */
    nb_op *v = g->vars[i];
    for (int j = v->id + 1; j < g->n_ops; j++)
        if (g->ops[j]->type == NBI_OP_IDENTITY && g->ops[j]->variable == v)
            return nbi_out(g->ops[j], 0);
    return nbi_out(v, 0);
}

nb_op *nb_variable_op(nb_output var) {
    return var.op && var.op->variable ? var.op->variable : NULL;
}

bool nb_variable_is_trainable(nb_output var) {
    nb_op *v = nb_variable_op(var);
    return v && v->trainable;
}

/*** Assign, AssignAdd, AssignSub ***/

static nb_status infer_assign(nb_op *op) {
    nb_dtype a = nbi_in_dtype(op, 0), b = nbi_in_dtype(op, 1);
    if (a != b)
        return nbi_infer_error(op, NB_ERR_DTYPE, "Input 'value' has dtype %s, expected %s",
                               nbi_dtype_tfname(b), nbi_dtype_tfname(a));
    const nb_shape *s0 = nbi_in_shape(op, 0), *s1 = nbi_in_shape(op, 1);
    if (s0->rank >= 0 && s1->rank >= 0) {
        if (s0->rank != s1->rank)
            return nbi_infer_error(op, NB_ERR_SHAPE, "Shapes must be equal rank, but are %d and %d",
                                   s0->rank, s1->rank);
        for (int i = 0; i < s0->rank; i++)
            if (s0->dims[i] >= 0 && s1->dims[i] >= 0 && s0->dims[i] != s1->dims[i])
                return nbi_infer_error(op, NB_ERR_SHAPE,
                                       "Dimension %d in both shapes must be equal, but are %lld and %lld",
                                       i, (long long)s0->dims[i], (long long)s1->dims[i]);
    }
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = a;
    op->out_shape[0] = *s0;
    return NB_OK;
}

static bool same_dims(const nb_tensor *a, const nb_tensor *b) {
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

/* Makes *slot a buffer the session alone holds, of like's dtype and dims, for
 * Assign to overwrite (its old contents are not kept). In-place updates of an
 * existing value go through nbi_kvar_writable (copy-on-write). */
static nb_status assign_slot(nbi_kctx *k, nb_tensor **slot, const nb_tensor *like) {
    nb_tensor *cur = *slot;
    if (cur && nbi_refcount(cur) == 1 && !cur->base && same_dims(cur, like) && cur->dtype == like->dtype)
        return NB_OK;
    nb_tensor *n = nbi_tensor_alloc(like->dtype, like->rank, like->dims);
    if (!n) return nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory updating a variable");
    nb_tensor_unref(cur);
    *slot = n;
    return NB_OK;
}

static nb_status check_var_shape(nbi_kctx *k, const nb_tensor *v) {
    const nb_op *var = k->op->inputs[0].op->variable;
    if (var && !nbi_shape_compatible(&var->attrs.shape, v->rank, v->dims)) {
        char a[128], b[128];
        return nbi_kerror(k, NB_ERR_SHAPE,
                          "Assign requires shapes of both tensors to match. lhs shape= %s rhs shape= %s",
                          nb_shape_string(var->attrs.shape, a, sizeof a),
                          nbi_dims_string(v->rank, v->dims, false, b, sizeof b));
    }
    return NB_OK;
}

static nb_status k_assign(nbi_kctx *k) {
    nb_tensor **slot = nbi_kvar_slot(k, 0);
    const nb_tensor *v = k->in[1];
    nb_status st = check_var_shape(k, v);
    if (st == NB_OK) st = assign_slot(k, slot, v);
    if (st != NB_OK) return st;
    memcpy((*slot)->data, v->data, v->nbytes);
    k->out[0] = nb_tensor_ref(*slot);
    return NB_OK;
}

static nb_status assign_update(nbi_kctx *k, double sign) {
    const nb_tensor *v = k->in[1];
    const nb_tensor *cur = *nbi_kvar_slot(k, 0);
    if (cur && !same_dims(cur, v)) {
        char a[128], b[128];
        return nbi_kerror(k, NB_ERR_SHAPE, "Cannot update variable with shape %s using a Tensor with shape %s, shapes must be equal.",
                          nbi_dims_string(cur->rank, cur->dims, false, a, sizeof a),
                          nbi_dims_string(v->rank, v->dims, false, b, sizeof b));
    }
    nb_tensor *t = nbi_kvar_writable(k, 0); /* reports an uninitialized variable */
    if (!t) return NB_ERR_FAILED_PRECONDITION; /* the session keeps the real status */
    if (t->dtype == NB_FLOAT32) {
        float *d = t->data;
        const float *s = v->data;
        for (int64_t i = 0; i < t->size; i++) d[i] += (float)sign * s[i];
    } else if (t->dtype == NB_INT64 || t->dtype == NB_INT32 || t->dtype == NB_UINT8) {
        /* integers in integer arithmetic (exact past 2^53), wrapping as TF's */
        for (int64_t i = 0; i < t->size; i++) {
            uint64_t a = (uint64_t)nbi_load_int(t->data, t->dtype, i), b = (uint64_t)nbi_load_int(v->data, v->dtype, i);
            uint64_t r = sign > 0 ? a + b : a - b;
            if (t->dtype == NB_INT64) ((int64_t *)t->data)[i] = (int64_t)r;
            else if (t->dtype == NB_INT32) ((int32_t *)t->data)[i] = (int32_t)(uint32_t)r;
            else ((uint8_t *)t->data)[i] = (uint8_t)r;
        }
    } else {
        for (int64_t i = 0; i < t->size; i++)
            nbi_store(t->data, t->dtype, i,
                      nbi_load(t->data, t->dtype, i) + sign * nbi_load(v->data, v->dtype, i));
    }
    k->out[0] = nb_tensor_ref(t);
    return NB_OK;
}

static nb_status k_assign_add(nbi_kctx *k) { return assign_update(k, 1.0); }
static nb_status k_assign_sub(nbi_kctx *k) { return assign_update(k, -1.0); }

/* An imported Assign to a variable that has none yet is its initializer. */
static void imported_assign(nb_op *op) {
    nb_op *v = op->inputs[0].op;
    if ((v->def->flags & NBI_VARIABLE) && !v->initializer) v->initializer = op;
}

const nbi_opdef nbi_opdef_ASSIGN = {
    .type = "Assign", .n_inputs = 2, .flags = NBI_STATEFUL | NBI_NO_GRAD | NBI_REF_IN0, .infer = infer_assign,
    .kernel = k_assign,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"_class", NBI_A_CLASS}, {"use_locking", NBI_A_TRUE},
                       {"validate_shape", NBI_A_TRUE}),
    .imported = imported_assign,
};
const nbi_opdef nbi_opdef_ASSIGN_ADD = {
    .type = "AssignAdd", .n_inputs = 2, .flags = NBI_STATEFUL | NBI_NO_GRAD | NBI_REF_IN0,
    .infer = infer_assign, .kernel = k_assign_add,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"_class", NBI_A_CLASS}, {"use_locking", NBI_A_FALSE}),
};
const nbi_opdef nbi_opdef_ASSIGN_SUB = {
    .type = "AssignSub", .n_inputs = 2, .flags = NBI_STATEFUL | NBI_NO_GRAD | NBI_REF_IN0,
    .infer = infer_assign, .kernel = k_assign_sub,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"_class", NBI_A_CLASS}, {"use_locking", NBI_A_FALSE}),
};

static nb_output assign_op(nb_graph *g, int type, nb_output ref, nb_output value,
                           const char *name, const char *fn) {
    if (!nbi_graph_ok(g)) return nb_nil;
    nb_op *v = nb_variable_op(ref);
    if (!v) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "%s: '%s' is not a variable", fn,
                        ref.op ? ref.op->name : "(nil)");
        return nb_nil;
    }
    nb_output in[2] = {nbi_out(v, 0), value};
    nb_op *op = nbi_op_new(g, type, name, NULL, in, 2);
    return nbi_op_finish(op);
}

nb_output nb_assign(nb_graph *g, nb_output ref, nb_output value, const char *name) {
    return assign_op(g, NBI_OP_ASSIGN, ref, value, name, "nb_assign");
}
nb_output nb_assign_add(nb_graph *g, nb_output ref, nb_output value, const char *name) {
    return assign_op(g, NBI_OP_ASSIGN_ADD, ref, value, name, "nb_assign_add");
}
nb_output nb_assign_sub(nb_graph *g, nb_output ref, nb_output value, const char *name) {
    return assign_op(g, NBI_OP_ASSIGN_SUB, ref, value, name, "nb_assign_sub");
}

/*** NoOp, group, initializer ***/

static nb_status infer_none(nb_op *op) { return nbi_set_outputs(op, 0) ? NB_OK : NB_ERR_OUT_OF_MEMORY; }
static nb_status k_noop(nbi_kctx *k) { (void)k; return NB_OK; }

const nbi_opdef nbi_opdef_NO_OP = {
    .type = "NoOp", .n_inputs = 0, .flags = NBI_NO_GRAD, .infer = infer_none, .kernel = k_noop,
    .attrs = NBI_ATTRS_NONE,
};

nb_output nb_group(nb_graph *g, const nb_output *deps, int n, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    nb_op *op = nbi_op_new(g, NBI_OP_NO_OP, name, "group_deps", NULL, 0);
    if (!op) return nb_nil;
    for (int i = 0; i < n; i++) {
        if (!deps[i].op) continue;
        if (deps[i].op->graph != g) {
            nbi_op_discard(op);
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "group: dependency from another graph");
            return nb_nil;
        }
        if (!nbi_op_add_control(op, deps[i].op)) {
            nbi_op_discard(op);
            nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory in group");
            return nb_nil;
        }
    }
    return nbi_op_finish(op);
}

nb_output nb_no_op(nb_graph *g, const char *name) { return nb_group(g, NULL, 0, name ? name : "NoOp"); }

nb_output nb_global_variables_initializer(nb_graph *g) {
    if (!nbi_graph_ok(g)) return nb_nil;
    nb_output *deps = nbi_calloc(g->n_vars ? (size_t)g->n_vars : 1, sizeof *deps);
    if (!deps) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return nb_nil;
    }
    for (int i = 0; i < g->n_vars; i++) deps[i] = nbi_out(g->vars[i]->initializer, 0);
    nb_output r = nb_group(g, deps, g->n_vars, "init");
    nbi_free(deps);
    return r;
}

/*** Identity, StopGradient ***/

static nb_status k_identity(nbi_kctx *k) {
    k->out[0] = nb_tensor_ref(k->in[0]);
    return NB_OK;
}

static void grad_identity(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    (void)g; (void)op;
    dx[0] = dy[0];
}

/* An imported Identity of a variable is its read ("<var>/read"). */
static void imported_identity(nb_op *op) {
    if (op->n_inputs == 1 && (op->inputs[0].op->def->flags & NBI_VARIABLE)) op->variable = op->inputs[0].op;
}

const nbi_opdef nbi_opdef_IDENTITY = {
    .type = "Identity", .n_inputs = 1, .kernel = k_identity, .grad = grad_identity,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"_class", NBI_A_CLASS}),
    .imported = imported_identity,
};
const nbi_opdef nbi_opdef_STOP_GRADIENT = {
    .type = "StopGradient", .n_inputs = 1, .flags = NBI_NO_GRAD, .kernel = k_identity,
    .attrs = NBI_ATTRS_T,
};

nb_output nb_identity(nb_graph *g, nb_output x, const char *name) {
    return nbi_op_finish(nbi_op_new(g, NBI_OP_IDENTITY, name, NULL, &x, 1));
}

nb_output nb_stop_gradient(nb_graph *g, nb_output x, const char *name) {
    return nbi_op_finish(nbi_op_new(g, NBI_OP_STOP_GRADIENT, name, NULL, &x, 1));
}
