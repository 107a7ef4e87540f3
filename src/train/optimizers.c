/*
 * optimizers.c — tf.train's optimizers as graph builders (optimizer.py):
 * minimize = compute_gradients (nb_gradients over the trainable variables)
 * + apply_gradients (one Apply* op per variable under
 * "<Name>/update_<var>/", grouped by a NoOp named "<Name>").
 * Slot variables are named "<var>/<Name>" ("weights/Momentum"), Adam's
 * step powers "beta1_power" and "beta2_power", as TensorFlow names them.
 */
#include "nb_internal.h"

#include <stdio.h>

enum { OPT_GD, OPT_MOMENTUM, OPT_ADAGRAD, OPT_RMSPROP, OPT_ADAM };

struct nb_optimizer {
    nb_graph *g;
    int kind;
    const char *name;
    double lr, p1, p2, p3;
    bool nesterov;
    nb_output lr_tensor;
    nb_output beta1_power, beta2_power; /* Adam */
};

static nb_optimizer *opt_new(nb_graph *g, int kind, const char *name, double lr) {
    if (!nbi_graph_ok(g)) return NULL;
    nb_optimizer *o = nbi_calloc(1, sizeof *o);
    if (!o || !nbi_graph_own(g, o, nbi_free)) {
        nbi_free(o);
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory creating an optimizer");
        return NULL;
    }
    o->g = g;
    o->kind = kind;
    o->name = name;
    o->lr = lr;
    return o;
}

nb_optimizer *nb_train_gradient_descent(nb_graph *g, double lr) {
    return opt_new(g, OPT_GD, "GradientDescent", lr);
}

nb_optimizer *nb_train_momentum(nb_graph *g, double lr, double momentum, bool use_nesterov) {
    nb_optimizer *o = opt_new(g, OPT_MOMENTUM, "Momentum", lr);
    if (o) {
        o->p1 = momentum;
        o->nesterov = use_nesterov;
    }
    return o;
}

nb_optimizer *nb_train_adagrad(nb_graph *g, double lr, double initial_accumulator_value) {
    nb_optimizer *o = opt_new(g, OPT_ADAGRAD, "Adagrad", lr);
    if (o) o->p1 = initial_accumulator_value;
    return o;
}

nb_optimizer *nb_train_rmsprop(nb_graph *g, double lr, double decay, double momentum,
                               double epsilon) {
    nb_optimizer *o = opt_new(g, OPT_RMSPROP, "RMSProp", lr);
    if (o) {
        o->p1 = decay;
        o->p2 = momentum;
        o->p3 = epsilon;
    }
    return o;
}

nb_optimizer *nb_train_adam(nb_graph *g, double lr, double beta1, double beta2, double epsilon) {
    nb_optimizer *o = opt_new(g, OPT_ADAM, "Adam", lr);
    if (o) {
        o->p1 = beta1;
        o->p2 = beta2;
        o->p3 = epsilon;
    }
    return o;
}

void nb_optimizer_set_learning_rate_tensor(nb_optimizer *opt, nb_output lr) {
    if (!opt) return;
    nb_shape s = nb_output_shape(lr);
    if (!lr.op || s.rank > 0 || !nbi_differentiable_dtype(nb_output_dtype(lr))) {
        nbi_graph_error(opt->g, NB_ERR_INVALID_ARGUMENT,
                        "the learning rate must be a float scalar tensor");
        return;
    }
    opt->lr_tensor = lr;
}

/*** compute_gradients ***/

void nb_optimizer_compute_gradients(nb_optimizer *opt, nb_output loss, const nb_output *vars,
                                    int n_vars, nb_output *grads) {
    if (!opt || !grads) return;
    for (int i = 0; i < n_vars; i++) {
        if (!nb_variable_op(vars[i])) {
            nbi_graph_error(opt->g, NB_ERR_INVALID_ARGUMENT, "'%s' is not a variable",
                            vars[i].op ? vars[i].op->name : "(nil)");
            return;
        }
    }
    nb_gradients(opt->g, &loss, 1, vars, n_vars, NULL, grads);
}

/*** apply_gradients ***/

static nb_output scalar_of(nb_graph *g, double v, nb_dtype dt, const char *name) {
    nb_output c = nbi_const_owning(g, nb_tensor_scalar(dt, v), name, "Const");
    return c;
}

/* A zero-initialized, non-trainable slot variable "<var>/<suffix>" at the root scope. */
static nb_output make_slot(nb_graph *g, nb_op *var, const char *suffix, double init) {
    char *scope_saved = nbi_strdup(nb_name_scope_current(g));
    char *vname = nbi_asprintf("%s/%s", var->name, suffix);
    char *iname = nbi_asprintf("%s/%s/Initializer/Const", var->name, suffix);
    nb_output r = nb_nil;
    if (scope_saved && vname && iname) {
        nb_name_scope_push(g, NULL); /* root */
        nb_output c = nbi_const_owning(
            g, nb_tensor_fill(var->attrs.dtype, var->attrs.shape.rank, var->attrs.shape.dims, init), iname,
            "Const");
        r = nb_variable_ex(g, c, false, vname);
        nb_name_scope_pop(g);
    } else {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory creating a slot");
    }
    nbi_free(scope_saved);
    nbi_free(vname);
    nbi_free(iname);
    return r;
}

static nb_output find_or_make_slot(nb_graph *g, nb_op *var, const char *suffix, double init) {
    char *vname = nbi_asprintf("%s/%s", var->name, suffix);
    nb_op *existing = vname ? nb_graph_find_op(g, vname) : NULL;
    nbi_free(vname);
    if (existing && (existing->def->flags & NBI_VARIABLE)) return nbi_out(existing, 0);
    nb_output s = make_slot(g, var, suffix, init);
    nb_op *v = nb_variable_op(s);
    return v ? nbi_out(v, 0) : nb_nil;
}

static nb_output var_ref(nb_output var) {
    nb_op *v = nb_variable_op(var);
    return v ? nbi_out(v, 0) : nb_nil;
}

static nb_output apply_one(nb_optimizer *o, nb_output grad, nb_output var, nb_output lr_any) {
    nb_graph *g = o->g;
    nb_op *v = nb_variable_op(var);
    nb_dtype dt = v->attrs.dtype;
    nb_output lr = nb_output_dtype(lr_any) == dt ? lr_any : nb_cast(g, lr_any, dt, NULL);
    nb_output ref = var_ref(var);
    nb_op *op = NULL;
    switch (o->kind) {
    case OPT_GD:
        op = nbi_op_new(g, NBI_OP_APPLY_GRADIENT_DESCENT, NULL, NULL, (nb_output[]){ref, lr, grad}, 3);
        break;
    case OPT_MOMENTUM: {
        nb_output acc = find_or_make_slot(g, v, "Momentum", 0.0);
        nb_output mu = scalar_of(g, o->p1, dt, "momentum");
        op = nbi_op_new(g, NBI_OP_APPLY_MOMENTUM, NULL, NULL, (nb_output[]){ref, acc, lr, grad, mu}, 5);
        if (op) op->attrs.use_nesterov = o->nesterov;
        break;
    }
    case OPT_ADAGRAD: {
        nb_output acc = find_or_make_slot(g, v, "Adagrad", o->p1);
        op = nbi_op_new(g, NBI_OP_APPLY_ADAGRAD, NULL, NULL, (nb_output[]){ref, acc, lr, grad}, 4);
        break;
    }
    case OPT_RMSPROP: {
        nb_output ms = find_or_make_slot(g, v, "RMSProp", 1.0);
        nb_output mom = find_or_make_slot(g, v, "RMSProp_1", 0.0);
        nb_output rho = scalar_of(g, o->p1, dt, "decay"), mu = scalar_of(g, o->p2, dt, "momentum"),
                  eps = scalar_of(g, o->p3, dt, "epsilon");
        op = nbi_op_new(g, NBI_OP_APPLY_RMSPROP, NULL, NULL,
                        (nb_output[]){ref, ms, mom, lr, rho, mu, eps, grad}, 8);
        break;
    }
    case OPT_ADAM: {
        nb_output m = find_or_make_slot(g, v, "Adam", 0.0);
        nb_output vv = find_or_make_slot(g, v, "Adam_1", 0.0);
        nb_output b1p = nb_cast(g, o->beta1_power, dt, NULL), b2p = nb_cast(g, o->beta2_power, dt, NULL);
        nb_output b1 = scalar_of(g, o->p1, dt, "beta1"), b2 = scalar_of(g, o->p2, dt, "beta2"),
                  eps = scalar_of(g, o->p3, dt, "epsilon");
        op = nbi_op_new(g, NBI_OP_APPLY_ADAM, NULL, NULL,
                        (nb_output[]){ref, m, vv, b1p, b2p, lr, b1, b2, eps, grad}, 10);
        break;
    }
    }
    return nbi_op_finish(op);
}

nb_output nb_optimizer_apply_gradients(nb_optimizer *o, const nb_output *grads,
                                       const nb_output *vars, int n, nb_output global_step) {
    if (!o || !nbi_graph_ok(o->g)) return nb_nil;
    nb_graph *g = o->g;
    for (int i = 0; i < n; i++)
        if (!nb_variable_op(vars[i])) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "apply_gradients: '%s' is not a variable",
                            vars[i].op ? vars[i].op->name : "(nil)");
            return nb_nil;
        }
    int n_live = 0;
    for (int i = 0; i < n; i++) n_live += grads[i].op != NULL;
    if (n_live == 0) {
        char names[1024] = "";
        size_t len = 0;
        for (int i = 0; i < n && len + 2 < sizeof names; i++)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                    nb_variable_op(vars[i])->name);
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                        "No gradients provided for any variable, check your graph for ops that do "
                        "not support gradients, between variables [%s] and loss", names);
        return nb_nil;
    }
    if (o->kind == OPT_ADAM && !o->beta1_power.op) {
        /* non-trainable step powers at the root scope */
        nb_name_scope_push(g, NULL);
        o->beta1_power = var_ref(nb_variable_ex(g, scalar_of(g, o->p1, NB_FLOAT32, "beta1_power/initial_value"), false, "beta1_power"));
        o->beta2_power = var_ref(nb_variable_ex(g, scalar_of(g, o->p2, NB_FLOAT32, "beta2_power/initial_value"), false, "beta2_power"));
        nb_name_scope_pop(g);
    }
    char *scope = nbi_op_scope_push(g, NULL, o->name);
    if (!scope) return nb_nil;
    nb_output lr = o->lr_tensor.op ? o->lr_tensor : scalar_of(g, o->lr, NB_FLOAT32, "learning_rate");
    nb_output *updates = nbi_calloc((size_t)n + 2, sizeof *updates);
    int k = 0;
    if (!updates) {
        nb_name_scope_pop(g);
        nbi_free(scope);
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return nb_nil;
    }
    for (int i = 0; i < n; i++) {
        if (!grads[i].op) continue;
        char *us = nbi_asprintf("update_%s", nb_variable_op(vars[i])->name);
        nb_name_scope_push(g, us ? us : "update");
        nbi_free(us);
        updates[k++] = apply_one(o, grads[i], vars[i], lr);
        nb_name_scope_pop(g);
    }
    if (o->kind == OPT_ADAM) {
        /* beta powers advance after every update (TF's _finish) */
        nb_control_dependencies_push(g, updates, k);
        nb_output b1 = nb_multiply(g, o->beta1_power, scalar_of(g, o->p1, NB_FLOAT32, NULL), "mul");
        nb_output a1 = nb_assign(g, o->beta1_power, b1, "Assign");
        nb_output b2 = nb_multiply(g, o->beta2_power, scalar_of(g, o->p2, NB_FLOAT32, NULL), "mul_1");
        nb_output a2 = nb_assign(g, o->beta2_power, b2, "Assign_1");
        nb_control_dependencies_pop(g);
        updates[k++] = a1;
        updates[k++] = a2;
    }
    nb_name_scope_pop(g);
    nb_output r;
    if (!global_step.op) {
        r = nb_group(g, updates, k, scope);
    } else {
        nb_name_scope_push(g, scope);
        nb_output upd = nb_group(g, updates, k, "update");
        nb_name_scope_pop(g);
        nb_control_dependencies_push(g, &upd, 1);
        nb_dtype sdt = nb_output_dtype(global_step);
        nb_output one = scalar_of(g, 1.0, sdt, NULL);
        r = nb_assign_add(g, global_step, one, scope);
        nb_control_dependencies_pop(g);
    }
    nbi_free(updates);
    nbi_free(scope);
    return r;
}

/*** minimize ***/

int nbi_minimize_var_list(nb_graph *g, const nb_output **vars, int n_vars, nb_output **owned) {
    *owned = NULL;
    if (*vars && n_vars > 0) return n_vars;
    nb_output *vl = nbi_calloc((size_t)g->n_vars + 1, sizeof *vl);
    if (!vl) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return -1;
    }
    int n = 0;
    for (int i = 0; i < g->n_vars; i++)
        if (g->vars[i]->trainable) vl[n++] = nb_graph_variable(g, i);
    if (n == 0) {
        nbi_free(vl);
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "No variables to optimize.");
        return -1;
    }
    *vars = vl;
    *owned = vl;
    return n;
}

nb_output nb_optimizer_minimize(nb_optimizer *o, nb_output loss, const nb_output *vars,
                                int n_vars, nb_output global_step) {
    if (!o || !nbi_graph_ok(o->g)) return nb_nil;
    nb_graph *g = o->g;
    nb_output *vl = NULL;
    n_vars = nbi_minimize_var_list(g, &vars, n_vars, &vl);
    if (n_vars < 0) return nb_nil;
    nb_output *grads = nbi_calloc((size_t)n_vars, sizeof *grads);
    nb_output r = nb_nil;
    if (!grads) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
    } else {
        nb_optimizer_compute_gradients(o, loss, vars, n_vars, grads);
        r = nb_optimizer_apply_gradients(o, grads, vars, n_vars, global_step);
    }
    nbi_free(grads);
    nbi_free(vl);
    return r;
}

nb_output nb_train_gradient_descent_minimize(nb_graph *g, double lr, nb_output loss) {
    return nb_optimizer_minimize(nb_train_gradient_descent(g, lr), loss, NULL, 0, nb_nil);
}

nb_output nb_train_create_global_step(nb_graph *g) {
    if (!nbi_graph_ok(g)) return nb_nil;
    nb_name_scope_push(g, NULL);
    nb_output c = nbi_const_owning(g, nb_tensor_scalar(NB_INT64, 0), "global_step/Initializer/zeros", "Const");
    nb_output v = nb_variable_ex(g, c, false, "global_step");
    nb_name_scope_pop(g);
    return v;
}
