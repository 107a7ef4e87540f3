/*
 * gradients.c — nb_gradients: symbol-to-symbol reverse-mode autodiff, as
 * TensorFlow's gradients_util.py builds it.
 *
 * The ops between xs and ys (reachable forward from an x and backward from a
 * y) are visited in reverse creation order. Each one's incoming gradients are
 * summed (AddN), its registered builder adds the gradient ops inside the scope
 * "gradients/<op name>_grad", and the results flow to its inputs.
 */
#include "grad/gradients_ready.h"
#include "nb_internal.h"

#include <stdio.h>

bool nbi_differentiable_dtype(nb_dtype dt) { return dt == NB_FLOAT32 || dt == NB_FLOAT64; }

/*** nb_gradients ***/

typedef struct pending {
    int n, cap;
    int *index;      /* output index */
    nb_output *grad;
} pending;

static bool pend_add(pending *p, int index, nb_output grad) {
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 4;
        int *ix = nbi_realloc(p->index, (size_t)cap * sizeof *ix);
        if (!ix) return false;
        p->index = ix;
        nb_output *gr = nbi_realloc(p->grad, (size_t)cap * sizeof *gr);
        if (!gr) return false;
        p->grad = gr;
        p->cap = cap;
    }
    p->index[p->n] = index;
    p->grad[p->n++] = grad;
    return true;
}

/* Sums the pending gradients of output k (nil when none). */
static nb_output pend_sum(nb_graph *g, pending *p, int k) {
    nb_output buf[64], *items = buf;
    int n = 0;
    for (int i = 0; i < p->n; i++) n += p->index[i] == k;
    if (n == 0) return nb_nil;
    if (n > 64) items = nbi_malloc((size_t)n * sizeof *items);
    if (!items) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory in gradients");
        return nb_nil;
    }
    n = 0;
    for (int i = 0; i < p->n; i++)
        if (p->index[i] == k) items[n++] = p->grad[i];
    nb_output r = n == 1 ? items[0] : nb_add_n(g, items, n, NULL);
    if (items != buf) nbi_free(items);
    return r;
}

void nb_gradients(nb_graph *g, const nb_output *ys, int n_ys, const nb_output *xs, int n_xs,
                  const nb_output *grad_ys, nb_output *dxs) {
    nbi_gradients_ready(g, ys, n_ys, xs, n_xs, grad_ys, dxs, NULL, NULL);
}

/* With ready: x's gradient is final once every consumer of x has been visited;
 * they all have higher ids than x, and the lowest of them (ready_at[i]) is
 * visited last, so x is handed to ready before the loop visits ready_at[i]-1. */
static void fire_ready(nb_graph *g, pending *pend, const nb_output *xs, int n_xs, const int *ready_at,
                       char *fired, int below, nb_output *dxs, nbi_grad_ready_fn ready, void *ctx) {
    for (int i = 0; i < n_xs && nbi_graph_ok(g); i++) {
        if (fired[i] || ready_at[i] < below) continue;
        fired[i] = 1;
        dxs[i] = pend_sum(g, &pend[xs[i].op->id], xs[i].index);
        ready(ctx, i, dxs[i]);
    }
}

void nbi_gradients_ready(nb_graph *g, const nb_output *ys, int n_ys, const nb_output *xs, int n_xs,
                         const nb_output *grad_ys, nb_output *dxs, nbi_grad_ready_fn ready, void *ctx) {
    if (!dxs) {
        if (g) nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_gradients: dxs is NULL");
        return;
    }
    for (int i = 0; i < n_xs; i++) dxs[i] = nb_nil;
    if (!nbi_graph_ok(g)) return;
    if (n_ys < 1 || !ys || n_xs < 0 || (n_xs && !xs)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_gradients: needs ys and xs");
        return;
    }
    for (int i = 0; i < n_ys; i++)
        if (!ys[i].op || ys[i].op->graph != g) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_gradients: y %d is nil or from another graph", i);
            return;
        }
    for (int i = 0; i < n_xs; i++)
        if (!xs[i].op || xs[i].op->graph != g) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "nb_gradients: x %d is nil or from another graph", i);
            return;
        }
    int n = g->n_ops;
    char *fwd = nbi_calloc((size_t)n, 1), *bwd = nbi_calloc((size_t)n, 1);
    pending *pend = nbi_calloc((size_t)n, sizeof *pend);
    nb_output *dy = NULL, *dx = NULL;
    int *ready_at = NULL;
    char *fired = NULL;
    if (!fwd || !bwd || !pend) goto oom;

    int lo = n;
    for (int i = 0; i < n_xs; i++) {
        fwd[xs[i].op->id] = 1;
        if (xs[i].op->id < lo) lo = xs[i].op->id;
    }
    for (int id = lo; id < n; id++) {
        nb_op *op = g->ops[id];
        if (fwd[id]) continue;
        for (int j = 0; j < op->n_inputs && !fwd[id]; j++)
            if (fwd[op->inputs[j].op->id]) fwd[id] = 1;
    }
    int hi = -1;
    for (int i = 0; i < n_ys; i++) {
        bwd[ys[i].op->id] = 1;
        if (ys[i].op->id > hi) hi = ys[i].op->id;
    }
    for (int id = hi; id >= 0; id--) {
        if (!bwd[id]) continue;
        nb_op *op = g->ops[id];
        for (int j = 0; j < op->n_inputs; j++) bwd[op->inputs[j].op->id] = 1;
    }

    nb_name_scope_push(g, "gradients");
    /* Seeds: ones shaped like each y (gradients/Shape, grad_ys_0, Fill), or grad_ys. */
    for (int i = 0; i < n_ys; i++) {
        nb_output seed;
        if (grad_ys && grad_ys[i].op) {
            seed = grad_ys[i];
        } else {
            nb_dtype dt = nb_output_dtype(ys[i]);
            char nm[32];
            snprintf(nm, sizeof nm, "grad_ys_%d", i);
            nb_output c = nbi_const_owning(g, nb_tensor_scalar(dt, 1.0), nm, "Const");
            seed = nb_fill(g, nb_shape_of(g, ys[i], NULL), c, NULL);
        }
        if (!pend_add(&pend[ys[i].op->id], ys[i].index, seed)) goto oom_scope;
    }
    int max_out = 1, max_in = 1;
    for (int id = 0; id < n; id++) {
        if (g->ops[id]->n_outputs > max_out) max_out = g->ops[id]->n_outputs;
        if (g->ops[id]->n_inputs > max_in) max_in = g->ops[id]->n_inputs;
    }
    dy = nbi_calloc((size_t)max_out, sizeof *dy);
    dx = nbi_calloc((size_t)max_in, sizeof *dx);
    if (!dy || !dx) goto oom_scope;
    if (ready) { /* ready_at[i]: the lowest id of x's consumers up to hi (-1: none) */
        ready_at = nbi_malloc(((size_t)n_xs + 1) * sizeof *ready_at);
        fired = nbi_calloc((size_t)n_xs + 1, 1);
        if (!ready_at || !fired) goto oom_scope;
        for (int i = 0; i < n_xs; i++) {
            ready_at[i] = -1;
            for (int id = hi; id > xs[i].op->id; id--) {
                nb_op *op = g->ops[id];
                for (int j = 0; j < op->n_inputs; j++)
                    if (op->inputs[j].op == xs[i].op && op->inputs[j].index == xs[i].index) ready_at[i] = id;
            }
        }
    }

    for (int id = hi; id >= 0 && nbi_graph_ok(g); id--) {
        if (ready) fire_ready(g, pend, xs, n_xs, ready_at, fired, id + 1, dxs, ready, ctx);
        if (!fwd[id] || !bwd[id] || pend[id].n == 0) continue;
        nb_op *op = g->ops[id];
        bool any = false;
        for (int k = 0; k < op->n_outputs; k++) {
            dy[k] = pend_sum(g, &pend[id], k);
            any |= dy[k].op != NULL;
        }
        if (!any) continue;
        bool wants = false; /* does any input lead back to an x? */
        for (int j = 0; j < op->n_inputs; j++)
            wants |= fwd[op->inputs[j].op->id] &&
                     nbi_differentiable_dtype(nbi_in_dtype(op, j));
        if (!wants) continue;
        if (!op->def->grad) {
            if (op->def->flags & NBI_NO_GRAD) continue;
            nbi_graph_error(g, NB_ERR_UNIMPLEMENTED,
                            "No gradient defined for operation '%s' (op type: %s)", op->name,
                            op->def->type);
            break;
        }
        for (int j = 0; j < op->n_inputs; j++) dx[j] = nb_nil;
        char *scope = nbi_asprintf("%s_grad", op->name);
        if (!scope) goto oom_scope;
        nb_name_scope_push(g, scope);
        nbi_free(scope);
        op->def->grad(g, op, dy, dx);
        nb_name_scope_pop(g);
        for (int j = 0; j < op->n_inputs; j++) {
            nb_output in = op->inputs[j];
            if (!dx[j].op || !fwd[in.op->id] || !nbi_differentiable_dtype(nbi_in_dtype(op, j)))
                continue;
            if (!pend_add(&pend[in.op->id], in.index, dx[j])) goto oom_scope;
        }
    }
    if (nbi_graph_ok(g))
        for (int i = 0; i < n_xs; i++) {
            if (fired && fired[i]) continue;
            dxs[i] = pend_sum(g, &pend[xs[i].op->id], xs[i].index);
            if (ready && nbi_graph_ok(g)) ready(ctx, i, dxs[i]);
        }
    nb_name_scope_pop(g);
    goto done;
oom_scope:
    nb_name_scope_pop(g);
oom:
    nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory in nb_gradients");
done:
    if (!nbi_graph_ok(g))
        for (int i = 0; i < n_xs; i++) dxs[i] = nb_nil;
    if (pend)
        for (int i = 0; i < n; i++) {
            nbi_free(pend[i].index);
            nbi_free(pend[i].grad);
        }
    nbi_free(pend);
    nbi_free(fwd);
    nbi_free(bwd);
    nbi_free(dy);
    nbi_free(dx);
    nbi_free(ready_at);
    nbi_free(fired);
}
