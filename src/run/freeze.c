/*
 * freeze.c — nb_graph_freeze: a session's graph with each needed variable
 * replaced by a Const holding its current value (TF's
 * convert_variables_to_constants). It lives with the session because it reads
 * the session's variable values; the graph layer knows nothing of sessions.
 */
#include "run/run.h"
#include "ops/ops_impl.h"

nb_status nb_graph_freeze(nb_session *s, const nb_output *outputs, int n, nb_graph **frozen,
                          nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (frozen) *frozen = NULL;
    if (!s || !frozen || n < 0 || (n > 0 && !outputs))
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_graph_freeze: bad arguments");
    nb_graph *g = nb_session_graph(s);
    if (g->status != NB_OK)
        return nbi_set_error(err, g->status, "nb_graph_freeze: the graph is in error: %s", g->errmsg);
    int no = g->n_ops;
    bool *need = nbi_calloc(no ? (size_t)no : 1, 1);
    nb_op **map = nbi_calloc(no ? (size_t)no : 1, sizeof *map);
    nb_output *ins = NULL;
    nb_graph *ng = nb_graph_new();
    nb_status st = NB_OK;
    if (!need || !map || !ng) {
        st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "nb_graph_freeze: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        if (!outputs[i].op || outputs[i].op->graph != g) {
            st = nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_graph_freeze: output %d is nil "
                               "or from another graph", i);
            goto done;
        }
        need[outputs[i].op->id] = true;
    }
    /* Ids are a topological order: walking down marks everything needed. */
    for (int i = no - 1; i >= 0; i--) {
        nb_op *op = g->ops[i];
        if (!need[i] || (op->def->flags & NBI_VARIABLE)) continue;
        if (op->def->flags & (NBI_REF_IN0 | NBI_REF_IN1 | NBI_REF_IN2)) {
            st = nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_graph_freeze: the outputs need "
                               "'%s' (op: '%s'), which updates a variable; a frozen graph cannot "
                               "hold it", op->name, op->def->type);
            goto done;
        }
        for (int k = 0; k < op->n_inputs; k++) need[op->inputs[k].op->id] = true;
        for (int k = 0; k < op->n_control; k++) need[op->control[k]->id] = true;
    }
    for (int i = 0; i < no && st == NB_OK; i++) {
        nb_op *op = g->ops[i];
        if (!need[i]) continue;
        char *verbatim = nbi_asprintf("%s/", op->name);
        if (!verbatim) {
            st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "nb_graph_freeze: out of memory");
            break;
        }
        nb_op *c;
        if (op->def->flags & NBI_VARIABLE) {
            bool oom;
            nb_tensor *cur = nbi_session_variable_ref(s, op, &oom);
            nb_tensor *v = cur ? nb_tensor_copy(cur) : NULL; /* the frozen graph owns its value */
            nb_tensor_unref(cur);
            if (!v) {
                nbi_free(verbatim);
                if (oom || cur)
                    st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "nb_graph_freeze: out of memory");
                else
                    st = nbi_set_error(err, NB_ERR_FAILED_PRECONDITION, "nb_graph_freeze: variable "
                                       "'%s' is not initialized in the session", op->name);
                break;
            }
            c = nbi_op_new(ng, NBI_OP_CONST, verbatim, NULL, NULL, 0);
            if (c) {
                c->value = v;
                c->attrs.dtype = v->dtype;
            } else {
                nb_tensor_unref(v);
            }
        } else {
            nbi_free(ins);
            ins = nbi_calloc(op->n_inputs ? (size_t)op->n_inputs : 1, sizeof *ins);
            if (!ins) {
                nbi_free(verbatim);
                st = nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "nb_graph_freeze: out of memory");
                break;
            }
            for (int k = 0; k < op->n_inputs; k++)
                ins[k] = nbi_out(map[op->inputs[k].op->id], op->inputs[k].index);
            c = nbi_op_new(ng, op->type, verbatim, NULL, ins, op->n_inputs);
            if (c) {
                c->attrs = op->attrs;
                if (op->attrs.message) { /* the source graph owns its copy: the frozen one needs its own */
                    char *m = nbi_strdup(op->attrs.message);
                    if (!m || !nbi_graph_own(ng, m, nbi_free)) {
                        nbi_free(m);
                        nbi_graph_error(ng, NB_ERR_OUT_OF_MEMORY, "out of memory");
                    }
                    c->attrs.message = ng->status == NB_OK ? m : NULL;
                }
                c->value = nbi_ref(op->value);
                for (int k = 0; k < op->n_control; k++)
                    if (!nbi_op_add_control(c, map[op->control[k]->id]))
                        nbi_graph_error(ng, NB_ERR_OUT_OF_MEMORY, "out of memory");
            }
        }
        nbi_free(verbatim);
        if (c && ng->status != NB_OK) {
            nbi_op_discard(c);
            c = NULL;
        }
        if (c) nbi_op_finish(c);
        if (!c || ng->status != NB_OK) {
            st = nbi_set_error(err, ng->status ? ng->status : NB_ERR_INTERNAL,
                               "nb_graph_freeze: copying '%s': %s", op->name, ng->errmsg);
            break;
        }
        map[i] = c;
    }
done:
    if (st == NB_OK) {
        *frozen = ng;
    } else {
        nb_graph_free(ng);
    }
    nbi_free(ins);
    nbi_free(need);
    nbi_free(map);
    return st;
}
